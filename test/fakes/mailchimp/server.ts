import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake of the Mailchimp Marketing API 3.0, read side, as its public reference describes it:
 *   GET /3.0/ and /3.0/ping                      account info; health check
 *   GET /3.0/lists                               { lists, total_items, constraints }
 *   GET /3.0/lists/{list_id}/members             { members, list_id, total_items }
 *   GET /3.0/campaigns                           { campaigns, total_items }
 *   GET /3.0/reports                             { reports, total_items }
 * Auth is HTTP Basic (any user name, the API key as password) or an OAuth bearer token. Pages
 * are `count` (default 10, at most 1000) and `offset`; `fields`/`exclude_fields` take dotted
 * paths. Members leave out archived contacts unless `status=archived`; `since_last_changed`
 * is "changed after" (strictly). Errors are problem details. More than 10 requests in flight
 * answer 429 with no Retry-After (Mailchimp documents none).
 */
export type Rec = Record<string, unknown>;

export interface FakeMailchimpOptions {
  /** Members of each seeded list. */
  listSizes?: number[];
  /** How many of the first list's latest members share one last_changed. */
  ties?: number;
  campaigns?: number;
}

export interface FakeMailchimp {
  /** The API root to use as `base_url`. */
  apiRoot: string;
  dc: string;
  apiKey: string;
  accessToken: string;
  lists: Rec[];
  /** list id -> member id -> member, in the order the API pages them. */
  members: Map<string, Map<string, Rec>>;
  campaigns: Rec[];
  /** The next N API requests answer 429. */
  rateLimit: number;
  /** The next N collection requests past the first page answer 500 once each. */
  failPages: number;
  stats: { requests: number; rejected429: number; failed500: number; unauthorized401: number };
  /** Members of a list (or of all lists) the default listing returns: not archived. */
  live(listId?: string): Rec[];
  update(listId: string, id: string, patch: Rec): void;
  insert(listId: string, count: number, lastChanged: string): Rec[];
  /** DELETE /lists/{id}/members/{hash}: the member stays, status archived. */
  archive(listId: string, id: string, at: string): void;
  /** delete-permanent: gone without a trace. */
  remove(listId: string, id: string): void;
  close(): Promise<void>;
}

/** Mailchimp's timestamp format: whole seconds, +00:00. */
export const mcTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
export const md5 = (s: string) => crypto.createHash('md5').update(s.toLowerCase()).digest('hex');
const T0 = Date.parse('2024-01-01T00:00:00Z');
const MINUTE = 60_000;
const STATUSES = ['subscribed', 'subscribed', 'subscribed', 'unsubscribed', 'cleaned', 'pending'];

/** `fields=a.b,c` keeps those paths; arrays apply the rest of the path to each element. */
type Tree = { [k: string]: Tree | true };
function pathTree(paths: string[]): Tree {
  const root: Tree = {};
  for (const p of paths) {
    let node = root;
    const parts = p.split('.');
    for (let i = 0; i < parts.length; i++) {
      const k = parts[i]!;
      if (i === parts.length - 1) node[k] = true;
      else if (node[k] !== true) node = (node[k] ??= {}) as Tree;
      else break;
    }
  }
  return root;
}
function pick(v: unknown, t: Tree): unknown {
  if (Array.isArray(v)) return v.map((x) => pick(x, t));
  if (!v || typeof v !== 'object') return v;
  const out: Rec = {};
  for (const [k, sub] of Object.entries(t)) if (k in (v as Rec)) out[k] = sub === true ? (v as Rec)[k] : pick((v as Rec)[k], sub);
  return out;
}
function drop(v: unknown, parts: string[]): void {
  if (Array.isArray(v)) return v.forEach((x) => drop(x, parts));
  if (!v || typeof v !== 'object') return;
  const [k, ...rest] = parts;
  if (rest.length) drop((v as Rec)[k!], rest);
  else delete (v as Rec)[k!];
}

export async function startFakeMailchimp(opts: FakeMailchimpOptions = {}): Promise<FakeMailchimp> {
  const dc = 'us6';
  const links = (href: string) => [{ rel: 'self', href, method: 'GET', targetSchema: 'https://us6.api.mailchimp.com/schema/3.0/Definitions/Lists/Response.json' }];
  let webId = 1000;
  const newMember = (listId: string, email: string, i: number, lastChanged: string): Rec => ({
    id: md5(email),
    email_address: email,
    unique_email_id: md5(`${listId}:${email}`).slice(0, 10),
    contact_id: md5(`contact:${email}`),
    full_name: `First${i} Last${i}`,
    web_id: webId++,
    email_type: 'html',
    status: STATUSES[i % STATUSES.length],
    ...(i % STATUSES.length === 3 ? { unsubscribe_reason: 'N/A (Unsubscribed by admin)' } : {}),
    consents_to_one_to_one_messaging: true,
    sms_phone_number: '',
    sms_subscription_status: '',
    sms_subscription_last_updated: '',
    merge_fields: { FNAME: `First${i}`, LNAME: `Last${i}`, ADDRESS: '', PHONE: '' },
    interests: { '9143cf3bd1': i % 2 === 0 },
    stats: { avg_open_rate: (i % 10) / 10, avg_click_rate: (i % 5) / 10 },
    ip_signup: '',
    timestamp_signup: i % 4 === 0 ? mcTime(T0 - i * MINUTE) : '',
    ip_opt: `198.51.100.${i % 250}`,
    timestamp_opt: mcTime(T0 - i * MINUTE),
    member_rating: 1 + (i % 5),
    last_changed: lastChanged,
    language: 'en',
    vip: i % 17 === 0,
    email_client: '',
    location: { latitude: 0, longitude: 0, gmtoff: 0, dstoff: 0, country_code: 'US', timezone: '', region: '' },
    marketing_permissions: [],
    source: 'API - Generic',
    tags_count: i % 3 === 0 ? 1 : 0,
    tags: i % 3 === 0 ? [{ id: 101, name: 'vip-prospect' }] : [],
    list_id: listId,
    _links: links(`/3.0/lists/${listId}/members/${md5(email)}`),
  });

  const sizes = opts.listSizes ?? [260, 140, 0, 7];
  const ties = opts.ties ?? 40;
  const lists: Rec[] = [];
  const members = new Map<string, Map<string, Rec>>();
  let serial = 0;
  sizes.forEach((size, l) => {
    const id = md5(`list ${l}`).slice(0, 10);
    lists.push({
      id,
      web_id: 500 + l,
      name: ['Newsletter', 'Customers', 'Empty audience', 'Events'][l] ?? `Audience ${l}`,
      contact: { company: 'Quarry Fake', address1: '1 Main St', city: 'Atlanta', state: 'GA', zip: '30318', country: 'US' },
      permission_reminder: 'You signed up on our website.',
      use_archive_bar: true,
      campaign_defaults: { from_name: 'Quarry', from_email: 'news@example.com', subject: '', language: 'en' },
      notify_on_subscribe: '',
      notify_on_unsubscribe: '',
      date_created: mcTime(T0 - (sizes.length - l) * 86_400_000),
      list_rating: 3,
      email_type_option: false,
      subscribe_url_short: `http://eepurl.com/fake${l}`,
      subscribe_url_long: `https://example.us6.list-manage.com/subscribe?u=abc&id=${id}`,
      beamer_address: `us6-${id}@inbound.mailchimp.com`,
      visibility: 'prv',
      double_optin: false,
      has_welcome: false,
      marketing_permissions: false,
      modules: [],
      _links: links(`/3.0/lists/${id}`),
    });
    const byId = new Map<string, Rec>();
    for (let i = 1; i <= size; i++) {
      // the second list shares its first 30 addresses with the first: same member id, another list
      const email = l === 0 || (l === 1 && i <= 30) ? `member${i}@example.com` : `l${l}.member${i}@example.com`;
      const at = l === 0 && i > size - ties ? T0 + (size - ties) * MINUTE : T0 + i * MINUTE - (l > 0 ? 30 * MINUTE : 0);
      const m = newMember(id, email, ++serial, mcTime(at));
      byId.set(String(m.id), m);
    }
    // archived before any load: only `status=archived` shows them
    if (size > 0) {
      for (let k = 1; k <= 3; k++) {
        const m = newMember(id, `gone${k}.l${l}@example.com`, ++serial, mcTime(T0 + k * MINUTE));
        byId.set(String(m.id), { ...m, status: 'archived' });
      }
    }
    members.set(id, byId);
  });

  const campaigns: Rec[] = [];
  for (let i = 1; i <= (opts.campaigns ?? 60); i++) {
    const id = md5(`campaign ${i}`).slice(0, 10);
    const list = lists[i % lists.length]!;
    const sent = i % 4 !== 0;
    campaigns.push({
      id,
      web_id: 9000 + i,
      parent_campaign_id: '',
      type: i % 10 === 0 ? 'plaintext' : 'regular',
      create_time: mcTime(T0 + i * 3_600_000),
      archive_url: `http://eepurl.com/c${i}`,
      long_archive_url: `https://us6.campaign-archive.com/?u=abc&id=${id}`,
      status: sent ? 'sent' : 'save',
      emails_sent: sent ? 100 + i : 0,
      send_time: sent ? mcTime(T0 + i * 3_600_000 + 600_000) : '',
      content_type: 'template',
      needs_block_refresh: false,
      resendable: sent,
      recipients: { list_id: list.id, list_is_active: true, list_name: list.name, segment_text: '', recipient_count: 100 + i },
      settings: { subject_line: `Issue ${i}`, preview_text: `Preview ${i}`, title: `Campaign ${i}`, from_name: 'Quarry', reply_to: 'news@example.com' },
      tracking: { opens: true, html_clicks: true, text_clicks: false },
      ...(sent ? { report_summary: { opens: i * 3, unique_opens: i * 2, open_rate: 0.4, clicks: i, subscriber_clicks: i, click_rate: 0.1 } } : {}),
      delivery_status: { enabled: false },
      _links: links(`/3.0/campaigns/${id}`),
    });
  }
  const reportOf = (c: Rec): Rec => {
    const r = c.recipients as Rec;
    const i = Number(c.web_id) - 9000;
    return {
      id: c.id,
      campaign_title: (c.settings as Rec).title,
      type: c.type,
      list_id: r.list_id,
      list_is_active: true,
      list_name: r.list_name,
      subject_line: (c.settings as Rec).subject_line,
      preview_text: (c.settings as Rec).preview_text,
      emails_sent: c.emails_sent,
      abuse_reports: 0,
      unsubscribed: i % 3,
      send_time: c.send_time,
      rss_last_send: '',
      bounces: { hard_bounces: 1, soft_bounces: 2, syntax_errors: 0 },
      forwards: { forwards_count: 0, forwards_opens: 0 },
      opens: { opens_total: i * 3, unique_opens: i * 2, open_rate: 0.4, last_open: c.send_time },
      clicks: { clicks_total: i, unique_clicks: i, unique_subscriber_clicks: i, click_rate: 0.1, last_click: c.send_time },
      facebook_likes: { recipient_likes: 0, unique_likes: 0, facebook_likes: 0 },
      industry_stats: { type: 'Software and Web App', open_rate: 0.2, click_rate: 0.03 },
      list_stats: { sub_rate: 1, unsub_rate: 0.1, open_rate: 0.4, click_rate: 0.1 },
      timeseries: [],
      ecommerce: { total_orders: 0, total_spent: 0, total_revenue: 0 },
      delivery_status: { enabled: false },
      _links: links(`/3.0/reports/${String(c.id)}`),
    };
  };

  const sockets = new Set<Socket>();
  let inFlight = 0;
  const listMembers = (listId: string) => {
    const m = members.get(listId);
    if (!m) throw new Error(`no list ${listId}`);
    return m;
  };
  const fake: FakeMailchimp = {
    apiRoot: '',
    dc,
    apiKey: `${crypto.randomBytes(16).toString('hex')}-${dc}`,
    accessToken: crypto.randomBytes(16).toString('hex'),
    lists,
    members,
    campaigns,
    rateLimit: 0,
    failPages: 0,
    stats: { requests: 0, rejected429: 0, failed500: 0, unauthorized401: 0 },
    live: (listId) => (listId ? [...listMembers(listId).values()] : [...members.values()].flatMap((m) => [...m.values()])).filter((m) => m.status !== 'archived'),
    update(listId, id, patch) {
      const m = listMembers(listId).get(id);
      if (!m) throw new Error(`no member ${id} in ${listId}`);
      Object.assign(m, patch);
    },
    insert(listId, count, lastChanged) {
      const added: Rec[] = [];
      for (let k = 0; k < count; k++) {
        const n = ++serial;
        const m = newMember(listId, `new${n}@example.com`, n, lastChanged);
        listMembers(listId).set(String(m.id), m);
        added.push(m);
      }
      return added;
    },
    archive(listId, id, at) {
      fake.update(listId, id, { status: 'archived', last_changed: at });
    },
    remove(listId, id) {
      listMembers(listId).delete(id);
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const problem = (res: http.ServerResponse, status: number, title: string, detail: string) => {
    res.writeHead(status, { 'content-type': 'application/problem+json; charset=utf-8' });
    res.end(JSON.stringify({ type: 'https://mailchimp.com/developer/marketing/docs/errors/', title, status, detail, instance: crypto.randomUUID() }));
  };
  const authorized = (header: string | undefined): boolean => {
    const [scheme, value = ''] = (header ?? '').split(' ', 2);
    if (/^basic$/i.test(scheme ?? '')) {
      const decoded = Buffer.from(value, 'base64').toString();
      return decoded.slice(decoded.indexOf(':') + 1) === fake.apiKey; // any user name
    }
    return /^(bearer|oauth)$/i.test(scheme ?? '') && value === fake.accessToken;
  };

  /** One page of a collection, shaped and filtered as the API does. */
  const page = (url: URL, key: string, all: Rec[], extra: Rec = {}): Rec => {
    const count = Math.min(1000, Math.max(1, Number(url.searchParams.get('count') ?? 10)));
    const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0));
    let body: Rec = structuredClone({ [key]: all.slice(offset, offset + count), ...extra, total_items: all.length, _links: links(url.pathname) });
    for (const p of (url.searchParams.get('exclude_fields') ?? '').split(',').filter(Boolean)) drop(body, p.split('.'));
    const fields = (url.searchParams.get('fields') ?? '').split(',').filter(Boolean);
    if (fields.length) body = pick(body, pathTree(fields)) as Rec;
    return body;
  };
  const after = (v: unknown, since: string | null) => !since || (typeof v === 'string' && v !== '' && Date.parse(v) > Date.parse(since));
  const sorted = (url: URL, all: Rec[], fields: string[]) => {
    const f = url.searchParams.get('sort_field');
    if (!f || !fields.includes(f)) return all;
    const dir = url.searchParams.get('sort_dir') === 'DESC' ? -1 : 1;
    return [...all].sort((a, b) => dir * (String(a[f]) < String(b[f]) ? -1 : String(a[f]) > String(b[f]) ? 1 : 0));
  };

  const server = http.createServer((req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
    req.resume();
    req.once('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      fake.stats.requests++;
      if (!req.headers.authorization) {
        fake.stats.unauthorized401++;
        return problem(res, 401, 'API Key Missing', 'Your request did not include an API key.');
      }
      if (!authorized(req.headers.authorization)) {
        fake.stats.unauthorized401++;
        return problem(res, 401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
      }
      if (inFlight > 10 || fake.rateLimit > 0) {
        fake.rateLimit = Math.max(0, fake.rateLimit - 1);
        fake.stats.rejected429++;
        return problem(res, 429, 'Too Many Requests', 'You have exceeded the limit of 10 simultaneous connections.');
      }
      if (req.method !== 'GET') return problem(res, 405, 'Method Not Allowed', 'The requested method and resource are not compatible.');
      const path = url.pathname.replace(/\/+$/, '');
      const send = (body: Rec) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (path === '/3.0') {
        const body = { account_id: 'abc123fake', login_id: '1234', account_name: 'Quarry Fake Co', email: 'owner@example.com', role: 'owner', pricing_plan_type: 'monthly', account_timezone: 'UTC', total_subscribers: fake.live().length };
        return send(pick(body, pathTree((url.searchParams.get('fields') ?? Object.keys(body).join(',')).split(','))) as Rec);
      }
      if (path === '/3.0/ping') return send({ health_status: "Everything's Chimpy!" });
      const collection = /^\/3\.0\/(lists|campaigns|reports)$/.exec(path) ?? /^\/3\.0\/lists\/([^/]+)\/(members)$/.exec(path);
      if (!collection) return problem(res, 404, 'Resource Not Found', 'The requested resource could not be found.');
      if (Number(url.searchParams.get('offset') ?? 0) > 0 && fake.failPages > 0) {
        fake.failPages--;
        fake.stats.failed500++;
        return problem(res, 500, 'Internal Server Error', 'An unexpected internal error has occurred. Please contact Support for more information.');
      }
      const q = (k: string) => url.searchParams.get(k);
      switch (collection[collection.length - 1]) {
        case 'lists': {
          const all = lists
            .filter((l) => after(l.date_created, q('since_date_created')))
            .map((l) => {
              const live = fake.live(String(l.id));
              return { ...l, stats: { member_count: live.filter((m) => m.status === 'subscribed').length, unsubscribe_count: live.filter((m) => m.status === 'unsubscribed').length, cleaned_count: live.filter((m) => m.status === 'cleaned').length, campaign_last_sent: '' } };
            });
          return send(page(url, 'lists', sorted(url, all, ['date_created']), { constraints: { may_create: true, max_instances: 100, current_total_instances: lists.length } }));
        }
        case 'members': {
          const listId = collection[1]!;
          const byId = members.get(listId);
          if (!byId) return problem(res, 404, 'Resource Not Found', 'The requested resource could not be found.');
          const status = q('status');
          const all = [...byId.values()].filter((m) => (status ? m.status === status : m.status !== 'archived') && after(m.last_changed, q('since_last_changed')));
          return send(page(url, 'members', sorted(url, all, ['timestamp_opt', 'timestamp_signup', 'last_changed']), { list_id: listId }));
        }
        case 'campaigns': {
          const all = campaigns.filter((c) => after(c.create_time, q('since_create_time')) && after(c.send_time, q('since_send_time')) && (!q('status') || c.status === q('status')));
          return send(page(url, 'campaigns', sorted(url, all, ['create_time', 'send_time'])));
        }
        default: {
          const all = campaigns.filter((c) => c.status === 'sent' && after(c.send_time, q('since_send_time'))).map(reportOf);
          return send(page(url, 'reports', all));
        }
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}/3.0`;
  return fake;
}
