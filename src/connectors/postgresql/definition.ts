import Type from 'typebox';
import type { ConnectorDefinition } from '../types.js';
import { connectionFields } from '../../lib/database-connection.js';

export const postgresql: ConnectorDefinition = {
  type: 'postgresql',
  label: 'PostgreSQL',
  description: 'Tables and views of a PostgreSQL database (also Amazon RDS, Aurora, Cloud SQL, Supabase, Neon).',
  creatableViaApi: true,
  streams: null,
  configSchema: Type.Object(
    {
      ...connectionFields({ port: 5432, database: 'Database name' }),
      schemas: Type.Optional(
        Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, uniqueItems: true, default: ['public'], description: 'Schemas whose tables become streams' }),
      ),
    },
    { additionalProperties: false },
  ),
  load: async () => (await import('./connector.js')).connector,
};
