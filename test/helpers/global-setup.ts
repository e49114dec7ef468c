import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertPostgres } from './services.js';

/**
 * Runs once, before the test workers start (they inherit this environment):
 * - the suite needs a real PostgreSQL;
 * - a throw-away TLS certificate for fake HTTPS servers, trusted process-wide through
 *   NODE_EXTRA_CA_CERTS (read by Node only at start-up, hence here). The Databricks SDK does
 *   not pass its customCaCert to connections made through a proxy, so trusting the fake's
 *   certificate any other way is not possible.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await assertPostgres();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-test-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  process.env.NODE_EXTRA_CA_CERTS = cert;
  process.env.QUARRY_TEST_TLS_KEY = key;
  process.env.QUARRY_TEST_TLS_CERT = cert;
  return async () => {
    await fs.rm(dir, { recursive: true, force: true });
  };
}
