import { idOf, RESOURCES, startFakeStripe, type FakeStripe } from '../../fakes/stripe/server.js';
import type { ConnectorHarness } from '../connector-harness.js';

/** The stripe loader against the fake Stripe API; the incremental cases run on customers. */
export function stripeHarness(): ConnectorHarness {
  let fake: FakeStripe | undefined;
  const customers = () => [...fake!.objects.customers.values()];
  return {
    type: 'stripe',
    async start() {
      fake = await startFakeStripe();
    },
    stop: async () => fake?.close(),
    config: () => ({ api_key: fake!.apiKey, api_version: '2024-06-20', base_url: fake!.url }),
    fullRefreshStreams: Object.keys(RESOURCES),
    stream: 'customers',
    key: 'id',
    value: 'name',
    async expected() {
      return new Map(customers().map((c) => [c.id, String(c.name)]));
    },
    async mutate() {
      // the committed cursor is the newest `created` (40 customers share it)
      const last = Math.max(...customers().map((c) => c.created));
      const later = last + 3600;
      for (const n of [3, 7, 11]) fake!.update('customers', idOf('customers', n), { name: `Renamed ${n}` }, later);
      fake!.insert('customers', 5, later);
      fake!.insert('customers', 4, last); // new customers sharing the committed cursor value
      const deleted = [idOf('customers', 20), idOf('customers', 21)];
      for (const id of deleted) fake!.remove('customers', id, later);
      // noise the read must not load: a subresource event and an event of another stream
      fake!.emit('customer.source.created', { id: 'card_Q1', object: 'card', customer: idOf('customers', 1) }, later);
      fake!.update('products', idOf('products', 1), { name: 'Renamed product' }, later);
      const ties = customers().filter((c) => c.created === last).length;
      return { reread: ties + 5 + 3, deleted };
    },
    rateLimitStorm() {
      fake!.rateLimit.remaining = 4;
    },
    failMidPaging() {
      fake!.failPages = 2;
    },
    expireTokenMidRun() {
      throw new Error('Stripe secret keys do not expire');
    },
    stats: () => ({ rejected429: fake!.stats.rejected429, failed500: fake!.stats.failed500, tokenRefreshes: 0 }),
    notApplicable: {
      oauth: 'a Stripe secret or restricted API key does not expire and has no refresh; Stripe Connect OAuth is for platforms acting on connected accounts, not for reading your own account',
    },
  };
}
