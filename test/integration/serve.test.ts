import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const homes: string[] = [];
/** A fresh QUARRY_HOME; 0755 like a directory made by hand (mkdtemp makes 0700). */
async function tempHome(mode = 0o755): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-home-'));
  await fs.chmod(dir, mode);
  homes.push(dir);
  return dir;
}

/** Where the cluster of a home lives: the home, or the place named in postgres.location. */
async function dataDir(home: string): Promise<string> {
  const moved = await fs.readFile(path.join(home, 'postgres.location'), 'utf8').catch(() => undefined);
  return path.join(moved?.trim() ?? home, 'pgdata');
}
afterAll(async () => {
  for (const h of homes) await fs.rm(h, { recursive: true, force: true });
});

/** The reference document's curl examples, as fetch calls with the printed token. */
async function referenceWalkthrough(url: string, workspaceId: string, token: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'x-workspace-id': workspaceId, 'content-type': 'application/json' };
  const base = `${url}/api/v1/workspaces/${workspaceId}/sources`;
  const created = await fetch(base, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'Production Snowflake',
      source_type: 'snowflake',
      config: { account: 'xy12345.us-east-1', warehouse: 'COMPUTE_WH', database: 'ANALYTICS', schema: 'PUBLIC', username: 'cdp_user', password: 'secure_password' },
    }),
  });
  expect(created.status).toBe(201);
  const source = (await created.json()) as { id: string; status: string; config: Record<string, unknown> };
  expect(source.status).toBe('pending');
  expect(source.config.password).toBe('********');

  const list = await fetch(base, { headers });
  expect(list.status).toBe(200);
  expect(((await list.json()) as { id: string }[]).map((s) => s.id)).toEqual([source.id]);

  const got = await fetch(`${base}/${source.id}`, { headers });
  expect(((await got.json()) as { id: string }).id).toBe(source.id);

  const put = await fetch(`${base}/${source.id}`, { method: 'PUT', headers, body: JSON.stringify({ name: 'Production Snowflake (Updated)' }) });
  expect(((await put.json()) as { name: string }).name).toBe('Production Snowflake (Updated)');

  const del = await fetch(`${base}/${source.id}`, { method: 'DELETE', headers: { authorization: headers.authorization, 'x-workspace-id': workspaceId } });
  expect(await del.json()).toEqual({ status: 'deleted' });
}

describe('quarry serve, embedded PostgreSQL (no env vars but a home and a port)', () => {
  it('starts, prints a working token, survives a restart, and stops its database on SIGTERM', async () => {
    const home = await tempHome();
    const server = await startServer({ QUARRY_HOME: home });
    try {
      expect(server.output()).toContain('embedded PostgreSQL');
      const { workspaceId, token } = server.banner;
      expect(token).toMatch(/^qry_/);
      await referenceWalkthrough(server.url, workspaceId!, token!);

      // The CLI reaches the running server's embedded database.
      const env = { QUARRY_HOME: home };
      const created = await runCli(['token', 'create', '--role', 'viewer', '--workspace', workspaceId!, '--name', 'ci', '--json'], env);
      expect(created.code, created.stderr).toBe(0);
      const viewer = JSON.parse(created.stdout) as { id: string; token: string; role: string };
      expect(viewer.role).toBe('viewer');
      const asViewer = await fetch(`${server.url}/api/v1/workspaces/${workspaceId}/sources`, { headers: { authorization: `Bearer ${viewer.token}` } });
      expect(asViewer.status).toBe(200);
      const listed = await runCli(['token', 'list'], env);
      expect(listed.stdout).toContain(viewer.token.slice(0, 10));
      expect(listed.stdout).not.toContain(viewer.token);
      expect((await runCli(['token', 'revoke', viewer.id], env)).code).toBe(0);
      const revoked = await fetch(`${server.url}/api/v1/workspaces/${workspaceId}/sources`, { headers: { authorization: `Bearer ${viewer.token}` } });
      expect(revoked.status).toBe(401);
      const ws = await runCli(['workspace', 'create', 'Marketing'], env);
      expect(ws.stdout).toMatch(/Workspace .* "Marketing" created/);
      expect((await runCli(['workspace', 'list'], env)).stdout).toContain('Marketing');

      // Persisted across restarts; the token is not printed a second time.
      await fetch(`${server.url}/api/v1/workspaces/${workspaceId}/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'kept', source_type: 'duckdb', config: { database: 'kept' } }),
      });
      expect(await server.stop()).toBe(0);
      expect(await dataDir(home)).toBe(path.join(home, 'pgdata'));
      await expect(fs.access(path.join(home, 'pgdata', 'postmaster.pid'))).rejects.toThrow();

      const again = await startServer({ QUARRY_HOME: home });
      try {
        expect(again.output()).not.toContain('API token');
        const res = await fetch(`${again.url}/api/v1/workspaces/${workspaceId}/sources`, { headers: { authorization: `Bearer ${token}` } });
        expect(((await res.json()) as { name: string }[]).map((s) => s.name)).toEqual(['kept']);
      } finally {
        expect(await again.stop()).toBe(0);
      }
      expect((await fs.stat(path.join(home, 'secret.key'))).mode & 0o777).toBe(0o600);
    } finally {
      await server.stop('SIGKILL');
    }
  }, 120_000);

  it('adopts the database a killed server left running', async () => {
    const home = await tempHome();
    const first = await startServer({ QUARRY_HOME: home });
    expect(await first.stop('SIGKILL')).toBe(null);
    const pid = Number((await fs.readFile(path.join(await dataDir(home), 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(() => process.kill(pid, 0)).not.toThrow(); // the orphan is still up
    const second = await startServer({ QUARRY_HOME: home });
    const { workspaceId, token } = first.banner;
    const res = await fetch(`${second.url}/api/v1/workspaces/${workspaceId}/sources`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await second.stop()).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow(); // and stopped with it
  }, 120_000);
});

describe.runIf(process.getuid?.() === 0)('quarry serve as root', () => {
  it('keeps the cluster under /var/lib/quarry when the postgres user cannot reach QUARRY_HOME', async () => {
    const home = await tempHome(0o700);
    const server = await startServer({ QUARRY_HOME: home });
    try {
      const dir = await dataDir(home);
      expect(dir).toMatch(/^\/var\/lib\/quarry\/[0-9a-f]{16}\/pgdata$/);
      await fs.access(path.join(dir, 'postmaster.pid'));
      const { workspaceId, token } = server.banner;
      await referenceWalkthrough(server.url, workspaceId!, token!);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    await fs.rm(path.dirname(await dataDir(home)), { recursive: true, force: true });
  }, 60_000);
});

describe('quarry serve with DATABASE_URL', () => {
  let database: TestDatabase;
  afterAll(async () => database?.drop());

  it('uses the external server: migrates, bootstraps, serves the reference walkthrough', async () => {
    database = await createTestDatabase({ migrate: false });
    await database.db.end();
    const home = await tempHome();
    const migrated = await runCli(['migrate'], { DATABASE_URL: database.url, QUARRY_HOME: home });
    expect(migrated.code, migrated.stderr).toBe(0);
    const server = await startServer({ DATABASE_URL: database.url, QUARRY_HOME: home });
    try {
      expect(server.output()).toContain('Metadata store: DATABASE_URL');
      await referenceWalkthrough(server.url, server.banner.workspaceId!, server.banner.token!);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    await expect(fs.access(path.join(home, 'pgdata'))).rejects.toThrow();
  }, 60_000);

  it('refuses to start with a different secret key than the store was set up with', async () => {
    const home = await tempHome();
    const res = await runCli(['migrate'], { DATABASE_URL: database.url, QUARRY_HOME: home, QUARRY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/secret key differs/);
  });

  it('reports bad configuration clearly', async () => {
    const res = await runCli(['serve'], { DATABASE_URL: 'mysql://root:hunter2@localhost/x' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('DATABASE_URL must be a postgres');
    expect(res.stderr).not.toContain('hunter2');
    const unknown = await runCli(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
  });
});
