import { kTime, startFakeKlaviyo, type FakeKlaviyo } from '../../fakes/klaviyo/server.js';
import type { ConnectorHarness } from '../connector-harness.js';

export const KLAVIYO_OAUTH = { clientId: 'quarry-app', clientSecret: 'client-SECRET', refreshToken: 'refresh-SECRET' };
export const KLAVIYO_API_KEY = 'pk_test_0123456789abcdef';

/**
 * klaviyo against its fake, through OAuth (so a token can expire mid-run), with pages capped at
 * 25 records so 300 profiles and 500 events span many pages.
 */
export function klaviyoHarness(): ConnectorHarness & { fake(): FakeKlaviyo } {
  let fake: FakeKlaviyo | undefined;
  const latest = () => [...fake!.profiles.values()].reduce((max, p) => Math.max(max, Date.parse(String(p.attributes.updated))), 0);
  return {
    type: 'klaviyo',
    fake: () => fake!,
    async start() {
      fake = await startFakeKlaviyo({ profiles: 300, events: 500, lists: 35, metrics: 30, campaigns: { email: 23, sms: 12 }, apiKey: KLAVIYO_API_KEY, oauth: KLAVIYO_OAUTH, maxPageSize: 25 });
    },
    stop: async () => fake?.close(),
    config: () => ({
      base_url: fake!.url,
      auth: { type: 'oauth2_refresh', client_id: KLAVIYO_OAUTH.clientId, client_secret: KLAVIYO_OAUTH.clientSecret, refresh_token: KLAVIYO_OAUTH.refreshToken },
      requests_per_second: 100,
    }),
    // the suite reads `value` (first_name) from every stream it loads, and only profiles have it:
    // klaviyo.test.ts loads all five streams into the warehouse on its own
    fullRefreshStreams: ['profiles'],
    stream: 'profiles',
    key: 'id',
    value: 'first_name',
    async expected() {
      return new Map([...fake!.profiles.values()].map((p) => [p.id, String(p.attributes.first_name)]));
    },
    async mutate() {
      const last = latest();
      const later = kTime(last + 3_600_000);
      const older = [...fake!.profiles.values()].filter((p) => Date.parse(String(p.attributes.updated)) < last);
      const updated = [older[3]!, older[7]!, older[11]!];
      for (const p of updated) fake!.updateProfile(p.id, { first_name: `Renamed ${p.id}` }, later); // a record updated between two runs
      fake!.insertProfiles(5, later);
      fake!.insertProfiles(4, kTime(last)); // new records sharing the committed cursor value
      const ties = [...fake!.profiles.values()].filter((p) => Date.parse(String(p.attributes.updated)) === last).length;
      return { reread: ties + updated.length + 5, deleted: [] };
    },
    rateLimitStorm() {
      fake!.rateLimit = { remaining: 3, retryAfter: '1' };
    },
    failMidPaging() {
      fake!.failPages = 2;
    },
    expireTokenMidRun() {
      fake!.expireTokensAfter(3);
    },
    stats: () => ({ rejected429: fake!.stats.rejected429, failed500: fake!.stats.failed500, tokenRefreshes: fake!.stats.tokenGrants }),
    notApplicable: {
      deletions:
        'Klaviyo exposes no deletions: a profile deleted (Data Privacy API or the UI) simply disappears from GET /api/profiles, with no tombstone, no deleted filter and no deletion event; events are immutable; lists and campaigns vanish the same way. Only a full refresh drops them.',
    },
  };
}
