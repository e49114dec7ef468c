import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import crypto from 'node:crypto';

/**
 * A fake Shopify shop serving the Admin REST API as its public documentation describes it:
 *   GET  /admin/api/{version}/shop.json | orders.json | customers.json | products.json
 *        | locations.json | inventory_levels.json | inventory_items.json | events.json
 *   POST /admin/oauth/access_token  (client credentials grant of a Dev Dashboard app, 24 h tokens)
 * - Auth: `X-Shopify-Access-Token` (a static custom-app token, or one granted above); errors
 *   are `{"errors": "..."}` (401 unknown token, 403 missing scope, 404, 400/422 bad parameters).
 * - Paging: `limit` (default 50, at most 250) and an opaque `page_info` in
 *   `Link: <...>; rel="previous", <...>; rel="next"`; a request with page_info may carry only
 *   limit and fields (400 otherwise), the filters travel inside page_info.
 * - Rate limit: a leaky bucket per token (40 requests, leaking 2/s by default), reported in
 *   `X-Shopify-Shop-Api-Call-Limit: n/40`; over it, 429 with `Retry-After: 2.0`.
 * - Deletions: destroying an order or a product records an Event (`verb=destroy`) that
 *   `events.json?filter=Order&verb=destroy&created_at_min=` lists.
 * Timestamps carry the shop's offset (-05:00), as Shopify writes them.
 */
export interface FakeShopifyOptions {
  shop?: string;
  orders?: number;
  customers?: number;
  products?: number;
  locations?: number;
  /** A static Admin API access token (custom app created in the Shopify admin). */
  accessToken?: string;
  /** A Dev Dashboard app that may use the client credentials grant. */
  app?: { clientId: string; clientSecret: string };
  scopes?: string[];
  bucketSize?: number;
  leakPerSecond?: number;
  /** Versions served; an unsupported one falls forward to the oldest. */
  versions?: string[];
}

type Rec = Record<string, unknown>;
export interface Order extends Rec {
  id: number;
  email: string;
  updated_at: string;
}

export interface FakeShopify {
  url: string;
  orders: Map<number, Order>;
  customers: Map<number, Rec & { id: number }>;
  products: Map<number, Rec & { id: number }>;
  locations: Map<number, Rec & { id: number }>;
  inventoryItems: Map<number, Rec & { id: number }>;
  /** Keyed `${inventory_item_id}:${location_id}`. */
  inventoryLevels: Map<string, Rec>;
  events: Rec[];
  stats: { requests: number; pages: number; rejected429: number; failed500: number; tokenGrants: number; expired401: number };
  /** The next `n` API requests answer 429 (another client of the same app drained the bucket). */
  throttle(n: number): void;
  /** The next `n` requests for a page past the first (with page_info) answer 500 once each. */
  failPages: number;
  /** Every granted token, current and future, dies after `n` more requests. */
  expireTokensAfter(n: number): void;
  /** The shop clock: a minute later than anything before, in the shop's format. */
  tick(): string;
  updateOrder(id: number, patch: Partial<Order>): void;
  insertOrders(n: number, updatedAt?: string): number[];
  deleteOrder(id: number): void;
  deleteProduct(id: number): void;
  close(): Promise<void>;
}

const ALL_SCOPES = ['read_orders', 'read_all_orders', 'read_customers', 'read_products', 'read_locations', 'read_inventory'];
const SCOPE_OF: Record<string, string> = { orders: 'read_orders', customers: 'read_customers', products: 'read_products', locations: 'read_locations', inventory_levels: 'read_inventory', inventory_items: 'read_inventory' };
const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';

/** A time in the shop's zone (UTC-5), as the API writes timestamps. */
export const shopTime = (ms: number) => `${new Date(ms - 5 * 3_600_000).toISOString().slice(0, 19)}-05:00`;
const money = (n: number) => n.toFixed(2);
const pad = (n: number) => String(n).padStart(20, '0');

export async function startFakeShopify(opts: FakeShopifyOptions = {}): Promise<FakeShopify> {
  const shop = opts.shop ?? 'quarry-test';
  const scopes = opts.scopes ?? ALL_SCOPES;
  const bucketSize = opts.bucketSize ?? 40;
  const leak = opts.leakPerSecond ?? 2;
  const versions = opts.versions ?? ['2025-10', '2026-01', '2026-04', '2026-07', '2026-10'];
  const base = Date.parse('2024-03-01T12:00:00Z');
  const minute = 60_000;

  const locations = new Map<number, Rec & { id: number }>();
  for (let i = 1; i <= (opts.locations ?? 3); i++) {
    const id = 61_000_000_000 + i;
    locations.set(id, {
      id,
      name: `Warehouse ${i}`,
      address1: `${i} Main Street`,
      address2: null,
      city: 'Ottawa',
      zip: 'K1P 1J1',
      province: 'Ontario',
      province_code: 'ON',
      country: 'CA',
      country_code: 'CA',
      country_name: 'Canada',
      localized_country_name: 'Canada',
      localized_province_name: 'Ontario',
      phone: null,
      active: true,
      legacy: false,
      created_at: shopTime(base),
      updated_at: shopTime(base),
      admin_graphql_api_id: `gid://shopify/Location/${id}`,
    });
  }

  const products = new Map<number, Rec & { id: number }>();
  const inventoryItems = new Map<number, Rec & { id: number }>();
  const inventoryLevels = new Map<string, Rec>();
  for (let i = 1; i <= (opts.products ?? 60); i++) {
    const id = 8_200_000_000_000 + i * 7;
    const at = shopTime(base + i * 3 * minute);
    const variants = [1, 2].map((v) => {
      const variantId = 44_000_000_000_000 + i * 10 + v;
      const itemId = 46_000_000_000_000 + i * 10 + v;
      inventoryItems.set(itemId, {
        id: itemId,
        sku: `SKU-${i}-${v}`,
        cost: money(5 + i / 4),
        tracked: true,
        requires_shipping: true,
        country_code_of_origin: 'CA',
        province_code_of_origin: null,
        harmonized_system_code: null,
        country_harmonized_system_codes: [],
        created_at: at,
        updated_at: at,
        admin_graphql_api_id: `gid://shopify/InventoryItem/${itemId}`,
      });
      for (const loc of locations.keys()) {
        inventoryLevels.set(`${itemId}:${loc}`, {
          inventory_item_id: itemId,
          location_id: loc,
          available: (i * v + loc) % 40,
          updated_at: at,
          admin_graphql_api_id: `gid://shopify/InventoryLevel/${loc}?inventory_item_id=${itemId}`,
        });
      }
      return { id: variantId, product_id: id, title: v === 1 ? 'Small' : 'Large', price: money(10 + i), sku: `SKU-${i}-${v}`, position: v, inventory_item_id: itemId, inventory_quantity: 10, option1: v === 1 ? 'Small' : 'Large' };
    });
    products.set(id, {
      id,
      title: `Product ${i}`,
      body_html: `<p>Product ${i}</p>`,
      vendor: 'Quarry',
      product_type: i % 2 ? 'Shirts' : 'Hats',
      handle: `product-${i}`,
      status: i % 9 === 0 ? 'draft' : 'active',
      tags: 'fake, quarry',
      template_suffix: null,
      published_scope: 'global',
      published_at: at,
      created_at: at,
      updated_at: at,
      variants,
      options: [{ id: 9_000_000 + i, product_id: id, name: 'Size', position: 1, values: ['Small', 'Large'] }],
      images: [],
      image: null,
      admin_graphql_api_id: `gid://shopify/Product/${id}`,
    });
  }

  const customers = new Map<number, Rec & { id: number }>();
  const nCustomers = opts.customers ?? 120;
  for (let i = 1; i <= nCustomers; i++) {
    const id = 7_100_000_000_000 + i * 11;
    const address = { id: 9_100_000_000 + i, customer_id: id, address1: `${i} Queen St`, city: 'Toronto', province_code: 'ON', country_code: 'CA', zip: 'M5H 2N2', default: true };
    customers.set(id, {
      id,
      email: `customer${i}@example.com`,
      first_name: `First${i}`,
      last_name: `Last${i}`,
      phone: null,
      state: i % 5 === 0 ? 'disabled' : 'enabled',
      verified_email: true,
      tax_exempt: false,
      tax_exemptions: [],
      tags: '',
      currency: 'USD',
      note: null,
      multipass_identifier: null,
      last_order_id: null,
      last_order_name: null,
      email_marketing_consent: { state: 'not_subscribed', opt_in_level: 'single_opt_in', consent_updated_at: null },
      sms_marketing_consent: null,
      addresses: [address],
      default_address: address,
      created_at: shopTime(base + i * 5 * minute),
      updated_at: shopTime(base + i * 5 * minute),
      admin_graphql_api_id: `gid://shopify/Customer/${id}`,
    });
  }
  const customerIds = [...customers.keys()];
  const productList = [...products.values()];

  const orders = new Map<number, Order>();
  let orderNo = 0;
  const makeOrder = (updatedAt: string): Order => {
    const i = ++orderNo;
    const id = 5_401_000_000_000 + i * 37;
    const product = productList[i % productList.length]!;
    const variant = (product.variants as Rec[])[0]!;
    const qty = (i % 3) + 1;
    const subtotal = Number(variant.price) * qty;
    const tax = Math.round(subtotal * 13) / 100;
    const customerId = customerIds[i % customerIds.length] ?? null;
    const created = shopTime(base + i * 7 * minute);
    const closed = i % 10 === 0 ? updatedAt : null;
    const cancelled = i % 15 === 0 ? updatedAt : null;
    return {
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${1000 + i}`,
      order_number: 1000 + i,
      number: i,
      email: `buyer${i}@example.com`,
      contact_email: `buyer${i}@example.com`,
      phone: null,
      created_at: created,
      updated_at: updatedAt,
      processed_at: created,
      closed_at: closed,
      cancelled_at: cancelled,
      cancel_reason: cancelled ? 'customer' : null,
      financial_status: cancelled ? 'voided' : 'paid',
      fulfillment_status: closed ? 'fulfilled' : null,
      confirmed: true,
      test: false,
      currency: 'USD',
      presentment_currency: 'USD',
      total_price: money(subtotal + tax),
      subtotal_price: money(subtotal),
      total_tax: money(tax),
      total_discounts: '0.00',
      total_line_items_price: money(subtotal),
      total_outstanding: '0.00',
      current_total_price: money(subtotal + tax),
      total_weight: 250 * qty,
      taxes_included: false,
      buyer_accepts_marketing: i % 4 === 0,
      tags: '',
      note: null,
      source_name: 'web',
      browser_ip: null,
      token: crypto.createHash('md5').update(String(id)).digest('hex'),
      order_status_url: `https://${shop}.myshopify.com/orders/${id}/authenticate`,
      location_id: null,
      user_id: null,
      app_id: 580111,
      customer: customerId ? { id: customerId, email: customers.get(customerId)!.email } : null,
      line_items: [{ id: 13_000_000_000_000 + i, product_id: product.id, variant_id: variant.id, title: product.title, quantity: qty, price: variant.price, sku: variant.sku }],
      billing_address: null,
      shipping_address: null,
      shipping_lines: [],
      tax_lines: [{ title: 'HST', rate: 0.13, price: money(tax) }],
      discount_codes: [],
      discount_applications: [],
      refunds: [],
      fulfillments: [],
      note_attributes: [],
      payment_gateway_names: ['shopify_payments'],
      total_price_set: { shop_money: { amount: money(subtotal + tax), currency_code: 'USD' }, presentment_money: { amount: money(subtotal + tax), currency_code: 'USD' } },
    };
  };
  const nOrders = opts.orders ?? 300;
  const tie = shopTime(base + nOrders * 7 * minute);
  for (let i = 1; i <= nOrders; i++) {
    // the last 30 share one updated_at (a bulk edit): ties at the cursor boundary
    const o = makeOrder(i > nOrders - 30 ? tie : shopTime(base + i * 7 * minute + 30_000));
    orders.set(o.id, o);
  }
  let clock = base + (nOrders + 24 * 60) * 7 * minute;

  const tokens = new Map<string, number>(); // granted token -> requests left
  let tokenLifetime = Infinity;
  const buckets = new Map<string, { level: number; at: number }>();
  let throttled = 0;
  let eventId = 1_000_000;
  const sockets = new Set<Socket>();

  const fake: FakeShopify = {
    url: '',
    orders,
    customers,
    products,
    locations,
    inventoryItems,
    inventoryLevels,
    events: [],
    stats: { requests: 0, pages: 0, rejected429: 0, failed500: 0, tokenGrants: 0, expired401: 0 },
    failPages: 0,
    throttle(n) {
      throttled = n;
    },
    expireTokensAfter(n) {
      tokenLifetime = n;
      for (const t of tokens.keys()) tokens.set(t, n);
    },
    tick() {
      clock += minute;
      return shopTime(clock);
    },
    updateOrder(id, patch) {
      const cur = orders.get(id);
      if (!cur) throw new Error(`no order ${id}`);
      orders.set(id, { ...cur, ...patch, updated_at: patch.updated_at ?? fake.tick() });
    },
    insertOrders(n, updatedAt) {
      return Array.from({ length: n }, () => {
        const o = makeOrder(updatedAt ?? fake.tick());
        orders.set(o.id, o);
        return o.id;
      });
    },
    deleteOrder(id) {
      const o = orders.get(id);
      if (!o) throw new Error(`no order ${id}`);
      orders.delete(id);
      destroyed('Order', id, String(o.name), `/admin/orders/${id}`);
    },
    deleteProduct(id) {
      const p = products.get(id);
      if (!p) throw new Error(`no product ${id}`);
      products.delete(id);
      for (const v of p.variants as Rec[]) {
        inventoryItems.delete(v.inventory_item_id as number);
        for (const loc of locations.keys()) inventoryLevels.delete(`${String(v.inventory_item_id)}:${loc}`);
      }
      destroyed('Product', id, String(p.title), `/admin/products/${id}`);
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  function destroyed(subject: string, id: number, title: string, path: string) {
    const message = `${title} was deleted.`;
    fake.events.push({ id: eventId++, subject_id: id, created_at: fake.tick(), subject_type: subject, verb: 'destroy', arguments: [title], body: null, message, author: 'Shopify', description: message, path });
  }

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  /** The leaky bucket of one token: false when full. */
  const drip = (token: string): { ok: boolean; level: number } => {
    const now = Date.now();
    const b = buckets.get(token) ?? { level: 0, at: now };
    b.level = Math.max(0, b.level - ((now - b.at) / 1000) * leak);
    b.at = now;
    buckets.set(token, b);
    if (b.level + 1 > bucketSize) return { ok: false, level: bucketSize };
    b.level += 1;
    return { ok: true, level: Math.ceil(b.level) };
  };

  type Filter<T> = (items: T[], q: URLSearchParams) => T[] | string;
  const dateParam = (q: URLSearchParams, name: string): number | undefined | string => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? `${name}: is not a valid ISO 8601 date` : ms;
  };
  /** updated_at_min/max, created_at_min/max, since_id and ids, as every list endpoint takes them. */
  const common = <T extends Rec>(items: T[], q: URLSearchParams): T[] | string => {
    let out = items;
    for (const [param, field, cmp] of [
      ['updated_at_min', 'updated_at', 1],
      ['updated_at_max', 'updated_at', -1],
      ['created_at_min', 'created_at', 1],
      ['created_at_max', 'created_at', -1],
    ] as const) {
      const ms = dateParam(q, param);
      if (typeof ms === 'string') return ms;
      if (ms !== undefined) out = out.filter((r) => (cmp > 0 ? Date.parse(String(r[field])) >= ms : Date.parse(String(r[field])) <= ms));
    }
    const since = q.get('since_id');
    if (since) out = out.filter((r) => Number(r.id) > Number(since));
    const ids = q.get('ids');
    if (ids) {
      const set = new Set(ids.split(',').map(Number));
      out = out.filter((r) => set.has(Number(r.id)));
    }
    return out;
  };

  /** One page of a list endpoint, with the Link header of its neighbours. */
  function list<T extends Rec>(res: http.ServerResponse, url: URL, version: string, resource: string, all: T[], key: (r: T) => string, filter: Filter<T>, headers: Record<string, string>) {
    const q = url.searchParams;
    let filters = new URLSearchParams(q);
    let after: string | undefined;
    let before: string | undefined;
    const pageInfo = q.get('page_info');
    if (pageInfo !== null) {
      const extra = [...q.keys()].filter((k) => !['page_info', 'limit', 'fields'].includes(k));
      if (extra.length) return send(res, 400, { errors: `page_info cannot be combined with ${extra.join(', ')}: only limit and fields may accompany it` }, headers);
      try {
        const state = JSON.parse(Buffer.from(pageInfo, 'base64url').toString()) as { q: string; after?: string; before?: string };
        filters = new URLSearchParams(state.q);
        after = state.after;
        before = state.before;
      } catch {
        return send(res, 400, { errors: { page_info: 'Invalid value.' } }, headers);
      }
      if (fake.failPages > 0) {
        fake.failPages--;
        fake.stats.failed500++;
        return send(res, 500, { errors: 'Internal Server Error' }, headers);
      }
    }
    for (const k of ['limit', 'fields', 'page_info']) filters.delete(k);
    const limit = Math.min(250, Math.max(1, Number(q.get('limit') ?? 50) || 50));
    const matched = filter(all, filters);
    if (typeof matched === 'string') return send(res, 400, { errors: matched }, headers);
    const sorted = [...matched].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    let page: T[];
    if (before !== undefined) {
      const older = sorted.filter((r) => key(r) < before!);
      page = older.slice(Math.max(0, older.length - limit));
    } else page = sorted.filter((r) => after === undefined || key(r) > after).slice(0, limit);
    fake.stats.pages++;
    const first = page[0];
    const last = page[page.length - 1];
    const fields = q.get('fields');
    const link = (state: object) => {
      const p = new URLSearchParams({ limit: String(limit), ...(fields ? { fields } : {}), page_info: Buffer.from(JSON.stringify({ q: filters.toString(), ...state })).toString('base64url') });
      return `${fake.url}/admin/api/${version}/${resource}.json?${p}`;
    };
    const links: string[] = [];
    if (first && sorted.some((r) => key(r) < key(first))) links.push(`<${link({ before: key(first) })}>; rel="previous"`);
    if (last && sorted.some((r) => key(r) > key(last))) links.push(`<${link({ after: key(last) })}>; rel="next"`);
    const shown = fields ? page.map((r) => Object.fromEntries(fields.split(',').map((f) => [f, r[f.trim()]]))) : page;
    return send(res, 200, { [resource]: shown }, { ...headers, ...(links.length ? { link: links.join(', ') } : {}) });
  }

  const byId = (r: Rec) => pad(Number(r.id));
  const ORDER_STATUS: Record<string, (o: Order) => boolean> = {
    open: (o) => o.closed_at === null && o.cancelled_at === null,
    closed: (o) => o.closed_at !== null,
    cancelled: (o) => o.cancelled_at !== null,
    any: () => true,
  };

  function api(res: http.ServerResponse, url: URL, version: string, resource: string, headers: Record<string, string>) {
    switch (resource) {
      case 'shop':
        return send(
          res,
          200,
          {
            shop: {
              id: 548380009,
              name: 'Quarry Test Shop',
              email: 'owner@example.com',
              domain: `${shop}.myshopify.com`,
              myshopify_domain: `${shop}.myshopify.com`,
              plan_name: 'shopify_plus',
              plan_display_name: 'Shopify Plus',
              currency: 'USD',
              iana_timezone: 'America/New_York',
              created_at: shopTime(base),
              updated_at: shopTime(base),
            },
          },
          headers,
        );
      case 'orders':
        return list(res, url, version, resource, [...orders.values()], byId, (items, q) => {
          const status = q.get('status') ?? 'open';
          const keep = ORDER_STATUS[status];
          if (!keep) return `status: must be one of open, closed, cancelled, any`;
          return common(items.filter(keep), q);
        }, headers);
      case 'customers':
        return list(res, url, version, resource, [...customers.values()], byId, common, headers);
      case 'products':
        return list(res, url, version, resource, [...products.values()], byId, (items, q) => {
          const status = q.get('status')?.split(',');
          return common(status ? items.filter((p) => status.includes(String(p.status))) : items, q);
        }, headers);
      case 'locations':
        // not paginated: every location in one response
        return send(res, 200, { locations: [...locations.values()] }, headers);
      case 'inventory_levels': {
        const q = url.searchParams;
        const filters = q.get('page_info') ? null : q;
        if (filters && !filters.get('location_ids') && !filters.get('inventory_item_ids')) return send(res, 422, { errors: 'inventory_item_ids or location_ids must be present' }, headers);
        return list(res, url, version, resource, [...inventoryLevels.values()], (l) => `${pad(Number(l.inventory_item_id))}:${pad(Number(l.location_id))}`, (items, f) => {
          const locs = f.get('location_ids')?.split(',').map(Number);
          const itemIds = f.get('inventory_item_ids')?.split(',').map(Number);
          if ((locs?.length ?? 0) > 50 || (itemIds?.length ?? 0) > 50) return 'at most 50 location_ids and inventory_item_ids';
          let out = items.filter((l) => (!locs || locs.includes(Number(l.location_id))) && (!itemIds || itemIds.includes(Number(l.inventory_item_id))));
          const min = dateParam(f, 'updated_at_min');
          if (typeof min === 'string') return min;
          if (min !== undefined) out = out.filter((l) => Date.parse(String(l.updated_at)) >= min);
          return out;
        }, headers);
      }
      case 'inventory_items': {
        const q = url.searchParams;
        if (!q.get('page_info') && !q.get('ids')) return send(res, 422, { errors: 'ids: is required' }, headers);
        return list(res, url, version, resource, [...inventoryItems.values()], byId, (items, f) => ((f.get('ids') ?? '').split(',').length > 100 ? 'ids: at most 100' : common(items, f)), headers);
      }
      case 'events':
        return list(res, url, version, resource, fake.events, byId, (items, q) => {
          const subjects = q.get('filter')?.split(',');
          const verb = q.get('verb');
          return common(items.filter((e) => (!subjects || subjects.includes(String(e.subject_type))) && (!verb || e.verb === verb)), q);
        }, headers);
      default:
        return send(res, 404, { errors: 'Not Found' }, headers);
    }
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      if (url.pathname === '/admin/oauth/access_token' && req.method === 'POST') {
        const form = (req.headers['content-type'] ?? '').includes('json') ? new URLSearchParams(JSON.parse(raw || '{}') as Record<string, string>) : new URLSearchParams(raw);
        if (form.get('grant_type') !== 'client_credentials') return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Only client_credentials is supported here.' });
        if (!opts.app || form.get('client_id') !== opts.app.clientId || form.get('client_secret') !== opts.app.clientSecret) {
          return send(res, 400, { error: 'invalid_client', error_description: 'Client authentication failed: unknown client or wrong secret.' });
        }
        const token = `shpat_${crypto.randomBytes(16).toString('hex')}`;
        tokens.set(token, tokenLifetime);
        fake.stats.tokenGrants++;
        return send(res, 200, { access_token: token, scope: scopes.join(','), expires_in: 86399 });
      }
      const m = /^\/admin\/api\/(\d{4}-\d{2})\/([a-z_]+)\.json$/.exec(url.pathname);
      if (!m || req.method !== 'GET') return send(res, 404, { errors: 'Not Found' });
      fake.stats.requests++;
      const token = String(req.headers['x-shopify-access-token'] ?? '');
      if (!(opts.accessToken && token === opts.accessToken)) {
        const left = tokens.get(token);
        if (left === undefined) return send(res, 401, { errors: INVALID_TOKEN });
        if (left <= 0) {
          fake.stats.expired401++;
          return send(res, 401, { errors: INVALID_TOKEN });
        }
        tokens.set(token, left - 1);
      }
      const version = versions.includes(m[1]!) ? m[1]! : versions[0]!;
      const bucket = drip(token);
      const headers = { 'x-shopify-api-version': version, 'x-shopify-shop-api-call-limit': `${bucket.level}/${bucketSize}`, 'x-request-id': crypto.randomUUID() };
      if (throttled > 0 || !bucket.ok) {
        if (throttled > 0) throttled--;
        fake.stats.rejected429++;
        return send(res, 429, { errors: `Exceeded ${leak} calls per second for api client. Reduce request rates to resume uninterrupted service.` }, { ...headers, 'x-shopify-shop-api-call-limit': `${bucketSize}/${bucketSize}`, 'retry-after': '2.0' });
      }
      const resource = m[2]!;
      const scope = SCOPE_OF[resource];
      if (scope && !scopes.includes(scope)) return send(res, 403, { errors: `[API] This action requires merchant approval for ${scope} scope.` }, headers);
      return api(res, url, version, resource, headers);
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
