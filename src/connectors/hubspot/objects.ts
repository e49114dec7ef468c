import { sleep, type HttpClient } from '../http/client.js';
import { at, readPages } from '../http/engine.js';
import type { Config, HttpStreamSpec, Json, ReadContext, RecordEvent } from '../http/types.js';
import type { LogicalType } from '../types.js';

/** A CRM v3 object type and the properties flattened into columns. */
export interface CrmObject {
  name: 'contacts' | 'companies' | 'deals' | 'tickets';
  /** The last-modified property: the search filter, the sort and the cursor. */
  modified: 'lastmodifieddate' | 'hs_lastmodifieddate';
  columns: [string, LogicalType][];
}

/** The search API's page size limit and result window (HubSpot: 200 per page, 10,000 per query). */
export const SEARCH_LIMIT = 200;
export const SEARCH_WINDOW = 10_000;
/** Search is limited to a few requests per second per account (4-5 by the docs): paced apart. */
const SEARCH_SPACING_MS = 250;
const nextSearch = new Map<string, number>();

/** Waits for this account's next search slot; the slot is taken before waiting, so concurrent readers queue. */
async function paceSearch(key: string, signal: AbortSignal): Promise<void> {
  const now = Date.now();
  const slot = Math.max(now, nextSearch.get(key) ?? 0);
  nextSearch.set(key, slot + SEARCH_SPACING_MS);
  if (slot > now) await sleep(slot - now, signal);
}

/** An ISO 8601 timestamp in one format (so cursors compare as strings), from ISO text or epoch milliseconds. */
export function isoTime(v: Json): string | null {
  if (v === null || v === undefined || v === '') return null;
  const ms = typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : Date.parse(String(v));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** A property value (always text in the API) as its column type needs it; '' is no value. */
function propertyValue(v: Json, type: LogicalType): Json {
  if (v === null || v === undefined || v === '') return null;
  if (type === 'timestamptz') return isoTime(v);
  if (type === 'decimal') return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(String(v).trim()) ? String(v).trim() : null;
  return v;
}

/** A record as columns: the requested properties flattened, the whole `properties` kept as JSON. */
export function flatten(o: CrmObject): (r: Record<string, Json>) => Record<string, Json> {
  return (r) => {
    const p = (r.properties ?? {}) as Record<string, Json>;
    const out: Record<string, Json> = {
      id: r.id,
      created_at: isoTime(r.createdAt ?? p.createdate),
      updated_at: isoTime(p[o.modified] ?? r.updatedAt),
      archived: r.archived === true,
      properties: p,
    };
    for (const [name, type] of o.columns) out[name] = propertyValue(p[name], type);
    return out;
  };
}

/**
 * Records modified at or after `since` through the search endpoint, oldest first. Each page
 * restarts the query from the last modified time it reached, rather than paging by offset:
 * a record modified during the read moves to the end of the order and would shift an offset
 * past an unread one, and a query answers at most `window` (10,000) results. Records sharing
 * that time are read again and merged on the key. Only a page that is all one time pages on by
 * offset, which fails past the window.
 */
export async function* searchModified(
  client: HttpClient,
  o: CrmObject,
  properties: string[],
  since: string,
  opts: { paceKey: string; signal: AbortSignal; window?: number },
): AsyncGenerator<RecordEvent> {
  const window = opts.window ?? SEARCH_WINDOW;
  let from = Date.parse(since);
  if (Number.isNaN(from)) throw new Error(`the committed cursor "${since}" is not a timestamp; run a full refresh of ${o.name}`);
  let after = 0;
  for (;;) {
    if (opts.signal.aborted) throw new Error('cancelled');
    await paceSearch(opts.paceKey, opts.signal);
    const res = await client.request('POST', `crm/v3/objects/${o.name}/search`, {
      body: {
        filterGroups: [{ filters: [{ propertyName: o.modified, operator: 'GTE', value: String(from) }] }],
        sorts: [{ propertyName: o.modified, direction: 'ASCENDING' }],
        properties,
        limit: SEARCH_LIMIT,
        after: String(after),
      },
    });
    const records = at(res.body, 'results');
    if (!Array.isArray(records)) throw new Error(`expected "results" in the ${o.name} search response`);
    if (records.length) yield { records: records as Record<string, Json>[] };
    const next = at(res.body, 'paging.next.after');
    if (next === undefined || next === null || next === '') return;
    const last = records[records.length - 1] as Record<string, Json> | undefined;
    const reached = last ? Date.parse(String(at(last, `properties.${o.modified}`) ?? last.updatedAt)) : NaN;
    if (reached > from) {
      from = reached;
      after = 0;
      continue;
    }
    after = Number(next);
    if (after + SEARCH_LIMIT > window) {
      throw new Error(`more than ${window} ${o.name} share the last-modified time ${new Date(from).toISOString()}: the search API cannot page past them`);
    }
  }
}

/** Keys of records archived at or after `since` (the archived list cannot be filtered by date). */
async function* archivedSince(client: HttpClient, stream: HttpStreamSpec, config: Config, since: string, signal: AbortSignal): AsyncGenerator<RecordEvent> {
  const from = Date.parse(since);
  const archived: HttpStreamSpec = { ...stream, params: () => ({ archived: true }) };
  for await (const event of readPages(client, archived, config, null, signal)) {
    if (!('records' in event)) continue;
    const gone = event.records.filter((r) => Date.parse(String(r.archivedAt ?? r.updatedAt)) >= from);
    if (gone.length) yield { deleted: gone.map((r) => ({ id: r.id })) };
  }
}

/**
 * One CRM object stream: the list endpoint for a full read (no cursor yet), else the search
 * endpoint for what changed since the cursor, and the archived records as deletions.
 */
export function readObjects(o: CrmObject, stream: HttpStreamSpec, properties: string[], paceKey: (c: Config) => string): (ctx: ReadContext) => AsyncGenerator<RecordEvent> {
  return async function* (ctx) {
    if (ctx.cursor === null) {
      yield* readPages(ctx.client, stream, ctx.config, null, ctx.signal);
      return;
    }
    yield* searchModified(ctx.client, o, properties, ctx.cursor, { paceKey: paceKey(ctx.config), signal: ctx.signal });
    yield* archivedSince(ctx.client, stream, ctx.config, ctx.cursor, ctx.signal);
  };
}
