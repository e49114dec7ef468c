import { startFakeRest, ISO, type FakeRest } from '../../fakes/rest/server.js';
import type { ConnectorHarness } from '../connector-harness.js';

/** rest_api configured entirely through its loader config, against the generic fake. */
export function restApiHarness(): ConnectorHarness {
  let fake: FakeRest | undefined;
  const oauth = { clientId: 'quarry', clientSecret: 'client-SECRET', refreshToken: 'refresh-SECRET' };
  const columns = [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'string' },
    { name: 'amount', type: 'number' },
    { name: 'active', type: 'boolean' },
    { name: 'tags', type: 'json' },
    { name: 'updated_at', type: 'timestamptz' },
  ];
  return {
    type: 'rest_api',
    async start() {
      fake = await startFakeRest({ items: 250, oauth });
    },
    stop: async () => fake?.close(),
    config: () => ({
      base_url: fake!.url,
      auth: { type: 'oauth2_refresh', token_url: `${fake!.url}/oauth/token`, client_id: oauth.clientId, client_secret: oauth.clientSecret, refresh_token: oauth.refreshToken },
      streams: [
        {
          name: 'items',
          path: '/cursor/items',
          records_path: 'data',
          paginator: { type: 'cursor', cursor_path: 'next_cursor', cursor_param: 'cursor', size_param: 'limit', size: 25 },
          incremental: { cursor_field: 'updated_at', param: 'updated_since' },
          columns,
        },
        { name: 'by_offset', path: '/offset/items', records_path: 'data', paginator: { type: 'offset', offset_param: 'offset', limit_param: 'limit', limit: 30 } },
        { name: 'by_page', path: '/page/items', records_path: 'data', paginator: { type: 'page', page_param: 'page', size_param: 'per_page', size: 40, total_pages_path: 'meta.total_pages' }, columns },
        { name: 'by_next_url', path: '/next/items', records_path: 'data', paginator: { type: 'next_url', next_url_path: 'links.next', size_param: 'limit', size: 35 }, columns },
        { name: 'by_link', path: '/link/items', records_path: '', paginator: { type: 'link_header', size_param: 'limit', size: 45 }, columns },
      ],
    }),
    fullRefreshStreams: ['items', 'by_offset', 'by_page', 'by_next_url', 'by_link'],
    stream: 'items',
    key: 'id',
    value: 'name',
    async expected() {
      return new Map([...fake!.items.values()].map((i) => [String(i.id), i.name]));
    },
    async mutate() {
      const last = [...fake!.items.values()].reduce((m, i) => (i.updated_at > m ? i.updated_at : m), '');
      const later = ISO(Date.parse(last) + 3_600_000);
      for (const id of [3, 7, 11]) fake!.update(id, { name: `renamed ${id}`, updated_at: later });
      fake!.insert(5, later);
      fake!.insert(4, last); // new records sharing the committed cursor value
      const ties = [...fake!.items.values()].filter((i) => i.updated_at === last).length;
      return { reread: ties + 3 + 5, deleted: [] };
    },
    rateLimitStorm() {
      fake!.rateLimit = { remaining: 4, retryAfter: '1' };
    },
    failMidPaging() {
      fake!.failPages = 2;
    },
    expireTokenMidRun() {
      fake!.expireTokensAfter(3);
    },
    stats: () => ({ rejected429: fake!.stats.rejected429, failed500: fake!.stats.failed500, tokenRefreshes: fake!.stats.tokenGrants }),
    notApplicable: {
      deletions: 'a generic REST API has no standard way to report deletions; the vendor connectors that expose them are covered',
    },
  };
}
