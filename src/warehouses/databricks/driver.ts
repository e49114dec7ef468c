import type { DBSQLClient } from '@databricks/sql';
import { StepError, scratchTableName, type DriverContext, type WarehouseConfig, type WarehouseDriver, type WarehouseSession } from '../types.js';

type IDBSQLSession = Awaited<ReturnType<DBSQLClient['openSession']>>;

interface DatabricksConfig {
  host: string;
  port: number;
  http_path: string;
  token: string;
  catalog?: string;
  schema: string;
  tls_ca_cert?: string;
}

const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function query(session: IDBSQLSession, sql: string): Promise<Record<string, unknown>[]> {
  const op = await session.executeStatement(sql, { runAsync: true });
  try {
    return (await op.fetchAll()) as Record<string, unknown>[];
  } finally {
    await op.close().catch(() => undefined);
  }
}

const denied = (err: unknown) => /INSUFFICIENT_PERMISSIONS|PERMISSION_DENIED|does not have .* (privilege|permission)/i.test((err as Error).message ?? '');

/** The SDK reports an HTTP failure's status in its message; pick the login failures out. */
const rejectedLogin = (err: unknown) => /\b(401|403)\b|invalid access token|unauthori[sz]ed|forbidden/i.test((err as Error).message ?? '');

class DatabricksSession implements WarehouseSession {
  constructor(
    private readonly client: DBSQLClient,
    private readonly session: IDBSQLSession,
    private readonly c: DatabricksConfig,
    private readonly user: string,
    private readonly catalog: string,
    readonly identity: string,
  ) {}

  private get schemaRef() {
    return `${ident(this.catalog)}.${ident(this.c.schema)}`;
  }

  async checkRead(): Promise<string> {
    try {
      const rows = await query(this.session, `SELECT table_name FROM ${ident(this.catalog)}.information_schema.tables WHERE table_schema = ${literal(this.c.schema)} LIMIT 1`);
      return `can list and query ${this.schemaRef}${rows.length ? '' : ' (no tables yet)'}`;
    } catch (err) {
      if (!denied(err)) throw err;
      const who = ident(this.user);
      throw new StepError(
        `${this.user} cannot read ${this.schemaRef}: ${(err as Error).message}`,
        `GRANT USE CATALOG ON CATALOG ${ident(this.catalog)} TO ${who}; GRANT USE SCHEMA ON SCHEMA ${this.schemaRef} TO ${who}; GRANT SELECT ON SCHEMA ${this.schemaRef} TO ${who};`,
      );
    }
  }

  async checkWrite(): Promise<string> {
    const table = `${this.schemaRef}.${ident(scratchTableName())}`;
    try {
      await query(this.session, `CREATE TABLE ${table} (id INT)`);
      await query(this.session, `DROP TABLE ${table}`);
      return `can create and drop tables in ${this.schemaRef}`;
    } catch (err) {
      if (!denied(err)) throw err;
      const who = ident(this.user);
      throw new StepError(
        `${this.user} cannot create tables in ${this.schemaRef}: ${(err as Error).message}`,
        `GRANT USE SCHEMA ON SCHEMA ${this.schemaRef} TO ${who}; GRANT CREATE TABLE ON SCHEMA ${this.schemaRef} TO ${who}; GRANT MODIFY ON SCHEMA ${this.schemaRef} TO ${who};`,
      );
    }
  }

  async close(): Promise<void> {
    await this.session.close().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }
}

export const driver: WarehouseDriver = {
  endpoints(config) {
    const c = config as unknown as DatabricksConfig;
    return [{ host: c.host, port: c.port, tls: true, ca: c.tls_ca_cert }];
  },

  async connect(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseSession> {
    const c = config as unknown as DatabricksConfig;
    const { DBSQLClient } = await import('@databricks/sql');
    const proxy = await ctx.proxy();
    // The SDK logs to the console and to files by default; Quarry logs through pino.
    const silent = { log: () => undefined };
    const client = new DBSQLClient({ logger: silent as never });
    const abort = () => void client.close().catch(() => undefined);
    ctx.signal.addEventListener('abort', abort, { once: true });
    let session: IDBSQLSession;
    try {
      await client.connect({
        host: c.host,
        port: c.port,
        path: c.http_path,
        token: c.token,
        proxy: { protocol: 'http', host: proxy.host, port: proxy.port },
        ...(c.tls_ca_cert ? { customCaCert: c.tls_ca_cert } : {}),
        telemetryEnabled: false,
        // a connection test reports a failure instead of retrying it for minutes
        retryMaxAttempts: 1,
      });
      session = await client.openSession({ ...(c.catalog ? { initialCatalog: c.catalog } : {}), initialSchema: c.schema });
    } catch (err) {
      await client.close().catch(() => undefined);
      if (rejectedLogin(err)) throw new StepError(`Databricks rejected the access token: ${(err as Error).message}`);
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', abort);
    }
    const rows = await query(session, 'SELECT current_user() AS username, current_catalog() AS catalog_name, current_schema() AS schema_name');
    const user = String(rows[0]?.username ?? 'unknown');
    const catalog = c.catalog ?? String(rows[0]?.catalog_name ?? 'hive_metastore');
    const identity = `logged in to ${c.host} as ${user}; catalog ${catalog}, schema ${c.schema}`;
    return new DatabricksSession(client, session, c, user, catalog, identity);
  },
};
