import fs from 'node:fs';
import { startFakeDatabricks, type FakeDatabricks } from '../../fakes/databricks/server.js';
import { startTap, type Tap } from '../../helpers/tap.js';
import type { Config, WarehouseHarness } from '../harness.js';

/**
 * The official @databricks/sql client against the local fake (Thrift over HTTPS), behind a
 * tap. The fake serves the suite-wide test certificate (test/helpers/global-setup.ts).
 */
export function databricksHarness(): WarehouseHarness {
  let fake: FakeDatabricks | undefined;
  let tap: Tap | undefined;
  const cert = () => fs.readFileSync(process.env.QUARRY_TEST_TLS_CERT!, 'utf8');
  const config = (over: Config = {}): Config => ({
    host: '127.0.0.1',
    port: tap!.port,
    http_path: fake!.path,
    token: fake!.token,
    catalog: 'main',
    schema: 'default',
    tls_ca_cert: cert(),
    ...over,
  });
  return {
    type: 'databricks',
    async start() {
      fake = await startFakeDatabricks({ tls: { key: fs.readFileSync(process.env.QUARRY_TEST_TLS_KEY!, 'utf8'), cert: cert() } });
      tap = await startTap(fake.port);
    },
    async stop() {
      await tap?.close();
      await fake?.close();
    },
    reset() {
      fake!.deny.read = false;
      fake!.deny.write = false;
      fake!.delayMs = 0;
    },
    config: () => config(),
    withEndpoint: (host, port) => config({ host, port }),
    badCredentials: () => config({ token: 'dapi-wrong-SECRET' }),
    missingRead() {
      fake!.deny.read = true;
      return config();
    },
    missingWrite() {
      fake!.deny.write = true;
      return config();
    },
    slow() {
      fake!.delayMs = 60_000;
      return config();
    },
    liveConnections: () => tap!.live(),
    expect: {
      badCredentials: /^Databricks rejected the access token: .*403/,
      readFix:
        /^GRANT USE CATALOG ON CATALOG `main` TO `quarry@example\.com`; GRANT USE SCHEMA ON SCHEMA `main`\.`default` TO `quarry@example\.com`; GRANT SELECT ON SCHEMA `main`\.`default` TO `quarry@example\.com`;$/,
      writeFix: /^GRANT USE SCHEMA ON SCHEMA `main`\.`default` TO `quarry@example\.com`; GRANT CREATE TABLE ON SCHEMA `main`\.`default` TO `quarry@example\.com`; GRANT MODIFY ON SCHEMA `main`\.`default` TO `quarry@example\.com`;$/,
    },
    notApplicable: {},
  };
}
