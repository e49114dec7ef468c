import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake of Klaviyo's REST API (https://developers.klaviyo.com/en/reference/api_overview), as
 * its public documentation describes it:
 *   GET /api/accounts, /api/profiles, /api/events, /api/lists, /api/campaigns, /api/metrics
 *   JSON:API documents: `data` of `{ type, id, attributes, relationships, links }`, and
 *   `links.next`, an absolute URL carrying an opaque `page[cursor]` and every other parameter.
 *   `filter=op(field,value)[,op(field,value)...]` (and `and(...)`), with the fields and operators
 *   each endpoint allows (profiles' `updated` takes greater-than/less-than only), `sort=[-]field`,
 *   `page[size]` where documented (profiles, 1..100); any other parameter is a 400.
 *   The `revision` header is required; `Authorization: Klaviyo-API-Key pk_...` or
 *   `Authorization: Bearer <OAuth access token>`.
 *   POST /oauth/token (grant_type=refresh_token, client credentials as HTTP Basic only).
 *   Errors as `{ "errors": [{ id, status, code, title, detail, source }] }`; 429 with Retry-After.
 * Deleted profiles simply disappear (Klaviyo has no listing of deletions), and events never change.
 */
export interface Resource {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  relationships?: Record<string, unknown>;
  /** Filterable values that are not attributes (a campaign's `messages.channel`, an event's `metric_id`). */
  hidden?: Record<string, unknown>;
}

export interface FakeKlaviyoOptions {
  profiles?: number;
  events?: number;
  lists?: number;
  metrics?: number;
  campaigns?: { email: number; sms: number };
  /** The private API key accepted (`Klaviyo-API-Key <key>`). */
  apiKey?: string;
  oauth?: { clientId: string; clientSecret: string; refreshToken: string };
  /** Caps every page below Klaviyo's sizes, so small seeds still span many pages. */
  maxPageSize?: number;
}

export interface FakeKlaviyo {
  url: string;
  profiles: Map<string, Resource>;
  events: Map<string, Resource>;
  lists: Map<string, Resource>;
  campaigns: Map<string, Resource>;
  metrics: Map<string, Resource>;
  /** The next N API requests answer 429 with this Retry-After (seconds). */
  rateLimit: { remaining: number; retryAfter: string };
  /** The next N requests for a page past the first answer 500, once each. */
  failPages: number;
  stats: { requests: number; pages: number; tokenGrants: number; rejected429: number; failed500: number; expired401: number; revisions: Set<string>; queries: string[] };
  /** Access tokens issued so far die after `n` more requests each (new ones live their hour). */
  expireTokensAfter(n: number): void;
  /** Changes a profile's attributes and its `updated` (Klaviyo format). */
  updateProfile(id: string, attributes: Record<string, unknown>, updated: string): void;
  insertProfiles(n: number, updated: string): string[];
  close(): Promise<void>;
}

const BASE = Date.parse('2024-01-01T00:00:00Z');
/** Klaviyo's datetime format: whole seconds with an explicit UTC offset. */
export const kTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
/** A ULID-shaped id (Crockford base32 digits), ordered by `n`. */
const ulid = (prefix: string, n: number) => `01H${prefix}${String(n).padStart(22, '0')}`;

interface Endpoint {
  map: Map<string, Resource>;
  /** Klaviyo's own page size, and the largest `page[size]` when the endpoint takes one. */
  pageSize: number;
  maxPageSize?: number;
  filters: Record<string, string[]>;
  sorts: string[];
  extraParams?: Record<string, string[]>;
  requiredFilter?: { field: string; detail: string };
}

type Value = string | number | boolean | null | Value[];
interface Condition {
  op: string;
  field: string;
  value: Value;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly parameter?: string,
  ) {
    super(detail);
  }
}
const invalid = (detail: string, parameter: string) => new ApiError(400, 'invalid', 'Invalid input.', detail, parameter);

/** Splits on commas outside parentheses, brackets and quotes. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0 && !quote) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function parseValue(raw: string): Value {
  const s = raw.trim();
  if (/^(['"]).*\1$/s.test(s)) return s.slice(1, -1);
  if (s.startsWith('[') && s.endsWith(']')) return splitTop(s.slice(1, -1)).map(parseValue);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) return s; // datetimes go unquoted
  throw invalid(`Invalid value ${s}.`, 'filter');
}

function parseFilter(filter: string): Condition[] {
  const out: Condition[] = [];
  for (const expr of splitTop(filter)) {
    const m = /^([a-z-]+)\((.*)\)$/s.exec(expr);
    if (!m) throw invalid(`Invalid filter expression ${expr}.`, 'filter');
    if (m[1] === 'and') {
      out.push(...parseFilter(m[2]!));
      continue;
    }
    const [field, value, ...more] = splitTop(m[2]!);
    if (!field || value === undefined || more.length) throw invalid(`Invalid filter expression ${expr}.`, 'filter');
    out.push({ op: m[1]!, field, value: parseValue(value) });
  }
  return out;
}

function fieldOf(r: Resource, field: string): unknown {
  if (field === 'id') return r.id;
  if (r.hidden && field in r.hidden) return r.hidden[field];
  let cur: unknown = r.attributes;
  for (const part of field.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur;
}

/** Datetimes compare as instants, anything else as is. */
function compare(a: unknown, b: unknown): number {
  const ta = typeof a === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(a) ? Date.parse(a) : NaN;
  const tb = typeof b === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(b) ? Date.parse(b) : NaN;
  if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

function matches(r: Resource, c: Condition): boolean {
  const v = fieldOf(r, c.field);
  switch (c.op) {
    case 'equals':
      return compare(v, c.value) === 0;
    case 'any':
      return Array.isArray(c.value) && c.value.some((x) => compare(v, x) === 0);
    case 'contains':
      return typeof v === 'string' && v.includes(String(c.value));
    case 'greater-than':
      return compare(v, c.value) > 0;
    case 'greater-or-equal':
      return compare(v, c.value) >= 0;
    case 'less-than':
      return compare(v, c.value) < 0;
    case 'less-or-equal':
      return compare(v, c.value) <= 0;
    default:
      return false;
  }
}

const encodeCursor = (pos: { k: unknown; id: string }) => Buffer.from(JSON.stringify(pos)).toString('base64url');
function decodeCursor(c: string): { k: unknown; id: string } {
  try {
    const pos = JSON.parse(Buffer.from(c, 'base64url').toString()) as { k: unknown; id: string };
    if (typeof pos.id !== 'string') throw new Error('bad');
    return pos;
  } catch {
    throw invalid('Invalid page cursor.', 'page[cursor]');
  }
}

export async function startFakeKlaviyo(opts: FakeKlaviyoOptions = {}): Promise<FakeKlaviyo> {
  const profiles = new Map<string, Resource>();
  const events = new Map<string, Resource>();
  const lists = new Map<string, Resource>();
  const campaigns = new Map<string, Resource>();
  const metrics = new Map<string, Resource>();
  const nProfiles = opts.profiles ?? 300;
  let nextProfile = 1;

  const profileAttributes = (i: number, updated: string) => ({
    email: `person${i}@example.com`,
    phone_number: i % 3 === 0 ? `+1555${String(i).padStart(7, '0')}` : null,
    external_id: i % 5 === 0 ? `ext-${i}` : null,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    organization: i % 4 === 0 ? 'Acme' : null,
    locale: 'en-US',
    title: null,
    image: null,
    created: kTime(BASE + (i - 1) * 60_000 - 86_400_000),
    updated,
    last_event_date: i % 2 === 0 ? kTime(BASE + i * 30_000) : null,
    location: { address1: `${i} Main St`, address2: null, city: 'Boston', country: 'United States', region: 'MA', zip: '02110', timezone: 'America/New_York', ip: null, latitude: null, longitude: null },
    properties: { lifetime_orders: i % 7, vip: i % 10 === 0 },
  });
  const addProfile = (updated: string) => {
    const i = nextProfile++;
    const id = ulid('P', i);
    profiles.set(id, { type: 'profile', id, attributes: profileAttributes(i, updated) });
    return id;
  };
  for (let i = 1; i <= nProfiles; i++) {
    // the last 40 share one `updated`: ties at the cursor boundary
    addProfile(kTime(BASE + Math.min(i, nProfiles - 40) * 60_000));
  }

  const metricNames = ['Placed Order', 'Opened Email', 'Clicked Email', 'Received Email', 'Viewed Product', 'Started Checkout', 'Active on Site'];
  for (let i = 1; i <= (opts.metrics ?? 30); i++) {
    const id = `M${String(i).padStart(5, '0')}`;
    const klaviyo = i % 3 !== 0;
    metrics.set(id, {
      type: 'metric',
      id,
      attributes: {
        name: i <= metricNames.length ? metricNames[i - 1] : `Custom Metric ${i}`,
        created: kTime(BASE - 365 * 86_400_000 + i * 3_600_000),
        updated: kTime(BASE - 30 * 86_400_000 + i * 3_600_000),
        integration: klaviyo ? { object: 'integration', id: '0rG4eQ', key: 'klaviyo', name: 'Klaviyo', category: 'Internal' } : { object: 'integration', id: '0eMvjm', key: 'shopify', name: 'Shopify', category: 'eCommerce' },
      },
    });
  }
  const metricIds = [...metrics.keys()];
  const profileIds = [...profiles.keys()];

  for (let i = 1; i <= (opts.events ?? 500); i++) {
    const id = `4vRp${String(i).padStart(8, '0')}`;
    // pairs of events share a second
    const t = BASE + Math.floor(i / 2) * 30_000;
    const metricId = metricIds[i % metricIds.length] ?? 'M00001';
    const profileId = profileIds[i % profileIds.length] ?? ulid('P', 1);
    events.set(id, {
      type: 'event',
      id,
      attributes: { timestamp: Math.floor(t / 1000), event_properties: { value: i * 2.5, $event_id: `evt-${i}`, items: [`sku-${i % 11}`] }, datetime: kTime(t), uuid: crypto.randomUUID() },
      relationships: { profile: { data: { type: 'profile', id: profileId } }, metric: { data: { type: 'metric', id: metricId } } },
      hidden: { metric_id: metricId, profile_id: profileId },
    });
  }

  for (let i = 1; i <= (opts.lists ?? 35); i++) {
    const id = `L${String(i).padStart(5, '0')}`;
    lists.set(id, { type: 'list', id, attributes: { name: `List ${i}`, created: kTime(BASE - 200 * 86_400_000 + i * 86_400_000), updated: kTime(BASE + i * 3_600_000), opt_in_process: i % 2 ? 'single_opt_in' : 'double_opt_in' } });
  }

  const c = opts.campaigns ?? { email: 23, sms: 12 };
  let n = 0;
  for (const [channel, count] of [['email', c.email], ['sms', c.sms]] as const) {
    for (let k = 1; k <= count; k++) {
      const id = `01HC${String(++n).padStart(22, '0')}`;
      const sent = n % 4 !== 0;
      const t = BASE + n * 86_400_000;
      campaigns.set(id, {
        type: 'campaign',
        id,
        attributes: {
          name: `${channel.toUpperCase()} campaign ${k}`,
          status: sent ? 'Sent' : 'Draft',
          archived: false,
          audiences: { included: [`L${String((n % 5) + 1).padStart(5, '0')}`], excluded: [] },
          send_options: { use_smart_sending: true },
          tracking_options: channel === 'email' ? { add_tracking_params: false, is_tracking_clicks: true, is_tracking_opens: true } : { add_tracking_params: false, is_tracking_clicks: true },
          send_strategy: { method: 'static', datetime: kTime(t + 3_600_000), options: { is_local: false } },
          created_at: kTime(t - 86_400_000),
          scheduled_at: sent ? kTime(t) : null,
          updated_at: kTime(t),
          send_time: sent ? kTime(t + 3_600_000) : null,
        },
        relationships: { 'campaign-messages': { links: {} }, tags: { links: {} } },
        hidden: { 'messages.channel': channel },
      });
    }
  }

  const time4 = ['greater-or-equal', 'greater-than', 'less-or-equal', 'less-than'];
  const endpoints: Record<string, Endpoint> = {
    profiles: {
      map: profiles,
      pageSize: 20,
      maxPageSize: 100,
      filters: { id: ['any', 'equals'], email: ['any', 'equals'], phone_number: ['any', 'equals'], external_id: ['any', 'equals'], created: ['greater-than', 'less-than'], updated: ['greater-than', 'less-than'] },
      sorts: ['id', 'created', 'updated', 'email'],
      extraParams: { 'additional-fields[profile]': ['subscriptions', 'predictive_analytics'] },
    },
    events: { map: events, pageSize: 200, filters: { metric_id: ['equals'], profile_id: ['equals'], datetime: time4, timestamp: time4 }, sorts: ['datetime', 'timestamp'] },
    lists: { map: lists, pageSize: 10, filters: { name: ['any', 'equals'], id: ['any', 'equals'], created: ['greater-than'], updated: ['greater-than'] }, sorts: ['created', 'id', 'name', 'updated'] },
    campaigns: {
      map: campaigns,
      pageSize: 10,
      filters: { id: ['any'], 'messages.channel': ['equals'], name: ['contains'], status: ['any', 'equals'], archived: ['equals'], created_at: time4, scheduled_at: time4, updated_at: time4 },
      sorts: ['created_at', 'id', 'name', 'scheduled_at', 'updated_at'],
      requiredFilter: { field: 'messages.channel', detail: "A channel filter is required to list campaigns. Please provide either ?filter=equals(messages.channel,'email') or ?filter=equals(messages.channel,'sms')." },
    },
    metrics: { map: metrics, pageSize: 200, filters: { 'integration.name': ['equals'], 'integration.category': ['equals'] }, sorts: [] },
  };

  const tokens = new Map<string, number>(); // access token -> requests left
  const sockets = new Set<Socket>();
  const fake: FakeKlaviyo = {
    url: '',
    profiles,
    events,
    lists,
    campaigns,
    metrics,
    rateLimit: { remaining: 0, retryAfter: '1' },
    failPages: 0,
    stats: { requests: 0, pages: 0, tokenGrants: 0, rejected429: 0, failed500: 0, expired401: 0, revisions: new Set(), queries: [] },
    expireTokensAfter(count) {
      for (const t of tokens.keys()) tokens.set(t, count);
    },
    updateProfile(id, attributes, updated) {
      const p = profiles.get(id);
      if (!p) throw new Error(`no profile ${id}`);
      p.attributes = { ...p.attributes, ...attributes, updated };
    },
    insertProfiles(count, updated) {
      return Array.from({ length: count }, () => addProfile(updated));
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/vnd.api+json', ...headers });
    res.end(JSON.stringify(body));
  };
  const sendError = (res: http.ServerResponse, e: ApiError, headers: Record<string, string> = {}) =>
    send(res, e.status, { errors: [{ id: crypto.randomUUID(), status: e.status, code: e.code, title: e.title, detail: e.detail, source: e.parameter ? { parameter: e.parameter } : { pointer: '/data/' } }] }, headers);

  const output = (r: Resource, additional: string[]): Record<string, unknown> => {
    const attributes = r.type === 'profile' && additional.includes('subscriptions') ? { ...r.attributes, subscriptions: subscriptionsOf(r) } : r.attributes;
    const self = `${fake.url}/api/${r.type}s/${r.id}/`;
    const relationships = r.relationships
      ? Object.fromEntries(Object.entries(r.relationships).map(([k, v]) => [k, { ...(v as object), links: { self: `${self}relationships/${k}/`, related: `${self}${k}/` } }]))
      : undefined;
    return { type: r.type, id: r.id, attributes, ...(relationships ? { relationships } : {}), links: { self } };
  };

  function list(url: URL, ep: Endpoint): unknown {
    const params = url.searchParams;
    const allowed = new Set(['filter', 'sort', 'page[cursor]', ...(ep.maxPageSize ? ['page[size]'] : []), ...Object.keys(ep.extraParams ?? {})]);
    for (const key of params.keys()) {
      if (!allowed.has(key) && !/^fields\[[a-z-]+\]$/.test(key) && key !== 'include') throw invalid(`'${key}' is not a valid parameter for this endpoint.`, key);
    }
    for (const [key, values] of Object.entries(ep.extraParams ?? {})) {
      for (const v of (params.get(key) ?? '').split(',').filter(Boolean)) if (!values.includes(v)) throw invalid(`'${v}' is not a valid value for ${key}.`, key);
    }
    const conditions = parseFilter(params.get('filter') ?? '');
    for (const cond of conditions) {
      const ops = ep.filters[cond.field];
      if (!ops) throw invalid(`'${cond.field}' is not a valid field for the resource.`, 'filter');
      if (!ops.includes(cond.op)) throw invalid(`'${cond.op}' operator is not allowed for field '${cond.field}' (allowed: ${ops.join(', ')}).`, 'filter');
    }
    if (ep.requiredFilter && !conditions.some((cond) => cond.field === ep.requiredFilter!.field)) throw invalid(ep.requiredFilter.detail, 'filter');
    const sortParam = params.get('sort') ?? '';
    const desc = sortParam.startsWith('-');
    const sortField = sortParam.replace(/^-/, '') || 'id';
    if (sortParam && !ep.sorts.includes(sortField)) throw invalid(`'${sortParam}' is not a valid sort field.`, 'sort');
    const sizeParam = params.get('page[size]');
    const size = sizeParam === null ? ep.pageSize : Number(sizeParam);
    if (!Number.isInteger(size) || size < 1 || size > (ep.maxPageSize ?? ep.pageSize)) throw invalid(`page[size] must be an integer between 1 and ${ep.maxPageSize ?? ep.pageSize}.`, 'page[size]');
    const pageSize = Math.min(size, opts.maxPageSize ?? Infinity);

    const order = (a: Resource, b: Resource) => {
      const d = compare(fieldOf(a, sortField), fieldOf(b, sortField)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      return desc ? -d : d;
    };
    const all = [...ep.map.values()].filter((r) => conditions.every((cond) => matches(r, cond))).sort(order);
    let start = 0;
    const cursor = params.get('page[cursor]');
    if (cursor) {
      // keyset paging: the first record after the last one served, in the requested order
      const pos = decodeCursor(cursor);
      const after = (r: Resource) => {
        const d = compare(fieldOf(r, sortField), pos.k) || (r.id < pos.id ? -1 : r.id > pos.id ? 1 : 0);
        return desc ? d < 0 : d > 0;
      };
      start = all.findIndex(after);
      if (start < 0) start = all.length;
    }
    const data = all.slice(start, start + pageSize);
    const last = data[data.length - 1];
    const more = start + pageSize < all.length && last !== undefined;
    const nextParams = new URLSearchParams(params);
    if (last) nextParams.set('page[cursor]', encodeCursor({ k: fieldOf(last, sortField), id: last.id }));
    const self = `${fake.url}${url.pathname}${url.search}`;
    const additional = (params.get('additional-fields[profile]') ?? '').split(',');
    return { data: data.map((r) => output(r, additional)), links: { self, next: more ? `${fake.url}${url.pathname}?${nextParams}` : null, prev: null } };
  }

  function authenticate(req: http.IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const key = /^Klaviyo-API-Key (.+)$/.exec(header)?.[1];
    if (key !== undefined) {
      if (opts.apiKey && key === opts.apiKey) return;
      throw new ApiError(401, 'not_authenticated', 'Incorrect authentication credentials.', 'Missing or invalid private key.');
    }
    const bearer = /^Bearer (.+)$/.exec(header)?.[1];
    if (bearer !== undefined) {
      const left = tokens.get(bearer);
      if (left === undefined) throw new ApiError(401, 'not_authenticated', 'Incorrect authentication credentials.', 'The access token is invalid.');
      if (left <= 0) {
        fake.stats.expired401++;
        throw new ApiError(401, 'not_authenticated', 'Incorrect authentication credentials.', 'The access token has expired.');
      }
      tokens.set(bearer, left - 1);
      return;
    }
    throw new ApiError(401, 'not_authenticated', 'Authentication credentials were not provided.', 'Missing or invalid private key.');
  }

  function grant(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const o = opts.oauth;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [clientId, clientSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
    if (!o || clientId !== o.clientId || clientSecret !== o.clientSecret) {
      return send(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed: send the client ID and secret as HTTP Basic.' }, { 'content-type': 'application/json' });
    }
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== o.refreshToken) {
      return send(res, 400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or was revoked.' }, { 'content-type': 'application/json' });
    }
    const token = crypto.randomBytes(16).toString('hex');
    tokens.set(token, Infinity);
    fake.stats.tokenGrants++;
    send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, refresh_token: o.refreshToken, scope: 'accounts:read profiles:read events:read lists:read campaigns:read metrics:read' }, { 'content-type': 'application/json' });
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      if (req.method === 'POST' && url.pathname === '/oauth/token') return grant(req, raw, res);
      fake.stats.requests++;
      try {
        authenticate(req);
        const revision = req.headers.revision;
        if (typeof revision !== 'string' || !/^\d{4}-\d{2}-\d{2}(\.\w+)?$/.test(revision)) throw new ApiError(400, 'invalid', 'Invalid input.', 'A revision header (YYYY-MM-DD) is required.', 'revision');
        fake.stats.revisions.add(revision);
        if (fake.rateLimit.remaining > 0) {
          fake.rateLimit.remaining--;
          fake.stats.rejected429++;
          const e = new ApiError(429, 'throttled', 'Request was throttled.', `Request was throttled. Expected available in ${fake.rateLimit.retryAfter} second.`);
          return sendError(res, e, { 'retry-after': fake.rateLimit.retryAfter });
        }
        if (req.method !== 'GET') throw new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${req.method}" not allowed.`);
        const resource = /^\/api\/([a-z-]+)\/?$/.exec(url.pathname)?.[1];
        if (resource === 'accounts') {
          return send(res, 200, {
            data: [{ type: 'account', id: 'AbC123', attributes: { contact_information: { organization_name: 'Quarry Test Store', default_sender_name: 'Quarry', default_sender_email: 'store@example.com' }, industry: 'Retail', timezone: 'America/New_York', preferred_currency: 'USD', public_api_key: 'AbC123' }, links: { self: `${fake.url}/api/accounts/AbC123/` } }],
            links: { self: `${fake.url}/api/accounts/` },
          });
        }
        const ep = resource ? endpoints[resource] : undefined;
        if (!ep) throw new ApiError(404, 'not_found', 'Not found.', `No route ${url.pathname}.`);
        if (url.searchParams.has('page[cursor]') && fake.failPages > 0) {
          fake.failPages--;
          fake.stats.failed500++;
          throw new ApiError(500, 'error', 'A server error occurred.', 'Something went wrong; please try again.');
        }
        fake.stats.queries.push(`${url.pathname}?${decodeURIComponent(url.searchParams.toString())}`);
        const body = list(url, ep);
        fake.stats.pages++;
        return send(res, 200, body);
      } catch (err) {
        if (err instanceof ApiError) return sendError(res, err);
        return sendError(res, new ApiError(500, 'error', 'A server error occurred.', (err as Error).message));
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

/** The `subscriptions` block a profile carries with `additional-fields[profile]=subscriptions`. */
function subscriptionsOf(r: Resource): Record<string, unknown> {
  const n = Number(r.id.slice(-6));
  const consent = n % 3 === 0 ? 'UNSUBSCRIBED' : 'SUBSCRIBED';
  return {
    email: { marketing: { can_receive_email_marketing: consent === 'SUBSCRIBED', consent, consent_timestamp: r.attributes.created, method: 'FORM', method_detail: '', double_optin: false, suppression: [], list_suppressions: [] } },
    sms: { marketing: { can_receive_sms_marketing: false, consent: 'NEVER_SUBSCRIBED', consent_timestamp: null, method: null, method_detail: null } },
  };
}
