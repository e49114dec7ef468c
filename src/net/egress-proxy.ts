import crypto from 'node:crypto';
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
 * inside SDKs that offer no way to abort. Random credentials keep other local processes
 * from using it as an open proxy.
 */
export interface EgressProxy {
  /** `http://user:pass@127.0.0.1:port` */
  url: string;
  host: string;
  port: number;
  username: string;
  password: string;
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
  const username = 'quarry';
  const password = crypto.randomBytes(18).toString('base64url');
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const sockets = new Set<net.Socket>();
  const refusals: string[] = [];
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const authorized = (req: http.IncomingMessage) => {
    const given = req.headers['proxy-authorization'];
    return typeof given === 'string' && given.length === expected.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
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
    if (!authorized(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="quarry-egress"' }).end();
      return;
    }
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
    if (!authorized(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="quarry-egress"\r\n\r\n');
      return;
    }
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
    url: `http://${username}:${password}@127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    username,
    password,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
