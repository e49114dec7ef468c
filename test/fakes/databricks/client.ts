// How tests connect the official @databricks/sql client to the fake.
import { DBSQLClient } from '@databricks/sql';
import type { FakeDatabricks } from './server.js';

type ConnectOptions = Parameters<DBSQLClient['connect']>[0];

/** A connected client: silent logger, no telemetry (it would call home), trusting the fake's certificate. */
export async function connectClient(fake: FakeDatabricks, overrides: Partial<ConnectOptions> = {}): Promise<DBSQLClient> {
  const client = new DBSQLClient({ logger: { log: () => undefined } });
  await client.connect({
    host: fake.host,
    port: fake.port,
    path: fake.path,
    token: fake.token,
    customCaCert: fake.caCert,
    telemetryEnabled: false,
    ...overrides,
  } as ConnectOptions);
  return client;
}
