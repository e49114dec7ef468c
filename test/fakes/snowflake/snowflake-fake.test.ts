import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Connection, ConnectionOptions, SnowflakeError } from 'snowflake-sdk';
import { startFakeSnowflake, type FakeSnowflake } from './server.js';

// The SDK probes cloud metadata endpoints when it is first loaded unless this is set.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
const snowflake = (await import('snowflake-sdk')).default;
snowflake.configure({ logLevel: 'OFF', additionalLogToConsole: false, useEnvProxy: false });

type Row = Record<string, unknown>;

function keyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

function connect(fake: FakeSnowflake, extra: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const conn = snowflake.createConnection({
    account: 'xy12345',
    accessUrl: fake.url,
    username: 'cdp_user',
    password: 'secure_password',
    warehouse: 'COMPUTE_WH',
    database: 'ANALYTICS',
    schema: 'PUBLIC',
    ...extra,
  } as ConnectionOptions);
  return new Promise((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve(conn))));
}

function exec(conn: Connection, sqlText: string, binds?: (string | number | boolean | null)[] | (string | number | boolean | null)[][]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    conn.execute({
      sqlText,
      ...(binds ? { binds } : {}),
      complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Row[])),
    });
  });
}

function destroy(conn: Connection): Promise<void> {
  return new Promise((resolve) => conn.destroy(() => resolve()));
}

async function failure(p: Promise<unknown>): Promise<SnowflakeError> {
  try {
    await p;
  } catch (err) {
    return err as SnowflakeError;
  }
  throw new Error('expected a failure');
}

const READ_DENIED = "SQL compilation error:\nSchema 'ANALYTICS.PUBLIC' does not exist or not authorized.";
const WRITE_DENIED = "SQL access control error:\nInsufficient privileges to operate on schema 'PUBLIC'";

describe('fake Snowflake server', () => {
  let fake: FakeSnowflake;
  let conn: Connection;

  beforeAll(async () => {
    fake = await startFakeSnowflake();
    conn = await connect(fake);
  });

  afterAll(async () => {
    if (conn) await destroy(conn);
    await fake?.close();
  });

  it('logs in and reports the session identity', async () => {
    const rows = await exec(conn, 'SELECT CURRENT_ROLE() AS ROLE, CURRENT_WAREHOUSE() AS WAREHOUSE, CURRENT_USER() AS USERNAME');
    expect(rows).toEqual([{ ROLE: 'CDP_ROLE', WAREHOUSE: 'COMPUTE_WH', USERNAME: 'CDP_USER' }]);
    const login = fake.requests.find((r) => r.path === '/session/v1/login-request');
    expect(login?.method).toBe('POST');
    expect(login?.body).toMatchObject({ data: { LOGIN_NAME: 'cdp_user', ACCOUNT_NAME: 'xy12345' } });
    expect(fake.requests.some((r) => r.path === '/queries/v1/query-request')).toBe(true);
  });

  it('uses the requested role and rejects unknown roles with 390189', async () => {
    const pub = await connect(fake, { role: 'PUBLIC' });
    expect(await exec(pub, 'SELECT CURRENT_ROLE() AS ROLE')).toEqual([{ ROLE: 'PUBLIC' }]);
    await destroy(pub);
    const err = await failure(connect(fake, { role: 'NOPE_ROLE' }));
    expect(err.code).toBe('390189');
    expect(err.message).toBe(
      "Role 'NOPE_ROLE' specified in the connect string does not exist or not authorized. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.",
    );
  });

  it('runs the read check and the write check', async () => {
    const read = 'SELECT COUNT(*) AS N FROM "ANALYTICS".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?';
    expect(await exec(conn, read, ['PUBLIC'])).toEqual([{ N: 0 }]);
    const table = '"ANALYTICS"."PUBLIC"."_QUARRY_WRITE_CHECK_0a1b2c3d"';
    expect(await exec(conn, `CREATE TABLE ${table} (ID INTEGER)`)).toEqual([{ status: 'Table _QUARRY_WRITE_CHECK_0a1b2c3d successfully created.' }]);
    expect(await exec(conn, read, ['PUBLIC'])).toEqual([{ N: 1 }]);
    expect(await exec(conn, `DROP TABLE ${table}`)).toEqual([{ status: '_QUARRY_WRITE_CHECK_0a1b2c3d successfully dropped.' }]);
    expect(await exec(conn, read, ['PUBLIC'])).toEqual([{ N: 0 }]);
    expect(await exec(conn, read, ['OTHER'])).toEqual([{ N: 0 }]);
  });

  it('round-trips typed rows with binds', async () => {
    await exec(
      conn,
      `CREATE TABLE events (id INTEGER, name VARCHAR, amount NUMBER(10,2), active BOOLEAN, created_at TIMESTAMP_NTZ, day DATE, score FLOAT, payload VARIANT)`,
    );
    const inserted = await exec(conn, 'INSERT INTO "ANALYTICS"."PUBLIC"."EVENTS" (ID, NAME, AMOUNT, ACTIVE, CREATED_AT, DAY, SCORE) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      1,
      "it's alpha",
      12.5,
      true,
      '2024-01-02 03:04:05.678',
      '2024-01-02',
      0.25,
    ]);
    expect(inserted).toEqual([{ 'number of rows inserted': 1 }]);
    // Array binds insert one row per element.
    const many = await exec(conn, 'INSERT INTO EVENTS (ID, NAME, ACTIVE) VALUES (?, ?, ?)', [
      [2, 'beta', false],
      [3, null, null],
    ]);
    expect(many).toEqual([{ 'number of rows inserted': 2 }]);
    await exec(conn, `UPDATE events SET payload = PARSE_JSON('{"k": [1, 2]}') WHERE id = ?`, [1]);

    const rows = await exec(conn, 'SELECT id, name, amount, active, created_at, day, score, payload FROM analytics.public.events ORDER BY id');
    expect(rows).toHaveLength(3);
    const [first, second, third] = rows as [Row, Row, Row];
    expect(first).toMatchObject({ ID: 1, NAME: "it's alpha", AMOUNT: 12.5, ACTIVE: true, SCORE: 0.25, PAYLOAD: { k: [1, 2] } });
    expect((first.CREATED_AT as Date).getTime()).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect((first.DAY as Date).getTime()).toBe(Date.UTC(2024, 0, 2));
    expect(second).toMatchObject({ ID: 2, NAME: 'beta', ACTIVE: false, AMOUNT: null });
    expect(third).toMatchObject({ ID: 3, NAME: null, ACTIVE: null });

    // The backing DuckDB sees the same data.
    expect(await fake.sql('SELECT COUNT(*) AS n FROM "ANALYTICS"."PUBLIC"."EVENTS"')).toEqual([{ n: 3 }]);
    const cols = await exec(
      conn,
      "SELECT COLUMN_NAME, DATA_TYPE FROM ANALYTICS.INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'EVENTS' ORDER BY ORDINAL_POSITION",
    );
    expect(cols.map((c) => `${String(c.COLUMN_NAME)}:${String(c.DATA_TYPE)}`)).toEqual([
      'ID:NUMBER',
      'NAME:TEXT',
      'AMOUNT:NUMBER',
      'ACTIVE:BOOLEAN',
      'CREATED_AT:TIMESTAMP_NTZ',
      'DAY:DATE',
      'SCORE:FLOAT',
      'PAYLOAD:VARIANT',
    ]);
    const tables = await exec(conn, 'SHOW TABLES LIKE \'event%\' IN SCHEMA ANALYTICS.PUBLIC');
    expect(tables.map((t) => t.name)).toEqual(['EVENTS']);
    await exec(conn, 'DROP TABLE EVENTS');
  });

  it('answers SQL errors with Snowflake codes', async () => {
    const missing = await failure(exec(conn, 'SELECT * FROM NO_SUCH_TABLE'));
    expect(missing.code).toBe('002003');
    expect(missing.sqlState).toBe('42S02');
    expect(missing.message).toBe("SQL compilation error:\nObject 'ANALYTICS.PUBLIC.NO_SUCH_TABLE' does not exist or not authorized.");
    const multi = await failure(exec(conn, 'SELECT 1; SELECT 2'));
    expect(multi.code).toBe('000008');
  });

  it('rejects a wrong password or unknown user with 390100', async () => {
    for (const extra of [{ password: 'wrong' }, { username: 'nobody' }]) {
      const err = await failure(connect(fake, extra));
      expect(err.code).toBe('390100');
      expect(err.message).toContain('Incorrect username or password was specified.');
    }
  });

  it('rejects requests with an unknown session token', async () => {
    const res = await fetch(`${fake.url}/queries/v1/query-request`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Snowflake Token="bogus"' },
      body: JSON.stringify({ sqlText: 'SELECT 1' }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, code: '390104' });
  });

  it('denies reads with 002003 when deny.read is set', async () => {
    await exec(conn, 'CREATE TABLE "ANALYTICS"."PUBLIC"."SECRET" (ID INTEGER)');
    fake.deny.read = true;
    try {
      const err = await failure(exec(conn, 'SELECT COUNT(*) AS N FROM "ANALYTICS".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?', ['PUBLIC']));
      expect(err.code).toBe('002003');
      expect(err.sqlState).toBe('02000');
      expect(err.message).toBe(READ_DENIED);
      for (const sql of ['SELECT * FROM "ANALYTICS"."PUBLIC"."SECRET"', 'SELECT * FROM secret', 'SHOW TABLES']) {
        const e = await failure(exec(conn, sql));
        expect([e.code, e.sqlState, e.message]).toEqual(['002003', '02000', READ_DENIED]);
      }
      // Statements that don't touch the schema still work.
      expect(await exec(conn, 'SELECT CURRENT_ROLE() AS ROLE')).toEqual([{ ROLE: 'CDP_ROLE' }]);
    } finally {
      fake.deny.read = false;
    }
    expect(await exec(conn, 'SELECT COUNT(*) AS N FROM SECRET')).toEqual([{ N: 0 }]);
    await exec(conn, 'DROP TABLE SECRET');
  });

  it('denies writes with 003001 when deny.write is set', async () => {
    fake.deny.write = true;
    try {
      for (const sql of ['CREATE TABLE "ANALYTICS"."PUBLIC"."_QUARRY_WRITE_CHECK_ff" (ID INTEGER)', 'DROP TABLE "ANALYTICS"."PUBLIC"."X"', 'INSERT INTO X VALUES (1)']) {
        const err = await failure(exec(conn, sql));
        expect([err.code, err.sqlState, err.message]).toEqual(['003001', '42501', WRITE_DENIED]);
      }
      // Reads are unaffected.
      expect(await exec(conn, 'SELECT COUNT(*) AS N FROM "ANALYTICS".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?', ['PUBLIC'])).toEqual([{ N: 0 }]);
    } finally {
      fake.deny.write = false;
    }
  });

  it('delays every response by delayMs', async () => {
    fake.delayMs = 300;
    try {
      const started = Date.now();
      const slow = await connect(fake);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await destroy(slow);
    } finally {
      fake.delayMs = 0;
    }
  });

  it('logs in with a key pair (SNOWFLAKE_JWT) and rejects another key', async () => {
    const good = keyPair();
    const other = keyPair();
    const keyFake = await startFakeSnowflake({ users: { svc_user: { publicKeyPem: good.publicKey } } });
    try {
      const jwt = { username: 'svc_user', password: undefined, authenticator: 'SNOWFLAKE_JWT', role: 'PUBLIC' } as const;
      const ok = await connect(keyFake, { ...jwt, privateKey: good.privateKey });
      expect(await exec(ok, 'SELECT CURRENT_USER() AS U, CURRENT_ROLE() AS R')).toEqual([{ U: 'SVC_USER', R: 'PUBLIC' }]);
      await destroy(ok);
      const err = await failure(connect(keyFake, { ...jwt, privateKey: other.privateKey }));
      expect(err.code).toBe('390144');
      expect(err.message).toContain('JWT token is invalid');
    } finally {
      await keyFake.close();
    }
  });

  it('close() ends keep-alive sockets so the process can exit', async () => {
    const script = fileURLToPath(new URL('./exit-check.ts', import.meta.url));
    // The child is killed (signal set) if it is still alive after the timeout.
    const out = await new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script], { timeout: 20_000 }, (_err, _stdout, stderr) =>
        resolve({ code: child.exitCode, signal: child.signalCode, stderr }),
      );
    });
    expect(out.stderr).toBe('');
    expect(out.signal).toBeNull();
    expect(out.code).toBe(0);
  });
});
