import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { postStream } from '../helpers/sse.js';
import { startTap, type Tap } from '../helpers/tap.js';
import { validConfigs } from '../helpers/fixtures.js';
import { MASK } from '../../src/secrets/secret-fields.js';

/** The connection-test endpoints' HTTP behaviour; the per-type cases live in test/contract. */
let t: TestApp;
let base: string;
let tap: Tap;
const lookups: string[] = [];

// The machine's PostgreSQL (trust auth), reached through a tap that can hang.
const pgConfig = () => ({ host: '127.0.0.1', port: tap.port, database: 'postgres', username: 'postgres', password: 'unused-SECRET', schema: 'public', sslmode: 'disable' });

beforeAll(async () => {
  tap = await startTap(5432);
  t = await setupApp({
    settings: { connectionTestStepTimeoutMs: 2000, connectionTestTimeoutMs: 20_000, sseHeartbeatMs: 100 },
    lookup: async (host) => {
      lookups.push(host);
      if (host === 'metadata.attacker.test') return [{ address: '169.254.169.254', family: 4 }];
      if (host === 'db.internal.test') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  });
  base = await t.listen();
});
afterAll(async () => {
  await t.close();
  await tap.close();
});

const testUrl = () => `${base}/api/v1/workspaces/${t.workspaceId}/sources/test`;

describe('POST /sources/test', () => {
  it('answers in the reference SSE format: step events then done', async () => {
    const r = await postStream(testUrl(), { token: t.token, body: { source_type: 'postgres', config: pgConfig() } });
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('text/event-stream; charset=utf-8');
    const blocks = r.body.split('\n\n').filter((b) => b && !b.startsWith(':'));
    expect(blocks).toHaveLength(4);
    for (const b of blocks.slice(0, 3)) expect(b).toMatch(/^event: step\ndata: \{"name":"(connectivity|authentication|permissions)","status":"passed","message":"(?:[^"\\]|\\.)+","duration_ms":\d+\}$/);
    expect(blocks[3]).toMatch(/^event: done\ndata: \{"success":true,"steps":\[.*\]\}$/);
  });

  it('accepts the create request as it is (name included) and saves nothing', async () => {
    const before = (await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/sources`)).json() as unknown[];
    const r = await postStream(testUrl(), { token: t.token, body: { name: 'x', source_type: 'postgres', config: pgConfig() } });
    expect(r.events.at(-1)!.data.success).toBe(true);
    const after = (await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/sources`)).json() as unknown[];
    expect(after).toEqual(before);
  });

  it('sends each step the moment it ends, with heartbeats while a step waits', async () => {
    tap.hold = true;
    try {
      const r = await postStream(testUrl(), { token: t.token, body: { source_type: 'postgres', config: pgConfig() } });
      const [connectivity, authentication] = r.events;
      expect(connectivity!.data.status).toBe('passed');
      expect(authentication!.data).toMatchObject({ name: 'authentication', status: 'failed', message: 'timed out after 2s' });
      // the first event came a whole step timeout before the second: streamed, not batched
      expect(authentication!.at - connectivity!.at).toBeGreaterThan(1000);
      expect(r.comments).toBeGreaterThan(3);
      expect(r.body).toContain(': heartbeat\n\n');
    } finally {
      tap.hold = false;
    }
  });

  it('ends a test that runs past the whole-test limit with a failed step', async () => {
    const quick = await setupApp({ settings: { connectionTestStepTimeoutMs: 10_000, connectionTestTimeoutMs: 800 } });
    const url = await quick.listen();
    tap.hold = true;
    try {
      const r = await postStream(`${url}/api/v1/workspaces/${quick.workspaceId}/sources/test`, { token: quick.token, body: { source_type: 'postgres', config: pgConfig() } });
      expect(r.events.filter((e) => e.event === 'step').map((e) => [e.data.name, e.data.status, e.data.message])).toEqual([
        ['connectivity', 'passed', expect.any(String)],
        ['authentication', 'failed', 'the connection test timed out after 0.8s (whole-test limit)'],
        ['permissions', 'skipped', 'skipped because the authentication step failed'],
      ]);
      await new Promise((res) => setTimeout(res, 100));
      expect(tap.live()).toBe(0);
    } finally {
      tap.hold = false;
      await quick.close();
    }
  });

  it('refuses a host that resolves to the cloud metadata address', async () => {
    const r = await postStream(testUrl(), { token: t.token, body: { source_type: 'postgres', config: { ...pgConfig(), host: 'metadata.attacker.test', port: 80 } } });
    expect(r.events[0]!.data).toMatchObject({
      name: 'connectivity',
      status: 'failed',
      message: 'refused by the network policy: metadata.attacker.test resolves to 169.254.169.254, a link-local address (cloud metadata endpoints live here)',
    });
    const direct = await postStream(testUrl(), { token: t.token, body: { source_type: 'postgres', config: { ...pgConfig(), host: '169.254.169.254' } } });
    expect(direct.events[0]!.data.message).toMatch(/^refused by the network policy: 169\.254\.169\.254, a link-local address/);
  });

  it('connects to the address it checked, without resolving the name again', async () => {
    lookups.length = 0;
    const r = await postStream(testUrl(), { token: t.token, body: { source_type: 'postgres', config: { ...pgConfig(), host: 'db.internal.test' } } });
    expect(r.events.at(-1)!.data.success).toBe(true);
    expect(lookups).toEqual(['db.internal.test']);
  });

  it('in public mode also refuses loopback and private addresses', async () => {
    const strict = await setupApp({ settings: { networkPolicy: 'public' } });
    const url = await strict.listen();
    try {
      for (const host of ['127.0.0.1', 'localhost', '10.0.0.8']) {
        const r = await postStream(`${url}/api/v1/workspaces/${strict.workspaceId}/sources/test`, { token: strict.token, body: { source_type: 'postgres', config: { ...pgConfig(), host } } });
        expect(r.events[0]!.data.message, host).toMatch(/^refused by the network policy: .*(loopback|private)/);
      }
    } finally {
      await strict.close();
    }
  });

  it('rejects bad input before streaming, as problem+json', async () => {
    const cases: [unknown, string][] = [
      [{ source_type: 'postgress', config: {} }, 'source_type'],
      [{ source_type: 'postgres', config: { ...pgConfig(), port: 'x' } }, 'config.port'],
      [{ source_type: 'postgres', config: { ...pgConfig(), password: MASK } }, 'config.password'],
      [{ source_type: 'postgres', config: pgConfig(), extra: true }, 'extra'],
      [{ source_type: 'duckdb', config: { database: 'a' }, connection_id: 'nope' }, 'connection_id'],
    ];
    for (const [body, field] of cases) {
      const res = await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources/test`, { body });
      expect(res.statusCode, field).toBe(422);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect((res.json() as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    }
    expect((await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources/test`, { token: null, body: {} })).statusCode).toBe(401);
    const viewer = await t.account('viewer', { workspaceId: t.workspaceId });
    expect((await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources/test`, { token: viewer.token, body: { source_type: 'duckdb', config: { database: 'a' } } })).statusCode).toBe(403);
  });

  it('uses a shared connection\'s credentials for what the config leaves out', async () => {
    const id = '44444444-4444-4444-8444-444444444444';
    const secret = t.box.seal(JSON.stringify({ password: 'shared-SECRET' }), `connections:${id}`);
    await t.database.db.query(
      `INSERT INTO connections (id, organization_id, name, connection_type, config, secret_config, secret_keys) VALUES ($1, $2, 'shared pg', 'postgres', $3, $4, '{password}')`,
      [id, t.organizationId, { host: '127.0.0.1', port: tap.port, username: 'postgres', sslmode: 'disable' }, secret],
    );
    const r = await postStream(testUrl(), { token: t.token, body: { source_type: 'postgres', config: { database: 'postgres' }, connection_id: id } });
    expect(r.events.at(-1)!.data.success).toBe(true);
    expect(r.body).not.toContain('shared-SECRET');
  });
});

describe('POST /sources/{id}/test', () => {
  it('404s for unknown, malformed and foreign sources', async () => {
    for (const id of ['6b1d3f0e-1111-4222-8333-444455556666', 'nope']) {
      const res = await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources/${id}/test`);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    const org = await t.tenancy.createOrganization('other');
    const other = await t.account('admin', { organizationId: org });
    const res = await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources/6b1d3f0e-1111-4222-8333-444455556666/test`, { token: other.token });
    expect(res.statusCode).toBe(404);
  });

  it('does not mark a source connected when it was edited while the test ran', async () => {
    const created = json(await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources`, { body: { name: 'race', source_type: 'postgres', config: pgConfig() } }));
    tap.hold = true;
    const url = `${base}/api/v1/workspaces/${t.workspaceId}/sources/${created.id}/test`;
    const running = postStream(url, { token: t.token });
    await new Promise((r) => setTimeout(r, 300));
    await t.request('PUT', `/api/v1/workspaces/${t.workspaceId}/sources/${created.id}`, { body: { config: { database: 'other' } } });
    const r = await running;
    tap.hold = false;
    const done = r.events.at(-1)!.data;
    expect(done.source).toMatchObject({ status: 'pending', last_tested_at: null });
  });

  it('passes on a reachable saved duckdb source (embedded, under QUARRY_HOME)', async () => {
    const created = json(await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources`, { body: { name: 'duck', source_type: 'duckdb', config: { database: 'warehouse' } } }));
    const r = await postStream(`${base}/api/v1/workspaces/${t.workspaceId}/sources/${created.id}/test`, { token: t.token });
    expect(r.events.at(-1)!.data.source.status, r.body).toBe('connected');
    expect(r.events[1]!.data.message).toContain(`${t.home}/warehouses/warehouse.duckdb`);
  });
});

// keep the unused import checker quiet about net in environments without IPv6
void net;
void validConfigs;
