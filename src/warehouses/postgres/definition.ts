import Type from 'typebox';
import type { WarehouseDefinition } from '../types.js';
import { name } from '../schema-parts.js';
import { connectionFields } from '../../lib/database-connection.js';

export const postgres: WarehouseDefinition = {
  type: 'postgres',
  label: 'PostgreSQL / Redshift',
  description: 'PostgreSQL, or Amazon Redshift through its PostgreSQL protocol.',
  creatableViaApi: true,
  loadable: true,
  load: async () => (await import('./driver.js')).driver,
  configSchema: Type.Object(
    {
      ...connectionFields({ port: 5432, database: 'Database name' }),
      schema: Type.Optional(name('Schema loaders write to and tests check', { default: 'public' })),
    },
    { additionalProperties: false },
  ),
};
