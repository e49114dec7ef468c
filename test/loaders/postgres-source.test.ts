import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createLoader, createSource, pgLoaderConfig, runLoader } from '../helpers/loaders.js';
import { openDuckDb } from '../../src/warehouses/duckdb/driver.js';

let t: TestApp;
let src: TestDatabase;
let dest: TestDatabase;
let pgDest: string;
let duckDest: string;

beforeAll(async () => {
  t = await setupApp({ workers: { concurrency: 2, leaseMs: 5000 } });
  src = await createTestDatabase({ migrate: false });
  dest = await createTestDatabase({ migrate: false });
  await src.db.query(`
    CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric(10,2), tags text[], payload jsonb, flag boolean,
                         note text, blob bytea, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL);
    INSERT INTO orders (id, customer, amount, tags, payload, flag, note, blob, updated_at)
      SELECT i, 'customer ' || i, i * 1.5, ARRAY['a', 'b'], jsonb_build_object('i', i), i % 2 = 0,
             CASE WHEN i = 1 THEN 'line one
line two, "quoted"' WHEN i = 2 THEN '' ELSE NULL END, '\\xdeadbeef', '2024-01-01T00:00:00Z'::timestamptz + i * interval '1 minute'
        FROM generate_series(1, 500) i;
    CREATE TABLE customers (id int PRIMARY KEY, name text);
    INSERT INTO customers SELECT i, 'c' || i FROM generate_series(1, 20) i;
  `);
  pgDest = await createSource(t, { name: 'pg dest', source_type: 'postgres', config: { host: '127.0.0.1', database: dest.name, username: 'postgres', sslmode: 'disable' } });
  duckDest = await createSource(t, { name: 'duck dest', source_type: 'duckdb', config: { database: 'dw' } });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await src?.drop();
  await dest?.drop();
});

describe('postgresql -> warehouses', () => {
  it('full refresh + incremental into PostgreSQL', async () => {
    const loader = await createLoader(t, {
      loader_type: 'postgresql',
      source_id: pgDest,
      config: pgLoaderConfig(src),
      selected_streams: [{ name: 'orders', sync_mode: 'incremental' }, { name: 'customers' }],
    });
    const run = await runLoader(t, loader.id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', rows_loaded: 520, streams_total: 2, streams_failed: 0 });
    const { rows } = await dest.db.query(`SELECT id, customer, amount::text, tags, payload, flag, note, encode(blob, 'hex') AS blob FROM raw.orders WHERE id IN (1, 2, 3) ORDER BY id`);
    expect(rows[0]).toMatchObject({ id: 1, customer: 'customer 1', amount: '1.50', note: 'line one\nline two, "quoted"', blob: 'deadbeef', flag: false });
    expect(rows[1].note).toBe('');
    expect(rows[2].note).toBeNull();
    expect(rows[0].payload).toEqual({ i: 1 });
  });

  it('full refresh into DuckDB', async () => {
    const loader = await createLoader(t, {
      loader_type: 'postgresql',
      source_id: duckDest,
      config: pgLoaderConfig(src),
      selected_streams: [{ name: 'orders', sync_mode: 'incremental' }, { name: 'customers' }],
    });
    const run = await runLoader(t, loader.id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', rows_loaded: 520 });
    const duck = await openDuckDb(t.home, 'dw');
    const r = await duck.conn.runAndReadAll(`SELECT id, customer, amount, note, hex(blob) AS blob, flag FROM raw.orders WHERE id IN (1,2,3) ORDER BY id`);
    const rows = r.getRowObjectsJson();
    expect(rows[0]).toMatchObject({ id: '1', customer: 'customer 1', note: 'line one\nline two, "quoted"', blob: 'DEADBEEF', flag: false });
    expect(rows[1]!.note).toBe('');
    expect(rows[2]!.note).toBeNull();
    duck.close();
  });
});
