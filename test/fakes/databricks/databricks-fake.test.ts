// Self-test of the fake warehouse, driven by the official @databricks/sql client over HTTPS.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DBSQLClient } from '@databricks/sql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from './client.js';
import { startFakeDatabricks, type FakeDatabricks } from './server.js';

type Session = Awaited<ReturnType<DBSQLClient['openSession']>>;
type ExecOptions = Parameters<Session['executeStatement']>[1];

let fake: FakeDatabricks;
let client: DBSQLClient;
let session: Session;

async function query(sql: string, options: ExecOptions = { runAsync: true }): Promise<Record<string, unknown>[]> {
  const op = await session.executeStatement(sql, options);
  try {
    return (await op.fetchAll()) as Record<string, unknown>[];
  } finally {
    await op.close();
  }
}

async function failure(sql: string): Promise<Error & { errorCode?: string; response?: Record<string, unknown> }> {
  try {
    await query(sql);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected failure: ${sql}`);
}

const methods = (from = 0) => fake.requests.slice(from).map((r) => r.thriftMethod);

beforeAll(async () => {
  fake = await startFakeDatabricks();
  client = await connectClient(fake);
  session = await client.openSession({ initialCatalog: 'main', initialSchema: 'default' });
});

afterAll(async () => {
  await session?.close();
  await client?.close();
  await fake?.close();
});

afterEach(() => {
  fake.deny.read = false;
  fake.deny.write = false;
  fake.delayMs = 0;
});

describe('connection and Quarry checks', () => {
  it('answers the identity query with the token owner and the session namespace', async () => {
    const op = await session.executeStatement(
      'SELECT current_user() AS username, current_catalog() AS catalog_name, current_schema() AS schema_name',
      { runAsync: true },
    );
    expect(await op.fetchAll()).toEqual([{ username: 'quarry@example.com', catalog_name: 'main', schema_name: 'default' }]);
    const schema = await op.getSchema();
    expect(schema?.columns.map((c) => [c.columnName, c.typeDesc.types[0]?.primitiveEntry?.type])).toEqual([
      ['username', 7],
      ['catalog_name', 7],
      ['schema_name', 7],
    ]);
    await op.close();
  });

  it('opened the session over Thrift (OpenSession first, with the bearer token)', () => {
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/sql/1.0/warehouses/abc123', thriftMethod: 'OpenSession', status: 200 });
  });

  it('runs the read check and the write check', async () => {
    const read = "SELECT table_name FROM `main`.information_schema.tables WHERE table_schema = 'default' LIMIT 1";
    expect(await query(read)).toEqual([]);

    const table = '`main`.`default`.`_quarry_write_check_0a1b2c`';
    const start = fake.requests.length;
    expect(await query(`CREATE TABLE ${table} (id INT)`)).toEqual([]);
    // Small results come back inline (directResults) and closed server-side: one round trip.
    expect(methods(start)).toEqual(['ExecuteStatement']);
    expect(await query(read)).toEqual([{ table_name: '_quarry_write_check_0a1b2c' }]);
    await query(`DROP TABLE ${table}`);
    expect(await query(read)).toEqual([]);
  });

  it('reads the information_schema unqualified and with Spark-escaped literals', async () => {
    await fake.sql("CREATE TABLE main.default.it_s (id INT)");
    expect(await query("SELECT table_name FROM information_schema.tables WHERE table_name = 'it\\'s'")).toEqual([]);
    expect(await query("SELECT table_name, table_type FROM information_schema.tables WHERE table_name = 'it_s'")).toEqual([
      { table_name: 'it_s', table_type: 'MANAGED' },
    ]);
    await fake.sql('DROP TABLE main.default.it_s');
  });
});

describe('data round trip', () => {
  it('creates, inserts and selects back typed values', async () => {
    await query(
      'CREATE TABLE main.default.people (id INT, big BIGINT, name STRING, score DOUBLE, amount DECIMAL(10,2), active BOOLEAN, born DATE, seen TIMESTAMP, tags ARRAY<STRING>)',
    );
    const inserted = await query(
      "INSERT INTO main.default.people VALUES (1, 9007199254740991, 'Ada', 1.5, 12.34, true, DATE'1990-01-02', TIMESTAMP'2024-05-06 07:08:09', array('x', 'y')), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    );
    expect(inserted).toEqual([{ num_affected_rows: 2, num_inserted_rows: 2 }]);
    const rows = await query('SELECT * FROM `main`.`default`.`people` ORDER BY id');
    expect(rows).toEqual([
      { id: 1, big: 9007199254740991, name: 'Ada', score: 1.5, amount: 12.34, active: true, born: '1990-01-02', seen: '2024-05-06 07:08:09', tags: ['x', 'y'] },
      { id: 2, big: null, name: null, score: null, amount: null, active: null, born: null, seen: null, tags: null },
    ]);
    expect(await fake.sql('SELECT count(*) AS n FROM main.default.people')).toEqual([{ n: 2n }]);
  });

  it('pages through FetchResults when the rows do not fit the direct results', async () => {
    await fake.sql('CREATE TABLE main.default.numbers AS SELECT range AS n FROM range(5)');
    const start = fake.requests.length;
    const op = await session.executeStatement('SELECT n FROM numbers ORDER BY n', { runAsync: true, maxRows: 2 });
    expect((await op.fetchAll({ maxRows: 2 })).map((r) => (r as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    await op.close();
    // The client asks once more after a non-empty page, whatever hasMoreRows says.
    expect(methods(start)).toEqual(['ExecuteStatement', 'FetchResults', 'FetchResults', 'FetchResults', 'CloseOperation']);
  });

  it('serves the classic status/metadata/fetch sequence without direct results', async () => {
    const start = fake.requests.length;
    expect(await query('SELECT 42 AS answer', { runAsync: true, maxRows: null })).toEqual([{ answer: 42 }]);
    expect(methods(start)).toEqual(['ExecuteStatement', 'GetOperationStatus', 'GetResultSetMetadata', 'FetchResults', 'FetchResults', 'CloseOperation']);
  });

  it('binds named and positional parameters', async () => {
    expect(
      await query('SELECT :name AS name, :n + 1 AS next, :flag AS flag', {
        runAsync: true,
        namedParameters: { name: "O'Neil", n: 41, flag: true },
      }),
    ).toEqual([{ name: "O'Neil", next: 42, flag: true }]);
    expect(await query('SELECT ? AS a, ? AS b', { runAsync: true, ordinalParameters: ['x', 2] })).toEqual([{ a: 'x', b: 2 }]);
  });

  it('answers GetInfo and the Thrift metadata operations', async () => {
    await fake.sql('CREATE TABLE main.default.meta_t (id INT, name STRING)');
    expect((await session.getInfo(18 /* CLI_DBMS_VER */)).getValue()).toBe('3.5.0');
    const all = async (op: Promise<{ fetchAll(): Promise<object[]>; close(): Promise<unknown> }>) => {
      const o = await op;
      const rows = await o.fetchAll();
      await o.close();
      return rows;
    };
    expect(await all(session.getCatalogs())).toEqual([{ TABLE_CAT: 'main' }]);
    expect(await all(session.getTables({ catalogName: 'main', schemaName: 'default', tableName: 'meta%' }))).toEqual([
      { TABLE_CAT: 'main', TABLE_SCHEM: 'default', TABLE_NAME: 'meta_t', TABLE_TYPE: 'TABLE', REMARKS: '' },
    ]);
    const columns = await all(session.getColumns({ catalogName: 'main', schemaName: 'default', tableName: 'meta_t' }));
    expect(columns.map((c) => [(c as { COLUMN_NAME: string }).COLUMN_NAME, (c as { TYPE_NAME: string }).TYPE_NAME])).toEqual([
      ['id', 'INT'],
      ['name', 'STRING'],
    ]);
  });

  it('reports SQL errors with the Databricks error class and SQLSTATE', async () => {
    const missing = await failure('SELECT * FROM main.default.nope');
    expect(missing.message).toContain('[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`default`.`nope` cannot be found.');
    expect(missing.errorCode).toBe('ERROR');
    expect(missing.response).toMatchObject({ sqlState: '42P01', operationState: 5 });

    const syntax = await failure('SELEC 1');
    expect(syntax.message).toContain('[PARSE_SYNTAX_ERROR]');
    expect(syntax.response?.sqlState).toBe('42601');

    await expect(query('SELECT 1; SELECT 2')).rejects.toThrow(/PARSE_SYNTAX_ERROR/);
  });
});

describe('simulations', () => {
  it('deny.read fails reads of the schema with the Unity Catalog message', async () => {
    fake.deny.read = true;
    const err = await failure("SELECT table_name FROM `main`.information_schema.tables WHERE table_schema = 'default' LIMIT 1");
    expect(err.message).toContain("[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\nUser does not have USE SCHEMA on Schema 'main.default'. SQLSTATE: 42501");
    expect(err.response?.sqlState).toBe('42501');
    // Unity Catalog needs USE SCHEMA for writes too.
    expect((await failure('CREATE TABLE `main`.`default`.`_quarry_write_check_ee` (id INT)')).message).toContain(
      "User does not have USE SCHEMA on Schema 'main.default'.",
    );
    // Session-level functions do not touch the schema.
    expect(await query('SELECT current_user() AS u')).toEqual([{ u: 'quarry@example.com' }]);
  });

  it('deny.write fails CREATE, INSERT and DROP but not reads', async () => {
    await fake.sql('CREATE TABLE main.default.kept (id INT)');
    fake.deny.write = true;
    const expected = "[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\nUser does not have CREATE TABLE on Schema 'main.default'. SQLSTATE: 42501";
    expect((await failure('CREATE TABLE `main`.`default`.`_quarry_write_check_ff` (id INT)')).message).toContain(expected);
    expect((await failure('INSERT INTO main.default.kept VALUES (1)')).message).toContain(expected);
    expect((await failure('DROP TABLE `main`.`default`.`kept`')).message).toContain(expected);
    expect(await query('SELECT count(*) AS n FROM main.default.kept')).toEqual([{ n: 0 }]);
  });

  it('delays every response by delayMs', async () => {
    fake.delayMs = 150;
    const started = Date.now();
    await query('SELECT 1 AS one');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('rejects a wrong token with HTTP 403, without retrying', async () => {
    const bad = await connectClient(fake, { token: 'dapi-wrong' });
    const start = fake.requests.length;
    const err = (await bad.openSession().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { statusCode?: number };
    await bad.close();
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('Received a response with a bad HTTP status code: 403');
    expect(err.statusCode).toBe(403);
    expect(fake.requests.slice(start)).toEqual([{ method: 'POST', path: fake.path, thriftMethod: 'OpenSession', status: 403 }]);
  });

  it('answers 404 off the warehouse path', async () => {
    const other = await connectClient(fake, { path: '/sql/1.0/warehouses/other' });
    const err = (await other.openSession().catch((e: unknown) => e)) as { statusCode?: number };
    await other.close();
    expect(err.statusCode).toBe(404);
  });

  it('rejects an unknown initial catalog at OpenSession', async () => {
    const c = await connectClient(fake);
    const err = (await c.openSession({ initialCatalog: 'nope' }).catch((e: unknown) => e)) as { message?: string };
    await c.close();
    expect(err.message).toContain('[NO_SUCH_CATALOG_EXCEPTION]');
  });
});

describe('shutdown', () => {
  it('close() lets the process exit, even with a request still delayed', async () => {
    const script = fileURLToPath(new URL('./exit-check.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).toContain('closed');
    expect(code).toBe(0);
  }, 30_000);
});
