import type { Json } from '../http/types.js';
import type { Column, LogicalType } from '../types.js';

/**
 * Stripe objects to Quarry rows: a pure table of conversions, one per logical type. Stripe
 * writes times as Unix seconds, amounts as integers in the currency's smallest unit, nested
 * objects and arrays as JSON, and references to other objects as their id (an object only when
 * expanded, which this connector never asks for).
 */

/** The column every stream adds: when the record last changed as far as the reads saw (the incremental cursor). */
export const CURSOR = 'updated_at';

const TYPES: Record<string, LogicalType> = { int: 'integer', num: 'number', bool: 'boolean', ts: 'timestamptz', json: 'json' };

/**
 * Columns from a compact list, in order: `name` is a string, `name:int|num|bool|ts|json` the
 * other types; `id` is the only non-null column. The cursor column comes last.
 */
export function columns(spec: string): Column[] {
  const cols = spec
    .trim()
    .split(/\s+/)
    .map((entry) => {
      const [name, code] = entry.split(':') as [string, string | undefined];
      const type = code === undefined ? 'string' : TYPES[code];
      if (!type) throw new Error(`unknown column type ${code} of ${name}`);
      return { name, type, nullable: name !== 'id' };
    });
  return [...cols, { name: CURSOR, type: 'timestamptz', nullable: true }];
}

export function unixToIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** A committed cursor (an ISO time this connector wrote) back to the Unix seconds Stripe filters on. */
export function isoToUnix(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`the committed cursor "${iso}" is not a time; run a full refresh to reset it`);
  return Math.floor(ms / 1000);
}

/** One value to its column's type. */
export function columnValue(value: Json, type: LogicalType): Json {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamptz':
      return typeof value === 'number' ? unixToIso(value) : value;
    case 'json':
      // a JSON column receives JSON text: a bare string (a field whose shape an API version changed) is quoted
      return typeof value === 'string' ? JSON.stringify(value) : value;
    case 'string':
      if (typeof value !== 'object') return String(value);
      // an expanded reference: keep its id, as unexpanded ones are
      return typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : JSON.stringify(value);
    default:
      return value;
  }
}

/**
 * A Stripe object as a record of the stream's columns. `changedAt` is the time (Unix seconds)
 * of the newest event seen for it; the cursor column is the later of that and its creation.
 */
export function toRecord(object: Record<string, Json>, cols: Column[], changedAt?: number): Record<string, Json> {
  const record: Record<string, Json> = {};
  for (const c of cols) {
    if (c.name !== CURSOR) record[c.name] = columnValue(object[c.name], c.type);
  }
  const created = typeof object.created === 'number' ? object.created : undefined;
  const last = Math.max(created ?? -Infinity, changedAt ?? -Infinity);
  record[CURSOR] = Number.isFinite(last) ? unixToIso(last) : null;
  return record;
}
