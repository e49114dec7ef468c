/** Valid configs for every source type; every secret carries the marker SECRET for leak checks. */
export const SECRET_MARKER = 'SECRET';

export const validConfigs: Record<string, Record<string, unknown>> = {
  snowflake: {
    account: 'xy12345.us-east-1',
    warehouse: 'COMPUTE_WH',
    database: 'ANALYTICS',
    schema: 'PUBLIC',
    username: 'cdp_user',
    password: 'sf-pass-SECRET-1',
    role: 'CDP_ROLE',
  },
  bigquery: {
    project_id: 'my-gcp-project',
    dataset: 'analytics',
    credentials_json: JSON.stringify({
      type: 'service_account',
      project_id: 'my-gcp-project',
      client_email: 'quarry@my-gcp-project.iam.gserviceaccount.com',
      private_key: '-----BEGIN PRIVATE KEY-----\nBQ-SECRET-2\n-----END PRIVATE KEY-----\n',
    }),
  },
  databricks: {
    host: 'adb-1234567890.azuredatabricks.net',
    http_path: '/sql/1.0/warehouses/abc123',
    token: 'dapi-SECRET-3',
    catalog: 'main',
    schema: 'default',
  },
  postgres: { host: '127.0.0.1', port: 5432, database: 'analytics', username: 'quarry', password: 'pg-SECRET-4' },
  duckdb: { database: 'analytics' },
};

export const secretFieldsOf: Record<string, string[]> = {
  snowflake: ['password'],
  bigquery: ['credentials_json'],
  databricks: ['token'],
  postgres: ['password'],
  duckdb: [],
};
