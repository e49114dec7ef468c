import Type from 'typebox';
import type { ConnectorDefinition } from '../types.js';
import { SSL_MODES } from '../../warehouses/postgres/definition.js';

export const postgresql: ConnectorDefinition = {
  type: 'postgresql',
  label: 'PostgreSQL',
  description: 'Tables and views of a PostgreSQL database (also Amazon RDS, Aurora, Cloud SQL, Supabase, Neon).',
  creatableViaApi: true,
  streams: null,
  configSchema: Type.Object(
    {
      host: Type.String({ minLength: 1, maxLength: 255, description: 'Host name or IP address' }),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 5432 })),
      database: Type.String({ minLength: 1, maxLength: 255 }),
      username: Type.String({ minLength: 1, maxLength: 255 }),
      password: Type.Optional(Type.String({ minLength: 1, writeOnly: true, format: 'password' })),
      schemas: Type.Optional(
        Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, uniqueItems: true, default: ['public'], description: 'Schemas whose tables become streams' }),
      ),
      sslmode: Type.Optional(Type.Enum([...SSL_MODES], { default: 'prefer' })),
      ssl_root_cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate for verify-ca / verify-full' })),
    },
    { additionalProperties: false },
  ),
  load: async () => (await import('./connector.js')).connector,
};
