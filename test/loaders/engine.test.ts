import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createLoader, createSource, pgLoaderConfig, runLoader, trigger, waitForRun } from '../helpers/loaders.js';
import { openDuckDb } from '../../src/warehouses/duckdb/driver.js';

/**
 * The run engine's guarantees, with a real PostgreSQL source, into both warehouses Quarry can
 * load: no row lost or duplicated across incremental runs (however many rows share the last
 * cursor value), schema growth, failure isolation, cancel, atomic swaps.
 */
let t: TestApp;
let src: TestDatabase;
let dest: TestDatabase;

beforeAll(async () => {
  t = await setupApp({ workers: { concurrency: 2, leaseMs: 5000, maxConsecutiveFailures: 2 } });
  src = await createTestDatabase({ migrate: false });
  dest = await createTestDatabase({ migrate: false });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await src?.drop();
  await dest?.drop();
});

type Reader = (sql: string) => Promise<Record<string, unknown>[]>;

const warehouses: { name: string; source: () => Promise<string>; read: () => Reader }[] = [
  {
    name: 'PostgreSQL',
    source: () => createSource(t, { name: 'pg', source_type: 'postgres', config: { host: '127.0.0.1', database: dest.name, username: 'postgres', sslmode: 'disable' } }),
    read: () => async (sql) => (await dest.db.query(sql)).rows,
  },
  {
    name: 'DuckDB',
    source: () => createSource(t, { name: 'duck', source_type: 'duckdb', config: { database: 'engine' } }),
    read: () => async (sql) => {
      const duck = await openDuckDb(t.home, 'engine');
      try {
        return (await duck.conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
      } finally {
        duck.close();
      }
    },
  },
];

const sourceRows = async (table: string) => (await src.db.query(`SELECT id::text AS id, val FROM ${table} AS t ORDER BY t.id`)).rows as { id: string; val: string | null }[];
const destRows = async (read: Reader, table: string) =>
  (await read(`SELECT CAST(id AS VARCHAR) AS id, val FROM ${table} ORDER BY CAST(id AS INTEGER)`)).map((r) => ({ id: String(r.id), val: (r.val as string | null) ?? null }));

for (const [i, w] of warehouses.entries()) {
  describe(`engine into ${w.name}`, () => {
    const table = `items_${i}`;
    const schema = `raw_${i}`;
    let destSource: string;
    let read: Reader;

    beforeAll(async () => {
      destSource = await w.source();
      read = w.read();
      // 1,000 rows; the last 600 share one updated_at (the cursor ties at the boundary)
      await src.db.query(`
        CREATE TABLE ${table} (id int PRIMARY KEY, val text, updated_at timestamptz NOT NULL);
        INSERT INTO ${table} SELECT g, 'v' || g, CASE WHEN g <= 400 THEN '2024-01-01'::timestamptz + g * interval '1 second' ELSE '2024-02-01' END FROM generate_series(1, 1000) g;
        CREATE TABLE ${table}_dims (id int PRIMARY KEY, val text);
        INSERT INTO ${table}_dims SELECT g, 'd' || g FROM generate_series(1, 10) g;
      `);
    });

    it('incremental: re-reads the rows that share the last cursor, merges updates, loses and duplicates nothing', async () => {
      const loader = await createLoader(t, {
        loader_type: 'postgresql',
        source_id: destSource,
        config: pgLoaderConfig(src),
        target_schema: schema,
        selected_streams: [{ name: table, sync_mode: 'incremental' }, { name: `${table}_dims`, sync_mode: 'full_refresh' }],
      });
      const first = await runLoader(t, loader.id);
      expect(first, JSON.stringify(first)).toMatchObject({ status: 'completed', rows_loaded: 1010 });
      expect(first.streams[0]).toMatchObject({ stream: table, rows_loaded: 1000, cursor: '2024-02-01 00:00:00+00' });
      expect(first.streams[0].bytes).toBeGreaterThan(10_000);

      // after the run: 300 new rows AT the last cursor value, 50 updates and 10 inserts later on
      await src.db.query(`
        INSERT INTO ${table} SELECT g, 'late ' || g, '2024-02-01' FROM generate_series(1001, 1300) g;
        UPDATE ${table} SET val = 'updated ' || id, updated_at = '2024-03-01' WHERE id % 20 = 0;
        INSERT INTO ${table} SELECT g, 'new ' || g, '2024-03-01' FROM generate_series(1301, 1310) g;
      `);
      const second = await runLoader(t, loader.id);
      expect(second, JSON.stringify(second)).toMatchObject({ status: 'completed' });
      // re-read: the 600 + 300 rows at the old cursor, plus everything after it
      expect(second.streams[0]).toMatchObject({ rows_loaded: 600 + 300 + 10 + 20, cursor: '2024-03-01 00:00:00+00' });

      const got = await destRows(read, `${schema}.${table}`);
      expect(got).toEqual(await sourceRows(table));
      const [counts] = await read(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${schema}.${table}`);
      expect(Number(counts!.n)).toBe(1310);
      expect(Number(counts!.d)).toBe(1310);
      const [meta] = await read(`SELECT count(*) AS n FROM ${schema}.${table} WHERE _quarry_run_id = '${second.id}' AND _quarry_loaded_at IS NOT NULL`);
      expect(Number(meta!.n)).toBe(930);

      // the cursor is committed in the warehouse with the data, and mirrored for the API
      const [state] = await read(`SELECT cursor, run_id FROM ${schema}._quarry_state WHERE stream = '${table}'`);
      expect(state).toMatchObject({ cursor: '2024-03-01 00:00:00+00', run_id: second.id });

      // a third run with no change reads only the rows at the cursor again (the 65 updated and
      // the 10 new ones), and changes nothing
      const third = await runLoader(t, loader.id);
      expect(third.streams[0].rows_loaded).toBe(75);
      expect(await destRows(read, `${schema}.${table}`)).toEqual(await sourceRows(table));
    });

    it('adds columns that appear at the source, and drops none that disappear', async () => {
      const tbl = `${table}_grow`;
      await src.db.query(`CREATE TABLE ${tbl} (id int PRIMARY KEY, val text, gone text, updated_at timestamptz NOT NULL DEFAULT '2024-01-01');
                          INSERT INTO ${tbl} SELECT g, 'v' || g, 'g' || g FROM generate_series(1, 20) g;`);
      const loader = await createLoader(t, {
        loader_type: 'postgresql',
        source_id: destSource,
        config: pgLoaderConfig(src),
        target_schema: schema,
        selected_streams: [{ name: tbl, sync_mode: 'incremental' }],
      });
      expect((await runLoader(t, loader.id)).status).toBe('completed');
      await src.db.query(`ALTER TABLE ${tbl} ADD COLUMN extra numeric(6,2); ALTER TABLE ${tbl} DROP COLUMN gone;
                          UPDATE ${tbl} SET extra = id * 1.25, updated_at = '2024-02-01' WHERE id <= 5;`);
      // the loader's streams come from a fresh discovery at each run
      const run = await runLoader(t, loader.id);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed' });
      const rows = await read(`SELECT id, CAST(extra AS VARCHAR) AS extra, gone FROM ${schema}.${tbl} ORDER BY id`);
      expect(rows).toHaveLength(20);
      expect(rows[0]).toMatchObject({ extra: '1.25', gone: 'g1' }); // the old column and its values stay
      expect(rows[19]).toMatchObject({ extra: null, gone: 'g20' });
    });

    it('records a failing stream and completes the others; a run of failures sets the loader to error', async () => {
      const broken = `${table}_broken`;
      await src.db.query(`CREATE TABLE ${broken} (id int PRIMARY KEY, val text)`);
      const loader = await createLoader(t, {
        loader_type: 'postgresql',
        source_id: destSource,
        config: pgLoaderConfig(src),
        target_schema: schema,
        selected_streams: [{ name: broken }, { name: `${table}_dims` }],
      });
      await src.db.query(`DROP TABLE ${broken}`);
      const run = await runLoader(t, loader.id);
      expect(run).toMatchObject({ status: 'failed', streams_total: 2, streams_failed: 1, rows_loaded: 10 });
      expect(run.error_message).toBe(`stream ${broken}: the stream no longer exists at the source`);
      expect(run.streams.map((s: { status: string }) => s.status)).toEqual(['failed', 'completed']);
      expect(json(await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/loaders/${loader.id}`)).status).toBe('active');
      await runLoader(t, loader.id);
      const after = json(await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/loaders/${loader.id}`));
      expect(after).toMatchObject({ status: 'error', status_error: expect.stringMatching(/^2 runs failed in a row; last: stream /) });
      // resuming clears the error
      const resumed = json(await t.request('PUT', `/api/v1/workspaces/${t.workspaceId}/loaders/${loader.id}`, { body: { status: 'active', selected_streams: [{ name: `${table}_dims` }] } }));
      expect(resumed).toMatchObject({ status: 'active', status_error: '' });
    });

    it('cancels a running full refresh promptly; the table keeps its previous contents', async () => {
      const big = `${table}_big`;
      await src.db.query(`CREATE TABLE ${big} (id int PRIMARY KEY, val text); INSERT INTO ${big} SELECT g, 'old' FROM generate_series(1, 100) g;`);
      const loader = await createLoader(t, { loader_type: 'postgresql', source_id: destSource, config: pgLoaderConfig(src), target_schema: schema, selected_streams: [{ name: big }] });
      expect((await runLoader(t, loader.id)).status).toBe('completed');
      // big enough to still be running when the cancel arrives
      await src.db.query(`TRUNCATE ${big}; INSERT INTO ${big} SELECT g, repeat('n', 200) FROM generate_series(1, 1500000) g;`);
      const run = await trigger(t, loader.id);
      const base = `/api/v1/workspaces/${t.workspaceId}/loaders/${loader.id}/runs/${run.id}`;
      for (let k = 0; k < 200 && json(await t.request('GET', base)).status !== 'running'; k++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      const cancelled = await t.request('POST', `${base}/cancel`);
      expect(cancelled.statusCode).toBe(200);
      // the cancel endpoint waits for the run to end: it answers with the final state
      expect(json(cancelled).status).toBe('cancelled');
      const ended = await waitForRun(t, loader.id, run.id);
      expect(ended).toMatchObject({ status: 'cancelled', error_message: 'cancelled' });
      expect(ended.streams[0].status).toBe('cancelled');
      const rows = await read(`SELECT count(*) AS n, min(val) AS v FROM ${schema}.${big}`);
      expect(Number(rows[0]!.n)).toBe(100);
      expect(rows[0]!.v).toBe('old');
      const staging = await read(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name LIKE '%\\_\\_qs\\_%' ESCAPE '\\'`);
      expect(staging).toEqual([]);
    }, 60_000);

    it('swaps a full refresh atomically: readers see the old table or the new, never none', async () => {
      const swap = `${table}_swap`;
      await src.db.query(`CREATE TABLE ${swap} (id int PRIMARY KEY, val text); INSERT INTO ${swap} SELECT g, 'a' FROM generate_series(1, 20000) g;`);
      const loader = await createLoader(t, { loader_type: 'postgresql', source_id: destSource, config: pgLoaderConfig(src), target_schema: schema, selected_streams: [{ name: swap }] });
      expect((await runLoader(t, loader.id)).status).toBe('completed');
      await src.db.query(`INSERT INTO ${swap} SELECT g, 'b' FROM generate_series(20001, 40000) g`);
      const run = await trigger(t, loader.id);
      const seen = new Set<number>();
      let done = false;
      const readerLoop = (async () => {
        while (!done) {
          const [r] = await read(`SELECT count(*) AS n FROM ${schema}.${swap}`);
          seen.add(Number(r!.n));
        }
      })();
      const ended = await waitForRun(t, loader.id, run.id);
      done = true;
      await readerLoop;
      expect(ended.status).toBe('completed');
      expect([...seen].every((n) => n === 20000 || n === 40000)).toBe(true);
      expect(seen.has(40000)).toBe(true);
    }, 60_000);
  });
}
