import { mcTime, startFakeMailchimp, type FakeMailchimp, type Rec } from '../../fakes/mailchimp/server.js';
import type { ConnectorHarness } from '../connector-harness.js';

/** mailchimp against its fake, with an API key and 25 records a page (so hundreds of members span many pages). */
export function mailchimpHarness(): ConnectorHarness {
  let fake: FakeMailchimp | undefined;
  const key = (m: Rec) => `${String(m.list_id)}:${String(m.id)}`;
  return {
    type: 'mailchimp',
    async start() {
      fake = await startFakeMailchimp();
    },
    stop: async () => fake?.close(),
    config: () => ({ api_key: fake!.apiKey, base_url: fake!.apiRoot, page_size: 25 }),
    // the suite reads `key` and `value` from every stream it lists: lists, campaigns and reports
    // have neither, so mailchimp.test.ts loads those page after page itself
    fullRefreshStreams: ['members'],
    stream: 'members',
    key: 'list_member_key',
    value: 'full_name',
    async expected() {
      return new Map(fake!.live().map((m) => [key(m), String(m.full_name)]));
    },
    async mutate() {
      const [a, b] = fake!.lists.map((l) => String(l.id)) as [string, string];
      const last = fake!.live().reduce((max, m) => (String(m.last_changed) > max ? String(m.last_changed) : max), '');
      const later = mcTime(Date.parse(last) + 3_600_000);
      const older = (list: string) => fake!.live(list).filter((m) => m.last_changed !== last);
      const updated = [older(a)[2]!, older(a)[7]!, older(a)[11]!, older(b)[4]!];
      const archived = [older(a)[20]!, older(a)[21]!, older(b)[9]!];
      for (const m of updated) fake!.update(String(m.list_id), String(m.id), { full_name: `Renamed ${String(m.id)}`, last_changed: later });
      for (const m of archived) fake!.archive(String(m.list_id), String(m.id), later);
      fake!.insert(b, 5, later);
      fake!.insert(a, 4, last); // new members sharing the committed cursor value
      const ties = fake!.live().filter((m) => m.last_changed === last).length;
      return { reread: ties + updated.length + 5, deleted: archived.map(key) };
    },
    rateLimitStorm() {
      fake!.rateLimit = 3; // no Retry-After from Mailchimp: the engine's backoff paces the retries
    },
    failMidPaging() {
      fake!.failPages = 2;
    },
    expireTokenMidRun() {
      // not applicable: see notApplicable.oauth
    },
    stats: () => ({ rejected429: fake!.stats.rejected429, failed500: fake!.stats.failed500, tokenRefreshes: 0 }),
    notApplicable: {
      oauth:
        'Mailchimp OAuth 2 access tokens do not expire and Mailchimp issues no refresh token (its OAuth guide: "tokens do not expire, so you do not need to use refresh_token"), so no token can expire mid-run; the bearer-token path is checked in mailchimp.test.ts',
    },
  };
}
