import type { Column } from '../../connectors/types.js';

/** Logical type -> PostgreSQL column type. */
export function postgresType(c: Column): string {
  switch (c.type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double precision';
    case 'decimal':
      return c.precision ? `numeric(${c.precision},${c.scale ?? 0})` : 'numeric';
    case 'string':
      return 'text';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'timestamp':
      return 'timestamp';
    case 'timestamptz':
      return 'timestamptz';
    case 'json':
      return 'jsonb';
    case 'binary':
      return 'bytea';
    case 'uuid':
      return 'uuid';
  }
}
