import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorContract } from './connector-contract.js';
import { mailchimpHarness } from './connectors/mailchimp.js';
import { startFakeMailchimp, type FakeMailchimp } from '../fakes/mailchimp/server.js';
import { dataCenter, mailchimp, sinceLastChanged } from '../../src/connectors/mailchimp/definition.js';
import type { ConnectorContext } from '../../src/connectors/types.js';

connectorContract(mailchimpHarness());

describe('mailchimp: auth, data centre, config', () => {
  let fake: FakeMailchimp;
  const noop = () => undefined;
  const ctx = (): ConnectorContext => ({
    resolve: async (host: string) => ({ host, address: host, family: 4 as const }),
    signal: new AbortController().signal,
    home: '',
    log: { debug: noop, info: noop, warn: noop, error: noop } as never,
    policy: undefined as never,
    proxy: () => Promise.reject(new Error('no proxy in this test')),
  });
  beforeAll(async () => {
    fake = await startFakeMailchimp();
  });
  afterAll(() => fake.close());

  it('checks an OAuth bearer token, and reports a refused key with the vendor text', async () => {
    const connector = await mailchimp.load();
    expect(await connector.check({ access_token: fake.accessToken, data_center: 'us6', base_url: fake.apiRoot }, ctx())).toBe('Mailchimp account "Quarry Fake Co" (data centre us6)');
    await expect(connector.check({ api_key: '0123456789abcdef0123456789abcdef-us6', base_url: fake.apiRoot }, ctx())).rejects.toThrow(/authentication failed \(401\): API Key Invalid: Your API key may be invalid/);
  });

  it('reads lists, campaigns and reports page after page, an unset time as NULL', async () => {
    const connector = await mailchimp.load();
    const config = { api_key: fake.apiKey, base_url: fake.apiRoot, page_size: 25 };
    const read = async (name: string) => {
      const stream = mailchimp.streams!.find((s) => s.name === name)!;
      const rows: unknown[][] = [];
      for await (const e of connector.read(config, { stream, mode: 'full_refresh', cursorField: null, cursor: null }, ctx())) if (e.type === 'rows') rows.push(...e.rows);
      return (column: string) => rows.map((r) => r[stream.columns.findIndex((c) => c.name === column)]);
    };
    const sent = fake.campaigns.filter((c) => c.status === 'sent');
    expect((await read('lists'))('id')).toEqual(fake.lists.map((l) => l.id));
    const campaigns = await read('campaigns');
    expect(campaigns('id')).toEqual(fake.campaigns.map((c) => c.id));
    expect(campaigns('send_time').filter((t) => t === null)).toHaveLength(fake.campaigns.length - sent.length);
    expect((await read('reports'))('id')).toEqual(sent.map((c) => c.id));
  });

  it('derives the data centre, validates the credentials, and asks for ties again', () => {
    expect(dataCenter({ api_key: 'abc-us21' })).toBe('us21');
    expect(dataCenter({ access_token: 't', data_center: 'us6' })).toBe('us6');
    const errors = (c: Record<string, unknown>) => mailchimp.validateConfig!(c).map((e) => e.field);
    expect(errors({})).toEqual(['config.api_key']);
    expect(errors({ api_key: 'abc-us6', access_token: 't', data_center: 'us6' })).toEqual(['config.access_token']);
    expect(errors({ access_token: 't' })).toEqual(['config.data_center']);
    expect(errors({ api_key: 'abc-us6', data_center: 'us9' })).toEqual(['config.data_center']);
    expect(errors({ api_key: 'abc-us6' })).toEqual([]);
    // "changed after" is strict: one second earlier keeps the members sharing the cursor
    expect(sinceLastChanged('2024-01-01T03:40:00+00:00')).toBe('2024-01-01T03:39:59+00:00');
  });
});
