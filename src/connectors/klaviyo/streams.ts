import { readPages } from '../http/engine.js';
import type { HttpStreamSpec, Json, PaginatorSpec, ReadContext, RecordEvent } from '../http/types.js';
import type { Column, LogicalType } from '../types.js';

/**
 * Klaviyo's JSON:API collections (https://developers.klaviyo.com/en/reference/api_overview):
 * `data` holds `{ type, id, attributes, relationships, links }`, `links.next` the absolute URL
 * of the next page (a `page[cursor]`), `filter=op(field,value)` narrows a collection.
 */
export const CAMPAIGN_CHANNELS = ['email', 'sms', 'mobile_push'] as const;
export const DEFAULT_CAMPAIGN_CHANNELS = ['email', 'sms'];

const col = (name: string, type: LogicalType): Column => ({ name, type, nullable: name !== 'id' });
const next: PaginatorSpec = { kind: 'next_url', nextUrlPath: 'links.next' };

/** Klaviyo answers in UTC, sometimes without an offset; ISO 8601 in one format keeps cursors comparable as strings. */
function isoTime(v: Json): Json {
  if (typeof v !== 'string' || !v) return v ?? null;
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? v : `${v}Z`);
  return Number.isNaN(ms) ? v : new Date(ms).toISOString();
}

/** A filter datetime: whole seconds (Klaviyo's timestamps have none finer), shifted by `seconds`. */
export function filterTime(cursor: string, seconds = 0): string {
  const ms = Date.parse(cursor);
  if (Number.isNaN(ms)) throw new Error(`the cursor "${cursor}" is not a timestamp`);
  return new Date(Math.floor(ms / 1000) * 1000 + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** `attributes` to columns, `relationships.<x>.data.id` to `<x>_id`, timestamps to ISO 8601. */
function flatten(times: string[]): (record: Record<string, Json>) => Record<string, Json> {
  return (record) => {
    const { attributes, relationships, links: _links, type: _type, ...rest } = record;
    const out: Record<string, Json> = { ...(attributes as Record<string, Json> | undefined), ...rest };
    for (const [name, rel] of Object.entries((relationships as Record<string, { data?: unknown }> | undefined) ?? {})) {
      const data = rel?.data as { id?: Json } | null | undefined;
      if (data && !Array.isArray(data) && data.id !== undefined) out[`${name.replace(/-/g, '_')}_id`] = data.id;
    }
    for (const t of times) out[t] = isoTime(out[t]);
    return out;
  };
}

const profiles: HttpStreamSpec = {
  name: 'profiles',
  path: 'api/profiles',
  recordsPath: 'data',
  primaryKey: ['id'],
  // consent per channel is the part of a profile marketers query most; it costs no extra rate limit
  params: () => ({ sort: 'updated', 'additional-fields[profile]': 'subscriptions' }),
  paginator: { ...next, sizeParam: 'page[size]', size: 100 },
  incremental: {
    cursorField: 'updated',
    // `updated` filters only with greater-than: one second earlier reads the ties at the cursor again
    params: (cursor) => ({ filter: `greater-than(updated,${filterTime(cursor, -1)})` }),
  },
  transform: flatten(['created', 'updated', 'last_event_date']),
  columns: [
    col('id', 'string'),
    ...['email', 'phone_number', 'external_id', 'first_name', 'last_name', 'organization', 'locale', 'title', 'image'].map((n) => col(n, 'string')),
    col('created', 'timestamptz'),
    col('updated', 'timestamptz'),
    col('last_event_date', 'timestamptz'),
    col('location', 'json'),
    col('properties', 'json'),
    col('subscriptions', 'json'),
  ],
};

/** Events are immutable: `datetime` (when it happened) is the cursor, and greater-or-equal exists for it. */
const events: HttpStreamSpec = {
  name: 'events',
  path: 'api/events',
  recordsPath: 'data',
  primaryKey: ['id'],
  params: () => ({ sort: 'datetime' }),
  paginator: next,
  incremental: { cursorField: 'datetime', params: (cursor) => ({ filter: `greater-or-equal(datetime,${filterTime(cursor)})` }) },
  transform: flatten(['datetime']),
  columns: [col('id', 'string'), col('metric_id', 'string'), col('profile_id', 'string'), col('datetime', 'timestamptz'), col('timestamp', 'integer'), col('uuid', 'string'), col('event_properties', 'json')],
};

const lists: HttpStreamSpec = {
  name: 'lists',
  path: 'api/lists',
  recordsPath: 'data',
  primaryKey: ['id'],
  paginator: next,
  incremental: { cursorField: 'updated', params: (cursor) => ({ filter: `greater-than(updated,${filterTime(cursor, -1)})` }) },
  transform: flatten(['created', 'updated']),
  columns: [col('id', 'string'), col('name', 'string'), col('created', 'timestamptz'), col('updated', 'timestamptz'), col('opt_in_process', 'string')],
};

/** Klaviyo lists campaigns of one channel per request (the channel filter is required): one pass per configured channel. */
async function* readCampaigns(ctx: ReadContext): AsyncGenerator<RecordEvent> {
  const channels = (ctx.config.campaign_channels as string[] | undefined) ?? DEFAULT_CAMPAIGN_CHANNELS;
  for (const channel of channels) {
    const filter = [`equals(messages.channel,'${channel}')`, ...(ctx.cursor !== null ? [`greater-or-equal(updated_at,${filterTime(ctx.cursor)})`] : [])].join(',');
    const page: HttpStreamSpec = { name: 'campaigns', columns: [], primaryKey: [], path: 'api/campaigns', recordsPath: 'data', paginator: next, params: () => ({ filter }) };
    for await (const event of readPages(ctx.client, page, ctx.config, null, ctx.signal)) {
      yield 'records' in event ? { records: event.records.map((r) => ({ ...r, channel })) } : event;
    }
  }
}

const campaigns: HttpStreamSpec = {
  name: 'campaigns',
  primaryKey: ['id'],
  read: readCampaigns,
  incremental: { cursorField: 'updated_at' },
  transform: flatten(['created_at', 'scheduled_at', 'updated_at', 'send_time']),
  columns: [
    col('id', 'string'),
    col('channel', 'string'),
    col('name', 'string'),
    col('status', 'string'),
    col('archived', 'boolean'),
    col('audiences', 'json'),
    col('send_options', 'json'),
    col('tracking_options', 'json'),
    col('send_strategy', 'json'),
    col('created_at', 'timestamptz'),
    col('scheduled_at', 'timestamptz'),
    col('updated_at', 'timestamptz'),
    col('send_time', 'timestamptz'),
  ],
};

/** Metrics cannot be filtered by time: full refresh only (they are few). */
const metrics: HttpStreamSpec = {
  name: 'metrics',
  path: 'api/metrics',
  recordsPath: 'data',
  primaryKey: ['id'],
  paginator: next,
  transform: flatten(['created', 'updated']),
  columns: [col('id', 'string'), col('name', 'string'), col('created', 'timestamptz'), col('updated', 'timestamptz'), col('integration', 'json')],
};

export const streams: HttpStreamSpec[] = [profiles, events, lists, campaigns, metrics];
