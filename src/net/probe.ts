import net from 'node:net';
import tls from 'node:tls';
import type { NetworkPolicy, ResolvedAddress } from './policy.js';

/** A network endpoint a warehouse driver talks to. */
export interface Endpoint {
  host: string;
  port: number;
  /** Whether the service speaks TLS from the first byte (HTTPS); the probe then checks the handshake. */
  tls: boolean;
  /** Extra CA certificate (PEM) the driver trusts for this endpoint. */
  ca?: string | undefined;
}

export class ProbeError extends Error {
  constructor(
    readonly stage: 'dns' | 'policy' | 'tcp' | 'tls' | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

const TCP_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'refused (nothing listens on that port, or a firewall rejects it)',
  EHOSTUNREACH: 'failed: host unreachable',
  ENETUNREACH: 'failed: network unreachable',
  ECONNRESET: 'reset by the peer',
  EACCES: 'not permitted by the local system',
};

/** Rejects after `ms`, or when `signal` aborts; the cleanup runs either way. */
export function withDeadline<T>(promise: Promise<T>, ms: number, signal: AbortSignal, onTimeout: () => Error, cleanup?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(onTimeout())), ms);
    const abort = () => finish(() => reject(new ProbeError('aborted', 'cancelled')));
    let done = false;
    function finish(settle: () => void) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      if (cleanup) cleanup();
      settle();
    }
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => finish(() => reject(e)),
    );
  });
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

/**
 * DNS (through the network policy), TCP connect to the checked address, and the TLS handshake
 * where the endpoint uses TLS, each under its own deadline. Says which of them failed.
 */
export async function probeEndpoint(ep: Endpoint, policy: NetworkPolicy, timeoutMs: number, signal: AbortSignal): Promise<{ resolved: ResolvedAddress; message: string }> {
  const where = `${ep.host}:${ep.port}`;
  const resolved = await withDeadline(policy.resolve(ep.host), timeoutMs, signal, () => new ProbeError('dns', `DNS: resolving ${ep.host} timed out after ${seconds(timeoutMs)}`));

  const socket = new net.Socket();
  try {
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', (err: NodeJS.ErrnoException) =>
          reject(new ProbeError('tcp', `TCP: connection to ${where} (${resolved.address}) ${TCP_ERRORS[err.code ?? ''] ?? `failed (${err.code ?? err.message})`}`)),
        );
        socket.connect({ host: resolved.address, port: ep.port });
      }),
      timeoutMs,
      signal,
      () => new ProbeError('tcp', `TCP: connection to ${where} (${resolved.address}) timed out after ${seconds(timeoutMs)}`),
      () => socket.destroy(),
    );
    if (!ep.tls) return { resolved, message: `${where} (${resolved.address})` };

    const secure = tls.connect({ socket, servername: net.isIP(ep.host) ? undefined : ep.host, ...(ep.ca ? { ca: [...tls.rootCertificates, ep.ca] } : {}) });
    const protocol = await withDeadline(
      new Promise<string>((resolve, reject) => {
        secure.once('secureConnect', () => resolve(secure.getProtocol() ?? 'TLS'));
        secure.once('error', (err: NodeJS.ErrnoException) =>
          reject(new ProbeError('tls', `TLS: handshake with ${where} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`)),
        );
      }),
      timeoutMs,
      signal,
      () => new ProbeError('tls', `TLS: handshake with ${where} timed out after ${seconds(timeoutMs)}`),
      () => secure.destroy(),
    );
    secure.destroy();
    return { resolved, message: `${where} (${resolved.address}), ${protocol} with a verified certificate` };
  } finally {
    socket.destroy();
  }
}
