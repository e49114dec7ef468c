import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake Stripe API (https://docs.stripe.com/api) for the `stripe` loader, as far as a loader
 * reads it:
 *
 *   GET /v1/account                   the account of the key
 *   GET /v1/<objects>                 the list endpoints of the nine streams
 *   GET /v1/events                    the Events API, `type` (with `*`) or up to 20 `types[]`
 *
 * Lists are in reverse chronological order (newest `created` first), `limit` 1..100 (default
 * 10), `starting_after` an id of the list, `created[gt|gte|lt|lte]` in Unix seconds, and answer
 * `{ object: "list", data, has_more, url }`. A parameter the endpoint does not take is refused
 * as Stripe does ("Received unknown parameter"); `ending_before` is not implemented.
 * Subscriptions leave canceled ones out unless `status` is `all` or `canceled`.
 *
 * Auth is the secret key as a bearer token or as the Basic user name; errors are
 * `{ error: { type, code, message, param } }`, a bad key a 401 naming the key's last four
 * characters only. A rate-limit storm answers 429 `rate_limit` without Retry-After (Stripe
 * sends none). Changes made through `update`, `insert` and `remove` record the events Stripe
 * would (`<object>.updated` with `data.object` the object after the change, ...).
 */
export const RESOURCES = {
  customers: { object: 'customer', prefix: 'cus', events: 'customer' },
  charges: { object: 'charge', prefix: 'ch', events: 'charge' },
  invoices: { object: 'invoice', prefix: 'in', events: 'invoice' },
  subscriptions: { object: 'subscription', prefix: 'sub', events: 'customer.subscription' },
  payment_intents: { object: 'payment_intent', prefix: 'pi', events: 'payment_intent' },
  products: { object: 'product', prefix: 'prod', events: 'product' },
  prices: { object: 'price', prefix: 'price', events: 'price' },
  refunds: { object: 'refund', prefix: 're', events: 'refund' },
  // no event carries a balance transaction
  balance_transactions: { object: 'balance_transaction', prefix: 'txn', events: null },
} as const;
export type Resource = keyof typeof RESOURCES;

export type StripeObject = Record<string, unknown> & { id: string; object: string; created: number };
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type: string;
}

/** 2024-03-01T00:00:00Z: objects are created a minute apart from here. */
export const BASE = Date.UTC(2024, 2, 1) / 1000;

export interface FakeStripeOptions {
  apiKey?: string;
  /** Objects of each stream (customers: 250, the others: 120); the last 40 customers share one `created`. */
  counts?: Partial<Record<Resource, number>>;
}

export interface FakeStripe {
  url: string;
  apiKey: string;
  objects: Record<Resource, Map<string, StripeObject>>;
  events: StripeEvent[];
  /** The next N API requests answer 429. */
  rateLimit: { remaining: number };
  /** The next N list requests past the first page answer 500, once each. */
  failPages: number;
  stats: { requests: number; pages: number; rejected429: number; failed500: number; bearer: number; basic: number; versions: string[]; queries: string[] };
  /** New objects created at `created`, with their `.created` events; returns their ids. */
  insert(resource: Resource, count: number, created: number): string[];
  /** Changes an object at `at` and records the event (default `<object>.updated`). */
  update(resource: Resource, id: string, patch: Record<string, unknown>, at: number, type?: string): void;
  /** Deletes an object at `at` with its `<object>.deleted` event. */
  remove(resource: Resource, id: string, at: number): void;
  /** Records any event (those the loader must ignore, too). */
  emit(type: string, object: Record<string, unknown>, at: number): void;
  close(): Promise<void>;
}

const pad = (n: number) => String(n).padStart(6, '0');
export const idOf = (resource: Resource, n: number) => `${RESOURCES[resource].prefix}_Q${pad(n)}`;
const DAY = 86_400;

/** An object of each kind, shaped as Stripe's object reference shows it. */
function make(resource: Resource, n: number, created: number): StripeObject {
  const id = idOf(resource, n);
  const customer = idOf('customers', n);
  switch (resource) {
    case 'customers':
      return {
        id, object: 'customer', address: null, balance: 0, created, currency: 'usd', default_source: null, delinquent: false, description: null, discount: null,
        email: `customer${n}@example.com`, invoice_prefix: `Q${pad(n)}`, invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
        livemode: false, metadata: { n: String(n) }, name: `Customer ${n}`, next_invoice_sequence: 1, phone: null, preferred_locales: [], shipping: null, tax_exempt: 'none', test_clock: null,
      };
    case 'charges':
      return {
        id, object: 'charge', amount: 1000 + n, amount_captured: 1000 + n, amount_refunded: 0, application: null, application_fee: null, application_fee_amount: null,
        balance_transaction: idOf('balance_transactions', n), billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null },
        calculated_statement_descriptor: 'QUARRY', captured: true, created, currency: 'usd', customer, description: null, disputed: false, failure_balance_transaction: null,
        failure_code: null, failure_message: null, fraud_details: {}, livemode: false, metadata: {}, on_behalf_of: null,
        outcome: { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 32, seller_message: 'Payment complete.', type: 'authorized' },
        paid: true, payment_intent: idOf('payment_intents', n), payment_method: `pm_Q${pad(n)}`, payment_method_details: { card: { brand: 'visa', last4: '4242' }, type: 'card' },
        receipt_email: null, receipt_number: null, receipt_url: `https://pay.stripe.com/receipts/${id}`, refunded: false, review: null, shipping: null,
        statement_descriptor: null, statement_descriptor_suffix: null, status: 'succeeded', transfer_data: null, transfer_group: null,
      };
    case 'invoices':
      return {
        id, object: 'invoice', account_country: 'US', account_name: 'Quarry Test Shop', amount_due: 2000, amount_paid: 2000, amount_remaining: 0, amount_shipping: 0, application: null,
        attempt_count: 1, attempted: true, auto_advance: false, automatic_tax: { enabled: false, liability: null, status: null }, billing_reason: 'subscription_cycle',
        collection_method: 'charge_automatically', created, currency: 'usd', customer, customer_email: `customer${n}@example.com`, customer_name: `Customer ${n}`,
        default_payment_method: null, description: null, discounts: [], due_date: null, effective_at: created, ending_balance: 0, footer: null,
        hosted_invoice_url: `https://invoice.stripe.com/i/${id}`, invoice_pdf: `https://pay.stripe.com/invoice/${id}/pdf`,
        lines: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/invoices/${id}/lines` }, livemode: false, metadata: {}, next_payment_attempt: null,
        number: `Q-${pad(n)}`, parent: null, period_end: created, period_start: created - 30 * DAY, starting_balance: 0, status: 'paid',
        status_transitions: { finalized_at: created, marked_uncollectible_at: null, paid_at: created, voided_at: null }, subscription: idOf('subscriptions', n),
        subtotal: 2000, total: 2000, webhooks_delivered_at: created,
      };
    case 'subscriptions': {
      const canceled = n % 10 === 0; // the list leaves these out unless asked for status=all
      return {
        id, object: 'subscription', application: null, application_fee_percent: null, automatic_tax: { enabled: false, liability: null }, billing_cycle_anchor: created,
        cancel_at: null, cancel_at_period_end: false, canceled_at: canceled ? created + DAY : null, cancellation_details: { comment: null, feedback: null, reason: canceled ? 'cancellation_requested' : null },
        collection_method: 'charge_automatically', created, currency: 'usd', current_period_end: created + 30 * DAY, current_period_start: created, customer, days_until_due: null,
        default_payment_method: null, default_source: null, description: null, discounts: [], ended_at: canceled ? created + DAY : null,
        items: { object: 'list', data: [{ id: `si_Q${pad(n)}`, object: 'subscription_item', price: { id: idOf('prices', n) }, quantity: 1 }], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${id}` },
        latest_invoice: idOf('invoices', n), livemode: false, metadata: {}, pause_collection: null, pending_update: null, schedule: null, start_date: created,
        status: canceled ? 'canceled' : 'active', trial_end: null, trial_start: null,
      };
    }
    case 'payment_intents':
      return {
        id, object: 'payment_intent', amount: 1000 + n, amount_capturable: 0, amount_received: 1000 + n, application: null, application_fee_amount: null,
        automatic_payment_methods: { enabled: true }, canceled_at: null, cancellation_reason: null, capture_method: 'automatic', client_secret: `${id}_secret_FAKE${pad(n)}`,
        confirmation_method: 'automatic', created, currency: 'usd', customer, description: null, last_payment_error: null, latest_charge: idOf('charges', n), livemode: false,
        metadata: {}, next_action: null, on_behalf_of: null, payment_method: `pm_Q${pad(n)}`, payment_method_types: ['card'], processing: null, receipt_email: null, review: null,
        setup_future_usage: null, shipping: null, statement_descriptor: null, statement_descriptor_suffix: null, status: 'succeeded', transfer_data: null, transfer_group: null,
      };
    case 'products':
      return {
        id, object: 'product', active: true, created, default_price: idOf('prices', n), description: null, images: [], marketing_features: [], livemode: false, metadata: {},
        name: `Product ${n}`, package_dimensions: null, shippable: null, statement_descriptor: null, tax_code: null, type: 'service', unit_label: null, updated: created, url: null,
      };
    case 'prices':
      return {
        id, object: 'price', active: true, billing_scheme: 'per_unit', created, currency: 'usd', custom_unit_amount: null, livemode: false, lookup_key: null, metadata: {},
        nickname: null, product: idOf('products', n), recurring: { interval: 'month', interval_count: 1, trial_period_days: null, usage_type: 'licensed' },
        tax_behavior: 'unspecified', tiers_mode: null, transform_quantity: null, type: 'recurring', unit_amount: 1000 + n, unit_amount_decimal: String(1000 + n),
      };
    case 'refunds':
      return {
        id, object: 'refund', amount: 500, balance_transaction: idOf('balance_transactions', n), charge: idOf('charges', n), created, currency: 'usd',
        destination_details: { card: { reference: String(n), reference_status: 'available', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
        metadata: {}, payment_intent: idOf('payment_intents', n), reason: null, receipt_number: null, source_transfer_reversal: null, status: 'succeeded', transfer_reversal: null,
      };
    case 'balance_transactions':
      return {
        id, object: 'balance_transaction', amount: 1000 + n, available_on: created + 2 * DAY, created, currency: 'usd', description: null, exchange_rate: null, fee: 59,
        fee_details: [{ amount: 59, application: null, currency: 'usd', description: 'Stripe processing fees', type: 'stripe_fee' }], net: 941 + n,
        reporting_category: 'charge', source: idOf('charges', n), status: 'available', type: 'charge',
      };
  }
}

const LIST_PARAMS = /^(limit|starting_after|created(\[(gt|gte|lt|lte)\])?|expand\[\d*\])$/;
const EXTRA_PARAMS: Partial<Record<string, RegExp>> = {
  subscriptions: /^status$/,
  events: /^(type|types\[\d*\]|delivery_success)$/,
};

export async function startFakeStripe(opts: FakeStripeOptions = {}): Promise<FakeStripe> {
  const apiKey = opts.apiKey ?? 'sk_test_51QuarryFakeKey0000000000000000';
  const objects = Object.fromEntries(Object.keys(RESOURCES).map((r) => [r, new Map<string, StripeObject>()])) as Record<Resource, Map<string, StripeObject>>;
  const seq = new Map<string, number>(); // list order among objects sharing `created`
  const next = Object.fromEntries(Object.keys(RESOURCES).map((r) => [r, 1])) as Record<Resource, number>;
  const events: StripeEvent[] = [];
  const sockets = new Set<Socket>();
  let eventNo = 0;
  let order = 0;

  const emit = (type: string, object: Record<string, unknown>, at: number, previous?: Record<string, unknown>) => {
    events.push({
      id: `evt_Q${String(++eventNo).padStart(8, '0')}`,
      object: 'event',
      api_version: '2024-06-20',
      created: at,
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      type,
    });
  };
  const eventsOf = (resource: Resource): string => {
    const prefix = RESOURCES[resource].events;
    if (!prefix) throw new Error(`Stripe sends no events for ${resource}`);
    return prefix;
  };
  const add = (resource: Resource, created: number): string => {
    const n = next[resource]++;
    const object = make(resource, n, created);
    objects[resource].set(object.id, object);
    seq.set(object.id, ++order);
    const prefix = RESOURCES[resource].events;
    if (prefix) emit(`${prefix}.created`, object, created);
    return object.id;
  };

  const fake: FakeStripe = {
    url: '',
    apiKey,
    objects,
    events,
    rateLimit: { remaining: 0 },
    failPages: 0,
    stats: { requests: 0, pages: 0, rejected429: 0, failed500: 0, bearer: 0, basic: 0, versions: [], queries: [] },
    insert(resource, count, created) {
      return Array.from({ length: count }, () => add(resource, created));
    },
    update(resource, id, patch, at, type) {
      const cur = objects[resource].get(id);
      if (!cur) throw new Error(`no ${resource} ${id}`);
      const previous = Object.fromEntries(Object.keys(patch).map((k) => [k, cur[k]]));
      const changed = { ...cur, ...patch, ...(resource === 'products' ? { updated: at } : {}) } as StripeObject;
      objects[resource].set(id, changed);
      emit(type ?? `${eventsOf(resource)}.updated`, changed, at, previous);
    },
    remove(resource, id, at) {
      const cur = objects[resource].get(id);
      if (!cur) throw new Error(`no ${resource} ${id}`);
      objects[resource].delete(id);
      emit(`${eventsOf(resource)}.deleted`, cur, at);
    },
    emit: (type, object, at) => emit(type, object, at),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  for (const resource of Object.keys(RESOURCES) as Resource[]) {
    const count = opts.counts?.[resource] ?? (resource === 'customers' ? 250 : 120);
    // the newest 40 customers share one `created`: ties at the cursor boundary
    for (let i = 1; i <= count; i++) add(resource, BASE + (resource === 'customers' ? Math.min(i, count - 40) : i) * 60);
  }
  // history before any load: changes an incremental run from a later cursor must not read again
  for (let i = 1; i <= 5; i++) fake.update('customers', idOf('customers', i), { email: `early${i}@example.com` }, BASE + 100 * 60);

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_Q${fake.stats.requests}` });
    res.end(JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, status: number, error: Record<string, unknown>) => send(res, status, { error: { type: 'invalid_request_error', ...error } });

  /** The key of an Authorization header: `Bearer sk_...`, or Basic with the key as user name. */
  const keyOf = (header: string | undefined): string | undefined => {
    if (!header) return undefined;
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme === 'Bearer') {
      fake.stats.bearer++;
      return value;
    }
    if (scheme === 'Basic') {
      fake.stats.basic++;
      return Buffer.from(value, 'base64').toString().split(':')[0];
    }
    return undefined;
  };

  function list(res: http.ServerResponse, url: URL, name: string, all: { id: string; created: number }[]): void {
    const q = url.searchParams;
    const extra = EXTRA_PARAMS[name];
    for (const k of q.keys()) {
      if (!LIST_PARAMS.test(k) && !extra?.test(k)) return fail(res, 400, { message: `Received unknown parameter: ${k}`, param: k });
    }
    const limit = q.has('limit') ? Number(q.get('limit')) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(res, 400, { message: 'This value must be greater than or equal to 1 and less than or equal to 100.', param: 'limit' });
    let items = all;
    for (const [op, test] of [['gt', (a: number, b: number) => a > b], ['gte', (a: number, b: number) => a >= b], ['lt', (a: number, b: number) => a < b], ['lte', (a: number, b: number) => a <= b]] as const) {
      const bound = q.get(`created[${op}]`);
      if (bound === null) continue;
      if (!/^\d+$/.test(bound)) return fail(res, 400, { message: `Invalid integer: ${bound}`, param: `created[${op}]` });
      items = items.filter((o) => test(o.created as number, Number(bound)));
    }
    if (q.has('created') && /^\d+$/.test(q.get('created')!)) items = items.filter((o) => o.created === Number(q.get('created')));
    items = [...items].sort((a, b) => (b.created as number) - (a.created as number) || (seq.get(b.id as string) ?? 0) - (seq.get(a.id as string) ?? 0));
    let start = 0;
    const after = q.get('starting_after');
    if (after !== null) {
      start = items.findIndex((o) => o.id === after) + 1;
      if (start === 0) return fail(res, 400, { code: 'resource_missing', message: `No such ${name === 'events' ? 'event' : RESOURCES[name as Resource].object}: '${after}'`, param: 'starting_after' });
      if (fake.failPages > 0) {
        fake.failPages--;
        fake.stats.failed500++;
        return send(res, 500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
      }
    }
    fake.stats.pages++;
    const data = items.slice(start, start + limit);
    send(res, 200, { object: 'list', data, has_more: start + limit < items.length, url: `/v1/${name}` });
  }

  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      fake.stats.requests++;
      fake.stats.queries.push(decodeURIComponent(`${url.pathname}${url.search}`));
      const version = req.headers['stripe-version'];
      if (typeof version === 'string') fake.stats.versions.push(version);
      const key = keyOf(req.headers.authorization);
      if (!key) {
        return fail(res, 401, {
          message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        });
      }
      if (key !== apiKey) return fail(res, 401, { message: `Invalid API Key provided: ${key.replace(/^([a-z]+_(test|live)_)?.*(.{4})$/, '$1****$3')}` });
      if (fake.rateLimit.remaining > 0) {
        fake.rateLimit.remaining--;
        fake.stats.rejected429++;
        return fail(res, 429, { code: 'rate_limit', message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.' });
      }
      const [, v1, name, more] = url.pathname.split('/');
      if (req.method === 'GET' && v1 === 'v1' && more === undefined) {
        if (name === 'account') {
          return send(res, 200, { id: 'acct_1QuarryFake', object: 'account', business_profile: { name: 'Quarry Test Shop' }, country: 'US', default_currency: 'usd', settings: { dashboard: { display_name: 'Quarry Test Shop' } } });
        }
        if (name === 'events') {
          const types = [...url.searchParams.keys()].filter((k) => /^types\[\d*\]$/.test(k)).flatMap((k) => url.searchParams.getAll(k));
          const type = url.searchParams.get('type');
          if (types.length && type !== null) return fail(res, 400, { message: 'You may pass either type or types, but not both.', param: 'types' });
          if (types.length > 20) return fail(res, 400, { message: 'You may pass at most 20 types.', param: 'types' });
          const pattern = type === null ? null : new RegExp(`^${type.split('*').map((p) => p.replace(/[.]/g, '\\.')).join('.*')}$`);
          return list(res, url, 'events', events.filter((e) => (!types.length || types.includes(e.type)) && (!pattern || pattern.test(e.type))));
        }
        if (name && name in RESOURCES) {
          let all = [...objects[name as Resource].values()];
          if (name === 'subscriptions') {
            const status = url.searchParams.get('status');
            all = all.filter((s) => (status === 'all' ? true : status === null ? s.status !== 'canceled' : s.status === status));
          }
          return list(res, url, name, all);
        }
      }
      return fail(res, 404, { message: `Unrecognized request URL (${req.method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.` });
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
