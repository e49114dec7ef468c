import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { cleanEnv, startServer, type RunningServer } from '../helpers/server.js';

/**
 * One API process and two worker processes on one PostgreSQL: every run is executed exactly
 * once, and a cron schedule fires once per occurrence, whichever processes are up.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let meta: TestDatabase;
let src: TestDatabase;
let dest: TestDatabase;
let home: string;
let api: RunningServer;
const workers: { proc: ChildProcess; lines: string[] }[] = [];
let env: Record<string, string>;

function startWorker() {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'worker'], {
    cwd: ROOT,
    env: cleanEnv({ ...env, LOG_LEVEL: 'info', QUARRY_WORKER_CONCURRENCY: '2' }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const w = { proc, lines: [] as string[] };
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    w.lines.push(...parts);
  });
  workers.push(w);
}

/** Run ids each worker logged a loaded stream for. */
const executions = () =>
  workers.flatMap((w, i) =>
    w.lines.flatMap((l) => {
      try {
        const o = JSON.parse(l) as { msg?: string; runId?: string };
        return o.msg === 'stream loaded' && o.runId ? [{ worker: i, runId: o.runId }] : [];
      } catch {
        return [];
      }
    }),
  );

beforeAll(async () => {
  meta = await createTestDatabase({ migrate: false });
  await meta.db.end();
  src = await createTestDatabase({ migrate: false });
  dest = await createTestDatabase({ migrate: false });
  await src.db.query(`CREATE TABLE items (id int PRIMARY KEY, val text); INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 1000) g;`);
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-multi-'));
  env = { DATABASE_URL: meta.url, QUARRY_SECRET_KEY: crypto.randomBytes(32).toString('base64'), QUARRY_HOME: home };
  api = await startServer({ ...env, QUARRY_WORKER_CONCURRENCY: '0' });
  startWorker();
  startWorker();
}, 120_000);

afterAll(async () => {
  for (const w of workers) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(null) : w.proc.once('exit', r)))));
  await api?.stop();
  await meta?.drop();
  await src?.drop();
  await dest?.drop();
  await fs.rm(home, { recursive: true, force: true });
}, 60_000);

async function call(method: string, urlPath: string, body?: unknown): Promise<any> {
  const res = await fetch(`${api.url}/api/v1/workspaces/${api.banner.workspaceId}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${api.banner.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${urlPath}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function until<T>(fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('one API process, two workers, one database', () => {
  let warehouse: string;

  it('executes each of 20 runs triggered at once exactly once', async () => {
    warehouse = (await call('POST', '/sources', { name: 'pg', source_type: 'postgres', config: { host: '127.0.0.1', database: dest.name, username: 'postgres', sslmode: 'disable' } })).id;
    const loaders = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('POST', '/loaders', {
          name: `loader ${i}`,
          loader_type: 'postgresql',
          source_id: warehouse,
          config: { host: '127.0.0.1', database: src.name, username: 'postgres', sslmode: 'disable' },
          target_schema: `s${i}`,
          selected_streams: [{ name: 'items' }],
          sync_mode: 'full_refresh',
        }),
      ),
    );
    const runs = await Promise.all(loaders.map((l) => call('POST', `/loaders/${l.id}/trigger`)));
    const done = await until(async () => {
      const all = await Promise.all(runs.map((r) => call('GET', `/loaders/${r.loader_id}/runs/${r.id}`)));
      return all.every((r) => r.status === 'completed' || r.status === 'failed') ? all : undefined;
    }, 120_000);
    expect(done.map((r) => r.status)).toEqual(Array(20).fill('completed'));
    for (const l of loaders) expect((await call('GET', `/loaders/${l.id}/runs`)).length).toBe(1);

    const runIds = runs.map((r) => r.id).sort();
    const seen = executions().map((e) => e.runId);
    expect([...seen].sort()).toEqual(runIds); // each run's stream loaded once, across both workers
    const { rows } = await dest.db.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'items'`);
    expect(rows[0].n).toBe(20);
    const jobs = await createTestDatabaseQuery(`SELECT state, count(*)::int AS n FROM pgboss.job WHERE name = 'quarry.loader-run' GROUP BY state`);
    expect(jobs).toEqual([{ state: 'completed', n: 20 }]);
  }, 180_000);

  it('fires a `* * * * *` schedule once per minute across all processes', async () => {
    const loader = await call('POST', '/loaders', {
      name: 'every minute',
      loader_type: 'postgresql',
      source_id: warehouse,
      config: { host: '127.0.0.1', database: src.name, username: 'postgres', sslmode: 'disable' },
      target_schema: 'cron',
      selected_streams: [{ name: 'items' }],
      sync_mode: 'full_refresh',
      schedule: '* * * * *',
    });
    const created = new Date(loader.created_at);
    const runs = await until(async () => {
      const list = (await call('GET', `/loaders/${loader.id}/runs`)) as { id: string; status: string; scheduled_for: string; triggered_by: string | null }[];
      return list.filter((r) => r.status === 'completed').length >= 2 ? list : undefined;
    }, 200_000);
    const minutes = runs.map((r) => new Date(r.scheduled_for).getTime()).sort();
    expect(new Set(minutes).size).toBe(runs.length); // no occurrence twice
    for (const m of minutes) {
      expect(m % 60_000).toBe(0);
      expect(m).toBeGreaterThan(created.getTime());
    }
    expect(minutes[1]! - minutes[0]!).toBe(60_000); // consecutive occurrences, none skipped
    expect(runs.every((r) => r.triggered_by === null)).toBe(true);
    const executed = executions().filter((e) => runs.some((r) => r.id === e.runId));
    expect(executed.length).toBe(runs.filter((r) => r.status === 'completed').length);
  }, 240_000);
});

async function createTestDatabaseQuery(sql: string): Promise<unknown[]> {
  const pg = await import('pg');
  const c = new pg.default.Client({ connectionString: meta.url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}
