/**
 * Child process for the self-test: logs in with the real SDK, runs a query, closes the fake
 * WITHOUT destroying the SDK connection, then must exit on its own (no lingering handles).
 */
import { startFakeSnowflake } from './server.js';

process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
const snowflake = (await import('snowflake-sdk')).default;
snowflake.configure({ logLevel: 'OFF', additionalLogToConsole: false, useEnvProxy: false });

const fake = await startFakeSnowflake();
const conn = snowflake.createConnection({
  account: 'xy12345',
  accessUrl: fake.url,
  username: 'cdp_user',
  password: 'secure_password',
  warehouse: 'COMPUTE_WH',
  database: 'ANALYTICS',
  schema: 'PUBLIC',
});
await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
await new Promise<void>((resolve, reject) =>
  conn.execute({ sqlText: 'SELECT 1 AS ONE', complete: (err) => (err ? reject(err) : resolve()) }),
);
// Exit code 0 tells the parent close() resolved (an unsettled top-level await exits with 13).
await fake.close();
