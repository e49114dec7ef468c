import type pg from 'pg';
import { type PostgresConnection, connectPostgres, destroyClient, pgIdent } from '../../lib/postgres-client.js';
import { StepError, scratchTableName, type DriverContext, type WarehouseConfig, type WarehouseDriver, type WarehouseSession } from '../types.js';

interface PostgresConfig extends PostgresConnection {
  schema: string;
}

const ident = pgIdent;

class PostgresSession implements WarehouseSession {
  constructor(
    private readonly client: pg.Client,
    private readonly c: PostgresConfig,
    readonly identity: string,
    private readonly user: string,
  ) {}

  async checkRead(): Promise<string> {
    const { rows } = await this.client.query<{ exists: boolean; usage: boolean; tables: number; unreadable: string[] }>(
      `SELECT n.oid IS NOT NULL AS exists,
              COALESCE(has_schema_privilege(current_user, n.oid, 'USAGE'), false) AS usage,
              (SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','f')) AS tables,
              ARRAY(SELECT c.relname::text FROM pg_class c
                     WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','f')
                       AND NOT has_table_privilege(current_user, c.oid, 'SELECT') ORDER BY 1) AS unreadable
         FROM (SELECT $1::text AS name) s LEFT JOIN pg_namespace n ON n.nspname = s.name`,
      [this.c.schema],
    );
    const r = rows[0]!;
    const schema = ident(this.c.schema);
    const user = ident(this.user);
    if (!r.exists) {
      throw new StepError(`schema ${schema} does not exist in database ${ident(this.c.database)}.`, `CREATE SCHEMA ${schema} AUTHORIZATION ${user};`);
    }
    if (!r.usage) {
      throw new StepError(
        `user ${user} has no USAGE privilege on schema ${schema}, so it can neither list nor query its tables.`,
        `GRANT USAGE ON SCHEMA ${schema} TO ${user}; GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${user};`,
      );
    }
    if (r.unreadable.length > 0) {
      const names = r.unreadable.slice(0, 5).join(', ') + (r.unreadable.length > 5 ? ', ...' : '');
      throw new StepError(
        `user ${user} cannot SELECT from ${r.unreadable.length} of the ${r.tables} tables in schema ${schema} (${names}).`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${user};`,
      );
    }
    return `can list and query the ${r.tables} table(s) of schema ${schema}`;
  }

  async checkWrite(): Promise<string> {
    const schema = ident(this.c.schema);
    const user = ident(this.user);
    const table = `${schema}.${ident(scratchTableName())}`;
    try {
      // DDL is transactional in PostgreSQL: the rollback leaves nothing behind, whatever happens.
      await this.client.query('BEGIN');
      await this.client.query(`CREATE TABLE ${table} (id integer)`);
      await this.client.query(`DROP TABLE ${table}`);
    } catch (err) {
      if ((err as { code?: string }).code === '42501') {
        throw new StepError(`user ${user} cannot create tables in schema ${schema}: ${(err as Error).message}.`, `GRANT CREATE ON SCHEMA ${schema} TO ${user};`);
      }
      throw err;
    } finally {
      await this.client.query('ROLLBACK').catch(() => undefined);
    }
    const { rows } = await this.client.query<{ create_schema: boolean }>(`SELECT has_database_privilege(current_user, current_database(), 'CREATE') AS create_schema`);
    const note = rows[0]?.create_schema ? '' : ` (it cannot create new schemas: loaders must target existing ones, or GRANT CREATE ON DATABASE ${ident(this.c.database)} TO ${user})`;
    return `can create and drop tables in schema ${schema}${note}`;
  }

  async close(): Promise<void> {
    destroyClient(this.client);
  }
}

export const driver: WarehouseDriver = {
  openWriter: async (config, ctx) => (await import('./writer.js')).openPostgresWriter(config as unknown as PostgresConfig, ctx),

  endpoints(config) {
    const c = config as unknown as PostgresConfig;
    // TLS is negotiated inside the PostgreSQL protocol: the probe checks TCP, login checks TLS.
    return [{ host: c.host, port: c.port, tls: false }];
  },

  async connect(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseSession> {
    const c = config as unknown as PostgresConfig;
    const client = await connectPostgres(c, ctx);
    const { rows } = await client.query<{ user: string; version: string }>(`SELECT current_user AS user, version() AS version`);
    const r = rows[0]!;
    // pg_stat_ssl does not exist on Redshift: TLS is reported where the server can tell.
    const tls = await client
      .query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
      .then((res) => res.rows[0]?.ssl === true)
      .catch(() => false);
    const product = /Redshift/i.test(r.version) ? 'Redshift' : `PostgreSQL ${r.version.split(' ')[1] ?? ''}`.trim();
    const identity = `logged in as ${ident(r.user)} on ${product}, database ${ident(c.database)}${tls ? ', over TLS' : ''}`;
    return new PostgresSession(client, c, identity, r.user);
  },
};
