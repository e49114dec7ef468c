import { at, readPages } from '../http/engine.js';
import type { Config, HttpStreamSpec, Json, ReadContext, RecordEvent } from '../http/types.js';

export const DEFAULT_API_VERSION = '2026-07';
/** The most a list endpoint returns per page. */
export const MAX_PAGE_SIZE = 250;
/** Events can show up minutes after the action (Event resource docs): look back this far. */
const EVENT_LAG_MS = 10 * 60_000;

export const apiVersion = (c: Config) => (typeof c.api_version === 'string' && c.api_version ? c.api_version : DEFAULT_API_VERSION);
export const pageSize = (c: Config) => (typeof c.page_size === 'number' ? c.page_size : MAX_PAGE_SIZE);
/** A resource path under the versioned Admin API, relative to the shop's root. */
export const api = (c: Config, resource: string) => `admin/api/${apiVersion(c)}/${resource}`;

/** `my-store`, `my-store.myshopify.com` or `https://my-store.myshopify.com/` -> `my-store.myshopify.com`. */
export function shopDomain(c: Config): string {
  const s = String(c.shop ?? '')
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
  return s.includes('.') ? s : `${s}.myshopify.com`;
}

/** The shop's root, or the configured override; the API and the OAuth endpoint both live under it. */
export const shopRoot = (c: Config) => (typeof c.base_url === 'string' && c.base_url ? c.base_url.replace(/\/+$/, '') : `https://${shopDomain(c)}`);

/** A list endpoint paged by `page_info` in the Link header (the next URL carries limit and page_info only). */
export function listStream(name: string, resource: string, recordsPath: string, params: (c: Config) => Record<string, string | number> = () => ({})): HttpStreamSpec {
  return {
    name,
    columns: [],
    primaryKey: ['id'],
    path: (c) => api(c, resource),
    params: (c) => ({ ...params(c), limit: pageSize(c) }),
    recordsPath,
    paginator: { kind: 'link_header' },
  };
}

/**
 * Records changed since the cursor, then the ids of records destroyed since then: the Event
 * resource lists them with `filter=<subject type>&verb=destroy`. Only an incremental read with a
 * committed cursor asks (a full refresh rebuilds the table without them anyway).
 */
export function withDeletions(subject: 'Order' | 'Product'): (stream: HttpStreamSpec) => HttpStreamSpec {
  return (stream) => ({
    ...stream,
    async *read({ client, config, cursor, signal }: ReadContext): AsyncGenerator<RecordEvent> {
      yield* readPages(client, stream, config, cursor, signal);
      if (cursor === null) return;
      const since = new Date(Date.parse(cursor) - EVENT_LAG_MS).toISOString();
      const events = listStream('events', 'events.json', 'events', () => ({ filter: subject, verb: 'destroy', created_at_min: since }));
      for await (const page of readPages(client, events, config, null, signal)) {
        if (!('records' in page)) continue;
        const gone = page.records.filter((e) => e.subject_type === subject && e.verb === 'destroy' && e.subject_id !== null && e.subject_id !== undefined);
        yield { deleted: gone.map((e) => ({ id: e.subject_id })) };
      }
    },
  });
}

/** Inventory levels need location (or item) ids: every location's levels, 50 ids per request (the API's maximum). */
export async function* readInventoryLevels(stream: HttpStreamSpec, { client, config, cursor, signal }: ReadContext): AsyncGenerator<RecordEvent> {
  const res = await client.request('GET', api(config, 'locations.json'));
  const ids = ((at(res.body, 'locations') as { id: number }[] | undefined) ?? []).map((l) => l.id);
  for (let i = 0; i < ids.length; i += 50) {
    const batch = ids.slice(i, i + 50).join(',');
    yield* readPages(client, { ...stream, params: (c) => ({ location_ids: batch, limit: pageSize(c) }) }, config, cursor, signal);
  }
}

/**
 * Inventory items are listed by id only (`ids`, at most 100): the ids come from the products'
 * variants, one page of products at a time.
 */
export async function* readInventoryItems(stream: HttpStreamSpec, { client, config, signal }: ReadContext): AsyncGenerator<RecordEvent> {
  const products = listStream('products', 'products.json', 'products', () => ({ fields: 'id,variants' }));
  for await (const page of readPages(client, products, config, null, signal)) {
    if (!('records' in page)) continue;
    const ids = page.records.flatMap((p) => ((p.variants as Record<string, Json>[] | undefined) ?? []).map((v) => v.inventory_item_id)).filter((v) => typeof v === 'number');
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100).join(',');
      yield* readPages(client, { ...stream, params: (c) => ({ ids: batch, limit: pageSize(c) }) }, config, null, signal);
    }
  }
}
