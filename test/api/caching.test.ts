import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';

/**
 * Two API processes on one database (two apps here): lists and auth are cached in process
 * and must follow every committed change, whichever process (or plain SQL) made it.
 */
let a: TestApp;
let b: TestApp;
let base: string;

beforeAll(async () => {
  const key = crypto.randomBytes(32);
  a = await setupApp({ key });
  b = await setupApp({ database: a.database, key });
  base = `/api/v1/workspaces/${a.workspaceId}/sources`;
});
afterAll(async () => {
  await b.close();
  await a.close();
});

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const names = async (t: TestApp, token?: string) => ((await t.request('GET', base, token ? { token } : {})).json() as { name: string }[]).map((s) => s.name).sort();

describe('in-process caches follow committed changes', () => {
  it('a process reads its own writes at once', async () => {
    expect(await names(a)).toEqual([]);
    await a.request('POST', base, { body: { name: 'one', source_type: 'duckdb', config: { database: 'one' } } });
    expect(await names(a)).toEqual(['one']);
  });

  it('a write through another process, or plain SQL, reaches the cached list', async () => {
    expect(await names(a)).toEqual(['one']);
    const created = json(await b.request('POST', base, { body: { name: 'two', source_type: 'duckdb', config: { database: 'two' } } }));
    await eventually(async () => (await names(a)).join() === 'one,two');
    await a.database.db.query(`UPDATE sources SET name = 'renamed' WHERE id = $1`, [created.id]);
    await eventually(async () => (await names(a)).join() === 'one,renamed');
    await b.request('DELETE', `${base}/${created.id}`);
    await eventually(async () => (await names(a)).join() === 'one');
  });

  it('a token revoked elsewhere stops working', async () => {
    const { token } = await a.account('admin');
    expect((await a.request('GET', base, { token })).statusCode).toBe(200); // cached now
    const id = (await a.tenancy.listTokens()).find((t) => token.startsWith(t.token_prefix) && !t.revoked_at)!.id;
    await b.database.db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [id]);
    await eventually(async () => (await a.request('GET', base, { token })).statusCode === 401);
  });

  it('access granted or role changed elsewhere applies', async () => {
    const other = json(await a.request('POST', '/api/v1/workspaces', { body: { name: 'other' } }));
    const { token, accountId } = await a.account('member');
    expect((await a.request('GET', `/api/v1/workspaces/${other.id}/sources`, { token })).statusCode).toBe(404);
    await b.tenancy.addMember(other.id, accountId);
    await eventually(async () => (await a.request('GET', `/api/v1/workspaces/${other.id}/sources`, { token })).statusCode === 200);
    await b.database.db.query(`UPDATE accounts SET role = 'viewer' WHERE id = $1`, [accountId]);
    await eventually(
      async () => (await a.request('POST', `/api/v1/workspaces/${other.id}/sources`, { token, body: { name: 'v', source_type: 'duckdb', config: { database: 'v' } } })).statusCode === 403,
    );
  });

  it('while the notification channel is down, caches are bypassed, not trusted', async () => {
    expect(await names(a)).toEqual(['one']);
    // Cut every LISTEN connection of this database, then change data with no one listening.
    await a.database.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
    );
    await new Promise((r) => setTimeout(r, 300)); // the clients notice the closed socket
    await a.database.db.query(`UPDATE sources SET name = 'changed while deaf'`);
    expect(await names(a)).toEqual(['changed while deaf']);
    // and it reconnects
    await eventually(async () => {
      const { rows } = await a.database.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
      return rows[0].n === 2;
    }, 5000);
  });
});
