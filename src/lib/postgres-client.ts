import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { StepError, type DriverContext } from '../warehouses/types.js';
import { type DatabaseConnection, tlsPolicy } from './database-connection.js';

/** Connection settings shared by the PostgreSQL warehouse driver and the postgresql connector. */
export type PostgresConnection = DatabaseConnection;

export const pgIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

function sslOptions(c: PostgresConnection): false | ConnectionOptions {
  const t = tlsPolicy(c);
  if (!t.encrypt) return false;
  if (!t.verifyChain) return { rejectUnauthorized: false };
  return {
    rejectUnauthorized: true,
    ...(t.ca ? { ca: t.ca } : {}),
    // the name checked is the one the user gave, not the address connected to
    ...(t.verifyHost ? { servername: c.host } : { checkServerIdentity: () => undefined }),
  };
}

/** Ends a client at once, even against a server that stopped answering. */
export function destroyClient(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  client.end().catch(() => undefined);
}

async function login(c: PostgresConnection, address: string, ssl: false | ConnectionOptions, signal: AbortSignal, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ host: address, port: c.port, database: c.database, user: c.username, password: c.password ?? '', ssl, application_name: applicationName });
  client.on('error', () => undefined);
  const abort = () => destroyClient(client);
  signal.addEventListener('abort', abort, { once: true });
  try {
    await client.connect();
    return client;
  } catch (err) {
    destroyClient(client);
    throw err;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

function loginError(err: unknown, c: PostgresConnection): Error {
  const e = err as { code?: string; message?: string };
  if (e.code === '28P01' || e.code === '28000') return new StepError(`PostgreSQL rejected the login: ${e.message}`);
  if (e.code === '3D000') return new StepError(`PostgreSQL rejected the login: ${e.message}`, `CREATE DATABASE ${pgIdent(c.database)};`);
  if (/does not support SSL/i.test(e.message ?? '')) return new StepError(`the server does not support TLS, but sslmode is ${c.sslmode}`);
  return err as Error;
}

/**
 * Logs in to the address the network policy checked, with libpq's sslmode semantics
 * (`prefer` falls back to plain TCP when the server has no TLS). The client is destroyed
 * when `ctx.signal` aborts.
 */
export async function connectPostgres(c: PostgresConnection, ctx: Pick<DriverContext, 'resolve' | 'signal'>, applicationName = 'quarry'): Promise<pg.Client> {
  const { address } = await ctx.resolve(c.host);
  let client: pg.Client;
  try {
    client = await login(c, address, sslOptions(c), ctx.signal, applicationName);
  } catch (err) {
    if (tlsPolicy(c).fallback && /does not support SSL/i.test((err as Error).message)) {
      client = await login(c, address, false, ctx.signal, applicationName).catch((e: unknown) => {
        throw loginError(e, c);
      });
    } else throw loginError(err, c);
  }
  const abort = () => destroyClient(client);
  ctx.signal.addEventListener('abort', abort, { once: true });
  client.once('end', () => ctx.signal.removeEventListener('abort', abort));
  return client;
}
