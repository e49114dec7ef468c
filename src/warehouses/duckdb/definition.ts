import Type from 'typebox';
import type { WarehouseDefinition } from '../types.js';

export const duckdb: WarehouseDefinition = {
  type: 'duckdb',
  label: 'DuckDB (embedded)',
  description: 'An embedded DuckDB warehouse file kept under QUARRY_HOME: works with nothing else installed.',
  creatableViaApi: true,
  loadable: true,
  load: async () => (await import('./driver.js')).driver,
  configSchema: Type.Object(
    {
      database: Type.String({
        pattern: '^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$',
        description: 'a file name (letters, digits, _ and -, up to 64) for QUARRY_HOME/warehouses/<database>.duckdb',
      }),
      schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', default: 'main', description: 'a schema name (letters, digits and _)' })),
    },
    { additionalProperties: false },
  ),
};
