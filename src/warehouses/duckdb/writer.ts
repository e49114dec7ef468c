import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DELETED_COLUMN, DELETE_BATCH, STAGING_MARK, STATE_TABLE, stagingName, type StreamLoad, type StreamWriter, type WarehouseWriter } from '../types.js';
import { castFromText, duckdbType } from './types.js';
import { type DuckDbHandle, openDuckDb } from './driver.js';
import { writeChunk } from '../../lib/streams.js';

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;

async function existingColumns(conn: DuckDBConnection, schema: string, table: string): Promise<{ name: string; type: string }[] | null> {
  const r = await conn.runAndReadAll(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
      WHERE table_catalog = current_database() AND table_schema = $schema AND table_name = $table ORDER BY ordinal_position`,
    { schema, table },
  );
  const rows = r.getRowObjects() as { name: string; type: string }[];
  return rows.length ? rows : null;
}

/**
 * Streams CSV to a staging file and bulk-reads it with DuckDB's CSV reader at commit, then
 * swaps or merges inside one transaction together with the stream's state.
 */
class DuckDbStreamWriter implements StreamWriter {
  private readonly file: fs.WriteStream;
  private readonly deleted: unknown[][] = [];
  private readonly done: Promise<void>;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly load: StreamLoad,
    private readonly path: string,
    /** The database's own name: a schema named like the database would otherwise be ambiguous. */
    private readonly catalog: string,
  ) {
    this.file = fs.createWriteStream(path);
    this.done = new Promise((resolve, reject) => {
      this.file.once('finish', resolve);
      this.file.once('error', reject);
    });
  }

  write(csv: Buffer): Promise<void> {
    return writeChunk(this.file, csv);
  }

  markDeleted(keys: unknown[][]): void {
    this.deleted.push(...keys);
  }

  async commit(cursor: string | null): Promise<{ rows: number }> {
    this.file.end();
    await this.done;
    const { schema, table, columns, primaryKey, mode, runId, stream } = this.load;
    const c = this.conn;
    const sch = `${q(this.catalog)}.${q(schema)}`;
    const final = `${sch}.${q(table)}`;
    const staging = `${sch}.${q(stagingName(table, runId))}`;
    try {
      await c.run('BEGIN TRANSACTION');
      const existing = await existingColumns(c, schema, table);
      const existingType = new Map(existing?.map((e) => [e.name, e.type]));
      const csvColumns = `{${columns.map((_col, i) => `${lit(`c${i}`)}: 'VARCHAR'`).join(', ')}}`;
      const merge = mode === 'incremental' && existing !== null;
      // Full refresh: columns the table has but the stream no longer sends stay, empty.
      const kept = merge ? [] : (existing ?? []).filter((e) => !columns.some((col) => col.name === e.name) && !e.name.startsWith('_quarry_'));
      const names = [...columns.map((col) => col.name), ...kept.map((e) => e.name), '_quarry_loaded_at', '_quarry_run_id'];
      const order = existing && !merge ? existing.map((e) => e.name).filter((n) => names.includes(n)).concat(names.filter((n) => !existingType.has(n))) : names;
      const exprs = new Map<string, string>([
        ...columns.map((col, i) => [col.name, castFromText(col, q(`c${i}`), existingType.get(col.name) ?? duckdbType(col))] as [string, string]),
        ...kept.map((e) => [e.name, `CAST(NULL AS ${e.type})`] as [string, string]),
        ['_quarry_loaded_at', 'now()'],
        ['_quarry_run_id', lit(runId)],
      ]);
      const csv = `read_csv(${lit(this.path)}, header = false, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false, columns = ${csvColumns}, auto_detect = false, buffer_size = 1048576)`;
      const select = order.map((n) => `${exprs.get(n)} AS ${q(n)}`).join(', ');
      let rows: number;
      if (!merge && mode === 'full_refresh') {
        // order does not matter here, and not keeping it lets DuckDB stream the file in bounded memory
        await c.run('SET preserve_insertion_order = false');
        await c.run(`CREATE TABLE ${staging} AS SELECT ${select} FROM ${csv}`);
        await c.run('SET preserve_insertion_order = true');
        rows = Number((await c.runAndReadAll(`SELECT count(*) AS n FROM ${staging}`)).getRowObjects()[0]?.n ?? 0);
        await c.run(`DROP TABLE IF EXISTS ${final}`);
        await c.run(`ALTER TABLE ${staging} RENAME TO ${q(table)}`);
      } else {
        // incremental: within one read, a primary key's last row wins
        const dedupe = primaryKey.length ? ` QUALIFY row_number() OVER (PARTITION BY ${primaryKey.map(q).join(', ')} ORDER BY "_quarry_row" DESC) = 1` : '';
        await c.run(`CREATE TABLE ${staging} AS SELECT * EXCLUDE ("_quarry_row") FROM (SELECT ${select}, row_number() OVER () AS "_quarry_row" FROM ${csv})${dedupe}`);
        rows = Number((await c.runAndReadAll(`SELECT count(*) AS n FROM ${staging}`)).getRowObjects()[0]?.n ?? 0);
        if (!merge) {
          await c.run(`DROP TABLE IF EXISTS ${final}`);
          await c.run(`ALTER TABLE ${staging} RENAME TO ${q(table)}`);
        } else {
          for (const col of columns.filter((x) => !existingType.has(x.name))) await c.run(`ALTER TABLE ${final} ADD COLUMN ${q(col.name)} ${duckdbType(col)}`);
          // DuckDB cannot commit an ALTER TABLE that follows an UPDATE of the same table in one transaction
          if (this.deleted.length && !existingType.has(DELETED_COLUMN)) await c.run(`ALTER TABLE ${final} ADD COLUMN IF NOT EXISTS ${q(DELETED_COLUMN)} TIMESTAMPTZ`);
          const match = primaryKey.map((k) => `${final}.${q(k)} = s.${q(k)}`).join(' AND ');
          // a row seen again at the source is live again
          const revive = existingType.has(DELETED_COLUMN) ? `, ${q(DELETED_COLUMN)} = NULL` : '';
          const set = names.filter((n) => !primaryKey.includes(n)).map((n) => `${q(n)} = s.${q(n)}`).join(', ') + revive;
          // update in place (columns the stream no longer sends keep their values), then add the new keys
          await c.run(`UPDATE ${final} SET ${set} FROM ${staging} s WHERE ${match}`);
          await c.run(`INSERT INTO ${final} (${names.map(q).join(', ')}) SELECT ${names.map((n) => `s.${q(n)}`).join(', ')} FROM ${staging} s WHERE NOT EXISTS (SELECT 1 FROM ${final} WHERE ${match})`);
          await c.run(`DROP TABLE ${staging}`);
        }
        if (this.deleted.length) {
          if (!existingType.has(DELETED_COLUMN)) await c.run(`ALTER TABLE ${final} ADD COLUMN IF NOT EXISTS ${q(DELETED_COLUMN)} TIMESTAMPTZ`);
          const keyList = `(${primaryKey.map((k) => `CAST(${q(k)} AS VARCHAR)`).join(', ')})`;
          for (let i = 0; i < this.deleted.length; i += DELETE_BATCH) {
            const values = this.deleted.slice(i, i + DELETE_BATCH).map((key) => `(${key.map((v) => lit(String(v))).join(', ')})`).join(', ');
            await c.run(`UPDATE ${final} SET ${q(DELETED_COLUMN)} = now() WHERE ${keyList} IN (${values}) AND ${q(DELETED_COLUMN)} IS NULL`);
          }
        }
      }
      await c.run(`CREATE TABLE IF NOT EXISTS ${sch}.${q(STATE_TABLE)} (stream VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, cursor VARCHAR, run_id VARCHAR NOT NULL, updated_at TIMESTAMPTZ NOT NULL)`);
      await c.run(`DELETE FROM ${sch}.${q(STATE_TABLE)} WHERE stream = ${lit(stream)}`);
      await c.run(`INSERT INTO ${sch}.${q(STATE_TABLE)} VALUES (${lit(stream)}, ${lit(table)}, ${cursor === null ? 'NULL' : lit(cursor)}, ${lit(runId)}, now())`);
      await c.run('COMMIT');
      return { rows };
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      fs.rmSync(this.path, { force: true });
    }
  }

  async abort(): Promise<void> {
    this.file.destroy();
    fs.rmSync(this.path, { force: true });
  }
}

class DuckDbWriter implements WarehouseWriter {
  private readonly conn: DuckDBConnection;
  constructor(
    private readonly handle: DuckDbHandle,
    private readonly tmpDir: string,
    private readonly catalog: string,
  ) {
    this.conn = handle.conn;
  }

  private sch(schema: string): string {
    return `${q(this.catalog)}.${q(schema)}`;
  }

  async ensureSchema(schema: string): Promise<void> {
    await this.conn.run(`CREATE SCHEMA IF NOT EXISTS ${this.sch(schema)}`);
  }

  async readState(schema: string, table: string, stream: string): Promise<string | null> {
    if (!(await existingColumns(this.conn, schema, table))) return null;
    if (!(await existingColumns(this.conn, schema, STATE_TABLE))) return null;
    const r = await this.conn.runAndReadAll(`SELECT cursor FROM ${this.sch(schema)}.${q(STATE_TABLE)} WHERE stream = $stream`, { stream });
    return (r.getRowObjects()[0]?.cursor as string | null | undefined) ?? null;
  }

  async cleanup(schema: string, keepRunIds: string[]): Promise<void> {
    const keep = keepRunIds.map((id) => `${STAGING_MARK}${id.replace(/-/g, '').slice(0, 12)}`);
    const r = await this.conn.runAndReadAll(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = $schema AND contains(table_name, $mark)`,
      { schema, mark: STAGING_MARK },
    );
    for (const { name } of r.getRowObjects() as { name: string }[]) {
      if (!keep.some((k) => name.endsWith(k))) await this.conn.run(`DROP TABLE IF EXISTS ${this.sch(schema)}.${q(name)}`);
    }
  }

  async begin(load: StreamLoad): Promise<StreamWriter> {
    const file = path.join(this.tmpDir, `${load.runId}-${crypto.randomBytes(4).toString('hex')}.csv`);
    return new DuckDbStreamWriter(this.conn, load, file, this.catalog);
  }

  async close(): Promise<void> {
    this.handle.close();
  }
}

export async function openDuckDbWriter(home: string, database: string): Promise<WarehouseWriter> {
  const tmpDir = path.join(home, 'tmp');
  await fs.promises.mkdir(tmpDir, { recursive: true });
  const handle = await openDuckDb(home, database);
  const catalog = String((await handle.conn.runAndReadAll('SELECT current_database() AS c')).getRowObjects()[0]?.c);
  return new DuckDbWriter(handle, tmpDir, catalog);
}
