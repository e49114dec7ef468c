import Type from 'typebox';
import { at, defineHttpConnector } from '../http/engine.js';
import type { Config, HttpConnectorSpec } from '../http/types.js';
import type { ConnectorDefinition } from '../types.js';
import { readStripe } from './read.js';
import { STREAMS } from './streams.js';
import { CURSOR } from './types.js';

const API_KEY = /^(sk|rk)_(test|live)_\S+$/;
const live = (c: Config) => /^(sk|rk)_live_/.test(String(c.api_key));

/**
 * Stripe (https://docs.stripe.com/api): a secret or restricted API key sent as a bearer token
 * (Stripe also takes it as the Basic user name), optionally pinned to an API version with the
 * Stripe-Version header; list endpoints paged with `limit`/`starting_after`/`has_more`.
 */
const spec: HttpConnectorSpec = {
  type: 'stripe',
  label: 'Stripe',
  description: 'Stripe payments and billing: customers, charges, invoices, subscriptions, payment intents, products, prices, refunds and balance transactions; updates and deletions through the Events API.',
  configSchema: Type.Object(
    {
      api_key: Type.String({
        pattern: API_KEY.source,
        writeOnly: true,
        format: 'password',
        description: 'secret key (sk_live_..., sk_test_...) or restricted key (rk_...) with read access to the streams and to events',
      }),
      api_version: Type.Optional(
        Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(\\.[a-z]+)?$', description: "Stripe-Version of the requests, e.g. 2024-06-20; default: the account's API version" }),
      ),
      base_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'API root override (tests, proxies)' })),
    },
    { additionalProperties: false },
  ),
  baseUrl: () => 'https://api.stripe.com',
  auth: { kind: 'bearer', token: (c) => String(c.api_key) },
  headers: (c): Record<string, string> => (typeof c.api_version === 'string' ? { 'stripe-version': c.api_version } : {}),
  // Stripe allows 100 requests a second in live mode and 25 in test mode per account, and 25 a
  // second per endpoint: a fifth of live mode's, under half of test mode's, leaves the account's
  // own traffic room. A 429 (Stripe sends no Retry-After) is retried with backoff.
  rateLimit: (c) => (live(c) ? 20 : 10),
  rateLimitKey: (c) => String(c.api_key),
  errorMessage(body) {
    // { "error": { "type", "code", "message", "param", "doc_url" } }
    const e = (body as { error?: { type?: unknown; code?: unknown; message?: unknown; param?: unknown } } | null)?.error;
    if (!e || typeof e !== 'object' || typeof e.message !== 'string') return undefined;
    const about = [e.type, e.code, e.param ? `param ${String(e.param)}` : undefined].filter((x) => typeof x === 'string' && x);
    return about.length ? `${e.message} (${about.join(', ')})` : e.message;
  },
  async check(client, config) {
    const res = await client.request('GET', '/v1/account');
    const name = at(res.body, 'settings.dashboard.display_name') ?? at(res.body, 'business_profile.name');
    return `Stripe account ${String(at(res.body, 'id'))}${typeof name === 'string' && name ? ` (${name})` : ''}, ${live(config) ? 'live' : 'test'} mode`;
  },
  streams: STREAMS.map((s) => ({
    name: s.name,
    columns: s.columns,
    primaryKey: ['id'],
    incremental: { cursorField: CURSOR, compare: 'string' },
    read: (ctx) => readStripe(s, ctx),
  })),
};

export const stripe: ConnectorDefinition = defineHttpConnector(spec);
