import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import { writeChunk } from '../../lib/streams.js';
import { type PostgresConnection, connectPostgres, destroyClient, pgIdent as q } from '../../lib/postgres-client.js';
import { DELETED_COLUMN, DELETE_BATCH, STAGING_MARK, STATE_TABLE, stagingName, type DriverContext, type StreamLoad, type StreamWriter, type WarehouseWriter } from '../types.js';
import { postgresType } from './types.js';

const META = [
  { name: '_quarry_loaded_at', type: 'timestamptz' },
  { name: '_quarry_run_id', type: 'text' },
];

async function existingColumns(client: pg.Client, schema: string, table: string): Promise<{ name: string; type: string }[] | null> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [schema, table],
  );
  return rows.length ? rows : null;
}

function finish(stream: Writable & { rowCount?: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    stream.once('finish', () => resolve(stream.rowCount ?? 0));
    stream.once('error', reject);
    stream.end();
  });
}

class PostgresStreamWriter implements StreamWriter {
  private readonly deleted: unknown[][] = [];

  constructor(
    private readonly client: pg.Client,
    private readonly load: StreamLoad,
    private readonly staging: string,
    private readonly copy: Writable & { rowCount?: number },
    /** Every column the table will have, existing ones first (nothing is ever dropped). */
    private readonly columns: { name: string; type: string }[],
    private readonly existed: boolean,
  ) {}

  write(csv: Buffer): Promise<void> {
    return writeChunk(this.copy, csv);
  }

  markDeleted(keys: unknown[][]): void {
    this.deleted.push(...keys);
  }

  async commit(cursor: string | null): Promise<{ rows: number }> {
    const rows = await finish(this.copy);
    const { schema, table, primaryKey, mode, runId, stream } = this.load;
    const final = `${q(schema)}.${q(table)}`;
    const staged = `${q(schema)}.${q(this.staging)}`;
    const c = this.client;
    if (mode === 'full_refresh' && primaryKey.length) {
      try {
        await c.query(`ALTER TABLE ${staged} ADD PRIMARY KEY (${primaryKey.map(q).join(', ')})`);
      } catch (err) {
        await c.query(`DROP TABLE IF EXISTS ${staged}`).catch(() => undefined);
        throw err;
      }
    }
    await c.query('BEGIN');
    try {
      if (mode === 'full_refresh') {
        if (this.existed) {
          // A rename swap holds the lock for an instant; readers see the old table or the new
          // one. Views on the table would follow the old one, so with views we refill in place.
          const { rows: deps } = await c.query(
            `SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
              WHERE d.refobjid = $1::regclass AND r.ev_class <> $1::regclass LIMIT 1`,
            [`${final}`],
          );
          if (deps.length) {
            await c.query(`TRUNCATE ${final}`);
            await c.query(`INSERT INTO ${final} (${this.columns.map((x) => q(x.name)).join(', ')}) SELECT ${this.columns.map((x) => q(x.name)).join(', ')} FROM ${staged}`);
            await c.query(`DROP TABLE ${staged}`);
          } else {
            const old = stagingName(`${table}_old`, runId);
            await c.query(`ALTER TABLE ${final} RENAME TO ${q(old)}`);
            await c.query(`ALTER TABLE ${staged} RENAME TO ${q(table)}`);
            await c.query(`DROP TABLE ${q(schema)}.${q(old)}`);
          }
        } else {
          await c.query(`ALTER TABLE ${staged} RENAME TO ${q(table)}`);
        }
      } else {
        const sourceCols = this.load.columns.map((x) => q(x.name));
        const pk = primaryKey.map(q).join(', ');
        if (!this.existed) {
          await c.query(
            `CREATE TABLE ${final} (${this.columns.map((x) => `${q(x.name)} ${x.type}`).join(', ')}, PRIMARY KEY (${pk}))`,
          );
        } else {
          // the merge needs a unique index on the primary key; an earlier full refresh of a
          // stream without one created the table without it
          const idx = `${table.slice(0, 50)}_quarry_pk`;
          await c.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${q(idx)} ON ${final} (${pk})`);
          for (const col of this.columns.filter((x) => x.name !== '_quarry_loaded_at' && x.name !== '_quarry_run_id')) {
            await c.query(`ALTER TABLE ${final} ADD COLUMN IF NOT EXISTS ${q(col.name)} ${col.type}`);
          }
        }
        // a row seen again at the source is live again
        const revive = this.columns.some((x) => x.name === DELETED_COLUMN) ? `, ${q(DELETED_COLUMN)} = NULL` : '';
        const set = [...sourceCols.filter((x) => !primaryKey.map(q).includes(x)), q('_quarry_loaded_at'), q('_quarry_run_id')].map((x) => `${x} = EXCLUDED.${x}`).join(', ') + revive;
        await c.query(
          `INSERT INTO ${final} (${sourceCols.join(', ')}, "_quarry_loaded_at", "_quarry_run_id")
           SELECT DISTINCT ON (${pk}) ${sourceCols.join(', ')}, now(), $1 FROM ${staged} ORDER BY ${pk}, ctid DESC
           ON CONFLICT (${pk}) DO UPDATE SET ${set}`,
          [runId],
        );
        await c.query(`DROP TABLE ${staged}`);
        if (this.deleted.length) {
          await c.query(`ALTER TABLE ${final} ADD COLUMN IF NOT EXISTS ${q(DELETED_COLUMN)} timestamptz`);
          const keyList = `(${primaryKey.map((k) => `${q(k)}::text`).join(', ')})`;
          for (let i = 0; i < this.deleted.length; i += DELETE_BATCH) {
            const batch = this.deleted.slice(i, i + DELETE_BATCH);
            const values = batch.map((_, r) => `(${primaryKey.map((_k, j) => `$${r * primaryKey.length + j + 1}`).join(', ')})`).join(', ');
            await c.query(`UPDATE ${final} SET ${q(DELETED_COLUMN)} = now() WHERE ${keyList} IN (${values}) AND ${q(DELETED_COLUMN)} IS NULL`, batch.flat().map((v) => String(v)));
          }
        }
      }
      await c.query(`CREATE TABLE IF NOT EXISTS ${q(schema)}.${q(STATE_TABLE)} (stream text PRIMARY KEY, table_name text NOT NULL, cursor text, run_id text NOT NULL, updated_at timestamptz NOT NULL)`);
      await c.query(
        `INSERT INTO ${q(schema)}.${q(STATE_TABLE)} (stream, table_name, cursor, run_id, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (stream) DO UPDATE SET table_name = EXCLUDED.table_name, cursor = EXCLUDED.cursor, run_id = EXCLUDED.run_id, updated_at = now()`,
        [stream, table, cursor, runId],
      );
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      await c.query(`DROP TABLE IF EXISTS ${staged}`).catch(() => undefined);
      throw err;
    }
    return { rows };
  }

  async abort(): Promise<void> {
    if (!this.copy.writableFinished) {
      // ends the COPY with CopyFail: the server discards what it received
      await new Promise<void>((resolve) => {
        this.copy.once('error', () => resolve());
        this.copy.once('close', () => resolve());
        this.copy.destroy(new Error('load cancelled'));
      });
    }
    // best effort: if the connection is gone, the next run's cleanup drops the table
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.query(`DROP TABLE IF EXISTS ${q(this.load.schema)}.${q(this.staging)}`).catch(() => undefined);
  }
}

class PostgresWriter implements WarehouseWriter {
  constructor(private readonly client: pg.Client) {}

  async ensureSchema(schema: string): Promise<void> {
    await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
  }

  async readState(schema: string, table: string, stream: string): Promise<string | null> {
    if (!(await existingColumns(this.client, schema, table))) return null; // table gone: start over
    const state = await this.client
      .query<{ cursor: string | null }>(`SELECT cursor FROM ${q(schema)}.${q(STATE_TABLE)} WHERE stream = $1`, [stream])
      .catch((err: { code?: string }) => {
        if (err.code === '42P01') return { rows: [] as { cursor: string | null }[] }; // no state table yet
        throw err;
      });
    return state.rows[0]?.cursor ?? null;
  }

  async cleanup(schema: string, keepRunIds: string[]): Promise<void> {
    const keep = keepRunIds.map((id) => `${STAGING_MARK}${id.replace(/-/g, '').slice(0, 12)}`);
    const { rows } = await this.client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND position($2 in c.relname) > 0`,
      [schema, STAGING_MARK],
    );
    for (const { name } of rows) {
      if (!keep.some((k) => name.endsWith(k))) await this.client.query(`DROP TABLE IF EXISTS ${q(schema)}.${q(name)}`);
    }
  }

  async begin(load: StreamLoad): Promise<StreamWriter> {
    const existing = await existingColumns(this.client, load.schema, load.table);
    const known = new Set(existing?.map((c) => c.name));
    const added = load.columns.filter((c) => !known.has(c.name)).map((c) => ({ name: c.name, type: postgresType(c) }));
    const columns = existing ? [...existing, ...added] : [...added, ...META];
    const staging = stagingName(load.table, load.runId);
    const staged = `${q(load.schema)}.${q(staging)}`;
    await this.client.query(`DROP TABLE IF EXISTS ${staged}`);
    if (load.mode === 'full_refresh') {
      // the staging table becomes the table: every column it will have, the metadata filled in
      const defs = columns.map((c) =>
        c.name === '_quarry_loaded_at' ? `${q(c.name)} ${c.type} DEFAULT now()` : c.name === '_quarry_run_id' ? `${q(c.name)} ${c.type} DEFAULT ${this.client.escapeLiteral(load.runId)}` : `${q(c.name)} ${c.type}`,
      );
      // the primary key is added after the load: one sorted index build beats an insert per row
      await this.client.query(`CREATE TABLE ${staged} (${defs.join(', ')})`);
    } else {
      // incremental: staged rows are merged into the table and dropped; no WAL needed
      await this.client.query(`CREATE UNLOGGED TABLE ${staged} (${load.columns.map((c) => `${q(c.name)} ${existing?.find((e) => e.name === c.name)?.type ?? postgresType(c)}`).join(', ')})`);
    }
    const copy = this.client.query(copyFrom(`COPY ${staged} (${load.columns.map((c) => q(c.name)).join(', ')}) FROM STDIN WITH (FORMAT csv)`));
    return new PostgresStreamWriter(this.client, load, staging, copy, columns, existing !== null);
  }

  async close(): Promise<void> {
    destroyClient(this.client);
  }
}

export async function openPostgresWriter(config: PostgresConnection, ctx: DriverContext): Promise<WarehouseWriter> {
  const client = await connectPostgres(config, ctx, 'quarry-writer');
  await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'`);
  return new PostgresWriter(client);
}
