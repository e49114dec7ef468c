import Type from 'typebox';
import type { WarehouseDefinition } from '../types.js';
import { name, secret } from '../schema-parts.js';

export const databricks: WarehouseDefinition = {
  type: 'databricks',
  label: 'Databricks',
  description: 'Databricks SQL warehouse or cluster, with a personal access token.',
  creatableViaApi: true,
  configSchema: Type.Object(
    {
      host: Type.String({ format: 'hostname', description: 'a host name without scheme, e.g. adb-1234567890.azuredatabricks.net' }),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 443 })),
      http_path: Type.String({ pattern: '^/\\S+$', description: 'the HTTP path of the warehouse, starting with / (e.g. /sql/1.0/warehouses/abc123)' }),
      token: secret('Personal access token (dapi...)'),
      catalog: Type.Optional(name('Unity Catalog catalog', { default: 'hive_metastore' })),
      schema: Type.Optional(name('Schema', { default: 'default' })),
    },
    { additionalProperties: false },
  ),
};
