import type { Readable } from 'node:stream';
import { CsvBuffer, csvQuote } from '../../engine/csv.js';
import { StepError } from '../../warehouses/types.js';
import { type Column, type Connector, type LogicalType, type ReadEvent, type StreamSchema, cursorCandidates } from '../types.js';
import { type Conn, type MysqlConnection, connectMysql, destroyConnection, run } from './client.js';
import { cursorParameter, decimalShape, fieldText, isZeroDate, logicalType, maxCursorExpression, mysqlIdent, selectExpression } from './types.js';

type Config = MysqlConnection;

/** A `csv` event is emitted at this many rows or bytes of CSV, whichever comes first. */
export const BATCH_ROWS = 5000;
export const BATCH_BYTES = 2 * 1024 * 1024;

function withDefaults(raw: Record<string, unknown>): Config {
  const c = raw as unknown as Config;
  return { ...c, port: c.port ?? 3306, sslmode: c.sslmode ?? 'prefer' };
}

const TABLE_TYPES = `('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')`;

/** Columns whose MariaDB JSON (a LONGTEXT with a json_valid check) shows only in the check. */
async function jsonColumns(conn: Conn, signal: AbortSignal, database: string): Promise<Set<string>> {
  try {
    const rows = await run<[string, string]>(
      conn,
      signal,
      `SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND CHECK_CLAUSE LIKE 'json\\_valid(%'`,
      [database],
    );
    const found = new Set<string>();
    for (const [table, clause] of rows) {
      const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(clause.trim());
      if (m) found.add(`${table}\0${m[1]!.replace(/``/g, '`')}`);
    }
    return found;
  } catch (err) {
    if (signal.aborted) throw err;
    return new Set(); // MySQL (a real JSON type; no TABLE_NAME here) and old servers (no such table)
  }
}

async function discover(conn: Conn, signal: AbortSignal, database: string, table?: string): Promise<StreamSchema[]> {
  const only = table === undefined ? '' : ' AND c.TABLE_NAME = ?';
  const params = table === undefined ? [database] : [database, table];
  const rows = await run<[string, string, string, string, string, number | string | null, number | string | null]>(
    conn,
    signal,
    `SELECT c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE, c.NUMERIC_PRECISION, c.NUMERIC_SCALE
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA = ? AND t.TABLE_TYPE IN ${TABLE_TYPES}${only}
      ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    params,
  );
  const pkRows = await run<[string, string]>(
    conn,
    signal,
    `SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.STATISTICS c
      WHERE c.TABLE_SCHEMA = ? AND c.INDEX_NAME = 'PRIMARY'${only}
      ORDER BY c.TABLE_NAME, c.SEQ_IN_INDEX`,
    params,
  );
  const json = await jsonColumns(conn, signal, database);
  const pkOf = new Map<string, string[]>();
  for (const [t, column] of pkRows) pkOf.set(t, [...(pkOf.get(t) ?? []), column]);

  const tables = new Map<string, Column[]>();
  for (const [t, name, dataType, columnType, nullable, precision, scale] of rows) {
    if (!tables.has(t)) tables.set(t, []);
    const mysqlType = { dataType: json.has(`${t}\0${name}`) && /text$/i.test(dataType) ? 'json' : dataType, columnType };
    const type = logicalType(mysqlType);
    const shape = type === 'decimal' ? decimalShape(mysqlType, precision === null ? null : Number(precision), scale === null ? null : Number(scale)) : null;
    tables.get(t)!.push({ name, type, nullable: nullable === 'YES', sourceType: columnType, ...(shape ?? {}) });
  }
  return [...tables].map(([name, columns]) => {
    const primaryKey = pkOf.get(name) ?? [];
    const { candidates, preferred } = cursorCandidates(columns);
    return {
      name,
      columns,
      primaryKey,
      cursorField: preferred,
      cursorCandidates: candidates,
      syncModes: primaryKey.length && candidates.length ? ['full_refresh', 'incremental'] : ['full_refresh'],
    };
  });
}

/** The types whose text never needs CSV quoting: digits, dates, `t`/`f`, `\x` hex. */
const BARE: ReadonlySet<LogicalType> = new Set(['boolean', 'integer', 'decimal', 'number', 'date', 'timestamp', 'timestamptz', 'binary']);

/** Encodes rows as CSV lines (engine/csv.ts conventions) into bounded chunks. */
class CsvBatcher {
  private readonly out = new CsvBuffer(BATCH_BYTES + 256 * 1024);
  private readonly fields: ((value: unknown) => string)[];

  constructor(columns: Column[]) {
    this.fields = columns.map((c) => {
      const text = fieldText(c.type);
      return BARE.has(c.type) ? (v) => text(v) ?? '' : (v) => {
        const t = text(v);
        return t === null ? '' : csvQuote(t);
      };
    });
  }

  /** Adds a row; returns true when the batch is full. */
  add(row: unknown[]): boolean {
    const fields = this.fields;
    let line = fields[0]!(row[0]);
    for (let i = 1; i < fields.length; i++) line += ',' + fields[i]!(row[i]);
    this.out.push(line);
    return this.out.lines >= BATCH_ROWS || this.out.size >= BATCH_BYTES;
  }

  take(): Buffer | null {
    return this.out.take();
  }
}

/**
 * The rows of an object stream in CSV batches. Rows are pulled with `read()` as long as the
 * stream has them, and the generator yields once per batch: one await per batch, not per row
 * (a `for await` over the rows spent an eighth of the read in promise machinery).
 */
async function* csvBatches(rows: Readable, batch: CsvBatcher): AsyncGenerator<Buffer> {
  // listening for errors from the start (and after: see finally): a stream destroyed while a
  // batch is being written (cancel, lost connection) must fail this read, not the process
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const onError = (err: Error) => {
    failure ??= err;
    wake?.();
  };
  const onEvent = () => wake?.();
  rows.on('error', onError).on('readable', onEvent).on('end', onEvent).on('close', onEvent);
  try {
    for (;;) {
      let row: unknown[] | null;
      while (failure === undefined && (row = rows.read() as unknown[] | null) !== null) {
        if (batch.add(row)) yield batch.take()!;
      }
      // destroy(err) marks the stream errored at once and emits 'error' a tick later
      const err = failure ?? rows.errored;
      if (err) throw err;
      if (rows.readableEnded || rows.destroyed) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    // the error listener stays: an 'error' still to be emitted must find one
    rows.off('readable', onEvent).off('end', onEvent).off('close', onEvent);
  }
  const rest = batch.take();
  if (rest) yield rest;
}

export const connector: Connector = {
  async check(raw, ctx) {
    const config = withDefaults(raw);
    const conn = await connectMysql(config, ctx);
    try {
      const [row] = await run<[string, string, number | string]>(
        conn,
        ctx.signal,
        `SELECT VERSION(), CURRENT_USER(), (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ${TABLE_TYPES})`,
        [config.database],
      );
      const [version, user, tables] = row!;
      const server = /mariadb/i.test(version) ? 'MariaDB' : 'MySQL';
      return `connected to ${config.database} as ${user} (${server} ${version.replace(/-.*$/, '')}); ${Number(tables)} readable table(s)`;
    } finally {
      destroyConnection(conn);
    }
  },

  async discover(raw, ctx) {
    const config = withDefaults(raw);
    const conn = await connectMysql(config, ctx);
    try {
      return await discover(conn, ctx.signal, config.database);
    } finally {
      destroyConnection(conn);
    }
  },

  async *read(raw, options, ctx): AsyncGenerator<ReadEvent> {
    const config = withDefaults(raw);
    const table = options.stream.name;
    const from = `${mysqlIdent(config.database)}.${mysqlIdent(table)}`;
    const conn = await connectMysql(config, ctx);
    try {
      // One snapshot for the data and its cursor: a row committed meanwhile is in neither.
      // (InnoDB only: other engines have no snapshots.)
      await run(conn, ctx.signal, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await run(conn, ctx.signal, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const live = (await discover(conn, ctx.signal, config.database, table)).find((s) => s.name === table);
      if (!live) throw new StepError(`table ${from} no longer exists or is not readable`);
      const byName = new Map(live.columns.map((c) => [c.name, c]));
      const columns = options.stream.columns.map((c) => {
        const found = byName.get(c.name);
        if (!found) throw new StepError(`column ${mysqlIdent(c.name)} of ${from} no longer exists`);
        // the type the engine was told (and the warehouse table has) decides the encoding
        return { ...found, type: c.type };
      });

      let where = '';
      const params: unknown[] = [];
      let cursor: string | null = null;
      if (options.mode === 'incremental' && options.cursorField) {
        const cur = byName.get(options.cursorField);
        if (!cur) throw new StepError(`cursor column ${mysqlIdent(options.cursorField)} no longer exists`);
        // `>=`, not `>`: rows sharing the last cursor value are read again and merged on the
        // primary key, so none is skipped however many share it.
        if (options.cursor !== null) {
          where = ` WHERE ${mysqlIdent(cur.name)} >= ${cursorParameter(cur)}`;
          params.push(options.cursor);
        }
        const [max] = await run<[string | null]>(conn, ctx.signal, `SELECT ${maxCursorExpression(cur)} FROM ${from}${where}`, params);
        const value = max?.[0] ?? null;
        cursor = value !== null && !isZeroDate(value) ? value : options.cursor;
      }

      const select = columns.map((c) => selectExpression(c)).join(', ');
      const query = conn.query({ sql: `SELECT ${select} FROM ${from}${where}`, values: params, rowsAsArray: true });
      // mysql2 pauses the socket when this buffer is full: the read goes at the writer's pace.
      const rows: Readable = query.stream({ highWaterMark: 256 });
      const abort = () => rows.destroy(new Error('cancelled'));
      // mysql2 reports a lost connection to the connection only, not to a streaming query
      const lost = (err: Error) => rows.destroy(err);
      ctx.signal.addEventListener('abort', abort, { once: true });
      conn.on('error', lost);
      try {
        for await (const data of csvBatches(rows, new CsvBatcher(columns))) yield { type: 'csv', data };
      } finally {
        ctx.signal.removeEventListener('abort', abort);
        conn.off('error', lost);
        if (!rows.destroyed) rows.destroy();
      }
      await run(conn, ctx.signal, 'COMMIT');
      if (options.mode === 'incremental') yield { type: 'state', cursor };
    } finally {
      destroyConnection(conn);
    }
  },
};
