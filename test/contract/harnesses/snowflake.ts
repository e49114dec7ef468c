import { startFakeSnowflake, type FakeSnowflake } from '../../fakes/snowflake/server.js';
import { startTap, type Tap } from '../../helpers/tap.js';
import type { Config, WarehouseHarness } from '../harness.js';

/** The official snowflake-sdk against the local fake (login-request, query-request), behind a tap. */
export function snowflakeHarness(): WarehouseHarness {
  let fake: FakeSnowflake | undefined;
  let tap: Tap | undefined;
  const config = (over: Config = {}): Config => ({
    account: 'xy12345',
    access_url: `http://127.0.0.1:${tap!.port}`,
    warehouse: 'COMPUTE_WH',
    database: 'ANALYTICS',
    schema: 'PUBLIC',
    username: 'cdp_user',
    password: 'secure_password',
    role: 'CDP_ROLE',
    ...over,
  });
  return {
    type: 'snowflake',
    async start() {
      fake = await startFakeSnowflake();
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
    withEndpoint: (host, port) => config({ access_url: `http://${host}:${port}` }),
    badCredentials: () => config({ password: 'wrong-pass-SECRET' }),
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
      badCredentials: /^Snowflake rejected the login: Incorrect username or password was specified\.$/,
      readFix:
        /^GRANT USAGE ON WAREHOUSE "COMPUTE_WH" TO ROLE "CDP_ROLE"; GRANT USAGE ON DATABASE "ANALYTICS" TO ROLE "CDP_ROLE"; GRANT USAGE ON SCHEMA "ANALYTICS"\."PUBLIC" TO ROLE "CDP_ROLE"; GRANT SELECT ON ALL TABLES IN SCHEMA "ANALYTICS"\."PUBLIC" TO ROLE "CDP_ROLE"; GRANT SELECT ON FUTURE TABLES IN SCHEMA "ANALYTICS"\."PUBLIC" TO ROLE "CDP_ROLE";$/,
      writeFix: /^GRANT CREATE TABLE ON SCHEMA "ANALYTICS"\."PUBLIC" TO ROLE "CDP_ROLE";$/,
    },
    notApplicable: {},
  };
}
