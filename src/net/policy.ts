import dns from 'node:dns';
import net from 'node:net';

/**
 * Which addresses a user-supplied host may resolve to (SSRF protection). Connection tests and
 * loaders connect to hosts their users typed in, from inside the deployment's network.
 *
 * - always refused: link-local and cloud metadata endpoints, "this host", multicast,
 *   broadcast — nothing a warehouse lives on, everything an attacker wants;
 * - `public` mode (multi-tenant deployments) also refuses loopback, private, CGNAT,
 *   unique-local and documentation ranges.
 *
 * A host is refused if ANY of its addresses is refused (a mixed answer is a rebinding
 * trick), and callers connect to the address checked here, never to the name again.
 */
export type NetworkPolicyMode = 'default' | 'public';

export interface ResolvedAddress {
  host: string;
  address: string;
  family: 4 | 6;
}

export class NetworkPolicyError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`refused by the network policy: ${host === address ? address : `${host} resolves to ${address}`}, ${reason}`);
    this.name = 'NetworkPolicyError';
  }
}

export class DnsError extends Error {
  constructor(
    readonly host: string,
    readonly code: string,
  ) {
    super(code === 'ENOTFOUND' ? `DNS: ${host} does not resolve (no such host)` : `DNS: resolving ${host} failed (${code})`);
    this.name = 'DnsError';
  }
}

type Rule = [cidr: string, reason: string];

const ALWAYS: Rule[] = [
  ['169.254.0.0/16', 'a link-local address (cloud metadata endpoints live here)'],
  ['fe80::/10', 'a link-local address'],
  ['fd00:ec2::254/128', 'the AWS instance metadata endpoint'],
  ['100.100.100.200/32', 'the Alibaba Cloud metadata endpoint'],
  ['0.0.0.0/8', 'an unspecified ("this host") address'],
  ['::/128', 'an unspecified ("this host") address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['ff00::/8', 'a multicast address'],
  ['255.255.255.255/32', 'the broadcast address'],
];

const PUBLIC_ONLY: Rule[] = [
  ['127.0.0.0/8', 'a loopback address'],
  ['::1/128', 'a loopback address'],
  ['10.0.0.0/8', 'a private address'],
  ['172.16.0.0/12', 'a private address'],
  ['192.168.0.0/16', 'a private address'],
  ['100.64.0.0/10', 'a carrier-grade NAT address'],
  ['fc00::/7', 'a unique-local (private) address'],
  ['192.0.0.0/24', 'a reserved address'],
  ['192.0.2.0/24', 'a documentation address'],
  ['198.18.0.0/15', 'a benchmarking address'],
  ['198.51.100.0/24', 'a documentation address'],
  ['203.0.113.0/24', 'a documentation address'],
  ['240.0.0.0/4', 'a reserved address'],
  ['2001:db8::/32', 'a documentation address'],
];

function blockList(rules: Rule[]): { list: net.BlockList; reasons: [net.BlockList, string][] } {
  const list = new net.BlockList();
  const reasons: [net.BlockList, string][] = [];
  for (const [cidr, reason] of rules) {
    const [ip, bits] = cidr.split('/') as [string, string];
    const type = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
    list.addSubnet(ip, Number(bits), type);
    const one = new net.BlockList();
    one.addSubnet(ip, Number(bits), type);
    reasons.push([one, reason]);
  }
  return { list, reasons };
}

const always = blockList(ALWAYS);
const publicOnly = blockList(PUBLIC_ONLY);

/** IPv4 hidden in IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d) is judged as IPv4. */
function embeddedIPv4(address: string): string | undefined {
  const m = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return m[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

export class NetworkPolicy {
  constructor(
    readonly mode: NetworkPolicyMode = 'default',
    private readonly lookup: Lookup = systemLookup,
  ) {}

  /** Why an address is refused, or undefined when it is allowed. */
  refusal(address: string): string | undefined {
    const v4 = embeddedIPv4(address);
    const ip = v4 ?? address;
    const type = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
    const sets = this.mode === 'public' ? [always, publicOnly] : [always];
    for (const set of sets) {
      if (!set.list.check(ip, type)) continue;
      return set.reasons.find(([one]) => one.check(ip, type))?.[1] ?? 'a forbidden address';
    }
    return undefined;
  }

  /** Resolves a host and checks every address it resolves to; returns the one to connect to. */
  async resolve(host: string): Promise<ResolvedAddress> {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    let answers: { address: string; family: number }[];
    if (net.isIP(bare)) answers = [{ address: bare, family: net.isIP(bare) }];
    else {
      try {
        answers = await this.lookup(bare);
      } catch (err) {
        throw new DnsError(bare, (err as NodeJS.ErrnoException).code ?? 'ERROR');
      }
      if (answers.length === 0) throw new DnsError(bare, 'ENOTFOUND');
    }
    for (const a of answers) {
      const reason = this.refusal(a.address);
      if (reason) throw new NetworkPolicyError(bare, a.address, reason);
    }
    const first = answers[0]!;
    return { host: bare, address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
