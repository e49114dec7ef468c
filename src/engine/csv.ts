import type { LogicalType } from '../connectors/types.js';

/**
 * The engine's interchange format is CSV as PostgreSQL writes it (`COPY ... WITH (FORMAT csv)`):
 * comma-separated, `"`-quoted, NULL as an empty unquoted field, the empty string as `""`.
 * PostgreSQL and DuckDB read it natively, and so do the bulk loaders of the cloud warehouses.
 */
const NEEDS_QUOTES = /[",\r\n]/;

function text(value: unknown, type: LogicalType): string {
  switch (type) {
    case 'binary': {
      const buf = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
      return `\\x${buf.toString('hex')}`;
    }
    case 'json':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'boolean':
      if (typeof value === 'number' || typeof value === 'bigint') return value !== 0 && value !== 0n ? 't' : 'f';
      return value === true || value === '1' || value === 't' || value === 'true' ? 't' : 'f';
    case 'timestamptz':
    case 'timestamp':
    case 'date':
      return value instanceof Date ? dateText(value, type) : String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function dateText(d: Date, type: LogicalType): string {
  const iso = d.toISOString();
  if (type === 'date') return iso.slice(0, 10);
  return type === 'timestamptz' ? iso : iso.slice(0, -1); // a naive timestamp carries no zone
}

export function csvField(value: unknown, type: LogicalType): string {
  if (value === null || value === undefined) return '';
  const s = text(value, type);
  // `\.` alone on a line ends PostgreSQL's COPY input: quoted, it is just a value
  if (s === '' || s === '\\.') return `"${s}"`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Encodes rows (arrays in column order) as CSV lines. */
export function encodeCsv(rows: unknown[][], types: LogicalType[]): Buffer {
  const lines: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let line = '';
    for (let i = 0; i < types.length; i++) {
      if (i > 0) line += ',';
      line += csvField(row[i], types[i]!);
    }
    lines[r] = line;
  }
  return Buffer.from(lines.join('\n') + (rows.length ? '\n' : ''), 'utf8');
}
