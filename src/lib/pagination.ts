import { ValidationError } from './errors.js';

/** Keyset pagination over (created_at, id): stable while rows are added or removed. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; undefined on the last page. */
  next?: string | undefined;
}

export interface Keyset {
  createdAt: Date;
  id: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify([k.createdAt.toISOString(), k.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const createdAt = new Date(String(at));
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(createdAt.getTime()) && /^[0-9a-f-]{36}$/i.test(id)) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this server issued; use the one from the previous page\'s Link header' }]);
}

/**
 * SQL fragment and parameters for one page. `rows` must be fetched with `limit + 1` so the
 * extra row tells whether a next page exists.
 */
export function keysetClause(page: PageRequest, firstParam: number, alias = '', direction: 'asc' | 'desc' = 'asc'): { where: string; params: unknown[] } {
  if (!page.cursor) return { where: 'TRUE', params: [] };
  const k = decodeCursor(page.cursor);
  const a = alias ? `${alias}.` : '';
  return { where: `(${a}created_at, ${a}id) ${direction === 'asc' ? '>' : '<'} ($${firstParam}, $${firstParam + 1})`, params: [k.createdAt, k.id] };
}

export function toPage<T extends { created_at: Date; id: string }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, next: encodeCursor({ createdAt: last.created_at, id: last.id }) };
}
