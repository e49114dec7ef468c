import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { StepError, scratchTableName, type DriverContext, type WarehouseConfig, type WarehouseDriver, type WarehouseSession } from '../types.js';

interface DuckDbConfig {
  database: string;
  schema: string;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Where a DuckDB warehouse lives: always under QUARRY_HOME (the name is a plain file name). */
export function duckdbPath(home: string, database: string): string {
  return path.join(home, 'warehouses', `${database}.duckdb`);
}

/**
 * Opens (creating if needed) a warehouse file. Instances are shared per file within the
 * process (DuckDB allows one read-write opener per file), and extensions are never
 * downloaded at run time: an offline machine must not hang on a network fetch.
 */
export async function openDuckDb(home: string, database: string): Promise<DuckDBConnection> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const file = duckdbPath(home, database);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const instance = await DuckDBInstance.fromCache(file, {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  return instance.connect();
}

class DuckDbSession implements WarehouseSession {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly c: DuckDbConfig,
    readonly identity: string,
  ) {}

  async checkRead(): Promise<string> {
    const reader = await this.conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = $schema`,
      { schema: this.c.schema },
    );
    const n = Number(reader.getRowObjects()[0]?.n ?? 0);
    return `can list and query schema ${ident(this.c.schema)} (${n} table(s))`;
  }

  async checkWrite(): Promise<string> {
    const schema = ident(this.c.schema);
    const table = `${schema}.${ident(scratchTableName())}`;
    try {
      await this.conn.run('BEGIN TRANSACTION');
      await this.conn.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await this.conn.run(`CREATE TABLE ${table} (id INTEGER)`);
      await this.conn.run(`DROP TABLE ${table}`);
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw new StepError(`cannot create tables in schema ${schema}: ${(err as Error).message}`);
    }
    return `can create and drop tables in schema ${schema}`;
  }

  async close(): Promise<void> {
    this.conn.closeSync();
  }
}

export const driver: WarehouseDriver = {
  endpoints: () => [],
  openWriter: async (config, ctx) => (await import('./writer.js')).openDuckDbWriter(ctx.home, (config as unknown as DuckDbConfig).database),

  async connect(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseSession> {
    const c = config as unknown as DuckDbConfig;
    const file = duckdbPath(ctx.home, c.database);
    let conn: DuckDBConnection;
    try {
      conn = await openDuckDb(ctx.home, c.database);
    } catch (err) {
      throw new StepError(`cannot open the DuckDB warehouse file ${file}: ${(err as Error).message}`);
    }
    const version = (await conn.runAndReadAll('SELECT version() AS v')).getRowObjects()[0]?.v;
    return new DuckDbSession(conn, c, `opened ${file} (DuckDB ${String(version)})`);
  },
};
