import { startFakeShopify, type FakeShopify } from '../../fakes/shopify/server.js';
import type { ConnectorHarness } from '../connector-harness.js';

/**
 * The shopify loader against the fake shop, authenticated as a Dev Dashboard app (client
 * credentials grant: 24 h tokens the engine renews on 401). The shop is on Shopify Plus, whose
 * 20 requests/s the `plan` setting lets Quarry use; pages of 25 records.
 */
export function shopifyHarness(): ConnectorHarness {
  let fake: FakeShopify | undefined;
  const app = { clientId: 'quarry-app', clientSecret: 'shpss_client-SECRET' };
  const orders = () => [...fake!.orders.values()];
  return {
    type: 'shopify',
    async start() {
      fake = await startFakeShopify({ app, orders: 300, customers: 120, products: 60, leakPerSecond: 20 });
    },
    stop: async () => fake?.close(),
    config: () => ({
      shop: 'quarry-test',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      api_version: '2026-07',
      plan: 'plus',
      page_size: 25,
      base_url: fake!.url,
    }),
    // the suite reads `id` and `email` from each of these; products, locations and inventory
    // have no email and are read in shopify.test.ts
    fullRefreshStreams: ['orders', 'customers'],
    stream: 'orders',
    key: 'id',
    value: 'email',
    async expected() {
      return new Map(orders().map((o) => [String(o.id), o.email]));
    },
    async mutate() {
      const instant = (o: { updated_at: string }) => Date.parse(o.updated_at);
      const last = Math.max(...orders().map(instant));
      const lastText = orders().find((o) => instant(o) === last)!.updated_at;
      const early = orders()
        .filter((o) => instant(o) < last)
        .slice(0, 5);
      for (const o of early.slice(0, 3)) fake!.updateOrder(o.id, { email: `changed-${o.id}@example.com` });
      for (const o of early.slice(3)) fake!.deleteOrder(o.id);
      fake!.insertOrders(4);
      fake!.insertOrders(2, lastText); // new orders sharing the committed cursor value
      const ties = orders().filter((o) => instant(o) === last).length;
      return { reread: ties + 3 + 4, deleted: early.slice(3).map((o) => String(o.id)) };
    },
    rateLimitStorm() {
      fake!.throttle(3);
    },
    failMidPaging() {
      fake!.failPages = 2;
    },
    expireTokenMidRun() {
      fake!.expireTokensAfter(3);
    },
    stats: () => ({ rejected429: fake!.stats.rejected429, failed500: fake!.stats.failed500, tokenRefreshes: fake!.stats.tokenGrants }),
    notApplicable: {},
  };
}
