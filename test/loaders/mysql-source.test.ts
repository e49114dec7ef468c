import crypto from 'node:crypto';
import net from 'node:net';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createLoader, createSource, runLoader } from '../helpers/loaders.js';
import { openDuckDb } from '../../src/warehouses/duckdb/driver.js';
import { mysql as mysqlDefinition } from '../../src/connectors/mysql/definition.js';
import { BATCH_BYTES, BATCH_ROWS } from '../../src/connectors/mysql/connector.js';
import type { ConnectorContext, ReadEvent, StreamSchema } from '../../src/connectors/types.js';
import { StepError } from '../../src/warehouses/types.js';

/** The local MariaDB every machine (and CI) runs; a missing server fails the file, never skips it. */
const MYSQL = { host: process.env.QUARRY_TEST_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.QUARRY_TEST_MYSQL_PORT ?? 3306), user: 'root' };

let t: TestApp;
let admin: mysql.Connection;
let dest: TestDatabase;
let pgDest: string;
let duckDest: string;
const database = `quarry_mysql_${crypto.randomBytes(5).toString('hex')}`;
const loaderConfig = (over: Record<string, unknown> = {}) => ({ host: MYSQL.host, port: MYSQL.port, database, username: MYSQL.user, sslmode: 'prefer', ...over });

function context(signal = new AbortController().signal): ConnectorContext {
  return {
    resolve: async (host: string) => ({ host, address: host, family: 4 as const }),
    signal,
    home: '',
    log: undefined as never,
    policy: undefined as never,
    proxy: () => Promise.reject(new Error('no proxy in this test')),
  };
}
const connector = () => mysqlDefinition.load();

/** Rows in a CSV chunk: line ends outside quoted fields. */
function csvRows(csv: string): number {
  let rows = 0;
  let quoted = false;
  for (const ch of csv) {
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) rows++;
  }
  return rows;
}

/** The integers `from`..`to` as a derived table `q(n)`, without recursive CTEs (capped at 1,000 rows by default on MariaDB). */
function seq(from: number, to: number): string {
  const digits = `(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)`;
  return `(SELECT ${from} + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n FROM ${digits} a, ${digits} b, ${digits} c, ${digits} e, ${digits} f
            WHERE ${from} + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d <= ${to}) q`;
}

beforeAll(async () => {
  try {
    admin = await mysql.createConnection({ ...MYSQL, multipleStatements: true, connectTimeout: 5000 });
  } catch (err) {
    throw new Error(`the MySQL loader tests need MariaDB/MySQL at ${MYSQL.host}:${MYSQL.port} (user root, no password): ${(err as Error).message}`, { cause: err });
  }
  // Written from a UTC+2 session with no NO_ZERO_DATE: TIMESTAMPs must come out in UTC, zero dates as NULL.
  await admin.query(`SET SESSION time_zone = '+02:00', SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'`);
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  await admin.query(`USE \`${database}\``);
  await admin.query(`
    CREATE TABLE all_types (
      id INT PRIMARY KEY,
      c_tinyint TINYINT, c_bool TINYINT(1), c_smallint SMALLINT, c_mediumint MEDIUMINT UNSIGNED, c_int INT, c_bigint BIGINT, c_ubigint BIGINT UNSIGNED,
      c_decimal DECIMAL(30,10), c_bigdecimal DECIMAL(65,30), c_float FLOAT, c_double DOUBLE,
      c_bit1 BIT(1), c_bit8 BIT(8), c_year YEAR,
      c_date DATE, c_datetime DATETIME(6), c_timestamp TIMESTAMP(3) NULL DEFAULT NULL, c_time TIME,
      c_char CHAR(5), c_varchar VARCHAR(100), c_text TEXT, c_longtext LONGTEXT, c_enum ENUM('small','large'), c_set SET('a','b','c'),
      c_json JSON, c_binary BINARY(4), c_varbinary VARBINARY(10), c_blob BLOB, c_point POINT, c_uuid UUID,
      updated_at DATETIME(6) NOT NULL
    );
    INSERT INTO all_types VALUES
      (1, -128, 1, 32767, 16777215, -2147483648, 9223372036854775807, 18446744073709551615,
       '12345678901234567890.0123456789', '99999999999999999999999999999999999.000000000000000000000000000001', 1.5, 3.141592653589793,
       b'1', b'10000001', 2024,
       '2024-02-29', '2024-01-02 03:04:05.123456', '2024-07-01 01:59:59.999', '-838:59:59',
       'ab', 'line one\nline two, "quoted"', '', 'é€😀 unicode', 'large', 'a,c',
       '{"a": [1, 2.50], "big": 123456789012345678901}', X'DEADBEEF', X'00FF', X'000102', ST_GeomFromText('POINT(1 2)'), '123e4567-e89b-12d3-a456-426614174000',
       '2024-03-01 00:00:00'),
      (2, 0, 0, 0, 0, 0, 0, 0, '0', '0', 0, 0, b'0', b'0', 1901,
       '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '00:00:00',
       '', '', NULL, NULL, 'small', '', '[]', X'00000000', X'', X'', NULL, NULL, '2024-03-02 00:00:00'),
      (3, NULL, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-03-03 00:00:00');
    CREATE TABLE events (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(50) NOT NULL, amount DECIMAL(12,2), updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6));
    CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(1000));
    INSERT INTO big SELECT n, REPEAT('x', 400 + n % 100) FROM ${seq(1, 12000)};
    CREATE TABLE no_key (label VARCHAR(10), seen_at DATETIME);
    CREATE TABLE lone (v VARCHAR(10) PRIMARY KEY);
    INSERT INTO lone VALUES ('a'), ('\\\\.'), ('b');
    CREATE VIEW recent AS SELECT id, updated_at FROM all_types WHERE id > 1;
  `);
  // 3,000 events: 2,000 of them share the highest cursor value.
  await admin.query(`
    INSERT INTO events (id, name, amount, updated_at)
      SELECT n, CONCAT('event ', n), n / 100, IF(n <= 1000, '2024-01-01 02:00:00', '2024-01-01 02:00:01.5')
        FROM ${seq(1, 3000)}`);

  t = await setupApp({ workers: { concurrency: 2, leaseMs: 5000 } });
  dest = await createTestDatabase({ migrate: false });
  pgDest = await createSource(t, { name: 'pg dest', source_type: 'postgres', config: { host: '127.0.0.1', database: dest.name, username: 'postgres', sslmode: 'disable' } });
  duckDest = await createSource(t, { name: 'duck dest', source_type: 'duckdb', config: { database: 'dw' } });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await dest?.drop();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await admin.end();
  }
});

describe('mysql connector: check and discovery', () => {
  it('checks the connection, with prefer falling back to plain TCP', async () => {
    const c = await connector();
    const message = await c.check(loaderConfig(), context());
    expect(message).toMatch(new RegExp(`^connected to ${database} as root@\\S+ \\((MariaDB|MySQL) [\\d.]+\\); 6 readable table\\(s\\)$`));
  });

  it('reports a rejected login as a StepError with the server message', async () => {
    const c = await connector();
    const err = await c.check(loaderConfig({ password: 'not-the-password' }), context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as Error).message).toMatch(/^MySQL rejected the login: Access denied for user 'root'/);
    const missing = await c.check(loaderConfig({ database: `${database}_missing` }), context()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StepError);
    expect((missing as Error).message).toMatch(/Unknown database/);
  });

  it('reports a server without TLS when sslmode requires it', async () => {
    const c = await connector();
    const err = await c.check(loaderConfig({ sslmode: 'require' }), context()).catch((e: unknown) => e);
    // the local MariaDB has no TLS; where it has, the check simply passes
    if (err instanceof Error) expect(err.message).toBe('the server does not support TLS, but sslmode is require');
    else expect(err).toMatch(/^connected to/);
  });

  it('discovers tables and views: columns, logical types, primary keys, cursor candidates', async () => {
    const c = await connector();
    const streams = await c.discover(loaderConfig(), context());
    const byName = new Map(streams.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(['all_types', 'big', 'events', 'lone', 'no_key', 'recent']);

    const all = byName.get('all_types')!;
    const types = Object.fromEntries(all.columns.map((col) => [col.name, col.type]));
    expect(types).toEqual({
      id: 'integer',
      c_tinyint: 'integer',
      c_bool: 'boolean',
      c_smallint: 'integer',
      c_mediumint: 'integer',
      c_int: 'integer',
      c_bigint: 'integer',
      c_ubigint: 'decimal',
      c_decimal: 'decimal',
      c_bigdecimal: 'decimal',
      c_float: 'number',
      c_double: 'number',
      c_bit1: 'boolean',
      c_bit8: 'integer',
      c_year: 'integer',
      c_date: 'date',
      c_datetime: 'timestamp',
      c_timestamp: 'timestamptz',
      c_time: 'string',
      c_char: 'string',
      c_varchar: 'string',
      c_text: 'string',
      c_longtext: 'string',
      c_enum: 'string',
      c_set: 'string',
      c_json: 'json', // MariaDB: a LONGTEXT with a json_valid check
      c_binary: 'binary',
      c_varbinary: 'binary',
      c_blob: 'binary',
      c_point: 'string',
      c_uuid: 'uuid',
      updated_at: 'timestamp',
    });
    expect(all.columns.find((col) => col.name === 'c_decimal')).toMatchObject({ precision: 30, scale: 10, nullable: true });
    expect(all.columns.find((col) => col.name === 'c_ubigint')).toMatchObject({ precision: 20, scale: 0, sourceType: 'bigint(20) unsigned' });
    expect(all.columns.find((col) => col.name === 'updated_at')).toMatchObject({ nullable: false, sourceType: 'datetime(6)' });
    expect(all.primaryKey).toEqual(['id']);
    expect(all.cursorField).toBe('updated_at');
    expect(all.cursorCandidates).toEqual([
      'id', 'c_tinyint', 'c_smallint', 'c_mediumint', 'c_int', 'c_bigint', 'c_ubigint', 'c_decimal', 'c_bigdecimal', 'c_float', 'c_double',
      'c_bit8', 'c_year', 'c_date', 'c_datetime', 'c_timestamp', 'updated_at',
    ]);
    expect(all.syncModes).toEqual(['full_refresh', 'incremental']);

    expect(byName.get('events')).toMatchObject({ primaryKey: ['id'], cursorField: 'updated_at', syncModes: ['full_refresh', 'incremental'] });
    expect(byName.get('no_key')).toMatchObject({ primaryKey: [], cursorField: null, cursorCandidates: ['seen_at'], syncModes: ['full_refresh'] });
    expect(byName.get('recent')).toMatchObject({ primaryKey: [], cursorCandidates: ['id', 'updated_at'], syncModes: ['full_refresh'] });
  });

  it('serves discovery through the API', async () => {
    const res = await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/loaders/discover`, { body: { loader_type: 'mysql', config: loaderConfig() } });
    expect(res.statusCode, res.body).toBe(200);
    const body = json(res);
    expect(body.check).toMatch(/^connected to /);
    expect(body.streams.find((s: { name: string }) => s.name === 'events')).toMatchObject({ primary_key: ['id'], cursor_field: 'updated_at', supported_sync_modes: ['full_refresh', 'incremental'] });
  });
});

describe('mysql connector: reading', () => {
  async function streamOf(name: string): Promise<StreamSchema> {
    return (await (await connector()).discover(loaderConfig(), context())).find((s) => s.name === name)!;
  }

  it('streams a table in bounded CSV chunks', async () => {
    const stream = await streamOf('big');
    const events: ReadEvent[] = [];
    for await (const e of (await connector()).read(loaderConfig(), { stream, mode: 'full_refresh', cursorField: null, cursor: null }, context())) events.push(e);
    expect(events.every((e) => e.type === 'csv')).toBe(true);
    const chunks = events.map((e) => (e as { data: Buffer }).data.toString('utf8'));
    const lines = chunks.flatMap((c) => c.split('\n').slice(0, -1));
    expect(lines).toHaveLength(12_000);
    expect(new Set(lines.map((l) => l.split(',')[0])).size).toBe(12_000);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.endsWith('\n')).toBe(true);
      expect(c.split('\n').length - 1).toBeLessThanOrEqual(BATCH_ROWS);
      expect(Buffer.byteLength(c)).toBeLessThanOrEqual(BATCH_BYTES + 1100); // the limit, plus the row that crossed it
    }
  });

  it('stops when the signal aborts', async () => {
    const stream = await streamOf('big');
    const controller = new AbortController();
    const read = (await connector()).read(loaderConfig(), { stream, mode: 'full_refresh', cursorField: null, cursor: null }, context(controller.signal));
    let chunks = 0;
    const err = await (async () => {
      for await (const _ of read) {
        chunks++;
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(chunks).toBe(1);
    expect((err as Error).message).toBe('cancelled');
  });

  it('fails, not hangs, when the server kills the query or the network drops mid-read', async () => {
    const stream = await streamOf('big');
    const killed = (await connector()).read(loaderConfig(), { stream, mode: 'full_refresh', cursorField: null, cursor: null }, context());
    let kills = 0;
    const killErr = await (async () => {
      for await (const _ of killed) {
        if (kills++) continue;
        const [ids] = await admin.query<mysql.RowDataPacket[]>(`SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT %big%' AND ID <> CONNECTION_ID()`, [database]);
        expect(ids).toHaveLength(1);
        await admin.query(`KILL ${Number(ids[0]!.ID)}`);
      }
    })().catch((e: unknown) => e);
    expect(killErr).toBeInstanceOf(Error);
    expect((killErr as Error).message).not.toBe('cancelled');

    // a TCP relay cut mid-stream: no error packet, only a reset socket
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const server = net.connect(MYSQL.port, MYSQL.host);
      for (const s of [client, server]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const port = (relay.address() as net.AddressInfo).port;
      const cut = (await connector()).read(loaderConfig({ port }), { stream, mode: 'full_refresh', cursorField: null, cursor: null }, context());
      const cutErr = await (async () => {
        for await (const _ of cut) for (const s of sockets) s.resetAndDestroy();
      })().catch((e: unknown) => e);
      expect(cutErr).toBeInstanceOf(Error);
      expect((cutErr as Error).message).not.toBe('cancelled');
    } finally {
      relay.close();
    }
  });

  it('returns a cursor that binds back unchanged, taken with the data', async () => {
    const stream = await streamOf('events');
    const c = await connector();
    const read = async (cursor: string | null) => {
      let rows = 0;
      let state: string | null | undefined;
      for await (const e of c.read(loaderConfig(), { stream, mode: 'incremental', cursorField: 'updated_at', cursor }, context())) {
        if (e.type === 'csv') rows += csvRows(e.data.toString('utf8'));
        if (e.type === 'state') state = e.cursor;
      }
      return { rows, state };
    };
    const first = await read(null);
    expect(first).toEqual({ rows: 3000, state: '2024-01-01 00:00:01.500000' }); // written at +02:00, read in UTC
    expect(await read(first.state!)).toEqual({ rows: 2000, state: first.state });
  });

  it.each([
    ['c_ubigint', '18446744073709551615'], // beyond a signed bigint and a double
    ['c_bigint', '9223372036854775807'],
    ['c_bigdecimal', '99999999999999999999999999999999999.000000000000000000000000000001'],
    ['c_bit8', '129'],
    ['c_year', '2024'],
    ['c_date', '2024-02-29'],
    ['c_timestamp', '2024-06-30 23:59:59.999'],
  ])('round-trips a %s cursor', async (cursorField, expected) => {
    const stream = await streamOf('all_types');
    const c = await connector();
    const read = async (cursor: string | null) => {
      let rows = 0;
      let state: string | null | undefined;
      for await (const e of c.read(loaderConfig(), { stream, mode: 'incremental', cursorField, cursor }, context())) {
        if (e.type === 'csv') rows += csvRows(e.data.toString('utf8'));
        if (e.type === 'state') state = e.cursor;
      }
      return { rows, state };
    };
    expect(await read(null)).toEqual({ rows: 3, state: expected });
    expect(await read(expected)).toEqual({ rows: 1, state: expected }); // the row at the highest value, read again
  });
});

describe('mysql -> warehouses', () => {
  it('full refresh into PostgreSQL, every type mapped', async () => {
    const loader = await createLoader(t, {
      loader_type: 'mysql',
      source_id: pgDest,
      config: loaderConfig(),
      selected_streams: [{ name: 'all_types' }, { name: 'recent' }, { name: 'no_key' }, { name: 'lone' }],
    });
    const run = await runLoader(t, loader.id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', rows_loaded: 8, streams_total: 4, streams_failed: 0 });
    const { rows } = await dest.db.query(`
      SELECT id, c_tinyint::text, c_bool, c_smallint::text, c_mediumint::text, c_int::text, c_bigint::text, c_ubigint::text,
             c_decimal::text, c_bigdecimal::text, c_float, c_double, c_bit1, c_bit8::text, c_year::text,
             c_date::text, c_datetime::text, (extract(epoch FROM c_timestamp) * 1000)::bigint::text AS c_timestamp_ms, c_time,
             c_char, c_varchar, c_text, c_longtext, c_enum, c_set, c_json, c_json->>'big' AS c_json_big,
             encode(c_binary, 'hex') AS c_binary, encode(c_varbinary, 'hex') AS c_varbinary, encode(c_blob, 'hex') AS c_blob, c_point, c_uuid::text, updated_at::text
        FROM raw.all_types ORDER BY id`);
    expect(rows[0]).toEqual({
      id: 1,
      c_tinyint: '-128',
      c_bool: true,
      c_smallint: '32767',
      c_mediumint: '16777215',
      c_int: '-2147483648',
      c_bigint: '9223372036854775807',
      c_ubigint: '18446744073709551615',
      c_decimal: '12345678901234567890.0123456789',
      c_bigdecimal: '99999999999999999999999999999999999.000000000000000000000000000001',
      c_float: 1.5,
      c_double: 3.141592653589793,
      c_bit1: true,
      c_bit8: '129',
      c_year: '2024',
      c_date: '2024-02-29',
      c_datetime: '2024-01-02 03:04:05.123456',
      c_timestamp_ms: String(Date.UTC(2024, 5, 30, 23, 59, 59, 999)),
      c_time: '-838:59:59',
      c_char: 'ab',
      c_varchar: 'line one\nline two, "quoted"',
      c_text: '',
      c_longtext: 'é€😀 unicode',
      c_enum: 'large',
      c_set: 'a,c',
      c_json: { a: [1, 2.5], big: expect.any(Number) }, // exact in c_json_big
      c_json_big: '123456789012345678901',
      c_binary: 'deadbeef',
      c_varbinary: '00ff',
      c_blob: '000102',
      c_point: 'POINT(1 2)',
      c_uuid: '123e4567-e89b-12d3-a456-426614174000',
      updated_at: '2024-03-01 00:00:00',
    });
    // zero dates are NULL; empty strings and empty binaries stay empty, not NULL
    expect(rows[1]).toMatchObject({ c_bool: false, c_bit1: false, c_date: null, c_datetime: null, c_timestamp_ms: null, c_varchar: '', c_char: '', c_text: null, c_set: '', c_varbinary: '', c_blob: '', c_binary: '00000000', c_json: [] });
    expect(rows[2]).toMatchObject({ c_bool: true, c_varchar: null, c_text: 'x', c_json: null, c_blob: null, c_tinyint: null });
    const types = await dest.db.query(`SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'all_types' AND column_name IN ('c_ubigint', 'c_bigdecimal', 'c_timestamp', 'c_json', 'c_uuid') ORDER BY column_name`);
    expect(types.rows).toEqual([
      { column_name: 'c_bigdecimal', data_type: 'numeric', numeric_precision: 65, numeric_scale: 30 },
      { column_name: 'c_json', data_type: 'jsonb', numeric_precision: null, numeric_scale: null },
      { column_name: 'c_timestamp', data_type: 'timestamp with time zone', numeric_precision: null, numeric_scale: null },
      { column_name: 'c_ubigint', data_type: 'numeric', numeric_precision: 20, numeric_scale: 0 },
      { column_name: 'c_uuid', data_type: 'uuid', numeric_precision: null, numeric_scale: null },
    ]);
    expect((await dest.db.query('SELECT count(*)::int AS n FROM raw.recent')).rows[0].n).toBe(2);
    // a lone `\.` line would end PostgreSQL's COPY early, silently
    expect((await dest.db.query('SELECT v FROM raw.lone')).rows.map((r) => r.v).sort()).toEqual(['\\.', 'a', 'b'].sort());
  });

  it('full refresh into DuckDB', async () => {
    const loader = await createLoader(t, { loader_type: 'mysql', source_id: duckDest, config: loaderConfig(), selected_streams: [{ name: 'all_types' }, { name: 'big' }] });
    const run = await runLoader(t, loader.id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', rows_loaded: 12_003, streams_failed: 0 });
    const duck = await openDuckDb(t.home, 'dw');
    try {
      const r = await duck.conn.runAndReadAll(`
        SELECT id, c_bool, c_bigint::VARCHAR AS c_bigint, c_ubigint::VARCHAR AS c_ubigint, c_decimal::VARCHAR AS c_decimal, c_float, c_bit1, c_bit8,
               c_date::VARCHAR AS c_date, c_datetime::VARCHAR AS c_datetime, epoch_ms(c_timestamp) AS c_timestamp_ms,
               c_varchar, c_text, c_longtext, c_json::VARCHAR AS c_json, hex(c_blob) AS c_blob, c_uuid::VARCHAR AS c_uuid
          FROM raw.all_types ORDER BY id`);
      const rows = r.getRowObjectsJson();
      expect(rows[0]).toMatchObject({
        id: '1',
        c_bool: true,
        c_bigint: '9223372036854775807',
        c_ubigint: '18446744073709551615',
        c_decimal: '12345678901234567890.0123456789',
        c_float: 1.5,
        c_bit1: true,
        c_bit8: '129',
        c_date: '2024-02-29',
        c_datetime: '2024-01-02 03:04:05.123456',
        c_timestamp_ms: String(Date.UTC(2024, 5, 30, 23, 59, 59, 999)),
        c_varchar: 'line one\nline two, "quoted"',
        c_text: '',
        c_longtext: 'é€😀 unicode',
        c_blob: '000102',
        c_uuid: '123e4567-e89b-12d3-a456-426614174000',
      });
      expect(JSON.parse(rows[0]!.c_json as string)).toMatchObject({ a: [1, 2.5] });
      expect(rows[1]).toMatchObject({ c_bool: false, c_date: null, c_datetime: null, c_timestamp_ms: null, c_varchar: '', c_text: null, c_blob: '' });
      expect(rows[2]).toMatchObject({ c_bool: true, c_varchar: null, c_text: 'x' });
      const big = (await duck.conn.runAndReadAll('SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS d, sum(length(payload))::BIGINT AS len FROM raw.big')).getRowObjectsJson()[0]!;
      expect(big).toEqual({ n: 12_000, d: 12_000, len: String(12_000 * 400 + 120 * 4950) });
    } finally {
      duck.close();
    }
  });

  it('incremental runs: updates, inserts and many rows sharing the last cursor value, none lost or duplicated', async () => {
    const streams = [{ name: 'events', sync_mode: 'incremental' }, { name: 'all_types', sync_mode: 'incremental' }];
    const pg = await createLoader(t, { loader_type: 'mysql', source_id: pgDest, target_schema: 'inc', config: loaderConfig(), selected_streams: streams });
    const duck = await createLoader(t, { loader_type: 'mysql', source_id: duckDest, target_schema: 'inc', config: loaderConfig(), selected_streams: streams });

    const first = await Promise.all([runLoader(t, pg.id), runLoader(t, duck.id)]);
    for (const run of first) {
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', rows_loaded: 3003, streams_failed: 0 });
      expect(run.streams.find((s: { stream: string }) => s.stream === 'events').cursor).toBe('2024-01-01 00:00:01.500000');
      expect(run.streams.find((s: { stream: string }) => s.stream === 'all_types').cursor).toBe('2024-03-03 00:00:00.000000');
    }

    // 2,500 more rows at exactly the last cursor value, an update, 100 later rows (session at +02:00)
    await admin.query(`
      INSERT INTO events (id, name, amount, updated_at)
        SELECT n, CONCAT('late ', n), n / 100, '2024-01-01 02:00:01.5'
          FROM ${seq(3001, 5500)}`);
    await admin.query(`UPDATE events SET name = 'changed', amount = 99999.99, updated_at = '2024-01-02 02:00:00' WHERE id IN (5, 2999)`);
    await admin.query(`
      INSERT INTO events (id, name, amount, updated_at)
        SELECT n, CONCAT('new ', n), NULL, '2024-01-02 02:00:00'
          FROM ${seq(5501, 5600)}`);
    await admin.query(`UPDATE all_types SET c_varchar = 'edited', updated_at = '2024-03-04 00:00:00' WHERE id = 2`);

    const second = await Promise.all([runLoader(t, pg.id), runLoader(t, duck.id)]);
    for (const run of second) {
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', streams_failed: 0 });
      expect(run.streams.find((s: { stream: string }) => s.stream === 'events')).toMatchObject({ cursor: '2024-01-02 00:00:00.000000', rows_loaded: 2000 - 1 + 2500 + 2 + 100 });
      expect(run.streams.find((s: { stream: string }) => s.stream === 'all_types')).toMatchObject({ cursor: '2024-03-04 00:00:00.000000', rows_loaded: 2 }); // the edited row and the one at the old cursor
    }

    const summary = (text: string) =>
      `SELECT count(*)::${text} AS n, count(DISTINCT id)::${text} AS d, min(id)::${text} AS lo, max(id)::${text} AS hi,
              (count(*) FILTER (WHERE name = 'changed'))::${text} AS changed, (count(*) FILTER (WHERE name LIKE 'late %'))::${text} AS late
         FROM inc.events`;
    const expected = { n: '5600', d: '5600', lo: '1', hi: '5600', changed: '2', late: '2500' };
    const pgSummary = (await dest.db.query(summary('text'))).rows[0];
    expect(pgSummary).toEqual(expected);
    expect((await dest.db.query(`SELECT c_varchar FROM inc.all_types WHERE id = 2`)).rows[0].c_varchar).toBe('edited');
    expect((await dest.db.query(`SELECT amount::text FROM inc.events WHERE id = 2999`)).rows[0].amount).toBe('99999.99');

    const warehouse = await openDuckDb(t.home, 'dw');
    try {
      const duckSummary = (await warehouse.conn.runAndReadAll(summary('VARCHAR'))).getRowObjectsJson()[0];
      expect(duckSummary).toEqual(expected);
    } finally {
      warehouse.close();
    }

    // nothing changed: only the rows at the last cursor value are read again
    const third = await runLoader(t, pg.id);
    expect(third.streams.find((s: { stream: string }) => s.stream === 'events')).toMatchObject({ cursor: '2024-01-02 00:00:00.000000', rows_loaded: 102 });
    expect((await dest.db.query(`SELECT count(*)::int AS n FROM inc.events`)).rows[0].n).toBe(5600);
  });
});
