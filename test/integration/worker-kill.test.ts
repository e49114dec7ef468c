import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { cleanEnv } from '../helpers/server.js';
import { createLoader, createSource, pgLoaderConfig, trigger, waitForRun } from '../helpers/loaders.js';

/**
 * A worker killed with SIGKILL in the middle of a load: the run is failed when its heartbeat
 * stops, and the next run resumes from the last committed state, with no row lost and no
 * primary key twice.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const key = crypto.randomBytes(32);
let t: TestApp;
let src: TestDatabase;
let dest: TestDatabase;
const workers: ChildProcess[] = [];

function startWorker(): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'worker'], {
    cwd: ROOT,
    env: cleanEnv({
      DATABASE_URL: t.database.url,
      QUARRY_SECRET_KEY: key.toString('base64'),
      QUARRY_HOME: t.home,
      QUARRY_RUN_LEASE_MS: '2000',
      QUARRY_WORKER_CONCURRENCY: '1',
    }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(proc);
  return proc;
}

async function until(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  t = await setupApp({ key });
  src = await createTestDatabase({ migrate: false });
  dest = await createTestDatabase({ migrate: false });
  await src.db.query(`
    CREATE TABLE small (id int PRIMARY KEY, val text, updated_at timestamptz NOT NULL);
    INSERT INTO small SELECT g, 'v' || g, '2024-01-01'::timestamptz + (g / 100) * interval '1 day' FROM generate_series(1, 1000) g;
    CREATE TABLE big (id int PRIMARY KEY, val text, updated_at timestamptz NOT NULL);
    INSERT INTO big SELECT g, repeat('x', 100), '2024-01-01'::timestamptz + (g / 1000) * interval '1 second' FROM generate_series(1, 1500000) g;
  `);
}, 120_000);
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await t?.close();
  await src?.drop();
  await dest?.drop();
});

describe('a worker killed mid-run', () => {
  it('fails the run by heartbeat expiry; the next run resumes from committed state, exactly', async () => {
    const warehouse = await createSource(t, { name: 'pg', source_type: 'postgres', config: { host: '127.0.0.1', database: dest.name, username: 'postgres', sslmode: 'disable' } });
    const loader = await createLoader(t, {
      loader_type: 'postgresql',
      source_id: warehouse,
      config: pgLoaderConfig(src),
      selected_streams: [{ name: 'small', sync_mode: 'incremental' }, { name: 'big', sync_mode: 'incremental' }],
    });
    const streams = async (runId: string) => (await t.database.db.query<{ stream: string; status: string }>('SELECT stream, status FROM loader_run_streams WHERE run_id = $1', [runId])).rows;

    const first = startWorker();
    const run1 = await trigger(t, loader.id);
    // kill while `big` is being copied, after `small` committed
    await until(async () => (await streams(run1.id)).some((s) => s.stream === 'big' && s.status === 'running'));
    await until(async () => (await dest.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY %'`, [dest.name])).rowCount! > 0);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect((await streams(run1.id)).find((s) => s.stream === 'small')!.status).toBe('completed');

    // another worker's reaper notices the silence and fails the run
    startWorker();
    const failed = await waitForRun(t, loader.id, run1.id, 60_000);
    expect(failed).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^the worker running it stopped responding/) });

    const run2 = await waitForRun(t, loader.id, (await trigger(t, loader.id)).id, 120_000);
    expect(run2, JSON.stringify(run2)).toMatchObject({ status: 'completed', streams_failed: 0 });
    // `small` resumed from its committed cursor: only the rows at that cursor were read again
    expect(run2.streams.find((s: { stream: string }) => s.stream === 'small').rows_loaded).toBe(1);
    expect(run2.streams.find((s: { stream: string }) => s.stream === 'big').rows_loaded).toBe(1_500_000);

    for (const table of ['small', 'big']) {
      const { rows } = await dest.db.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(id)::bigint AS s FROM raw.${table}`);
      const { rows: expected } = await src.db.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(id)::bigint AS s FROM ${table}`);
      expect(rows[0], table).toEqual(expected[0]);
    }
    const leftovers = await dest.db.query(`SELECT relname FROM pg_class WHERE relname LIKE '%\\_\\_qs\\_%'`);
    expect(leftovers.rows).toEqual([]);
    expect(json(await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/loaders/${loader.id}`)).status).toBe('active');
  }, 240_000);
});
