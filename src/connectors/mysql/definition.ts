import Type from 'typebox';
import type { ConnectorDefinition } from '../types.js';
import { SSL_MODES } from '../../warehouses/postgres/definition.js';

export const mysql: ConnectorDefinition = {
  type: 'mysql',
  label: 'MySQL / MariaDB',
  description: 'Tables and views of a MySQL or MariaDB database (also Amazon RDS, Aurora MySQL, Cloud SQL, Azure Database for MySQL, PlanetScale).',
  creatableViaApi: true,
  streams: null,
  configSchema: Type.Object(
    {
      host: Type.String({ minLength: 1, maxLength: 255, description: 'Host name or IP address' }),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 3306 })),
      database: Type.String({ minLength: 1, maxLength: 64, description: 'The database (schema) whose tables and views become streams' }),
      username: Type.String({ minLength: 1, maxLength: 255 }),
      password: Type.Optional(Type.String({ minLength: 1, writeOnly: true, format: 'password' })),
      sslmode: Type.Optional(Type.Enum([...SSL_MODES], { default: 'prefer', description: "TLS mode, with libpq's sslmode semantics" })),
      ssl_root_cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate for verify-ca / verify-full' })),
    },
    { additionalProperties: false },
  ),
  load: async () => (await import('./connector.js')).connector,
};
