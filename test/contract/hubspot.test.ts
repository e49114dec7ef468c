import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { connectorContract } from './connector-contract.js';
import { HUBSPOT_OAUTH, HUBSPOT_PAT, hubspotHarness } from './connectors/hubspot.js';
import { ISO, startFakeHubSpot, type FakeHubSpot } from '../fakes/hubspot/server.js';
import { hubspot, hubspotSpec } from '../../src/connectors/hubspot/definition.js';
import { searchModified, type CrmObject } from '../../src/connectors/hubspot/objects.js';
import { HttpClient } from '../../src/connectors/http/client.js';
import type { ConnectorContext } from '../../src/connectors/types.js';
import { ConfigCodec } from '../../src/secrets/config-codec.js';
import { ValidationError } from '../../src/lib/errors.js';

connectorContract(hubspotHarness());

/** What the shared suite does not reach: the private app token, config errors, the search window. */
describe('hubspot specifics', () => {
  let fake: FakeHubSpot;
  const ctx = (): ConnectorContext => ({
    policy: undefined as never,
    resolve: async (host) => ({ host, address: '127.0.0.1', family: 4 }),
    proxy: () => Promise.reject(new Error('no proxy here')),
    home: '',
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
  });
  const pat = (token: string) => ({ base_url: fake.url, credentials: { type: 'private_app', access_token: token } });

  beforeAll(async () => {
    fake = await startFakeHubSpot({ counts: { contacts: 640, companies: 150, deals: 230, tickets: 120 }, oauth: HUBSPOT_OAUTH, privateAppToken: HUBSPOT_PAT });
  });
  afterAll(() => fake?.close());

  it('validates the credentials with readable errors and keeps secrets write-only', () => {
    const codec = new ConfigCodec(hubspot);
    expect(codec.secrets.sort()).toEqual(['credentials.access_token', 'credentials.client_secret', 'credentials.refresh_token']);
    const fields = (config: Record<string, unknown>) => {
      try {
        codec.validate(config);
        return [];
      } catch (err) {
        return (err as ValidationError).errors.map((e) => `${e.field} ${e.message}`);
      }
    };
    expect(fields({ credentials: { type: 'oauth', client_id: 'x', access_token: 'y' } })).toEqual([
      'config.credentials.client_secret is required for credentials type oauth',
      'config.credentials.refresh_token is required for credentials type oauth',
      'config.credentials.access_token is not used by credentials type oauth',
    ]);
    expect(fields({ credentials: { type: 'private_app', access_token: 'x' } })).toEqual([]);
    expect(fields({ credentials: { type: 'private_app', access_token: 'x' }, base_url: 'ftp://x' }).length).toBeGreaterThan(0);
  });

  it('checks a private app token, and names HubSpot reason for a bad one', async () => {
    const connector = await hubspot.load();
    expect(await connector.check(pat(HUBSPOT_PAT), ctx())).toMatch(/contacts are readable/);
    await expect(connector.check(pat('pat-na1-wrong'), ctx())).rejects.toThrow(/authentication failed \(401\): Authentication credentials not found.*\[INVALID_AUTHENTICATION\]/);
  });

  it('reads companies, deals and tickets page after page, values typed for their columns', async () => {
    const connector = await hubspot.load();
    const rowsOf = async (name: string) => {
      const stream = hubspot.streams!.find((s) => s.name === name)!;
      const rows: Record<string, unknown>[] = [];
      for await (const e of connector.read(pat(HUBSPOT_PAT), { stream, mode: 'full_refresh', cursorField: null, cursor: null }, ctx())) {
        if (e.type === 'rows') for (const r of e.rows) rows.push(Object.fromEntries(stream.columns.map((c, i) => [c.name, r[i]])));
      }
      return rows;
    };
    const pages = fake.stats.pages;
    for (const name of ['companies', 'deals', 'tickets'] as const) {
      const rows = await rowsOf(name);
      expect(rows.map((r) => r.id).sort(), name).toEqual(fake.live(name).map((r) => r.id).sort());
    }
    expect(fake.stats.pages - pages).toBe(Math.ceil(120 / 100) + Math.ceil(230 / 100) + Math.ceil(150 / 100));
    const deals = new Map((await rowsOf('deals')).map((r) => [r.id, r]));
    expect(deals.get('9002')).toMatchObject({ dealname: 'Deal 1', amount: '137.50', dealstage: 'qualifiedtobuy', closedate: '2024-03-02T00:00:00.000Z', archived: false });
    expect(deals.get('9012')).toMatchObject({ amount: null }); // no amount set
    expect(deals.get('9002')!.properties).toMatchObject({ dealname: 'Deal 1', hs_object_id: '9002' });
    expect(deals.get('9002')!.properties).not.toHaveProperty('pipeline'); // only the requested properties come back
    const contacts = new Map((await rowsOf('contacts')).map((r) => [r.id, r]));
    expect(contacts.get('110')).toMatchObject({ email: 'contact9@example.com', lifecyclestage: null }); // '' is no value
  });

  it('pages the search by restarting from the last modified time reached, within its result window', async () => {
    const client = new HttpClient(hubspotSpec, pat(HUBSPOT_PAT), ctx());
    const contacts: CrmObject = { name: 'contacts', modified: 'lastmodifieddate', columns: [] };
    const read = async (since: string, window: number) => {
      const ids = new Set<string>();
      let reads = 0;
      for await (const e of searchModified(client, contacts, ['email', 'lastmodifieddate'], since, { paceKey: 'window-test', signal: new AbortController().signal, window })) {
        if (!('records' in e)) continue;
        for (const r of e.records) ids.add(String(r.id));
        reads += e.records.length;
      }
      return { ids, reads };
    };
    try {
      const before = fake.stats.searches;
      const { ids, reads } = await read(ISO(0), 500);
      expect([...ids].sort()).toEqual(fake.live('contacts').map((r) => r.id).sort());
      expect(reads).toBeGreaterThan(ids.size); // the boundary ties were read again
      expect(fake.stats.searches - before).toBeGreaterThan(640 / 200);
      expect(fake.stats.windowRejected).toBe(0);
      expect(fake.stats.throttled429).toBe(0); // searches paced under the account's limit
      // a record modified mid-read moves to the end of the order: no unread record is skipped
      const seen = new Set<string>();
      for await (const e of searchModified(client, contacts, ['email'], ISO(0), { paceKey: 'window-test', signal: new AbortController().signal })) {
        if (!('records' in e)) continue;
        if (seen.size === 0) fake.update('contacts', String(e.records[0]!.id), { email: 'moved@example.com' }, ISO(Date.parse('2029-01-01T00:00:00Z')));
        for (const r of e.records) seen.add(String(r.id));
      }
      expect(seen.size).toBe(fake.live('contacts').length);
      // more records than one page share one time: paged by offset, up to the window
      const at = ISO(Date.parse('2030-01-01T00:00:00Z'));
      for (const r of fake.live('contacts').slice(0, 250)) fake.update('contacts', r.id, {}, at);
      expect((await read(at, 500)).ids.size).toBe(250); // one time over two pages: paged by offset
      await expect(read(at, 200)).rejects.toThrow(/more than 200 contacts share the last-modified time/);
      expect(fake.stats.windowRejected).toBe(0);
    } finally {
      await client.close();
    }
  });
});
