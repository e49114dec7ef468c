import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import crypto from 'node:crypto';

/**
 * A local HubSpot CRM v3 API, after HubSpot's public documentation:
 *   POST /oauth/v1/token                            refresh_token grant (form), access tokens expire in 1800 s
 *   GET  /crm/v3/objects/{type}?limit&after&properties&archived
 *                                                  { results, paging: { next: { after, link } } }, limit <= 100
 *   POST /crm/v3/objects/{type}/search              filterGroups/sorts/properties/limit/after, limit <= 200,
 *                                                  at most `searchWindow` (10,000) results per query, no archived records
 *   GET  /crm/v3/owners?limit&after&archived        limit <= 500
 * Auth is `Authorization: Bearer` with a private app token or an OAuth access token. Errors are
 * `{ status: "error", message, correlationId, category }`; 429s carry `errorType: "RATE_LIMIT"`
 * and `policyName`. Limits enforced per account: 100 requests per rolling 10 s
 * (TEN_SECONDLY_ROLLING, with X-HubSpot-RateLimit-* headers on every answer) and 5 searches per
 * second (SECONDLY; search answers carry no rate-limit headers).
 */
export type ObjectType = 'contacts' | 'companies' | 'deals' | 'tickets';
export const OBJECT_TYPES: ObjectType[] = ['contacts', 'companies', 'deals', 'tickets'];
export const MODIFIED: Record<ObjectType, string> = { contacts: 'lastmodifieddate', companies: 'hs_lastmodifieddate', deals: 'hs_lastmodifieddate', tickets: 'hs_lastmodifieddate' };

export interface CrmRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface Owner {
  id: string;
  email: string;
  type: 'PERSON';
  firstName: string;
  lastName: string;
  userId: number;
  userIdIncludingInactive: number;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  teams?: { id: string; name: string; primary: boolean }[];
}

export interface FakeHubSpotOptions {
  counts?: Partial<Record<ObjectType | 'owners', number>>;
  privateAppToken?: string;
  oauth?: { clientId: string; clientSecret: string; refreshToken: string };
}

export interface FakeHubSpot {
  url: string;
  objects: Record<ObjectType, Map<string, CrmRecord>>;
  owners: Owner[];
  /** The next `remaining` API requests answer 429 (TEN_SECONDLY_ROLLING) with this Retry-After. */
  rateLimit: { remaining: number; retryAfter: string };
  /** The next N page requests past a first page answer 500 once each. */
  failPages: number;
  /** Results one search query can page through (HubSpot: 10,000). */
  searchWindow: number;
  stats: { requests: number; pages: number; searches: number; tokenGrants: number; rejected429: number; throttled429: number; failed500: number; expired401: number; windowRejected: number };
  /** Every OAuth access token, current and future, dies after `n` more requests. */
  expireTokensAfter(n: number): void;
  /** Live (not archived) records of a type. */
  live(type: ObjectType): CrmRecord[];
  update(type: ObjectType, id: string, props: Record<string, string>, at: string): void;
  insert(type: ObjectType, n: number, at: string): string[];
  archive(type: ObjectType, id: string, at: string): void;
  close(): Promise<void>;
}

export const ISO = (ms: number) => new Date(ms).toISOString();
const BASE = Date.parse('2024-03-01T00:00:00.000Z');
const FIRST_ID: Record<ObjectType, number> = { contacts: 101, companies: 5001, deals: 9001, tickets: 20001 };
const DEFAULT_PROPERTIES: Record<ObjectType, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  deals: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
  tickets: ['content', 'createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'subject'],
};
const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'closedwon', 'closedlost'];
const OPERATORS = new Set(['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'BETWEEN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY']);
const LIFECYCLE = ['subscriber', 'lead', 'marketingqualifiedlead', 'opportunity', 'customer'];

function propertiesFor(type: ObjectType, n: number, id: string): Record<string, string | null> {
  switch (type) {
    case 'contacts':
      return { email: `contact${n}@example.com`, firstname: `First${n}`, lastname: `Last${n}`, lifecyclestage: n % 9 === 0 ? '' : LIFECYCLE[n % LIFECYCLE.length]!, phone: `+1 555 01${String(n).padStart(2, '0')}`, hs_object_id: id };
    case 'companies':
      return { name: `Company ${n}`, domain: `company${n}.example.com`, industry: n % 2 ? 'COMPUTER_SOFTWARE' : 'RETAIL', hs_object_id: id };
    case 'deals':
      return { dealname: `Deal ${n}`, amount: n % 11 === 0 ? null : (n * 137.5).toFixed(2), dealstage: STAGES[n % STAGES.length]!, closedate: n % 4 === 0 ? null : ISO(BASE + n * 86_400_000), pipeline: 'default', hs_object_id: id };
    case 'tickets':
      return { subject: `Ticket ${n}`, content: `Something about ${n}`, hs_pipeline: '0', hs_pipeline_stage: String((n % 4) + 1), hs_ticket_priority: n % 3 ? 'MEDIUM' : 'HIGH', hs_object_id: id };
  }
}

export async function startFakeHubSpot(opts: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  const pat = opts.privateAppToken ?? 'pat-na1-00000000-0000-0000-0000-000000000000';
  const objects = {} as Record<ObjectType, Map<string, CrmRecord>>;
  const nextId = {} as Record<ObjectType, number>;
  const make = (type: ObjectType, n: number, id: number, created: number, modified: number): CrmRecord => {
    const sid = String(id);
    const props = { ...propertiesFor(type, n, sid), createdate: ISO(created), [MODIFIED[type]]: ISO(modified) };
    return { id: sid, properties: props, createdAt: ISO(created), updatedAt: ISO(modified), archived: false };
  };
  for (const type of OBJECT_TYPES) {
    const n = opts.counts?.[type] ?? 50;
    const map = new Map<string, CrmRecord>();
    for (let i = 1; i <= n; i++) {
      // ties at a cursor value: ten records in the middle, and the last 30 (the cursor boundary)
      const step = i > n - 30 ? n - 30 : i >= 50 && i < 60 ? 50 : i;
      const modified = BASE + step * 61_000 + (step % 1000);
      map.set(String(FIRST_ID[type] + i), make(type, i, FIRST_ID[type] + i, BASE - (n - i) * 3_600_000, modified));
    }
    objects[type] = map;
    nextId[type] = FIRST_ID[type] + n + 1;
  }
  const owners: Owner[] = [];
  for (let i = 1; i <= (opts.counts?.owners ?? 20); i++) {
    const t = ISO(BASE - i * 86_400_000);
    owners.push({ id: String(41_000_000 + i), email: `owner${i}@example.com`, type: 'PERSON', firstName: `Owner${i}`, lastName: `Team${i % 5}`, userId: 9_000_000 + i, userIdIncludingInactive: 9_000_000 + i, createdAt: t, updatedAt: t, archived: false, ...(i % 3 === 0 ? { teams: [{ id: String(100 + (i % 5)), name: `Team ${i % 5}`, primary: true }] } : {}) });
  }

  const tokens = new Map<string, { left: number; expiresAt: number }>();
  let tokenLifetime = Infinity;
  const general: number[] = []; // arrival times, rolling 10 s
  const searches: number[] = []; // arrival times, rolling 1 s
  const sockets = new Set<Socket>();

  const fake: FakeHubSpot = {
    url: '',
    objects,
    owners,
    rateLimit: { remaining: 0, retryAfter: '1' },
    failPages: 0,
    searchWindow: 10_000,
    stats: { requests: 0, pages: 0, searches: 0, tokenGrants: 0, rejected429: 0, throttled429: 0, failed500: 0, expired401: 0, windowRejected: 0 },
    expireTokensAfter(n) {
      tokenLifetime = n;
      for (const t of tokens.values()) t.left = n;
    },
    live: (type) => [...objects[type].values()].filter((r) => !r.archived),
    update(type, id, props, at) {
      const r = objects[type].get(id);
      if (!r) throw new Error(`no ${type} ${id}`);
      Object.assign(r.properties, props, { [MODIFIED[type]]: at });
      r.updatedAt = at;
    },
    insert(type, n, at) {
      const ids: string[] = [];
      for (let k = 0; k < n; k++) {
        const id = nextId[type]++;
        objects[type].set(String(id), make(type, id - FIRST_ID[type], id, Date.parse(at), Date.parse(at)));
        ids.push(String(id));
      }
      return ids;
    },
    archive(type, id, at) {
      const r = objects[type].get(id);
      if (!r) throw new Error(`no ${type} ${id}`);
      Object.assign(r, { archived: true, archivedAt: at, updatedAt: at });
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, status: number, message: string, category: string, headers: Record<string, string> = {}) =>
    send(res, status, { status: 'error', message, correlationId: crypto.randomUUID(), category }, headers);
  const rateLimited = (res: http.ServerResponse, policyName: 'TEN_SECONDLY_ROLLING' | 'SECONDLY', retryAfter: string) =>
    send(
      res,
      429,
      { status: 'error', message: `You have reached your ${policyName.toLowerCase()} limit.`, errorType: 'RATE_LIMIT', correlationId: crypto.randomUUID(), policyName, groupName: `publicapi:api-calls-${policyName.toLowerCase()}:12345678` },
      { 'retry-after': retryAfter },
    );

  // opaque paging tokens, as HubSpot's are: the id the next page starts at
  const token = (id: string) => Buffer.from(id).toString('base64url');
  const untoken = (t: string | null) => (t ? Number(Buffer.from(t, 'base64url').toString()) : 0);
  const ms = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? NaN : /^\d+$/.test(v) ? Number(v) : Date.parse(v));
  const compare = (a: string | null | undefined, b: string): number => {
    const [x, y] = [ms(a), ms(b)];
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
    return String(a ?? '').localeCompare(b);
  };
  const view = (type: ObjectType, r: CrmRecord, requested: string[] | null) => {
    const names = new Set([...(requested ?? DEFAULT_PROPERTIES[type]), 'createdate', 'hs_object_id', MODIFIED[type]]);
    const properties: Record<string, string | null> = {};
    for (const n of names) properties[n] = r.properties[n] ?? null;
    return { id: r.id, properties, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: r.archived, ...(r.archivedAt ? { archivedAt: r.archivedAt } : {}) };
  };
  const requestedProperties = (url: URL): string[] | null => {
    const all = url.searchParams.getAll('properties').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
    return all.length ? all : null;
  };
  const limitOf = (raw: unknown, fallback: number, max: number): number | string => {
    const n = raw === undefined || raw === null ? fallback : Number(raw);
    return Number.isInteger(n) && n >= 1 && n <= max ? n : `limit must be an integer between 1 and ${max}`;
  };

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', fake.url);
    if (req.method === 'POST' && url.pathname === '/oauth/v1/token') {
      const form = new URLSearchParams(raw);
      const o = opts.oauth;
      if (form.get('grant_type') !== 'refresh_token') return send(res, 400, { status: 'BAD_GRANT_TYPE', message: 'grant_type must be refresh_token', correlationId: crypto.randomUUID() });
      if (!o || form.get('client_id') !== o.clientId) return send(res, 400, { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id', correlationId: crypto.randomUUID() });
      if (form.get('client_secret') !== o.clientSecret) return send(res, 400, { status: 'BAD_CLIENT_SECRET', message: 'missing or invalid client secret', correlationId: crypto.randomUUID() });
      if (form.get('refresh_token') !== o.refreshToken) return send(res, 400, { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token', correlationId: crypto.randomUUID() });
      const access = `CJ${crypto.randomBytes(24).toString('base64url')}`;
      tokens.set(access, { left: tokenLifetime, expiresAt: Date.now() + 1_800_000 });
      fake.stats.tokenGrants++;
      return send(res, 200, { token_type: 'bearer', refresh_token: o.refreshToken, access_token: access, expires_in: 1800 });
    }

    fake.stats.requests++;
    const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    const isPat = given === pat;
    if (!isPat) {
      const t = tokens.get(given);
      if (!t) return fail(res, 401, 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview', 'INVALID_AUTHENTICATION');
      if (t.left <= 0 || t.expiresAt <= Date.now()) {
        fake.stats.expired401++;
        return fail(res, 401, `The OAuth token used to make this call expired ${Math.max(1, Math.round((Date.now() - Math.min(t.expiresAt, Date.now())) / 1000))} second(s) ago.`, 'EXPIRED_AUTHENTICATION');
      }
      t.left--;
    }

    const search = /^\/crm\/v3\/objects\/[^/]+\/search$/.test(url.pathname) && req.method === 'POST';
    if (fake.rateLimit.remaining > 0) {
      fake.rateLimit.remaining--;
      fake.stats.rejected429++;
      return rateLimited(res, 'TEN_SECONDLY_ROLLING', fake.rateLimit.retryAfter);
    }
    const now = Date.now();
    while (general.length && general[0]! <= now - 10_000) general.shift();
    while (searches.length && searches[0]! <= now - 1_000) searches.shift();
    if (general.length >= 100 || (search && searches.length >= 5)) {
      fake.stats.rejected429++;
      fake.stats.throttled429++;
      const oldest = search && searches.length >= 5 ? searches[0]! + 1_000 : general[0]! + 10_000;
      return rateLimited(res, search && searches.length >= 5 ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING', String(Math.max(1, Math.ceil((oldest - now) / 1000))));
    }
    general.push(now);
    if (search) searches.push(now);
    // search answers carry no rate-limit headers
    const limits: Record<string, string> = search
      ? {}
      : {
          'x-hubspot-ratelimit-interval-milliseconds': '10000',
          'x-hubspot-ratelimit-max': '100',
          'x-hubspot-ratelimit-remaining': String(100 - general.length),
          'x-hubspot-ratelimit-secondly': '10',
          'x-hubspot-ratelimit-secondly-remaining': String(Math.max(0, 10 - general.filter((t) => t > now - 1_000).length)),
          // daily figures go to private apps only (OAuth apps have no daily limit)
          ...(isPat ? { 'x-hubspot-ratelimit-daily': '250000', 'x-hubspot-ratelimit-daily-remaining': String(250_000 - fake.stats.requests) } : {}),
        };

    const failPage = (later: boolean): boolean => {
      if (!later || fake.failPages <= 0) return false;
      fake.failPages--;
      fake.stats.failed500++;
      fail(res, 500, 'internal error', 'INTERNAL_ERROR');
      return true;
    };

    if (req.method === 'GET' && url.pathname === '/crm/v3/owners') {
      const limit = limitOf(url.searchParams.get('limit'), 100, 500);
      if (typeof limit === 'string') return fail(res, 400, limit, 'VALIDATION_ERROR');
      if (failPage(url.searchParams.has('after'))) return;
      fake.stats.pages++;
      const archived = url.searchParams.get('archived') === 'true';
      const start = untoken(url.searchParams.get('after'));
      const all = owners.filter((o) => o.archived === archived && Number(o.id) >= start && (!url.searchParams.get('email') || o.email === url.searchParams.get('email')));
      const page = all.slice(0, limit);
      const next = all[limit];
      return send(res, 200, { results: page, ...(next ? { paging: { next: { after: token(next.id), link: `${fake.url}/crm/v3/owners?after=${token(next.id)}` } } } : {}) }, limits);
    }

    const m = /^\/crm\/v3\/objects\/([^/]+)(\/search)?$/.exec(url.pathname);
    const type = m?.[1] as ObjectType | undefined;
    if (!m || !type || !OBJECT_TYPES.includes(type)) return fail(res, 404, `Unable to infer object type from: ${m?.[1] ?? url.pathname}`, 'OBJECT_NOT_FOUND', limits);

    if (!m[2] && req.method === 'GET') {
      const limit = limitOf(url.searchParams.get('limit'), 10, 100);
      if (typeof limit === 'string') return fail(res, 400, limit, 'VALIDATION_ERROR', limits);
      if (failPage(url.searchParams.has('after'))) return;
      fake.stats.pages++;
      const archived = url.searchParams.get('archived') === 'true';
      const start = untoken(url.searchParams.get('after'));
      const all = [...objects[type].values()].filter((r) => r.archived === archived && Number(r.id) >= start).sort((a, b) => Number(a.id) - Number(b.id));
      const props = requestedProperties(url);
      const next = all[limit];
      const nextParams = new URLSearchParams(url.searchParams);
      if (next) nextParams.set('after', token(next.id));
      return send(
        res,
        200,
        { results: all.slice(0, limit).map((r) => view(type, r, props)), ...(next ? { paging: { next: { after: token(next.id), link: `${fake.url}${url.pathname}?${nextParams}` } } } : {}) },
        limits,
      );
    }

    if (m[2] && req.method === 'POST') {
      let body: { filterGroups?: { filters?: { propertyName: string; operator: string; value?: string; highValue?: string }[] }[]; sorts?: (string | { propertyName: string; direction?: string })[]; properties?: string[]; limit?: number; after?: string | number };
      try {
        body = JSON.parse(raw || '{}') as typeof body;
      } catch {
        return fail(res, 400, 'Invalid input JSON on line 1', 'VALIDATION_ERROR');
      }
      const limit = limitOf(body.limit, 10, 200);
      if (typeof limit === 'string') return fail(res, 400, limit, 'VALIDATION_ERROR');
      const offset = Number(body.after ?? 0);
      if (!Number.isInteger(offset) || offset < 0) return fail(res, 400, `after must be a non-negative integer, got ${String(body.after)}`, 'VALIDATION_ERROR');
      if (offset + limit > fake.searchWindow) {
        fake.stats.windowRejected++;
        return fail(res, 400, `Search results are limited to ${fake.searchWindow} per query; narrow the filters to page further.`, 'VALIDATION_ERROR');
      }
      const groups = body.filterGroups ?? [];
      const test = (r: CrmRecord, f: { propertyName: string; operator: string; value?: string; highValue?: string }): boolean => {
        const v = f.propertyName === 'hs_object_id' ? r.id : r.properties[f.propertyName];
        const c = () => compare(v, String(f.value ?? ''));
        switch (f.operator) {
          case 'EQ':
            return v !== null && v !== undefined && c() === 0;
          case 'NEQ':
            return v === null || v === undefined || c() !== 0;
          case 'GT':
            return v !== null && v !== undefined && c() > 0;
          case 'GTE':
            return v !== null && v !== undefined && c() >= 0;
          case 'LT':
            return v !== null && v !== undefined && c() < 0;
          case 'LTE':
            return v !== null && v !== undefined && c() <= 0;
          case 'BETWEEN':
            return v !== null && v !== undefined && c() >= 0 && compare(v, String(f.highValue ?? '')) <= 0;
          case 'HAS_PROPERTY':
            return v !== null && v !== undefined && v !== '';
          default: // NOT_HAS_PROPERTY
            return v === null || v === undefined || v === '';
        }
      };
      const unknown = groups.flatMap((g) => g.filters ?? []).find((f) => !OPERATORS.has(f.operator));
      if (unknown) return fail(res, 400, `Unsupported operator ${unknown.operator}`, 'VALIDATION_ERROR');
      const sort = body.sorts?.[0];
      const sortBy = typeof sort === 'string' ? { propertyName: sort, direction: 'ASCENDING' } : sort;
      const matched = [...objects[type].values()]
        .filter((r) => !r.archived && (groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => test(r, f)))))
        .sort((a, b) => {
          const byProp = sortBy ? compare(a.properties[sortBy.propertyName], b.properties[sortBy.propertyName] ?? '') * (sortBy.direction === 'DESCENDING' ? -1 : 1) : 0;
          return byProp || Number(a.id) - Number(b.id);
        });
      if (failPage(offset > 0)) return;
      fake.stats.searches++;
      fake.stats.pages++;
      const more = offset + limit < matched.length;
      return send(res, 200, { total: matched.length, results: matched.slice(offset, offset + limit).map((r) => view(type, r, body.properties?.length ? body.properties : null)), ...(more ? { paging: { next: { after: String(offset + limit) } } } : {}) });
    }
    return fail(res, 405, `Method ${req.method ?? ''} not allowed on ${url.pathname}`, 'VALIDATION_ERROR', limits);
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => handle(req, res, raw));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
