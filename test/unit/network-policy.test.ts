import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkPolicy, NetworkPolicyError, DnsError, type Lookup } from '../../src/net/policy.js';
import { startEgressProxy } from '../../src/net/egress-proxy.js';

const fixed = (map: Record<string, string[]>): Lookup => async (host) => {
  const addrs = map[host];
  if (!addrs) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addrs.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
};

describe('network policy: always refused', () => {
  const policy = new NetworkPolicy('default');
  const refused: [string, RegExp][] = [
    ['169.254.169.254', /link-local/],
    ['169.254.0.1', /link-local/],
    ['fe80::1', /link-local/],
    ['fd00:ec2::254', /AWS instance metadata/],
    ['100.100.100.200', /Alibaba/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::ffff:169.254.169.254', /link-local/],
    ['::ffff:a9fe:a9fe', /link-local/],
    ['64:ff9b::169.254.169.254', /link-local/],
  ];
  for (const [address, reason] of refused) {
    it(`refuses ${address}`, async () => {
      expect(policy.refusal(address)).toMatch(reason);
      await expect(policy.resolve(address)).rejects.toBeInstanceOf(NetworkPolicyError);
    });
  }

  it('judges the resolved address, however the name is spelled', async () => {
    // getaddrinfo turns these into 169.254.169.254
    for (const spelling of ['2852039166', '0xa9fea9fe', '0251.0376.0251.0376']) {
      await expect(policy.resolve(spelling)).rejects.toThrow(/resolves to 169\.254\.169\.254, a link-local address/);
    }
  });

  it('refuses a hostname that resolves to the metadata endpoint', async () => {
    const p = new NetworkPolicy('default', fixed({ 'metadata.attacker.test': ['169.254.169.254'] }));
    await expect(p.resolve('metadata.attacker.test')).rejects.toThrow(
      'refused by the network policy: metadata.attacker.test resolves to 169.254.169.254, a link-local address (cloud metadata endpoints live here)',
    );
  });

  it('refuses a name whose answers mix an allowed and a refused address', async () => {
    const p = new NetworkPolicy('default', fixed({ 'mixed.test': ['93.184.216.34', '169.254.169.254'] }));
    await expect(p.resolve('mixed.test')).rejects.toBeInstanceOf(NetworkPolicyError);
  });

  it('allows loopback, private and public addresses by default', async () => {
    for (const a of ['127.0.0.1', '::1', '10.1.2.3', '192.168.1.10', '172.20.0.5', '93.184.216.34']) expect(policy.refusal(a)).toBeUndefined();
    expect(await policy.resolve('localhost')).toMatchObject({ host: 'localhost' });
  });

  it('reports a name that does not resolve as a DNS failure', async () => {
    await expect(policy.resolve('nonexistent.invalid')).rejects.toBeInstanceOf(DnsError);
    await expect(policy.resolve('nonexistent.invalid')).rejects.toThrow('DNS: nonexistent.invalid does not resolve (no such host)');
  });
});

describe('network policy: public mode', () => {
  const policy = new NetworkPolicy('public');
  it('also refuses loopback, private, CGNAT, unique-local and documentation ranges', async () => {
    const cases: [string, RegExp][] = [
      ['127.0.0.1', /loopback/],
      ['::1', /loopback/],
      ['10.0.0.1', /private/],
      ['172.16.5.4', /private/],
      ['192.168.0.1', /private/],
      ['100.64.0.1', /carrier-grade NAT/],
      ['fd12:3456::1', /unique-local/],
      ['192.0.2.1', /documentation/],
      ['::ffff:127.0.0.1', /loopback/],
      ['169.254.169.254', /link-local/],
    ];
    for (const [address, reason] of cases) expect(policy.refusal(address), address).toMatch(reason);
    await expect(policy.resolve('localhost')).rejects.toThrow(/localhost resolves to .*loopback/);
  });
  it('allows public addresses', () => {
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8']) expect(policy.refusal(a)).toBeUndefined();
  });
});

describe('egress proxy', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  beforeAll(async () => {
    upstream = http.createServer((req, res) => res.end(`hello ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

  function connect(proxyPort: number, target: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.connect(proxyPort, '127.0.0.1', () => {
        s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      });
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n\r\n')) {
          const status = buf.split('\r\n')[0]!;
          if (status.includes(' 200 ')) {
            s.write(`GET /tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
            s.removeAllListeners('data');
            let body = '';
            s.on('data', (x) => (body += x.toString()));
            s.on('end', () => resolve(`${status}\n${body}`));
          } else {
            s.destroy();
            resolve(buf);
          }
        }
      });
      s.on('error', reject);
    });
  }

  it('tunnels to the checked address and refuses forbidden ones', async () => {
    let lookups = 0;
    const policy = new NetworkPolicy('default', async (host) => {
      lookups++;
      return [{ address: host === 'svc.test' ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    });
    const proxy = await startEgressProxy(policy);
    try {
      expect(proxy.host).toBe('127.0.0.1');
      const ok = await connect(proxy.port, `svc.test:${upstreamPort}`);
      expect(ok).toMatch(/200 Connection Established[\s\S]*hello \/tunnel/);
      expect(lookups).toBe(1);
      const meta = await connect(proxy.port, 'metadata.test:80');
      expect(meta).toMatch(/^HTTP\/1.1 403 Forbidden/);
      expect(meta).toContain('metadata.test resolves to 169.254.169.254');
      expect(proxy.refusals).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('forwards plain HTTP requests, and closing it cuts open tunnels', async () => {
    const proxy = await startEgressProxy(new NetworkPolicy('default'));
    try {
      const res = await new Promise<string>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: proxy.port, path: `http://127.0.0.1:${upstreamPort}/plain` },
          (r) => {
            let body = '';
            r.on('data', (d) => (body += d));
            r.on('end', () => resolve(body));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(res).toBe('hello /plain');
      // a tunnel left open is destroyed by close()
      const s = net.connect(proxy.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      const closed = new Promise((r) => s.once('close', r));
      await proxy.close();
      await closed;
    } finally {
      await proxy.close().catch(() => undefined);
    }
  });
});
