/**
 * Snowflake JSON result format for the fake: column metadata (rowtype), DuckDB value ->
 * Snowflake wire string conversion, and DuckDB error -> Snowflake error mapping.
 */
import { DuckDBTypeId, ResultReturnType, type DuckDBResultReader, type DuckDBType } from '@duckdb/node-api';
import { SfError } from './sql.js';

export interface SfColumn {
  name: string;
  database: string;
  schema: string;
  table: string;
  type: string;
  nullable: boolean;
  precision: number | null;
  scale: number | null;
  length: number | null;
  byteLength: number | null;
  collation: string | null;
}

export type SfCell = string | null;

export interface SfResult {
  rowtype: SfColumn[];
  rowset: SfCell[][];
  /** Snowflake statement type id; the SDK derives getNumUpdatedRows() from it. */
  statementTypeId: number;
}

export const STATEMENT_TYPE = {
  SELECT: 0x1000,
  INSERT: 0x3100,
  UPDATE: 0x3200,
  DELETE: 0x3300,
  MERGE: 0x3400,
  SHOW: 0x4000,
  DESCRIBE: 0x4100,
  USE: 0x5000,
  DDL: 0x6000,
} as const;

const MAX_TEXT = 16777216;
const MAX_BINARY = 8388608;

export function column(name: string, type: string, extra: Partial<SfColumn> = {}): SfColumn {
  const base: SfColumn = {
    name,
    database: '',
    schema: '',
    table: '',
    type,
    nullable: true,
    precision: null,
    scale: null,
    length: null,
    byteLength: null,
    collation: null,
  };
  if (type === 'text') Object.assign(base, { length: MAX_TEXT, byteLength: MAX_TEXT });
  if (type === 'binary') Object.assign(base, { length: MAX_BINARY, byteLength: MAX_BINARY });
  if (type === 'fixed') Object.assign(base, { precision: 38, scale: 0 });
  if (type === 'time' || type.startsWith('timestamp')) Object.assign(base, { precision: 0, scale: 9 });
  return { ...base, ...extra };
}

export function statusResult(message: string, statementTypeId: number = STATEMENT_TYPE.DDL): SfResult {
  return { rowtype: [column('status', 'text', { nullable: false })], rowset: [[message]], statementTypeId };
}

export const SUCCESS_STATUS = 'Statement executed successfully.';

export function dmlResult(kind: 'insert' | 'update' | 'delete' | 'merge', count: number): SfResult {
  const n = String(count);
  const fixed = (name: string): SfColumn => column(name, 'fixed', { nullable: false, precision: 19 });
  switch (kind) {
    case 'insert':
      return { rowtype: [fixed('number of rows inserted')], rowset: [[n]], statementTypeId: STATEMENT_TYPE.INSERT };
    case 'update':
      return {
        rowtype: [fixed('number of rows updated'), fixed('number of multi-joined rows updated')],
        rowset: [[n, '0']],
        statementTypeId: STATEMENT_TYPE.UPDATE,
      };
    case 'delete':
      return { rowtype: [fixed('number of rows deleted')], rowset: [[n]], statementTypeId: STATEMENT_TYPE.DELETE };
    case 'merge':
      return {
        rowtype: [fixed('number of rows inserted'), fixed('number of rows updated'), fixed('number of rows deleted')],
        rowset: [[n, '0', '0']],
        statementTypeId: STATEMENT_TYPE.MERGE,
      };
  }
}

/** Builds a result from plain values (for SHOW/DESCRIBE, which the fake answers itself). */
export function tableResult(columns: SfColumn[], rows: (string | number | boolean | null)[][], statementTypeId: number): SfResult {
  return {
    rowtype: columns,
    rowset: rows.map((r) => r.map((v) => (v === null ? null : typeof v === 'boolean' ? (v ? '1' : '0') : String(v)))),
    statementTypeId,
  };
}

function scaledToString(value: bigint, scale: number): string {
  const neg = value < 0n;
  const digits = (neg ? -value : value).toString();
  if (scale <= 0) return (neg ? '-' : '') + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** Snowflake sends times and timestamps as (epoch) seconds with a 9-digit fraction. */
const nanosToSeconds = (nanos: bigint): string => scaledToString(nanos, 9);

function columnFor(name: string, t: DuckDBType): SfColumn {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return column(name, 'boolean');
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.INTEGER_LITERAL:
      return column(name, 'fixed');
    case DuckDBTypeId.DECIMAL: {
      const d = t as unknown as { width: number; scale: number };
      return column(name, 'fixed', { precision: d.width, scale: d.scale });
    }
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return column(name, 'real');
    case DuckDBTypeId.DATE:
      return column(name, 'date');
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
    case DuckDBTypeId.TIME_TZ:
      return column(name, 'time');
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return column(name, 'timestamp_ntz');
    case DuckDBTypeId.TIMESTAMP_TZ:
      // An instant: Snowflake's closest match is TIMESTAMP_LTZ.
      return column(name, 'timestamp_ltz');
    case DuckDBTypeId.BLOB:
      return column(name, 'binary');
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return column(name, 'array');
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
      return column(name, 'object');
    case DuckDBTypeId.VARCHAR:
      return t.alias === 'JSON' ? column(name, 'variant') : column(name, 'text');
    default:
      return column(name, 'text');
  }
}

function cellFor(typeId: DuckDBTypeId, v: unknown, json: unknown): SfCell {
  if (v === null || v === undefined) return null;
  const o = v as Record<string, unknown>;
  switch (typeId) {
    case DuckDBTypeId.BOOLEAN:
      return v ? '1' : '0';
    case DuckDBTypeId.DECIMAL:
      return scaledToString(o.value as bigint, o.scale as number);
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE: {
      const n = v as number;
      return Number.isNaN(n) ? 'NaN' : String(n);
    }
    case DuckDBTypeId.DATE:
      return String(o.days as number);
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_TZ:
      return nanosToSeconds((o.micros as bigint) * 1000n);
    case DuckDBTypeId.TIME_NS:
      return nanosToSeconds(o.nanos as bigint);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return nanosToSeconds((o.micros as bigint) * 1000n);
    case DuckDBTypeId.TIMESTAMP_S:
      return nanosToSeconds((o.seconds as bigint) * 1_000_000_000n);
    case DuckDBTypeId.TIMESTAMP_MS:
      return nanosToSeconds((o.millis as bigint) * 1_000_000n);
    case DuckDBTypeId.TIMESTAMP_NS:
      return nanosToSeconds(o.nanos as bigint);
    case DuckDBTypeId.BLOB:
      return Buffer.from(o.bytes as Uint8Array).toString('hex').toUpperCase();
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
      return JSON.stringify(json);
    default:
      return typeof v === 'string' ? v : String(v);
  }
}

const NESTED = new Set([DuckDBTypeId.LIST, DuckDBTypeId.ARRAY, DuckDBTypeId.STRUCT, DuckDBTypeId.MAP]);

/** Converts a query result read from DuckDB into Snowflake's rowtype/rowset. */
export function fromDuckDb(reader: DuckDBResultReader): SfResult {
  const types = reader.columnTypes();
  // Unaliased expressions: Snowflake names them by their upper-cased text, DuckDB in lower case.
  const names = reader.columnNames().map((n) => (n === 'count_star()' ? 'COUNT(*)' : n.includes('(') ? n.toUpperCase() : n));
  const rows = reader.getRows();
  const jsonRows = types.some((t) => NESTED.has(t.typeId)) ? reader.getRowsJson() : null;
  return {
    rowtype: names.map((n, i) => columnFor(n, types[i] as DuckDBType)),
    rowset: rows.map((r, ri) => r.map((v, ci) => cellFor((types[ci] as DuckDBType).typeId, v, jsonRows?.[ri]?.[ci] ?? null))),
    statementTypeId: STATEMENT_TYPE.SELECT,
  };
}

export const returnsRows = (reader: DuckDBResultReader): boolean => reader.returnType === ResultReturnType.QUERY_RESULT;

/** Maps a DuckDB error onto the Snowflake error a similar mistake would produce. */
export interface Qualifier {
  /** Full DB.SCHEMA.NAME for a table name DuckDB reports unqualified. */
  table(name: string): string;
  /** Full DB.SCHEMA for a schema name. */
  schema(name: string): string;
}

export function fromDuckDbError(err: unknown, qualify: Qualifier): SfError {
  if (err instanceof SfError) return err;
  const full = err instanceof Error ? err.message : String(err);
  const line = (full.split('\n')[0] ?? full).trim();
  let m: RegExpExecArray | null;
  if ((m = /^Catalog Error: (?:Table|View|Table Function) with name "?([^"!]+?)"? does not exist/.exec(line))) {
    return new SfError('002003', '42S02', `SQL compilation error:\nObject '${qualify.table(m[1] ?? '')}' does not exist or not authorized.`);
  }
  if ((m = /^Catalog Error: Schema with name "?([^"!]+?)"? does not exist/.exec(line))) {
    return new SfError('002003', '02000', `SQL compilation error:\nSchema '${qualify.schema(m[1] ?? '')}' does not exist or not authorized.`);
  }
  if ((m = /^[A-Za-z ]+ Error: Catalog (?:with name )?"?([^"!]+?)"? does not exist/.exec(line))) {
    return new SfError('002003', '02000', `SQL compilation error:\nDatabase '${m[1] ?? ''}' does not exist or not authorized.`);
  }
  if ((m = /^Catalog Error: .* with name "?([^"!]+?)"? already exists/.exec(line))) {
    return new SfError('002002', '42710', `SQL compilation error:\nObject '${m[1] ?? ''}' already exists.`);
  }
  if ((m = /^Binder Error: Referenced column "?([^"!]+?)"? not found/.exec(line))) {
    return new SfError('000904', '42000', `SQL compilation error: error line 1 at position 0\ninvalid identifier '${m[1] ?? ''}'`);
  }
  if ((m = /^Parser Error: syntax error at or near "(.*)"/.exec(line))) {
    return new SfError('001003', '42000', `SQL compilation error:\nsyntax error line 1 at position 0 unexpected '${m[1] ?? ''}'.`);
  }
  if (/^Constraint Error: NOT NULL constraint failed/.test(line)) {
    return new SfError('100072', '22000', 'NULL result in a non-nullable column');
  }
  if (/^Constraint Error: /.test(line)) {
    return new SfError('100116', '22000', line.replace(/^Constraint Error: /, ''));
  }
  if ((m = /^Conversion Error: Could not convert string '([^']*)'/.exec(line))) {
    return new SfError('100038', '22018', `Numeric value '${m[1] ?? ''}' is not recognized`);
  }
  if (/^(Conversion|Invalid Input|Out of Range) Error: /.test(line)) {
    return new SfError('100038', '22018', line.replace(/^[A-Za-z ]+ Error: /, ''));
  }
  if (/^(Parser|Binder|Catalog|Not implemented) Error: /.test(line)) {
    return new SfError('001003', '42000', `SQL compilation error:\n${line.replace(/^[A-Za-z ]+ Error: /, '')}`);
  }
  return new SfError('100000', '22000', line.replace(/^[A-Za-z ]+ Error: /, ''));
}
