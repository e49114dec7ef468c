import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { klaviyo } from '../../src/connectors/klaviyo/definition.js';
import type { ConnectorContext, ReadEvent, StreamSchema } from '../../src/connectors/types.js';
import { ConfigCodec } from '../../src/secrets/config-codec.js';
import type { ValidationError } from '../../src/lib/errors.js';
import { openDuckDb } from '../../src/warehouses/duckdb/driver.js';
import { setupApp, type TestApp } from '../helpers/app.js';
import { createLoader, createSource, runLoader } from '../helpers/loaders.js';
import { startFakeKlaviyo, type FakeKlaviyo } from '../fakes/klaviyo/server.js';
import { connectorContract } from './connector-contract.js';
import { KLAVIYO_API_KEY, klaviyoHarness } from './connectors/klaviyo.js';

connectorContract(klaviyoHarness());

/** What the shared contract does not look at: the API-key path, config messages, the campaign channels, the filters sent. */
describe('klaviyo specifics', () => {
  let fake: FakeKlaviyo;
  let t: TestApp | undefined;
  const ctx = () => ({ resolve: async () => ({ address: '127.0.0.1', family: 4 }), signal: new AbortController().signal, log: pino({ level: 'silent' }), home: '' }) as unknown as ConnectorContext;
  const config = (over: Record<string, unknown> = {}) => ({ base_url: fake.url, auth: { type: 'api_key', api_key: KLAVIYO_API_KEY }, requests_per_second: 100, ...over });
  const stream = (name: string) => klaviyo.streams!.find((s) => s.name === name) as StreamSchema;
  const read = async (name: string, cfg: Record<string, unknown>, cursor: string | null = null) => {
    const events: ReadEvent[] = [];
    const connector = await klaviyo.load();
    for await (const e of connector.read(cfg, { stream: stream(name), mode: cursor === null ? 'full_refresh' : 'incremental', cursorField: null, cursor }, ctx())) events.push(e);
    const rows = events.flatMap((e) => (e.type === 'rows' ? e.rows : []));
    const columns = stream(name).columns.map((c) => c.name);
    return { rows: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))), state: events.find((e) => e.type === 'state') };
  };

  beforeAll(async () => {
    fake = await startFakeKlaviyo({ profiles: 60, events: 80, apiKey: KLAVIYO_API_KEY, maxPageSize: 25 });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('names the fields each auth type needs', () => {
    const codec = new ConfigCodec(klaviyo);
    const errors = (c: Record<string, unknown>) => {
      try {
        codec.validate(c);
        return [];
      } catch (err) {
        return (err as ValidationError).errors;
      }
    };
    expect(errors({ auth: { type: 'oauth2_refresh', client_id: 'x', api_key: 'pk_abc' } })).toEqual([
      { field: 'config.auth.client_secret', message: 'is required for auth type oauth2_refresh' },
      { field: 'config.auth.refresh_token', message: 'is required for auth type oauth2_refresh' },
      { field: 'config.auth.api_key', message: 'is not used by auth type oauth2_refresh' },
    ]);
    expect(errors({ auth: { type: 'api_key' } })).toEqual([{ field: 'config.auth.api_key', message: 'is required for auth type api_key' }]);
    expect(errors({ auth: { type: 'api_key', api_key: 'AbC123' } }).map((e) => e.field)).toEqual(['config.auth.api_key']); // a public key, not a private one
    const ok = { auth: { type: 'api_key', api_key: KLAVIYO_API_KEY } } as Record<string, unknown>;
    expect(errors(ok)).toEqual([]);
    expect(ok).toMatchObject({ revision: '2024-10-15', campaign_channels: ['email', 'sms'], requests_per_second: 10 });
  });

  it('checks a private API key and reports Klaviyo’s own error text', async () => {
    const connector = await klaviyo.load();
    expect(await connector.check(config(), ctx())).toMatch(/Quarry Test Store.*2024-10-15/);
    await expect(connector.check(config({ auth: { type: 'api_key', api_key: 'pk_wrong' } }), ctx())).rejects.toThrow('authentication failed (401): Missing or invalid private key. (not_authenticated)');
    await expect(connector.check(config({ revision: '2023-01-24' }), ctx())).resolves.toMatch(/2023-01-24/);
    expect([...fake.stats.revisions]).toEqual(['2024-10-15', '2023-01-24']);
  });

  it('reads campaigns of every configured channel, and flattens attributes and relationships', async () => {
    const { rows } = await read('campaigns', config());
    expect(rows.filter((r) => r.channel === 'email')).toHaveLength(23);
    expect(rows.filter((r) => r.channel === 'sms')).toHaveLength(12);
    expect((await read('campaigns', config({ campaign_channels: ['sms'] }))).rows).toHaveLength(12);
    const events = (await read('events', config())).rows;
    expect(events).toHaveLength(80);
    expect(events[0]).toMatchObject({ metric_id: expect.stringMatching(/^M/), profile_id: expect.stringMatching(/^01H/), datetime: expect.stringMatching(/Z$/) });
    const profiles = (await read('profiles', config())).rows;
    expect(profiles).toHaveLength(60);
    expect(profiles[0]).toMatchObject({ email: 'person1@example.com', location: { city: 'Boston' }, subscriptions: { email: { marketing: {} } } });
  });

  it('filters incremental reads the way each endpoint allows', async () => {
    fake.stats.queries.length = 0;
    const cursor = '2024-01-01T00:10:00.000Z';
    const events = await read('events', config(), cursor);
    expect(events.rows.every((r) => String(r.datetime) >= cursor)).toBe(true);
    expect(events.rows.some((r) => r.datetime === cursor)).toBe(true); // >=: the ties are read again
    const profiles = await read('profiles', config(), '2024-01-01T00:10:00.000Z');
    expect(profiles.rows.map((r) => r.updated)).toContain('2024-01-01T00:10:00.000Z');
    expect(profiles.state).toEqual({ type: 'state', cursor: '2024-01-01T00:20:00.000Z' });
    await read('campaigns', config(), '2024-01-10T00:00:00.000Z');
    // parameter order is the engine's business: look for each parameter of the request
    const sent = (path: string, ...params: string[]) => fake.stats.queries.some((q) => q.startsWith(`${path}?`) && params.every((p) => q.split(/\?|&(?=[a-z])/).includes(p)));
    expect(sent('/api/events', 'sort=datetime', 'filter=greater-or-equal(datetime,2024-01-01T00:10:00Z)')).toBe(true);
    expect(sent('/api/profiles', 'sort=updated', 'additional-fields[profile]=subscriptions', 'filter=greater-than(updated,2024-01-01T00:09:59Z)', 'page[size]=100')).toBe(true);
    expect(sent('/api/campaigns', "filter=equals(messages.channel,'email'),greater-or-equal(updated_at,2024-01-10T00:00:00Z)")).toBe(true);
    expect(sent('/api/campaigns', "filter=equals(messages.channel,'sms'),greater-or-equal(updated_at,2024-01-10T00:00:00Z)")).toBe(true);
  });

  it('loads all five streams into the warehouse with a private API key, secrets kept out of the logs', async () => {
    t = await setupApp({ workers: { concurrency: 1, leaseMs: 10_000 } });
    const warehouse = await createSource(t, { name: 'dw', source_type: 'duckdb', config: { database: 'kdw' } });
    const names = ['profiles', 'events', 'lists', 'campaigns', 'metrics'];
    const loader = await createLoader(t, { loader_type: 'klaviyo', source_id: warehouse, config: config(), target_schema: 'klaviyo', selected_streams: names.map((name) => ({ name, sync_mode: 'full_refresh' })) });
    const run = await runLoader(t, loader.id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', streams_failed: 0 });
    const duck = await openDuckDb(t.home, 'kdw');
    try {
      const count = async (sql: string) => Number((await duck.conn.runAndReadAll(sql)).getRows()[0]![0]);
      const sizes = { profiles: fake.profiles.size, events: fake.events.size, lists: fake.lists.size, campaigns: fake.campaigns.size, metrics: fake.metrics.size };
      for (const [name, size] of Object.entries(sizes)) expect(await count(`SELECT count(DISTINCT id) FROM klaviyo.${name}`), name).toBe(size);
      expect(await count(`SELECT count(*) FROM klaviyo.profiles WHERE json_extract_string(location, '$.city') = 'Boston' AND updated IS NOT NULL`)).toBe(fake.profiles.size);
      expect(await count(`SELECT count(*) FROM klaviyo.campaigns WHERE channel = 'sms'`)).toBe(12);
    } finally {
      duck.close();
    }
    expect(t.logs.join('\n')).not.toContain(KLAVIYO_API_KEY);
  });
});
