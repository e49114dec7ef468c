import Type from 'typebox';
import type { WarehouseDefinition } from '../types.js';
import { name, secret } from '../schema-parts.js';

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

export const postgres: WarehouseDefinition = {
  type: 'postgres',
  label: 'PostgreSQL / Redshift',
  description: 'PostgreSQL, or Amazon Redshift through its PostgreSQL protocol.',
  creatableViaApi: true,
  loadable: true,
  load: async () => (await import('./driver.js')).driver,
  configSchema: Type.Object(
    {
      host: name('Host name or IP address'),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 5432 })),
      database: name('Database name'),
      schema: Type.Optional(name('Schema loaders write to and tests check', { default: 'public' })),
      username: name('User name'),
      password: Type.Optional(secret('Password')),
      sslmode: Type.Optional(Type.Enum([...SSL_MODES], { default: 'prefer', description: 'TLS mode, as libpq\'s sslmode' })),
      ssl_root_cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate for verify-ca / verify-full' })),
    },
    { additionalProperties: false },
  ),
};
