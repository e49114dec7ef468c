import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripe } from '../../src/connectors/stripe/definition.js';
import { HORIZON_SECONDS } from '../../src/connectors/stripe/read.js';
import type { Connector, SyncMode } from '../../src/connectors/types.js';
import { createLogger } from '../../src/logger.js';
import { NetworkPolicy } from '../../src/net/policy.js';
import { openOperation } from '../../src/warehouses/context.js';
import { idOf, startFakeStripe, type FakeStripe } from '../fakes/stripe/server.js';
import { connectorContract } from './connector-contract.js';
import { stripeHarness } from './connectors/stripe.js';

connectorContract(stripeHarness());

/** What the shared contract does not reach: Stripe's own rules, read straight from the connector. */
describe('stripe: vendor specifics', () => {
  let fake: FakeStripe;
  let connector: Connector;
  const op = openOperation({ policy: new NetworkPolicy('default'), home: os.tmpdir(), log: createLogger('silent') });
  const config = () => ({ api_key: fake.apiKey, api_version: '2024-06-20', base_url: fake.url });
  const iso = (s: number) => new Date(s * 1000).toISOString();

  beforeAll(async () => {
    fake = await startFakeStripe({ counts: { customers: 130 } });
    connector = await stripe.load();
  });
  afterAll(async () => {
    await op.close();
    await fake?.close();
  });

  /** One read: its rows as objects, the keys it deleted, the cursor it would commit. */
  async function read(name: string, mode: SyncMode, cursor: string | null = null) {
    const stream = stripe.streams!.find((s) => s.name === name)!;
    const rows: Record<string, unknown>[] = [];
    const deleted: unknown[] = [];
    let state: string | null | undefined;
    for await (const e of connector.read(config(), { stream, mode, cursorField: stream.cursorField, cursor }, op.ctx)) {
      if (e.type === 'rows') rows.push(...e.rows.map((r) => Object.fromEntries(stream.columns.map((c, i) => [c.name, r[i]]))));
      if (e.type === 'deleted') deleted.push(...e.keys.map((k) => k[0]));
      if (e.type === 'state') state = e.cursor;
    }
    return { rows, deleted, cursor: state };
  }
  const newest = () => Math.max(...fake.events.map((e) => e.created));
  const queries = (path: string, from: number) => fake.stats.queries.slice(from).filter((q) => q.startsWith(`${path}?`) || q === path);

  it('checks the key on the account, and names only its last four characters when Stripe refuses it', async () => {
    expect(await connector.check(config(), op.ctx)).toBe('Stripe account acct_1QuarryFake (Quarry Test Shop), test mode');
    const refused = connector.check({ ...config(), api_key: 'sk_test_wrongKEY9999' }, op.ctx);
    await expect(refused).rejects.toThrow('authentication failed (401): Invalid API Key provided: sk_test_****9999 (invalid_request_error)');
    await expect(refused).rejects.not.toThrow(/wrongKEY/);
  });

  it('sends the key as a bearer token with Stripe-Version, 100 objects a page, newest first', async () => {
    const before = fake.stats.queries.length;
    const { bearer, basic } = fake.stats;
    const { rows } = await read('customers', 'full_refresh');
    expect(rows).toHaveLength(130);
    const pages = queries('/v1/customers', before);
    expect(pages).toEqual(['/v1/customers?limit=100', `/v1/customers?limit=100&starting_after=${idOf('customers', 31)}`]);
    expect(fake.stats.bearer - bearer).toBe(2);
    expect(fake.stats.basic - basic).toBe(0);
    expect(new Set(fake.stats.versions)).toEqual(new Set(['2024-06-20']));
  });

  it("maps Stripe's values: Unix times to timestamps, amounts as integers, nested objects as JSON, no client secret", async () => {
    const { rows } = await read('payment_intents', 'full_refresh');
    const pi = rows.find((r) => r.id === idOf('payment_intents', 7))!;
    const source = fake.objects.payment_intents.get(idOf('payment_intents', 7))!;
    expect(pi).toMatchObject({ object: 'payment_intent', amount: 1007, currency: 'usd', created: iso(source.created), updated_at: iso(source.created), canceled_at: null, metadata: {}, payment_method_types: ['card'] });
    expect(Object.keys(pi)).not.toContain('client_secret');
    expect(JSON.stringify(rows)).not.toContain('_secret_');
  });

  it('lists canceled subscriptions too, and keeps a subscription that ended as canceled, not deleted', async () => {
    const full = await read('subscriptions', 'full_refresh');
    expect(full.rows).toHaveLength(120);
    expect(full.rows.filter((r) => r.status === 'canceled')).toHaveLength(12);
    const first = await read('subscriptions', 'incremental');
    const at = newest() + 60;
    const id = idOf('subscriptions', 5);
    fake.update('subscriptions', id, { status: 'canceled', canceled_at: at, ended_at: at }, at, 'customer.subscription.deleted');
    const before = fake.stats.queries.length;
    const next = await read('subscriptions', 'incremental', first.cursor!);
    expect(queries('/v1/subscriptions', before).every((q) => q.includes('status=all'))).toBe(true);
    expect(next.deleted).toEqual([]);
    expect(next.rows.find((r) => r.id === id)).toMatchObject({ status: 'canceled', ended_at: iso(at), updated_at: iso(at) });
    expect(next.cursor).toBe(iso(at));
  });

  it('marks deleted products, and the cursor covers the deletion', async () => {
    const first = await read('products', 'incremental');
    const t1 = newest() + 60;
    fake.update('products', idOf('products', 3), { name: 'Renamed product' }, t1);
    fake.remove('products', idOf('products', 2), t1 + 60);
    const next = await read('products', 'incremental', first.cursor!);
    expect(next.deleted).toEqual([idOf('products', 2)]);
    // the committed cursor's ties are read again; the update is the only change
    const changed = next.rows.filter((r) => r.updated_at !== first.cursor);
    expect(changed).toEqual([expect.objectContaining({ id: idOf('products', 3), name: 'Renamed product', updated_at: iso(t1) })]);
    expect(next.cursor).toBe(iso(t1 + 60));
  });

  it("keeps an object's newest event, and a new object's current state over its events", async () => {
    const first = await read('customers', 'incremental');
    const t = newest() + 60;
    const old = idOf('customers', 9);
    fake.update('customers', old, { name: 'First rename' }, t);
    fake.update('customers', old, { name: 'Second rename' }, t + 60);
    const [fresh] = fake.insert('customers', 1, t);
    fake.update('customers', fresh!, { email: 'changed@example.com' }, t + 120);
    fake.emit('customer.source.created', { id: 'card_Q9', object: 'card', customer: old }, t + 180);
    const before = fake.stats.queries.length;
    const next = await read('customers', 'incremental', first.cursor!);
    expect(next.rows.filter((r) => r.id === old)).toEqual([expect.objectContaining({ name: 'Second rename', updated_at: iso(t + 60) })]);
    // the row written last wins the merge: the list's, as the object is now
    expect(next.rows.filter((r) => r.id === fresh).at(-1)).toMatchObject({ email: 'changed@example.com', created: iso(t), updated_at: iso(t + 120) });
    expect(next.rows.map((r) => r.id)).not.toContain('card_Q9');
    const [events] = queries('/v1/events', before);
    const since = Date.parse(first.cursor!) / 1000;
    expect(events).toMatch(new RegExp(`^/v1/events\\?created\\[gte\\]=${since}&created\\[lt\\]=\\d+&types\\[0\\]=customer.updated&types\\[1\\]=customer.deleted&limit=100$`));
  });

  it('leaves what is newer than the horizon to the next run', async () => {
    const first = await read('customers', 'incremental');
    const now = Math.floor(Date.now() / 1000);
    const [recent] = fake.insert('customers', 1, now);
    const next = await read('customers', 'incremental', first.cursor!);
    expect(next.rows.map((r) => r.id)).not.toContain(recent);
    expect(Date.parse(next.cursor!) / 1000).toBeLessThan(now - HORIZON_SECONDS + 1);
  });

  it('reads new balance transactions only: no event carries them', async () => {
    const first = await read('balance_transactions', 'incremental');
    const before = fake.stats.queries.length;
    const next = await read('balance_transactions', 'incremental', first.cursor!);
    expect(queries('/v1/events', before)).toEqual([]);
    expect(next.rows.every((r) => r.updated_at === first.cursor)).toBe(true);
  });
});
