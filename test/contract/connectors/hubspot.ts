import { ISO, startFakeHubSpot, type FakeHubSpot } from '../../fakes/hubspot/server.js';
import type { ConnectorHarness } from '../connector-harness.js';

export const HUBSPOT_OAUTH = { clientId: 'quarry-app', clientSecret: 'client-SECRET', refreshToken: 'refresh-SECRET' };
export const HUBSPOT_PAT = 'pat-na1-11111111-2222-3333-4444-555555555555';

/** hubspot against its fake, authenticated as an OAuth app (so the token-expiry case applies). */
export function hubspotHarness(): ConnectorHarness {
  let fake: FakeHubSpot | undefined;
  const f = () => fake!;
  return {
    type: 'hubspot',
    async start() {
      // contacts: 7 list pages of 100; the others 2-3 pages each
      fake = await startFakeHubSpot({ counts: { contacts: 640, companies: 150, deals: 230, tickets: 120, owners: 130 }, oauth: HUBSPOT_OAUTH, privateAppToken: HUBSPOT_PAT });
    },
    stop: async () => fake?.close(),
    config: () => ({
      base_url: f().url,
      credentials: { type: 'oauth', client_id: HUBSPOT_OAUTH.clientId, client_secret: HUBSPOT_OAUTH.clientSecret, refresh_token: HUBSPOT_OAUTH.refreshToken },
    }),
    fullRefreshStreams: ['contacts', 'companies', 'deals', 'tickets', 'owners'],
    stream: 'contacts',
    key: 'id',
    value: 'email',
    async expected(stream) {
      if (stream !== 'contacts') throw new Error(`the suite compares only contacts, not ${stream}`);
      return new Map(f().live('contacts').map((r) => [r.id, String(r.properties.email)]));
    },
    async mutate() {
      const modified = (id: string) => f().objects.contacts.get(id)!.properties.lastmodifieddate!;
      const last = f()
        .live('contacts')
        .reduce((m, r) => (r.properties.lastmodifieddate! > m ? r.properties.lastmodifieddate! : m), '');
      const later = ISO(Date.parse(last) + 3_600_000);
      const updated = ['104', '111', '150'];
      const archived = ['120', '125'];
      for (const id of [...updated, ...archived]) if (modified(id) === last) throw new Error(`contact ${id} sits at the cursor boundary`);
      for (const id of updated) f().update('contacts', id, { email: `renamed-${id}@example.com` }, later);
      f().insert('contacts', 5, later);
      f().insert('contacts', 4, last); // new records sharing the committed cursor value
      for (const id of archived) f().archive('contacts', id, later);
      const ties = f()
        .live('contacts')
        .filter((r) => r.properties.lastmodifieddate === last).length;
      return { reread: ties + updated.length + 5, deleted: archived };
    },
    rateLimitStorm() {
      f().rateLimit = { remaining: 3, retryAfter: '1' };
    },
    failMidPaging() {
      f().failPages = 2;
    },
    expireTokenMidRun() {
      f().expireTokensAfter(3);
    },
    stats: () => ({ rejected429: f().stats.rejected429, failed500: f().stats.failed500, tokenRefreshes: f().stats.tokenGrants }),
    notApplicable: {},
  };
}
