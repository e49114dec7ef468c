import Type from 'typebox';
import type { WarehouseDefinition } from '../types.js';
import { name, secret } from '../schema-parts.js';

export const databricks: WarehouseDefinition = {
  type: 'databricks',
  label: 'Databricks',
  description: 'Databricks SQL warehouse or cluster, with a personal access token.',
  creatableViaApi: true,
  loadable: false,
  load: async () => (await import('./driver.js')).driver,
  configSchema: Type.Object(
    {
      host: Type.String({ format: 'hostname', description: 'a host name without scheme, e.g. adb-1234567890.azuredatabricks.net' }),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 443 })),
      http_path: Type.String({ pattern: '^/\\S+$', description: 'the HTTP path of the warehouse, starting with / (e.g. /sql/1.0/warehouses/abc123)' }),
      token: secret('Personal access token (dapi...)'),
      catalog: Type.Optional(name('Unity Catalog catalog; the warehouse\'s default catalog when unset')),
      schema: Type.Optional(name('Schema loaders write to and tests check', { default: 'default' })),
      tls_ca_cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate to trust besides the public roots (private endpoints)' })),
    },
    { additionalProperties: false },
  ),
};
