// Throw-away self-signed certificate for the fake's HTTPS listener (the client is HTTPS-only).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSignedCert {
  key: string;
  cert: string;
}

let cached: Promise<SelfSignedCert> | undefined;

async function generate(): Promise<SelfSignedCert> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-databricks-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    // EC keys are generated in milliseconds; the cert is its own CA (customCaCert trusts it directly).
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One certificate per process is enough; every fake instance reuses it. */
export function selfSignedCert(): Promise<SelfSignedCert> {
  cached ??= generate().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}
