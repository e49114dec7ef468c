/**
 * Conversions between DuckDB values/types and BigQuery's REST encodings: result schemas, the
 * `{ f: [{ v }] }` row format (every scalar a string), and insertAll JSON rows to SQL literals.
 */
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { type BqField, duckTypeForField, quoteIdent, sqlString } from './sql.js';

/** How TIMESTAMP cells are rendered (formatOptions of the request). */
export type TimestampFormat = 'int64' | 'float' | 'iso';

type DuckModule = typeof import('@duckdb/node-api');

/** Result schema field for a DuckDB column type, in the legacy type names the REST API uses. */
export function fieldForDuckType(duck: DuckModule, name: string, type: DuckDBType): BqField {
  const T = duck.DuckDBTypeId;
  switch (type.typeId) {
    case T.LIST:
    case T.ARRAY: {
      const inner = fieldForDuckType(duck, name, type.valueType);
      // BigQuery has no arrays of arrays; an inner array degrades to its text form.
      if (inner.mode === 'REPEATED') return { name, type: 'STRING', mode: 'REPEATED' };
      return { ...inner, mode: 'REPEATED' };
    }
    case T.STRUCT:
      return {
        name,
        type: 'RECORD',
        mode: 'NULLABLE',
        fields: type.entryNames.map((n, i) => fieldForDuckType(duck, n, type.entryTypes[i] as DuckDBType)),
      };
    default:
      return { name, type: scalarBqType(duck, type), mode: 'NULLABLE' };
  }
}

function scalarBqType(duck: DuckModule, type: DuckDBType): string {
  const T = duck.DuckDBTypeId;
  switch (type.typeId) {
    case T.BOOLEAN:
      return 'BOOLEAN';
    case T.TINYINT:
    case T.SMALLINT:
    case T.INTEGER:
    case T.BIGINT:
    case T.UTINYINT:
    case T.USMALLINT:
    case T.UINTEGER:
    case T.UBIGINT:
    case T.HUGEINT:
    case T.UHUGEINT:
    case T.SQLNULL: // SELECT NULL is INT64 in BigQuery
      return 'INTEGER';
    case T.FLOAT:
    case T.DOUBLE:
      return 'FLOAT';
    case T.DECIMAL:
      return 'NUMERIC';
    case T.BLOB:
      return 'BYTES';
    case T.DATE:
      return 'DATE';
    case T.TIME:
      return 'TIME';
    case T.TIMESTAMP:
    case T.TIMESTAMP_S:
    case T.TIMESTAMP_MS:
    case T.TIMESTAMP_NS:
      return 'DATETIME';
    case T.TIMESTAMP_TZ:
      return 'TIMESTAMP';
    case T.INTERVAL:
      return 'INTERVAL';
    case T.VARCHAR:
      return type.alias === 'JSON' ? 'JSON' : 'STRING';
    default:
      return 'STRING';
  }
}

function splitMicros(micros: bigint): { date: string; time: string; frac: string; rem: bigint } {
  let secs = micros / 1_000_000n;
  let rem = micros % 1_000_000n;
  if (rem < 0n) {
    secs -= 1n;
    rem += 1_000_000n;
  }
  const iso = new Date(Number(secs) * 1000).toISOString();
  return {
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    frac: rem === 0n ? '' : '.' + rem.toString().padStart(6, '0'),
    rem,
  };
}

function timeOfDay(micros: bigint): string {
  const totalSecs = micros / 1_000_000n;
  const rem = micros % 1_000_000n;
  const h = totalSecs / 3600n;
  const m = (totalSecs / 60n) % 60n;
  const s = totalSecs % 60n;
  const pad = (x: bigint): string => x.toString().padStart(2, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${rem === 0n ? '' : '.' + rem.toString().padStart(6, '0')}`;
}

function microsOf(v: object): bigint | undefined {
  const o = v as { micros?: unknown; millis?: unknown; seconds?: unknown; nanos?: unknown };
  if (typeof o.micros === 'bigint') return o.micros;
  if (typeof o.millis === 'bigint') return o.millis * 1000n;
  if (typeof o.seconds === 'bigint') return o.seconds * 1_000_000n;
  if (typeof o.nanos === 'bigint') return o.nanos / 1000n;
  return undefined;
}

function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function itemsOf(v: DuckDBValue): readonly DuckDBValue[] {
  const items = (v as { items?: readonly DuckDBValue[] } | null)?.items;
  return items ?? [];
}

/** The `v` of one cell. */
export function cellValue(field: BqField, v: DuckDBValue, ts: TimestampFormat): unknown {
  if (v === null || v === undefined) return null;
  if (field.mode === 'REPEATED') {
    const single: BqField = { ...field, mode: 'NULLABLE' };
    return itemsOf(v).map((item) => ({ v: cellValue(single, item, ts) }));
  }
  const type = field.type.toUpperCase();
  if (type === 'RECORD' || type === 'STRUCT') {
    const entries = (v as { entries?: Record<string, DuckDBValue> }).entries ?? {};
    const lower = new Map(Object.keys(entries).map((k) => [k.toLowerCase(), k]));
    return {
      f: (field.fields ?? []).map((sf) => {
        const key = sf.name in entries ? sf.name : lower.get(sf.name.toLowerCase());
        return { v: cellValue(sf, key === undefined ? null : (entries[key] ?? null), ts) };
      }),
    };
  }
  if (typeof v === 'object') {
    if (type === 'BYTES' && 'bytes' in v && v.bytes instanceof Uint8Array) return Buffer.from(v.bytes).toString('base64');
    const micros = microsOf(v);
    if (micros !== undefined && type === 'TIME') return timeOfDay(micros);
    if (micros !== undefined && (type === 'DATETIME' || type === 'TIMESTAMP')) {
      const p = splitMicros(micros);
      if (type === 'DATETIME') return `${p.date}T${p.time}${p.frac}`;
      if (ts === 'int64') return micros.toString();
      if (ts === 'iso') return `${p.date}T${p.time}.${p.rem.toString().padStart(6, '0')}Z`;
      return String(Number(micros) / 1e6);
    }
    if (type === 'NUMERIC' || type === 'BIGNUMERIC') return trimDecimal(String(v));
    return String(v);
  }
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    return String(v);
  }
  return String(v);
}

export function formatRow(fields: BqField[], row: readonly DuckDBValue[], ts: TimestampFormat): { f: { v: unknown }[] } {
  return { f: fields.map((f, i) => ({ v: cellValue(f, row[i] ?? null, ts) })) };
}

// ---------------------------------------------------------------------------------------------
// insertAll

/** A per-row insertAll problem (reported in insertErrors, not as an HTTP error). */
export class RowError extends Error {
  constructor(
    message: string,
    readonly location: string,
    readonly reason = 'invalid',
  ) {
    super(message);
  }
}

const DATE_RE = /^\d{4}-\d{1,2}-\d{1,2}$/;
const TIME_RE = /^\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const DATETIME_RE = /^\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;
const TIMESTAMP_RE = /^\d{4}[-/]\d{1,2}[-/]\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?\s*(Z|UTC|[+-]\d{1,2}(:?\d{2})?)?$/i;

/** SQL expression for one insertAll JSON value of a field. */
export function jsonToSql(f: BqField, v: unknown, ignoreUnknown: boolean, path = f.name): string {
  const mode = (f.mode ?? 'NULLABLE').toUpperCase();
  const duckType = duckTypeForField(f);
  if (mode === 'REPEATED') {
    if (v === null || v === undefined) return `CAST([] AS ${duckType})`;
    if (!Array.isArray(v)) throw new RowError(`Array specified for non-repeated field: ${path}.`, path);
    const single: BqField = { ...f, mode: 'REQUIRED' };
    return `CAST([${v.map((x) => jsonToSql(single, x, ignoreUnknown, path)).join(', ')}] AS ${duckType})`;
  }
  if (v === null || v === undefined) {
    if (mode === 'REQUIRED') throw new RowError(`Missing required field: ${path}.`, path);
    return `CAST(NULL AS ${duckType})`;
  }
  const type = f.type.toUpperCase();
  const bad = (what: string): RowError => new RowError(`Cannot convert value to ${what} (bad value): ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`, path);
  const cast = (s: string): string => `CAST(${sqlString(s)} AS ${duckType})`;
  if (Array.isArray(v)) throw new RowError(`Array specified for non-repeated field: ${path}.`, path);
  switch (type) {
    case 'RECORD':
    case 'STRUCT': {
      if (typeof v !== 'object') throw new RowError(`This field: ${path} is not a record.`, path);
      const obj = v as Record<string, unknown>;
      const subs = f.fields ?? [];
      if (!ignoreUnknown) {
        const known = new Set(subs.map((s) => s.name.toLowerCase()));
        const extra = Object.keys(obj).find((k) => !known.has(k.toLowerCase()));
        if (extra !== undefined) throw new RowError(`no such field: ${path}.${extra}.`, `${path}.${extra}`);
      }
      const entries = subs.map((s) => {
        const key = Object.keys(obj).find((k) => k.toLowerCase() === s.name.toLowerCase());
        return `${quoteIdent(s.name)} := ${jsonToSql(s, key === undefined ? undefined : obj[key], ignoreUnknown, `${path}.${s.name}`)}`;
      });
      return `CAST(struct_pack(${entries.join(', ')}) AS ${duckType})`;
    }
    case 'INTEGER':
    case 'INT64':
      if ((typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim()))) return cast(String(v).trim());
      throw bad('integer');
    case 'FLOAT':
    case 'FLOAT64':
      if (typeof v === 'number' || (typeof v === 'string' && (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) || /^[+-]?(NaN|Infinity|inf)$/i.test(v.trim())))) {
        return cast(String(v).trim());
      }
      throw bad('double');
    case 'NUMERIC':
    case 'BIGNUMERIC':
      if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()))) return cast(String(v).trim());
      throw bad('numeric');
    case 'BOOLEAN':
    case 'BOOL':
      if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
      if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true' ? 'TRUE' : 'FALSE';
      if (v === 0 || v === 1) return v === 1 ? 'TRUE' : 'FALSE';
      throw bad('boolean');
    case 'STRING':
    case 'GEOGRAPHY':
      if (typeof v === 'object') throw new RowError(`This field: ${path} is not a record.`, path);
      return cast(String(v));
    case 'BYTES':
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/=\s_-]*$/.test(v)) throw bad('bytes');
      return `from_base64(${sqlString(v.replace(/-/g, '+').replace(/_/g, '/'))})`;
    case 'JSON': {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      try {
        JSON.parse(text);
      } catch {
        throw new RowError(`Invalid JSON value: ${text}`, path);
      }
      return cast(text);
    }
    case 'TIMESTAMP':
      if (typeof v === 'number' || (typeof v === 'string' && /^[+-]?\d+(\.\d+)?$/.test(v.trim()))) {
        // Numbers are seconds since the epoch.
        return `CAST(make_timestamp(CAST(round(${Number(v)} * 1000000) AS BIGINT)) AS TIMESTAMPTZ)`;
      }
      if (typeof v === 'string' && TIMESTAMP_RE.test(v.trim())) return cast(v.trim().replace(/\//g, '-'));
      throw new RowError(`Could not parse '${String(v)}' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]] or YYYY/MM/DD HH:MM[:SS[.SSSSSS]]`, path);
    case 'DATE':
      if (typeof v === 'string' && DATE_RE.test(v.trim())) return cast(v.trim());
      throw new RowError(`Invalid date string "${String(v)}"`, path);
    case 'DATETIME':
      if (typeof v === 'string' && DATETIME_RE.test(v.trim())) return cast(v.trim());
      throw new RowError(`Invalid datetime string "${String(v)}"`, path);
    case 'TIME':
      if (typeof v === 'string' && TIME_RE.test(v.trim())) return cast(v.trim());
      throw new RowError(`Invalid time string "${String(v)}"`, path);
    default:
      return cast(typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
}
