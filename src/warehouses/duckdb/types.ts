import type { Column } from '../../connectors/types.js';

/** Logical type -> DuckDB column type. */
export function duckdbType(c: Column): string {
  switch (c.type) {
    case 'boolean':
      return 'BOOLEAN';
    case 'integer':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE';
    case 'decimal':
      // DuckDB decimals stop at 38 digits; unconstrained or wider numbers become doubles
      return c.precision && c.precision <= 38 ? `DECIMAL(${c.precision},${c.scale ?? 0})` : 'DOUBLE';
    case 'string':
      return 'VARCHAR';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'json':
      return 'JSON';
    case 'binary':
      return 'BLOB';
    case 'uuid':
      return 'UUID';
  }
}

/** How a CSV text field (VARCHAR) becomes a value of the column's type. */
export function castFromText(c: Column, quoted: string, type = duckdbType(c)): string {
  if (c.type === 'binary') return `unhex(substr(${quoted}, 3))`; // the CSV carries PostgreSQL's \x<hex>
  if (type === 'VARCHAR') return quoted;
  return `CAST(${quoted} AS ${type})`;
}
