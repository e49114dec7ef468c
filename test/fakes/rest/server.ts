import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import crypto from 'node:crypto';

/**
 * A generic paginated JSON API for the `rest_api` loader and the HTTP engine's tests. One
 * collection of items, served under each pagination style:
 *   GET /offset/items?offset=&limit=          { "data": [...] }
 *   GET /page/items?page=&per_page=           { "data": [...], "meta": { "total_pages": n } }
 *   GET /cursor/items?cursor=&limit=          { "data": [...], "next_cursor": "..." | null }
 *   GET /next/items?limit=                    { "data": [...], "links": { "next": "http://..." | null } }
 *   GET /link/items?limit=                    [ ... ] with Link: <...>; rel="next"
 * `updated_since` filters on updated_at >= value on every style. Auth is a bearer token, or
 * OAuth2 (POST /oauth/token) with tokens that expire after a number of requests.
 */
export interface Item {
  id: number;
  name: string;
  amount: number;
  active: boolean;
  tags: string[];
  updated_at: string;
}

export interface FakeRestOptions {
  items?: number;
  /** Accepted bearer token (auth 'bearer'). */
  token?: string;
  oauth?: { clientId: string; clientSecret: string; refreshToken: string };
}

export interface FakeRest {
  url: string;
  items: Map<number, Item>;
  /** Ids deleted, for GET /deleted (an event-style feed). */
  deleted: { id: number; deleted_at: string }[];
  /** The next N API requests answer 429 with this Retry-After (seconds or HTTP date). */
  rateLimit: { remaining: number; retryAfter: string };
  /** The next N item-page requests past the first page answer 500 once each. */
  failPages: number;
  /** OAuth access tokens die after this many API requests each. */
  tokenLifetime: number;
  stats: { requests: number; pages: number; tokenGrants: number; rejected429: number; failed500: number; expired401: number };
  /** Every access token, current and future, dies after `n` more requests. */
  expireTokensAfter(n: number): void;
  update(id: number, patch: Partial<Item>): void;
  insert(n: number, updatedAt: string): number[];
  remove(id: number): void;
  close(): Promise<void>;
}

export const ISO = (ms: number) => new Date(ms).toISOString();

export async function startFakeRest(opts: FakeRestOptions = {}): Promise<FakeRest> {
  const items = new Map<number, Item>();
  const base = Date.parse('2024-01-01T00:00:00Z');
  const n = opts.items ?? 250;
  for (let i = 1; i <= n; i++) {
    // the last 40 share one updated_at: ties at the cursor boundary
    const t = i > n - 40 ? base + (n - 40) * 60_000 : base + i * 60_000;
    items.set(i, { id: i, name: `item ${i}`, amount: i * 1.5, active: i % 2 === 0, tags: ['a', `t${i % 3}`], updated_at: ISO(t) });
  }
  const tokens = new Map<string, number>(); // access token -> requests left
  const sockets = new Set<Socket>();
  let nextId = n + 1;

  const fake: FakeRest = {
    url: '',
    items,
    deleted: [],
    rateLimit: { remaining: 0, retryAfter: '1' },
    failPages: 0,
    tokenLifetime: Infinity,
    stats: { requests: 0, pages: 0, tokenGrants: 0, rejected429: 0, failed500: 0, expired401: 0 },
    expireTokensAfter(count) {
      fake.tokenLifetime = count;
      for (const t of tokens.keys()) tokens.set(t, count);
    },
    update(id, patch) {
      const cur = items.get(id);
      if (!cur) throw new Error(`no item ${id}`);
      items.set(id, { ...cur, ...patch });
    },
    insert(count, updatedAt) {
      const ids: number[] = [];
      for (let k = 0; k < count; k++) {
        const id = nextId++;
        items.set(id, { id, name: `item ${id}`, amount: id * 1.5, active: true, tags: [], updated_at: updatedAt });
        ids.push(id);
      }
      return ids;
    },
    remove(id) {
      items.delete(id);
      fake.deleted.push({ id, deleted_at: ISO(Date.now()) });
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      if (req.method === 'POST' && url.pathname === '/oauth/token') {
        const form = new URLSearchParams(raw);
        const o = opts.oauth;
        if (!o || form.get('client_id') !== o.clientId || form.get('client_secret') !== o.clientSecret || form.get('refresh_token') !== o.refreshToken) {
          return send(res, 400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or was revoked.' });
        }
        const token = crypto.randomBytes(12).toString('hex');
        tokens.set(token, fake.tokenLifetime);
        fake.stats.tokenGrants++;
        return send(res, 200, { access_token: token, token_type: 'bearer', expires_in: 3600 });
      }

      fake.stats.requests++;
      const auth = req.headers.authorization ?? '';
      const given = auth.replace(/^Bearer /, '');
      if (opts.oauth) {
        const left = tokens.get(given);
        if (left === undefined) return send(res, 401, { error: 'invalid_token', message: 'The access token is unknown.' });
        if (left <= 0) {
          fake.stats.expired401++;
          return send(res, 401, { error: 'expired_token', message: 'The access token expired.' });
        }
        tokens.set(given, left - 1);
      } else if (given !== (opts.token ?? 'secret-token')) {
        return send(res, 401, { error: 'unauthorized', message: 'Invalid API token.' });
      }
      if (fake.rateLimit.remaining > 0) {
        fake.rateLimit.remaining--;
        fake.stats.rejected429++;
        return send(res, 429, { error: 'rate_limited', message: 'Too many requests.' }, { 'retry-after': fake.rateLimit.retryAfter });
      }

      const [, style, resource] = url.pathname.split('/');
      if (resource === 'deleted') return send(res, 200, { data: fake.deleted.filter((d) => !url.searchParams.get('since') || d.deleted_at >= url.searchParams.get('since')!) });
      if (resource !== 'items') return send(res, 404, { error: 'not_found', message: `No route ${url.pathname}.` });
      const since = url.searchParams.get('updated_since');
      const all = [...items.values()].filter((i) => !since || i.updated_at >= since).sort((a, b) => a.id - b.id);
      const limit = Number(url.searchParams.get('limit') ?? url.searchParams.get('per_page') ?? 50);
      let start = 0;
      if (style === 'offset') start = Number(url.searchParams.get('offset') ?? 0);
      if (style === 'page') start = (Number(url.searchParams.get('page') ?? 1) - 1) * limit;
      if (style === 'cursor' || style === 'next' || style === 'link') {
        const after = Number(url.searchParams.get('cursor') ?? url.searchParams.get('after') ?? 0);
        start = all.findIndex((i) => i.id > after);
        if (start < 0) start = all.length;
      }
      if (start > 0 && fake.failPages > 0) {
        fake.failPages--;
        fake.stats.failed500++;
        return send(res, 500, { error: 'internal', message: 'Something broke; try again.' });
      }
      fake.stats.pages++;
      const data = all.slice(start, start + limit);
      const more = start + limit < all.length;
      const last = data[data.length - 1]?.id;
      const nextParams = new URLSearchParams(url.searchParams);
      nextParams.set('after', String(last));
      switch (style) {
        case 'offset':
          return send(res, 200, { data });
        case 'page':
          return send(res, 200, { data, meta: { total_pages: Math.ceil(all.length / limit) } });
        case 'cursor':
          return send(res, 200, { data, next_cursor: more ? String(last) : null });
        case 'next':
          return send(res, 200, { data, links: { next: more ? `${fake.url}/next/items?${nextParams}` : null } });
        case 'link':
          return send(res, 200, data, more ? { link: `<${fake.url}/link/items?${nextParams}>; rel="next", <${fake.url}/link/items>; rel="first"` } : {});
        default:
          return send(res, 404, { error: 'not_found', message: `No route ${url.pathname}.` });
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
