import { readPages } from '../http/engine.js';
import type { HttpClient } from '../http/client.js';
import type { HttpStreamSpec, Json, Params, ReadContext, RecordEvent } from '../http/types.js';
import type { StripeStream } from './streams.js';
import { CURSOR, isoToUnix, toRecord, unixToIso } from './types.js';

/** Stripe's maximum `limit`. */
const PAGE = 100;

/**
 * How far behind the clock an incremental read stops. Objects and events newer than this are
 * left to the next run, so that everything before the committed cursor was visible when it was
 * read: the events and the list are two reads at two moments, and an event Stripe has not yet
 * published must not end up older than a cursor taken from the other one.
 */
export const HORIZON_SECONDS = 60;

interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data?: { object?: Record<string, Json> };
}

/** Every page of a Stripe list: `data`, `has_more`, `starting_after` the last id. */
function pages(client: HttpClient, path: string, params: Params, signal: AbortSignal): AsyncGenerator<RecordEvent> {
  const list: HttpStreamSpec = {
    name: path,
    columns: [],
    primaryKey: [],
    path,
    params: () => params,
    recordsPath: 'data',
    paginator: { kind: 'last_record', field: 'id', param: 'starting_after', hasMorePath: 'has_more', sizeParam: 'limit', size: PAGE },
  };
  return readPages(client, list, {}, null, signal);
}

/**
 * One stream. A full refresh lists every object. An incremental read covers what changed since
 * the committed cursor, with one cursor per stream (`updated_at`, compared with `>=`):
 *
 * 1. the Events API (`GET /v1/events`, `created[gte]` the cursor, `types[]` the stream's update
 *    and deletion events): each changed object as its newest event carries it (`data.object`),
 *    stamped with that event's time; deletion events become deleted keys, stamped too;
 * 2. the list endpoint (`created[gte]` the cursor): the objects created since, as they are now,
 *    after the events so that their current state wins the merge.
 *
 * The committed cursor is the latest `updated_at` among them, events and objects alike; records
 * sharing it are read again next time and merged on `id`. Both reads stop at the same horizon.
 *
 * Stripe keeps events for 30 days only: a loader whose last incremental run is older than that
 * misses the updates and deletions of the gap (new objects still arrive through the list). Run a
 * full refresh after such a pause.
 */
export async function* readStripe(s: StripeStream, { client, mode, cursor, signal }: ReadContext): AsyncGenerator<RecordEvent> {
  const window: Params = {};
  if (mode === 'incremental') {
    if (cursor !== null) window['created[gte]'] = isoToUnix(cursor);
    window['created[lt]'] = Math.floor(Date.now() / 1000) - HORIZON_SECONDS;
  }
  // the newest event time of each object changed since the cursor: one entry per object, not per event
  const changed = new Map<string, number>();
  const types = [...s.updates, ...s.deletions];
  if (mode === 'incremental' && cursor !== null && types.length) {
    const params: Params = { ...window, ...Object.fromEntries(types.map((t, i) => [`types[${i}]`, t])) };
    for await (const page of pages(client, '/v1/events', params, signal)) {
      if (!('records' in page)) continue;
      const records: Record<string, Json>[] = [];
      const deleted: Record<string, Json>[] = [];
      // events come newest first: the first one seen for an object is its latest state
      for (const event of page.records as unknown as StripeEvent[]) {
        const object = event.data?.object;
        if (!object || object.object !== s.object || typeof object.id !== 'string') continue;
        // a deletion is final, whatever its order among events of the same second
        if (s.deletions.includes(event.type)) deleted.push({ id: object.id, [CURSOR]: unixToIso(event.created) });
        else if (!changed.has(object.id)) records.push(toRecord(object, s.columns, event.created));
        if (!changed.has(object.id)) changed.set(object.id, event.created);
      }
      if (records.length) yield { records };
      if (deleted.length) yield { deleted };
    }
  }
  for await (const page of pages(client, s.path, { ...s.params, ...window }, signal)) {
    if ('records' in page) yield { records: page.records.map((o) => toRecord(o, s.columns, changed.get(String(o.id)))) };
  }
}
