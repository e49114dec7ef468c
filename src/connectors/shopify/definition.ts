import Type from 'typebox';
import type { FieldError } from '../../lib/errors.js';
import { StepError } from '../../warehouses/types.js';
import { defineHttpConnector } from '../http/engine.js';
import type { AuthSpec, Config, HttpStreamSpec, IncrementalSpec, Json } from '../http/types.js';
import type { Column, ConnectorDefinition } from '../types.js';
import { customerColumns, inventoryItemColumns, inventoryLevelColumns, locationColumns, orderColumns, productColumns } from './columns.js';
import { DEFAULT_API_VERSION, MAX_PAGE_SIZE, api, apiVersion, listStream, readInventoryItems, readInventoryLevels, shopDomain, shopRoot, withDeletions } from './read.js';

const secret = (description: string) => Type.String({ minLength: 1, writeOnly: true, format: 'password', description });

/** REST Admin API requests per second by plan (Shopify's rate-limit figures); the bucket leaks at this rate. */
export const PLAN_RATES = { standard: 2, advanced: 4, plus: 20, enterprise: 40 } as const;

const configSchema = Type.Object(
  {
    shop: Type.String({
      pattern: '^(https?://)?[A-Za-z0-9][A-Za-z0-9-]*(\\.myshopify\\.com)?/?$',
      description: "the shop's myshopify.com domain (my-store.myshopify.com) or its name (my-store)",
    }),
    access_token: Type.Optional(secret('Admin API access token (shpat_...) of a custom app created in the Shopify admin, or an offline token; it does not expire')),
    client_id: Type.Optional(Type.String({ minLength: 1, description: 'client ID of an app created in the Dev Dashboard and installed on this store (client credentials grant, tokens renewed every 24 h)' })),
    client_secret: Type.Optional(secret("that app's client secret")),
    api_version: Type.String({ pattern: '^\\d{4}-(01|04|07|10)$', default: DEFAULT_API_VERSION, description: 'REST Admin API version (YYYY-MM, quarterly)' }),
    plan: Type.Enum(Object.keys(PLAN_RATES), {
      default: 'standard',
      description: "the shop's Shopify plan, which sets the REST Admin API rate Quarry keeps to: standard 2 requests/s, advanced 4, plus 20, enterprise (Commerce Components) 40",
    }),
    page_size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: MAX_PAGE_SIZE, description: 'records per page (limit); Shopify allows up to 250' }),
    base_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'API root override (tests, proxies)' })),
  },
  { additionalProperties: false },
);

/** A static token, or the client credentials grant of a Dev Dashboard app; the token travels in X-Shopify-Access-Token either way. */
function auth(c: Config): AuthSpec {
  if (typeof c.access_token === 'string' && c.access_token) return { kind: 'api_key', in: 'header', name: 'X-Shopify-Access-Token', value: (k) => String(k.access_token) };
  return {
    kind: 'oauth2_client_credentials',
    tokenUrl: (k) => `${shopRoot(k)}/admin/oauth/access_token`,
    clientId: (k) => String(k.client_id),
    clientSecret: (k) => String(k.client_secret),
    tokenHeader: 'X-Shopify-Access-Token',
  };
}

/** Shopify's error bodies: `{"errors": "..."}`, `{"errors": {"field": ["..."]}}`, or OAuth's `{"error", "error_description"}`. */
export function errorMessage(body: Json): string | undefined {
  const b = body as { errors?: unknown; error?: unknown; error_description?: unknown } | null;
  const e = b?.errors ?? b?.error_description ?? b?.error;
  if (typeof e === 'string') return e.slice(0, 500);
  if (Array.isArray(e)) return e.map(String).join('; ').slice(0, 500);
  if (e && typeof e === 'object') {
    return Object.entries(e)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map(String).join(', ') : String(v)}`)
      .join('; ')
      .slice(0, 500);
  }
  return undefined;
}

/** Timestamps carry the shop's UTC offset; in UTC they compare as strings, so the cursor is safe across offset changes. */
function utc(columns: Column[]): (r: Record<string, Json>) => Record<string, Json> {
  const names = columns.filter((col) => col.type === 'timestamptz').map((col) => col.name);
  return (record) => {
    const out = { ...record };
    for (const n of names) {
      const v = record[n];
      const ms = typeof v === 'string' ? Date.parse(v) : NaN;
      if (!Number.isNaN(ms)) out[n] = new Date(ms).toISOString();
    }
    return out;
  };
}

/** `updated_at_min` returns records updated at or after the date: the engine's >= contract. */
const updatedAt: IncrementalSpec = { cursorField: 'updated_at', params: (cursor) => ({ updated_at_min: cursor }) };

function stream(base: HttpStreamSpec, columns: Column[], extra: Partial<HttpStreamSpec> = {}): HttpStreamSpec {
  return { ...base, columns, transform: utc(columns), ...extra };
}

const levels = stream(listStream('inventory_levels', 'inventory_levels.json', 'inventory_levels'), inventoryLevelColumns, {
  primaryKey: ['inventory_item_id', 'location_id'],
  incremental: updatedAt,
});
const items = stream(listStream('inventory_items', 'inventory_items.json', 'inventory_items'), inventoryItemColumns);

/** One way to authenticate, complete. Messages never echo values. */
function validateConfig(config: Config): FieldError[] {
  const errors: FieldError[] = [];
  const token = config.access_token !== undefined;
  const app = config.client_id !== undefined || config.client_secret !== undefined;
  if (token && app) errors.push({ field: 'config.access_token', message: 'give either access_token or client_id and client_secret, not both' });
  else if (!token && !app) errors.push({ field: 'config.access_token', message: 'is required, unless client_id and client_secret of a Dev Dashboard app are given' });
  else if (app) for (const f of ['client_id', 'client_secret']) if (config[f] === undefined) errors.push({ field: `config.${f}`, message: 'is required with the client credentials grant' });
  return errors;
}

export const shopify: ConnectorDefinition = defineHttpConnector({
    type: 'shopify',
    label: 'Shopify',
    description:
      'Orders, customers, products, locations and inventory from the Shopify Admin REST API. Incremental on updated_at; deleted orders and products are marked from destroy events. Orders older than 60 days need the read_all_orders scope.',
    configSchema,
    baseUrl: shopRoot,
    auth,
    rateLimit: (c) => PLAN_RATES[(c.plan as keyof typeof PLAN_RATES) ?? 'standard'] ?? PLAN_RATES.standard,
    // the leaky bucket is per app and store
    rateLimitKey: (c) => `${shopDomain(c)}\u0000${String(c.access_token ?? c.client_id)}`,
    errorMessage,
    async check(client, config) {
      const res = await client.request('GET', api(config, 'shop.json'));
      const shop = (res.body as { shop?: { name?: string; myshopify_domain?: string; plan_display_name?: string } } | null)?.shop;
      if (!shop) throw new StepError('shop.json answered without a shop object');
      // Shopify serves the oldest supported version when the requested one is retired
      const served = res.headers.get('x-shopify-api-version');
      const version = served && served !== apiVersion(config) ? `${served} (asked for ${apiVersion(config)}, no longer supported)` : apiVersion(config);
      return `reached shop "${shop.name}" (${shop.myshopify_domain}), plan ${shop.plan_display_name ?? 'unknown'}, Admin API ${version}`;
    },
    streams: [
      withDeletions('Order')(stream(listStream('orders', 'orders.json', 'orders', () => ({ status: 'any' })), orderColumns, { incremental: updatedAt })),
      stream(listStream('customers', 'customers.json', 'customers'), customerColumns, { incremental: updatedAt }),
      withDeletions('Product')(stream(listStream('products', 'products.json', 'products'), productColumns, { incremental: updatedAt })),
      stream(listStream('locations', 'locations.json', 'locations'), locationColumns, { params: () => ({}) }),
      { ...levels, read: (ctx) => readInventoryLevels(levels, ctx) },
      { ...items, read: (ctx) => readInventoryItems(items, ctx) },
    ],
  validateConfig,
});
