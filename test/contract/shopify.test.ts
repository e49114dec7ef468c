import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopify } from '../../src/connectors/shopify/definition.js';
import { shopRoot } from '../../src/connectors/shopify/read.js';
import type { ConnectorContext, ReadEvent, SyncMode } from '../../src/connectors/types.js';
import { ConfigCodec } from '../../src/secrets/config-codec.js';
import { startFakeShopify, type FakeShopify } from '../fakes/shopify/server.js';
import { connectorContract } from './connector-contract.js';
import { shopifyHarness } from './connectors/shopify.js';

connectorContract(shopifyHarness());

/** The streams the contract cannot compare (no email column), auth and errors, read without the app. */
describe('shopify connector, read directly', () => {
  let fake: FakeShopify;
  const ctx = () =>
    ({ resolve: async (host: string) => ({ host, address: '127.0.0.1', family: 4 }), signal: new AbortController().signal, log: pino({ level: 'silent' }) }) as unknown as ConnectorContext;
  const config = (over: Record<string, unknown> = {}) => ({ shop: 'direct-test', access_token: 'shpat_static-SECRET', api_version: '2026-07', plan: 'enterprise', page_size: 7, base_url: fake.url, ...over });
  const read = async (stream: string, cfg = config(), mode: SyncMode = 'full_refresh', cursor: string | null = null) => {
    const schema = shopify.streams!.find((s) => s.name === stream)!;
    const columns = schema.columns.map((c) => c.name);
    const rows: Record<string, unknown>[] = [];
    const deleted: unknown[][] = [];
    let state: string | null | undefined;
    const connector = await shopify.load();
    for await (const e of connector.read(cfg, { stream: schema, mode, cursorField: schema.cursorField, cursor }, ctx()) as AsyncIterable<ReadEvent>) {
      if (e.type === 'rows') rows.push(...e.rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
      if (e.type === 'deleted') deleted.push(...e.keys);
      if (e.type === 'state') state = e.cursor;
    }
    return { rows, deleted, state };
  };

  beforeAll(async () => {
    fake = await startFakeShopify({ shop: 'direct-test', accessToken: 'shpat_static-SECRET', orders: 40, customers: 10, products: 23, locations: 2, leakPerSecond: 40 });
  });
  afterAll(async () => fake?.close());

  it('checks a static custom-app token and names the shop', async () => {
    const connector = await shopify.load();
    expect(await connector.check(config(), ctx())).toBe('reached shop "Quarry Test Shop" (direct-test.myshopify.com), plan Shopify Plus, Admin API 2026-07');
    await expect(connector.check(config({ api_version: '2023-01' }), ctx())).resolves.toContain('Admin API 2025-10 (asked for 2023-01, no longer supported)');
  });

  it("reports Shopify's own error text", async () => {
    const connector = await shopify.load();
    await expect(connector.check(config({ access_token: 'shpat_wrong' }), ctx())).rejects.toThrow('authentication failed (401): [API] Invalid API key or access token (unrecognized login or wrong password)');
    const noScope = await startFakeShopify({ shop: 'direct-test', accessToken: 'shpat_static-SECRET', orders: 3, scopes: ['read_products'] });
    try {
      await expect(read('orders', config({ base_url: noScope.url }))).rejects.toThrow('permission denied (403): [API] This action requires merchant approval for read_orders scope.');
    } finally {
      await noScope.close();
    }
  });

  it('reads products, locations and inventory page after page, with the right types', async () => {
    const products = await read('products');
    expect(new Set(products.rows.map((r) => r.id))).toEqual(new Set(fake.products.keys()));
    expect(products.rows[0]!.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/); // the shop's offset, in UTC
    expect((await read('locations')).rows.map((r) => r.id)).toEqual([...fake.locations.keys()]);
    const items = await read('inventory_items');
    expect(new Set(items.rows.map((r) => r.id))).toEqual(new Set(fake.inventoryItems.keys()));
    expect(items.rows.every((r) => typeof r.cost === 'string' && /^\d+\.\d\d$/.test(r.cost))).toBe(true);
    const levels = await read('inventory_levels');
    expect(new Set(levels.rows.map((r) => `${String(r.inventory_item_id)}:${String(r.location_id)}`))).toEqual(new Set(fake.inventoryLevels.keys()));
    expect(fake.stats.rejected429).toBe(0);
  });

  it('marks destroyed products from the events feed, incrementally', async () => {
    const first = await read('products', config(), 'incremental');
    expect(first.rows).toHaveLength(fake.products.size);
    const gone = [...fake.products.keys()][4]!;
    fake.deleteProduct(gone);
    const second = await read('products', config(), 'incremental', first.state!);
    expect(second.deleted).toEqual([[gone]]);
    expect(second.rows.every((r) => String(r.updated_at) >= first.state!)).toBe(true);
  });

  it("keeps to the standard plan's 2 requests/s under a bucket of the same leak rate", async () => {
    const small = await startFakeShopify({ shop: 'slow-test', accessToken: 'shpat_static-SECRET', customers: 12, bucketSize: 3, leakPerSecond: 2 });
    try {
      const { rows } = await read('customers', config({ shop: 'slow-test', plan: 'standard', page_size: 2, base_url: small.url }));
      expect(rows).toHaveLength(12);
      expect(small.stats.rejected429).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('takes one way to authenticate and builds the default root from the shop', () => {
    const codec = new ConfigCodec(shopify);
    expect(() => codec.validate({ shop: 'my-store' })).toThrow();
    expect(() => codec.validate({ shop: 'my-store', access_token: 'a', client_id: 'b', client_secret: 'c' })).toThrow();
    expect(() => codec.validate({ shop: 'my-store', client_id: 'b' })).toThrow();
    expect(() => codec.validate({ shop: 'my store.example.com', access_token: 'a' })).toThrow();
    const ok: Record<string, unknown> = { shop: 'https://My-Store.myshopify.com/', access_token: 'a' };
    codec.validate(ok);
    expect(ok).toMatchObject({ api_version: '2026-07', plan: 'standard', page_size: 250 });
    expect([...codec.secrets].sort()).toEqual(['access_token', 'client_secret']);
    expect(shopRoot(ok)).toBe('https://my-store.myshopify.com');
    expect(shopRoot({ shop: 'my-store' })).toBe('https://my-store.myshopify.com');
    expect(shopRoot({ shop: 'my-store', base_url: 'http://proxy.internal/shopify/' })).toBe('http://proxy.internal/shopify');
  });
});
