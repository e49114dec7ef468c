import type { Queryable } from './db.js';

export interface Dependent {
  /** Singular name of the referencing table, e.g. "loader". */
  kind: string;
  id: string;
  name: string;
}

interface Reference {
  table: string;
  column: string;
  has_name: boolean;
}

const cache = new Map<string, Reference[]>();

/**
 * The rows that reference `table`'s row `id` through a foreign key. The references are read
 * from the catalog, so a later table that points at sources (loaders, models, ...) becomes a
 * dependent by declaring its foreign key: no list to keep in sync here.
 */
export async function findDependents(q: Queryable, table: string, id: string, limitPerTable = 10): Promise<Dependent[]> {
  let refs = cache.get(table);
  if (!refs) {
    const { rows } = await q.query<Reference>(
      `SELECT c.conrelid::regclass::text AS table, a.attname AS column,
              EXISTS (SELECT 1 FROM pg_attribute n WHERE n.attrelid = c.conrelid AND n.attname = 'name' AND NOT n.attisdropped) AS has_name
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid = to_regclass($1) AND array_length(c.conkey, 1) = 1
        ORDER BY 1, 2`,
      [table],
    );
    refs = rows;
    cache.set(table, refs);
  }
  const out: Dependent[] = [];
  for (const ref of refs) {
    // Identifiers come from the catalog (regclass text is already quoted where needed).
    const { rows } = await q.query<{ id: string; name: string }>(
      `SELECT id::text AS id, ${ref.has_name ? 'COALESCE(name::text, id::text)' : 'id::text'} AS name FROM ${ref.table} WHERE "${ref.column.replace(/"/g, '""')}" = $1 ORDER BY 2 LIMIT ${limitPerTable}`,
      [id],
    );
    const kind = ref.table.replace(/^.*\./, '').replace(/"/g, '').replace(/s$/, '');
    out.push(...rows.map((r) => ({ kind, ...r })));
  }
  return out;
}

/** Forgets cached references (tests that add referencing tables at run time). */
export function clearDependentsCache(): void {
  cache.clear();
}
