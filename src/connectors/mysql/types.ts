import type { Column, LogicalType } from '../types.js';

/**
 * MySQL / MariaDB type (information_schema.COLUMNS.DATA_TYPE) -> logical type. The few types
 * whose mapping depends on the full COLUMN_TYPE (tinyint(1), bit(1), bigint unsigned) are
 * handled in `logicalType`.
 */
export const BY_DATA_TYPE: Readonly<Record<string, LogicalType>> = {
  tinyint: 'integer',
  smallint: 'integer',
  mediumint: 'integer',
  int: 'integer',
  integer: 'integer',
  bigint: 'integer',
  year: 'integer',
  bit: 'integer',
  decimal: 'decimal',
  numeric: 'decimal',
  fixed: 'decimal',
  float: 'number',
  double: 'number',
  real: 'number',
  'double precision': 'number',
  char: 'string',
  varchar: 'string',
  tinytext: 'string',
  text: 'string',
  mediumtext: 'string',
  longtext: 'string',
  enum: 'string',
  set: 'string',
  // TIME is a duration (-838:59:59 to 838:59:59), not a time of day: kept as its text
  time: 'string',
  date: 'date',
  datetime: 'timestamp',
  // TIMESTAMP is stored in UTC and read with the session time zone set to UTC: an instant
  timestamp: 'timestamptz',
  json: 'json',
  binary: 'binary',
  varbinary: 'binary',
  tinyblob: 'binary',
  blob: 'binary',
  mediumblob: 'binary',
  longblob: 'binary',
  // spatial types travel as WKT (see selectExpression)
  geometry: 'string',
  point: 'string',
  linestring: 'string',
  polygon: 'string',
  multipoint: 'string',
  multilinestring: 'string',
  multipolygon: 'string',
  geometrycollection: 'string',
  geomcollection: 'string',
  // MariaDB's own types
  uuid: 'uuid',
  inet4: 'string',
  inet6: 'string',
};

const SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);

/** Decimal precision of the unsigned 64-bit integers, which overflow a signed bigint. */
const UINT64_DIGITS = 20;

export interface MysqlColumnType {
  /** information_schema.COLUMNS.DATA_TYPE, e.g. `tinyint`. */
  dataType: string;
  /** information_schema.COLUMNS.COLUMN_TYPE, e.g. `tinyint(1) unsigned`. */
  columnType: string;
}

/** The width in a COLUMN_TYPE like `bit(8)` or `tinyint(1) unsigned`; null when absent. */
function width(columnType: string): number | null {
  const m = /^\w+\((\d+)\)/.exec(columnType);
  return m ? Number(m[1]) : null;
}

export function isUnsigned(columnType: string): boolean {
  return /\bunsigned\b/i.test(columnType);
}

export function logicalType({ dataType, columnType }: MysqlColumnType): LogicalType {
  const data = dataType.toLowerCase();
  const full = columnType.toLowerCase();
  // the convention of MySQL's BOOLEAN (an alias of tinyint(1)) and of most clients
  if (data === 'tinyint' && width(full) === 1) return 'boolean';
  if (data === 'bit') {
    const bits = width(full) ?? 1;
    return bits === 1 ? 'boolean' : bits >= 64 ? 'decimal' : 'integer';
  }
  if (data === 'bigint' && isUnsigned(full)) return 'decimal';
  return BY_DATA_TYPE[data] ?? 'string'; // anything newer (vector, ...) as its text
}

/** Precision and scale to declare, for the decimal columns. */
export function decimalShape(t: MysqlColumnType, precision: number | null, scale: number | null): { precision: number; scale: number } | null {
  const data = t.dataType.toLowerCase();
  if (data === 'bigint' || data === 'bit') return { precision: UINT64_DIGITS, scale: 0 };
  if (precision === null) return null;
  return { precision, scale: scale ?? 0 };
}

export const mysqlIdent = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** What the SELECT reads for a column: spatial values as WKT, bits as numbers, the rest as is. */
export function selectExpression(c: Column): string {
  const quoted = mysqlIdent(c.name);
  const data = (c.sourceType ?? '').toLowerCase().replace(/[(\s].*$/, '');
  if (SPATIAL.has(data)) return `ST_AsText(${quoted})`;
  if (data === 'bit') return `CAST(${quoted} AS UNSIGNED)`;
  if (data === 'uuid' || data === 'inet4' || data === 'inet6') return `CAST(${quoted} AS CHAR)`;
  return quoted;
}

/**
 * The bound parameter of an incremental read, cast to the cursor column's type: MySQL
 * compares an integer column with a string as doubles, which loses big integers.
 */
export function cursorParameter(c: Column): string {
  switch (c.type) {
    case 'integer':
      return isUnsigned(c.sourceType ?? '') ? 'CAST(? AS UNSIGNED)' : 'CAST(? AS SIGNED)';
    case 'decimal':
      return `CAST(? AS DECIMAL(${Math.min(c.precision ?? 65, 65)},${Math.min(c.scale ?? 0, 30)}))`;
    case 'number':
      return '(? + 0e0)';
    case 'date':
      return 'CAST(? AS DATE)';
    case 'timestamp':
    case 'timestamptz':
      return 'CAST(? AS DATETIME(6))';
    default:
      return '?';
  }
}

/** The highest cursor value as text, exactly as the server prints it: it binds back unchanged. */
export function maxCursorExpression(c: Column): string {
  return `CAST(MAX(${selectExpression(c)}) AS CHAR)`; // a BIT as its number, not its bytes
}

/** MySQL's "zero" dates ('0000-00-00', '2024-00-10', ...) exist nowhere else: they become NULL. */
export function isZeroDate(text: string): boolean {
  // 'YYYY-MM-DD...': month or day 00 (character tests: this runs for every date of every row)
  const zero = 48;
  return (
    text.length >= 10 &&
    text.charCodeAt(4) === 45 &&
    ((text.charCodeAt(5) === zero && text.charCodeAt(6) === zero) || (text.charCodeAt(8) === zero && text.charCodeAt(9) === zero))
  );
}

/**
 * How a value as mysql2 returns it (dateStrings, bigNumberStrings, jsonStrings) becomes the
 * text of its CSV field; null for SQL NULL. Pure: one function per logical type.
 */
export function fieldText(type: LogicalType): (value: unknown) => string | null {
  switch (type) {
    case 'boolean':
      return (v) => (v === null || v === undefined ? null : Number(v) !== 0 ? 't' : 'f');
    case 'integer':
    case 'decimal':
    case 'number':
      return (v) => (v === null || v === undefined ? null : String(v));
    case 'date':
    case 'timestamp':
      return (v) => (v === null || v === undefined || isZeroDate(String(v)) ? null : String(v));
    case 'timestamptz':
      return (v) => (v === null || v === undefined || isZeroDate(String(v)) ? null : `${String(v)}+00`);
    case 'binary':
      return (v) => (v === null || v === undefined ? null : `\\x${(Buffer.isBuffer(v) ? v : Buffer.from(String(v))).toString('hex')}`);
    default:
      return (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
}
