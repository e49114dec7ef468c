import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger } from '../../../src/logger.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/store/embedded.js';
import { startTap, type Tap } from '../../helpers/tap.js';
import type { Config, WarehouseHarness } from '../harness.js';

/**
 * A real PostgreSQL with password (SCRAM) authentication — the embedded server Quarry ships,
 * because the machine's own server trusts every local login — behind a TCP tap that counts
 * connections and can hang.
 */
export function postgresHarness(): WarehouseHarness {
  let home = '';
  let server: EmbeddedPostgres | undefined;
  let tap: Tap | undefined;
  const users = {
    ok: ['quarry_ok', 'ok-pw-SECRET-1'],
    noread: ['quarry_noread', 'noread-pw-SECRET-2'],
    nowrite: ['quarry_nowrite', 'nowrite-pw-SECRET-3'],
  } as const;
  const config = (user: readonly [string, string], over: Config = {}): Config => ({
    host: '127.0.0.1',
    port: tap!.port,
    database: 'contract',
    schema: 'app',
    username: user[0],
    password: user[1],
    sslmode: 'prefer', // the embedded server has no TLS: exercises the fallback
    ...over,
  });

  return {
    type: 'postgres',
    async start() {
      home = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-contract-pg-'));
      await fs.chmod(home, 0o755);
      server = await startEmbeddedPostgres(home, createLogger('silent'));
      const admin = new pg.Client({ connectionString: server.url.replace(/\/quarry$/, '/postgres') });
      await admin.connect();
      await admin.query('CREATE DATABASE contract');
      await admin.end();
      const c = new pg.Client({ connectionString: server.url.replace(/\/quarry$/, '/contract') });
      await c.connect();
      await c.query(`
        CREATE SCHEMA app;
        CREATE TABLE app.orders (id int);
        CREATE ROLE ${users.ok[0]} LOGIN PASSWORD '${users.ok[1]}';
        GRANT USAGE, CREATE ON SCHEMA app TO ${users.ok[0]};
        GRANT SELECT ON ALL TABLES IN SCHEMA app TO ${users.ok[0]};
        CREATE ROLE ${users.noread[0]} LOGIN PASSWORD '${users.noread[1]}';
        CREATE ROLE ${users.nowrite[0]} LOGIN PASSWORD '${users.nowrite[1]}';
        GRANT USAGE ON SCHEMA app TO ${users.nowrite[0]};
        GRANT SELECT ON ALL TABLES IN SCHEMA app TO ${users.nowrite[0]};
      `);
      await c.end();
      tap = await startTap(Number(new URL(server.url).port));
    },
    async stop() {
      await tap?.close();
      await server?.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
    reset() {
      tap!.hold = false;
    },
    config: () => config(users.ok),
    withEndpoint: (host, port) => config(users.ok, { host, port }),
    badCredentials: () => config([users.ok[0], 'wrong-password']),
    missingRead: () => config(users.noread),
    missingWrite: () => config(users.nowrite),
    slow() {
      tap!.hold = true;
      return config(users.ok);
    },
    liveConnections: () => tap!.live(),
    expect: {
      badCredentials: /PostgreSQL rejected the login: password authentication failed for user "quarry_ok"/,
      readFix: /^GRANT USAGE ON SCHEMA "app" TO "quarry_noread"; GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO "quarry_noread";$/,
      writeFix: /^GRANT CREATE ON SCHEMA "app" TO "quarry_nowrite";$/,
    },
    notApplicable: {},
  };
}
