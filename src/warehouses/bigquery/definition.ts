import Type from 'typebox';
import type { WarehouseDefinition } from '../types.js';
import { endpointOverride, secret } from '../schema-parts.js';

export const bigquery: WarehouseDefinition = {
  type: 'bigquery',
  label: 'Google BigQuery',
  description: 'BigQuery, authenticated with a service-account key.',
  creatableViaApi: true,
  loadable: false,
  load: async () => (await import('./driver.js')).driver,
  configSchema: Type.Object(
    {
      project_id: Type.String({
        pattern: '^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$',
        description: 'a Google Cloud project id (6-30 lowercase letters, digits and hyphens)',
      }),
      dataset: Type.String({ pattern: '^[A-Za-z0-9_]{1,1024}$', description: 'a dataset name (letters, digits and underscores)' }),
      credentials_json: secret('Service-account key file contents (JSON)'),
      location: Type.Optional(Type.String({ minLength: 1, description: 'Dataset location, e.g. US, EU or europe-west1' })),
      api_endpoint: endpointOverride('BigQuery API root, for a private endpoint or a test server'),
    },
    { additionalProperties: false },
  ),
  validateConfig(config) {
    const raw = config.credentials_json;
    if (typeof raw !== 'string') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return [{ field: 'config.credentials_json', message: 'must be the JSON of a service-account key file (it does not parse as JSON)' }];
    }
    const key = parsed as Record<string, unknown>;
    const missing = ['client_email', 'private_key'].filter((k) => typeof key?.[k] !== 'string');
    if (key?.type !== 'service_account' || missing.length) {
      return [
        {
          field: 'config.credentials_json',
          message: `must be a service-account key (type "service_account" with client_email and private_key)${missing.length ? `; missing ${missing.join(', ')}` : ''}`,
        },
      ];
    }
    return [];
  },
};
