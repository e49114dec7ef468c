import http from 'node:http';
import net from 'node:net';
import type { NetworkPolicy } from './policy.js';

/**
 * A loopback HTTP proxy that vendor SDKs (Snowflake, BigQuery, Databricks) are pointed at
 * for one connection test or one load. It applies the network policy to every destination
 * the SDK asks for and connects to the very address it checked (no second DNS lookup the
 * SDK could be tricked by), the way egress proxies such as Stripe's Smokescreen do. TLS
 * stays end to end (CONNECT tunnels), so certificates are verified by the SDK as usual.
 *
 * Closing the proxy destroys every tunnel: cancelling a test closes its connections even
 * inside SDKs that offer no way to abort.
 *
 * It listens on loopback only and lives for one operation. It asks for no credentials: not
 * every SDK sends them for plain-HTTP endpoints, and a local process gains nothing through
 * it that it could not reach directly, while the policy can only take reach away.
 */
export interface EgressProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  host: string;
  port: number;
  /** Destinations refused so far, with the reason (for the step message). */
  refusals: string[];
  close(): Promise<void>;
}

function parseTarget(authority: string, defaultPort: number): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority);
  if (!m) return undefined;
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: m[2] ? Number(m[2]) : defaultPort };
}

export async function startEgressProxy(policy: NetworkPolicy): Promise<EgressProxy> {
  const sockets = new Set<net.Socket>();
  const refusals: string[] = [];
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  async function dial(host: string, port: number): Promise<net.Socket> {
    let address: string;
    try {
      address = (await policy.resolve(host)).address;
    } catch (err) {
      refusals.push((err as Error).message);
      throw err;
    }
    return new Promise((resolve, reject) => {
      const upstream = net.connect({ host: address, port });
      track(upstream);
      upstream.once('connect', () => resolve(upstream));
      upstream.once('error', reject);
    });
  }

  const server = http.createServer((req, res) => {
    // Plain-HTTP forwarding: absolute-form (`GET http://host/path`), or origin-form with a Host
    // header (some SDKs send that to a proxy for http:// endpoints).
    let target: URL;
    try {
      target = new URL(/^https?:\/\//.test(req.url ?? '') ? req.url! : `http://${req.headers.host ?? ''}${req.url ?? '/'}`);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const port = Number(target.port || 80);
    dial(target.hostname, port).then(
      (upstream) => {
        const headers = { ...req.headers };
        delete headers['proxy-authorization'];
        delete headers['proxy-connection'];
        const out = http.request(
          { createConnection: () => upstream, method: req.method, path: `${target.pathname}${target.search}`, headers: { ...headers, host: target.host } },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        out.on('error', () => res.destroy());
        req.pipe(out);
      },
      (err: Error) => {
        res.writeHead(err.name === 'NetworkPolicyError' ? 403 : 502, { 'x-quarry-egress-error': err.message.replace(/[^\x20-\x7e]/g, ' ') }).end(err.message);
      },
    );
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    track(client);
    client.on('error', () => client.destroy());
    const target = parseTarget(req.url ?? '', 443);
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    dial(target.host, target.port).then(
      (upstream) => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      },
      (err: Error) => {
        const status = err.name === 'NetworkPolicyError' ? '403 Forbidden' : '502 Bad Gateway';
        client.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\n\r\n${err.message}`);
      },
    );
  });
  server.on('connection', track);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
