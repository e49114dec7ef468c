import net from 'node:net';
import mysql from 'mysql2';
import type { DriverContext } from '../../warehouses/types.js';
import { StepError } from '../../warehouses/types.js';
import { type DatabaseConnection, tlsPolicy } from '../../lib/database-connection.js';

export type MysqlConnection = DatabaseConnection;

export type Conn = mysql.Connection;

function sslOptions(c: MysqlConnection): mysql.SslOptions | undefined {
  const t = tlsPolicy(c);
  if (!t.encrypt) return undefined;
  return { rejectUnauthorized: t.verifyChain, verifyIdentity: t.verifyHost, ...(t.ca ? { ca: t.ca } : {}) };
}

/** Ends a connection at once, even against a server that stopped answering. */
export function destroyConnection(conn: Conn): void {
  conn.destroy(); // marks it closing, so its socket's end is not reported as an error
  (conn as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

function login(c: MysqlConnection, address: string, ssl: mysql.SslOptions | undefined, signal: AbortSignal): Promise<{ conn: Conn; socket: net.Socket }> {
  let socket: net.Socket | undefined;
  const conn = mysql.createConnection({
    // The socket goes to the address the network policy checked; `host` stays the name the
    // user gave, which mysql2 uses as the TLS server name for verify-full.
    host: c.host,
    port: c.port,
    stream: () => {
      socket = net.connect({ host: address, port: c.port });
      socket.setNoDelay(true);
      socket.setKeepAlive(true);
      return socket;
    },
    user: c.username,
    password: c.password ?? '',
    database: c.database,
    ...(ssl ? { ssl } : {}),
    charset: 'UTF8MB4_UNICODE_CI',
    connectTimeout: 15_000,
    // Values as text: no JS Date (time zone shifts), no float for BIGINT/DECIMAL, JSON as sent.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    decimalNumbers: false,
    timezone: 'Z',
    multipleStatements: false,
  });
  return new Promise((resolve, reject) => {
    const abort = () => {
      destroyConnection(conn);
      reject(new Error('cancelled'));
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    conn.once('connect', () => {
      signal.removeEventListener('abort', abort);
      conn.removeAllListeners('error');
      conn.on('error', () => undefined); // a later failure surfaces through the query running
      resolve({ conn, socket: socket! });
    });
    conn.once('error', (err) => {
      signal.removeEventListener('abort', abort);
      conn.on('error', () => undefined);
      destroyConnection(conn);
      reject(err);
    });
  });
}

const LOGIN_REJECTED = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_HOST_NOT_PRIVILEGED', 'ER_HOST_IS_BLOCKED', 'ER_NOT_SUPPORTED_AUTH_MODE']);

function loginError(err: unknown, c: MysqlConnection): Error {
  const e = err as { code?: string; message?: string };
  if (e.code && LOGIN_REJECTED.has(e.code)) return new StepError(`MySQL rejected the login: ${e.message}`);
  if (e.code === 'HANDSHAKE_NO_SSL_SUPPORT') return new StepError(`the server does not support TLS, but sslmode is ${c.sslmode}`);
  if (e.code === 'HANDSHAKE_SSL_ERROR') return new StepError(`the TLS handshake failed (sslmode ${c.sslmode}): ${e.message}`);
  return err as Error;
}

/**
 * Logs in to the address the network policy checked, with libpq's sslmode semantics
 * (`prefer` falls back to plain TCP when the server has no TLS), and sets the session up for
 * reading: UTC, so TIMESTAMP values are instants in UTC and a cursor read back binds as is.
 * The connection is destroyed when `ctx.signal` aborts.
 */
export async function connectMysql(c: MysqlConnection, ctx: Pick<DriverContext, 'resolve' | 'signal'>): Promise<Conn> {
  const { address } = await ctx.resolve(c.host);
  let conn: Conn;
  let socket: net.Socket;
  try {
    ({ conn, socket } = await login(c, address, sslOptions(c), ctx.signal));
  } catch (err) {
    if (tlsPolicy(c).fallback && (err as { code?: string }).code === 'HANDSHAKE_NO_SSL_SUPPORT') {
      ({ conn, socket } = await login(c, address, undefined, ctx.signal).catch((e: unknown) => {
        throw loginError(e, c);
      }));
    } else throw loginError(err, c);
  }
  const abort = () => destroyConnection(conn);
  ctx.signal.addEventListener('abort', abort, { once: true });
  socket.once('close', () => ctx.signal.removeEventListener('abort', abort));
  try {
    // A slow warehouse pauses the read (backpressure); the server must not drop us meanwhile.
    await run(conn, ctx.signal, `SET time_zone = '+00:00', SESSION net_write_timeout = 3600`);
  } catch (err) {
    destroyConnection(conn);
    throw err;
  }
  return conn;
}

/** One query, its rows as arrays; rejects when `signal` aborts (a destroyed connection answers nothing). */
export function run<T = unknown[]>(conn: Conn, signal: AbortSignal, sql: string, values: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const abort = () => reject(new Error('cancelled'));
    signal.addEventListener('abort', abort, { once: true });
    conn.query({ sql, values, rowsAsArray: true }, (err, rows) => {
      signal.removeEventListener('abort', abort);
      if (err) reject(err);
      else resolve(rows as T[]);
    });
  });
}
