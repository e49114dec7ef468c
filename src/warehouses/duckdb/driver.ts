import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
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

export interface DuckDbHandle {
  conn: DuckDBConnection;
  /** Closes the connection; the file is released when its last user closes. */
  close(): void;
}

const instances = new Map<string, { instance: Promise<DuckDBInstance>; users: number }>();

/**
 * Opens (creating if needed) a warehouse file. One instance per file is shared by the users in
 * this process (DuckDB lets one process open a file for writing) and closed when the last one
 * is done, so between runs other tools can open the file. Extensions are never downloaded at
 * run time (an offline machine must not hang on a fetch), and memory is capped: a load spills
 * to QUARRY_HOME/tmp instead of growing with the table.
 */
export async function openDuckDb(home: string, database: string): Promise<DuckDbHandle> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const file = duckdbPath(home, database);
  await fs.mkdir(path.dirname(file), { recursive: true });
  let entry = instances.get(file);
  if (!entry) {
    const tmp = path.join(home, 'tmp', 'duckdb');
    await fs.mkdir(tmp, { recursive: true });
    entry = {
      users: 0,
      instance: DuckDBInstance.create(file, {
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        memory_limit: DUCKDB_MEMORY_LIMIT,
        temp_directory: tmp,
      }),
    };
    instances.set(file, entry);
  }
  entry.users++;
  let instance: DuckDBInstance;
  try {
    instance = await entry.instance;
  } catch (err) {
    entry.users--;
    if (instances.get(file) === entry) instances.delete(file);
    throw err;
  }
  const conn = await instance.connect();
  let closed = false;
  return {
    conn,
    close: () => {
      if (closed) return;
      closed = true;
      conn.closeSync();
      if (--entry.users === 0 && instances.get(file) === entry) {
        instances.delete(file);
        instance.closeSync();
      }
    },
  };
}

/** DuckDB's memory cap for loads (its buffer manager spills above it). */
export const DUCKDB_MEMORY_LIMIT = '64MB';

class DuckDbSession implements WarehouseSession {
  private readonly conn: DuckDBConnection;
  constructor(
    private readonly handle: DuckDbHandle,
    private readonly c: DuckDbConfig,
    readonly identity: string,
  ) {
    this.conn = handle.conn;
  }

  async checkRead(): Promise<string> {
    const reader = await this.conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = $schema`,
      { schema: this.c.schema },
    );
    const n = Number(reader.getRowObjects()[0]?.n ?? 0);
    return `can list and query schema ${ident(this.c.schema)} (${n} table(s))`;
  }

  async checkWrite(): Promise<string> {
    // qualified by the database: a schema named like the database file would be ambiguous
    const schema = `${ident(this.c.database)}.${ident(this.c.schema)}`;
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
    this.handle.close();
  }
}

export const driver: WarehouseDriver = {
  endpoints: () => [],
  openWriter: async (config, ctx) => (await import('./writer.js')).openDuckDbWriter(ctx.home, (config as unknown as DuckDbConfig).database),

  async connect(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseSession> {
    const c = config as unknown as DuckDbConfig;
    const file = duckdbPath(ctx.home, c.database);
    let handle: DuckDbHandle;
    try {
      handle = await openDuckDb(ctx.home, c.database);
    } catch (err) {
      throw new StepError(`cannot open the DuckDB warehouse file ${file}: ${(err as Error).message}`);
    }
    const version = (await handle.conn.runAndReadAll('SELECT version() AS v')).getRowObjects()[0]?.v;
    return new DuckDbSession(handle, c, `opened ${file} (DuckDB ${String(version)})`);
  },
};
