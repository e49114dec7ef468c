import type { Connection, SnowflakeError } from 'snowflake-sdk';
import { StepError, scratchTableName, type DriverContext, type WarehouseConfig, type WarehouseDriver, type WarehouseSession } from '../types.js';

interface SnowflakeConfig {
  account: string;
  warehouse: string;
  database: string;
  schema: string;
  username: string;
  password?: string;
  private_key?: string;
  private_key_passphrase?: string;
  role?: string;
  access_url?: string;
}

/**
 * Snowflake folds unquoted identifiers to upper case. A name typed like an unquoted
 * identifier is treated as one (analytics -> "ANALYTICS"); anything else is taken verbatim.
 */
export function sfIdent(name: string): string {
  const folded = /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name.toUpperCase() : name;
  return `"${folded.replace(/"/g, '""')}"`;
}

function endpointUrl(c: SnowflakeConfig): URL {
  return new URL(c.access_url ?? `https://${c.account}.snowflakecomputing.com`);
}

let configured = false;
async function sdk() {
  // Set before the SDK's first load: otherwise loading it probes cloud metadata endpoints
  // (169.254.169.254, metadata.google.internal) and AWS STS to guess the platform.
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
  const snowflake = (await import('snowflake-sdk')).default;
  if (!configured) {
    // The SDK logs to a file/console by default (Quarry logs through pino), and would use
    // HTTP(S)_PROXY from the environment instead of the egress proxy it is given.
    snowflake.configure({ logLevel: 'OFF', additionalLogToConsole: false, useEnvProxy: false });
    configured = true;
  }
  return snowflake;
}

function execute(conn: Connection, sqlText: string, binds: (string | number)[] = []): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    conn.execute({
      sqlText,
      binds,
      complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])),
    });
  });
}

const code = (err: unknown) => String((err as SnowflakeError).code ?? '');

class SnowflakeSession implements WarehouseSession {
  constructor(
    private readonly conn: Connection,
    private readonly c: SnowflakeConfig,
    readonly identity: string,
    private readonly role: string,
    private readonly warehouse: string | null,
  ) {}

  private grantsForRead(): string {
    const role = sfIdent(this.role);
    const db = sfIdent(this.c.database);
    const schema = `${db}.${sfIdent(this.c.schema)}`;
    return [
      `GRANT USAGE ON WAREHOUSE ${sfIdent(this.c.warehouse)} TO ROLE ${role};`,
      `GRANT USAGE ON DATABASE ${db} TO ROLE ${role};`,
      `GRANT USAGE ON SCHEMA ${schema} TO ROLE ${role};`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ROLE ${role};`,
      `GRANT SELECT ON FUTURE TABLES IN SCHEMA ${schema} TO ROLE ${role};`,
    ].join(' ');
  }

  async checkRead(): Promise<string> {
    if (!this.warehouse) {
      throw new StepError(
        `no warehouse is in use: ${sfIdent(this.c.warehouse)} does not exist or role ${sfIdent(this.role)} cannot use it.`,
        `GRANT USAGE ON WAREHOUSE ${sfIdent(this.c.warehouse)} TO ROLE ${sfIdent(this.role)};`,
      );
    }
    const schemaName = sfIdent(this.c.schema).slice(1, -1).replace(/""/g, '"');
    try {
      const rows = await execute(this.conn, `SELECT COUNT(*) AS N FROM ${sfIdent(this.c.database)}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?`, [schemaName]);
      return `can list and query ${sfIdent(this.c.database)}.${sfIdent(this.c.schema)} (${Number(rows[0]?.N ?? 0)} table(s))`;
    } catch (err) {
      if (code(err) === '002003' || code(err) === '003001') {
        throw new StepError(`role ${sfIdent(this.role)} cannot read ${sfIdent(this.c.database)}.${sfIdent(this.c.schema)}: ${(err as Error).message}`, this.grantsForRead());
      }
      throw err;
    }
  }

  async checkWrite(): Promise<string> {
    const schema = `${sfIdent(this.c.database)}.${sfIdent(this.c.schema)}`;
    const table = `${schema}.${sfIdent(scratchTableName('_QUARRY_WRITE_CHECK_').toUpperCase())}`;
    try {
      await execute(this.conn, `CREATE TABLE ${table} (ID INTEGER)`);
      await execute(this.conn, `DROP TABLE ${table}`);
      return `can create and drop tables in ${schema}`;
    } catch (err) {
      if (code(err) === '003001' || code(err) === '002003') {
        throw new StepError(
          `role ${sfIdent(this.role)} cannot create tables in ${schema}: ${(err as Error).message}`,
          `GRANT CREATE TABLE ON SCHEMA ${schema} TO ROLE ${sfIdent(this.role)};`,
        );
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.conn.destroy(() => resolve()));
  }
}

export const driver: WarehouseDriver = {
  endpoints(config) {
    const url = endpointUrl(config as unknown as SnowflakeConfig);
    const https = url.protocol === 'https:';
    return [{ host: url.hostname, port: Number(url.port || (https ? 443 : 80)), tls: https }];
  },

  async connect(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseSession> {
    const c = config as unknown as SnowflakeConfig;
    const snowflake = await sdk();
    const proxy = await ctx.proxy();
    const url = endpointUrl(c);
    const conn = snowflake.createConnection({
      account: c.account,
      accessUrl: url.origin,
      username: c.username,
      ...(c.private_key
        ? { authenticator: 'SNOWFLAKE_JWT', privateKey: c.private_key, ...(c.private_key_passphrase ? { privateKeyPass: c.private_key_passphrase } : {}) }
        : { password: c.password ?? '' }),
      warehouse: c.warehouse,
      database: c.database,
      schema: c.schema,
      ...(c.role ? { role: c.role } : {}),
      application: 'Quarry',
      // every request goes through the egress proxy, which applies the network policy
      proxyHost: proxy.host,
      proxyPort: proxy.port,
      proxyProtocol: 'http',
    });
    const abort = () => conn.destroy(() => undefined);
    ctx.signal.addEventListener('abort', abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      const e = err as SnowflakeError;
      if (code(e) === '390189' && c.role) {
        throw new StepError(`Snowflake rejected the login: ${e.message}`, `GRANT ROLE ${sfIdent(c.role)} TO USER ${sfIdent(c.username)};`);
      }
      if (/^390\d{3}$/.test(code(e))) throw new StepError(`Snowflake rejected the login: ${e.message}`);
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', abort);
    }
    const rows = await execute(conn, 'SELECT CURRENT_ROLE() AS ROLE, CURRENT_WAREHOUSE() AS WAREHOUSE, CURRENT_USER() AS USERNAME');
    const role = String(rows[0]?.ROLE ?? c.role ?? 'PUBLIC');
    const warehouse = (rows[0]?.WAREHOUSE as string | null | undefined) ?? null;
    const identity = `logged in to account ${c.account} as ${String(rows[0]?.USERNAME ?? c.username)} with role ${role}${warehouse ? `, warehouse ${warehouse}` : ''}`;
    return new SnowflakeSession(conn, c, identity, role, warehouse);
  },
};
