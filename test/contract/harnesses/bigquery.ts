import { startFakeBigQuery, type FakeBigQuery } from '../../fakes/bigquery/server.js';
import { startTap, type Tap } from '../../helpers/tap.js';
import type { Config, WarehouseHarness } from '../harness.js';

/** The official BigQuery client against the local fake (REST v2 + OAuth token endpoint), behind a tap. */
export function bigqueryHarness(): WarehouseHarness {
  let fake: FakeBigQuery | undefined;
  let tap: Tap | undefined;
  // Both the API and the token endpoint go through the tap, so every connection is counted.
  const viaTap = (credentialsJson: string) => JSON.stringify({ ...JSON.parse(credentialsJson), token_uri: `http://127.0.0.1:${tap!.port}/token` });
  const config = (over: Config = {}): Config => ({
    project_id: 'my-gcp-project',
    dataset: 'analytics',
    credentials_json: viaTap(fake!.serviceAccount.credentialsJson),
    location: 'US',
    api_endpoint: `http://127.0.0.1:${tap!.port}`,
    ...over,
  });
  return {
    type: 'bigquery',
    async start() {
      fake = await startFakeBigQuery();
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
    withEndpoint: (host, port) => config({ api_endpoint: `http://${host}:${port}` }),
    badCredentials: () => config({ credentials_json: viaTap(fake!.untrustedServiceAccount.credentialsJson) }),
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
      badCredentials: /^Google rejected the service-account key of quarry@my-gcp-project\.iam\.gserviceaccount\.com: invalid_grant: Invalid JWT Signature\.$/,
      readFix:
        /^gcloud projects add-iam-policy-binding my-gcp-project --member=serviceAccount:quarry@my-gcp-project\.iam\.gserviceaccount\.com --role=roles\/bigquery\.jobUser; GRANT `roles\/bigquery\.dataViewer` ON SCHEMA `my-gcp-project\.analytics` TO "serviceAccount:quarry@my-gcp-project\.iam\.gserviceaccount\.com";$/,
      writeFix: /^GRANT `roles\/bigquery\.dataEditor` ON SCHEMA `my-gcp-project\.analytics` TO "serviceAccount:quarry@my-gcp-project\.iam\.gserviceaccount\.com";$/,
    },
    notApplicable: {},
  };
}
