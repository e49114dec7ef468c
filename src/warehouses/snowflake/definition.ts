import Type from 'typebox';
import type { WarehouseDefinition } from '../types.js';
import { endpointOverride, name, secret } from '../schema-parts.js';

export const snowflake: WarehouseDefinition = {
  type: 'snowflake',
  label: 'Snowflake',
  description: 'Snowflake data warehouse, with password or key-pair authentication.',
  creatableViaApi: true,
  loadable: false,
  load: async () => (await import('./driver.js')).driver,
  configSchema: Type.Object(
    {
      account: name('Account identifier, e.g. xy12345.us-east-1 or myorg-myaccount', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      }),
      warehouse: name('Virtual warehouse that runs the queries'),
      database: name('Database to read from and load into'),
      schema: Type.Optional(name('Default schema', { default: 'PUBLIC' })),
      username: name('Login name of the user'),
      password: Type.Optional(secret('Password (or use private_key)')),
      private_key: Type.Optional(secret('PEM-encoded private key for key-pair authentication')),
      private_key_passphrase: Type.Optional(secret('Passphrase of an encrypted private_key')),
      role: Type.Optional(name('Role to use; defaults to the user\'s default role')),
      access_url: endpointOverride('Full URL of the account endpoint, for PrivateLink or a test server; derived from account when unset'),
    },
    { additionalProperties: false, anyOf: [{ required: ['password'] }, { required: ['private_key'] }] },
  ),
  validateConfig(config) {
    const key = config.private_key;
    if (typeof key === 'string' && !/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(key)) {
      return [{ field: 'config.private_key', message: 'must be a PEM private key (-----BEGIN PRIVATE KEY----- ...)' }];
    }
    return [];
  },
};
