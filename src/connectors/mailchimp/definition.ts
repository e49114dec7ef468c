import Type from 'typebox';
import type { FieldError } from '../../lib/errors.js';
import { at, defineHttpConnector, readPages } from '../http/engine.js';
import type { Config, HttpConnectorSpec, HttpStreamSpec, Json, PaginatorSpec, ReadContext, RecordEvent } from '../http/types.js';
import type { Column, ConnectorDefinition } from '../types.js';
import { CAMPAIGN_COLUMNS, LIST_COLUMNS, MEMBER_COLUMNS, REPORT_COLUMNS } from './columns.js';

/**
 * Mailchimp Marketing API 3.0: https://<dc>.api.mailchimp.com/3.0, HTTP Basic with the API key
 * (any user name) or an OAuth 2 bearer token, `count`/`offset` pages of at most 1000.
 */
const secret = (description: string, extra: Record<string, unknown> = {}) => Type.String({ minLength: 1, writeOnly: true, format: 'password', description, ...extra });
const API_KEY = /^\S+-([a-z]+[0-9]+)$/;

/** The data centre: the API key's suffix (`...-us6`), or `data_center` for an OAuth token. */
export function dataCenter(config: Config): string {
  const fromKey = typeof config.api_key === 'string' ? API_KEY.exec(config.api_key)?.[1] : undefined;
  const dc = fromKey ?? (typeof config.data_center === 'string' ? config.data_center : '');
  if (!dc) throw new Error('no data centre: the API key has no -<dc> suffix and data_center is not set');
  return dc;
}

const pager = (c: Config): PaginatorSpec => ({ kind: 'offset', offsetParam: 'offset', limitParam: 'count', limit: typeof c.page_size === 'number' ? c.page_size : 1000 });

/** Mailchimp writes "" for a time that never happened (an unsent campaign's send_time). */
function emptyTimesToNull(columns: Column[]): (r: Record<string, Json>) => Record<string, Json> {
  const times = columns.filter((c) => c.type === 'timestamptz').map((c) => c.name);
  return (r) => {
    const out = { ...r };
    for (const n of times) if (out[n] === '') out[n] = null;
    return out;
  };
}

/** The declarative read with the page size of the config (a spec's paginator is fixed). */
function paged(s: HttpStreamSpec): HttpStreamSpec {
  return { ...s, transform: emptyTimesToNull(s.columns), read: (ctx) => readPages(ctx.client, { ...s, paginator: pager(ctx.config) }, ctx.config, ctx.cursor, ctx.signal) };
}

/**
 * `since_last_changed` is documented as "changed after": ask from one second earlier (the
 * field has whole seconds) so members sharing the committed cursor are read again, not lost.
 */
export function sinceLastChanged(cursor: string): string {
  const t = Date.parse(cursor);
  return Number.isNaN(t) ? cursor : new Date(t - 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

const memberKey = (listId: string, r: Record<string, Json>) => ({ list_member_key: `${listId}:${String(r.id)}`, list_id: listId, id: r.id ?? null });
const memberTimes = emptyTimesToNull(MEMBER_COLUMNS);

const members: HttpStreamSpec = {
  name: 'members',
  columns: MEMBER_COLUMNS,
  // a member's id is the MD5 of its address, the same in every list: the key needs the list
  primaryKey: ['list_member_key'],
  recordsPath: 'members',
  paginator: { kind: 'offset', offsetParam: 'offset', limitParam: 'count', limit: 1000 },
  params: () => ({ exclude_fields: 'members._links' }),
  incremental: { cursorField: 'last_changed', params: (cursor) => ({ since_last_changed: sinceLastChanged(cursor) }) },
  transform: (r) => ({ ...memberTimes(r), list_member_key: `${String(r.list_id)}:${String(r.id)}` }),
  read: readMembers,
};

/**
 * Members of every list. Archived members are left out of a list's members unless asked for
 * with `status=archived`; an incremental run asks for their keys (all of them: archiving is not
 * documented to move last_changed) and reports them as deletions.
 */
async function* readMembers({ client, config, cursor, signal }: ReadContext): AsyncGenerator<RecordEvent> {
  const lists: HttpStreamSpec = { name: 'lists', columns: [], primaryKey: [], path: 'lists', recordsPath: 'lists', params: () => ({ fields: 'lists.id,total_items', sort_field: 'date_created', sort_dir: 'ASC' }) };
  for await (const page of readPages(client, { ...lists, paginator: pager(config) }, config, null, signal)) {
    if (!('records' in page)) continue;
    for (const list of page.records) {
      const listId = String(list.id);
      const path = `lists/${encodeURIComponent(listId)}/members`;
      for await (const event of readPages(client, { ...members, path, paginator: pager(config) }, config, cursor, signal)) {
        if (!('records' in event)) continue;
        const live = event.records.filter((r) => r.status !== 'archived').map((r) => ({ ...r, list_id: r.list_id ?? listId }));
        if (live.length) yield { records: live };
        const archived = event.records.filter((r) => r.status === 'archived');
        if (archived.length) yield { deleted: archived.map((r) => memberKey(listId, r)) };
      }
      if (cursor === null) continue; // a first or full read has nothing to mark
      const archived: HttpStreamSpec = { ...members, path, paginator: pager(config), incremental: undefined, params: () => ({ status: 'archived', fields: 'members.id,total_items' }) };
      for await (const event of readPages(client, archived, config, null, signal)) {
        if ('records' in event && event.records.length) yield { deleted: event.records.map((r) => memberKey(listId, r)) };
      }
    }
  }
}

const spec: HttpConnectorSpec = {
  type: 'mailchimp',
  label: 'Mailchimp',
  description: 'Mailchimp Marketing API: audiences (lists), their members, campaigns and campaign reports.',
  configSchema: Type.Object(
    {
      api_key: Type.Optional(secret('API key (Profile > Extras > API keys); its suffix, e.g. -us6, names the data centre', { pattern: API_KEY.source })),
      access_token: Type.Optional(secret('OAuth 2 access token, instead of an API key (Mailchimp tokens do not expire)')),
      data_center: Type.Optional(Type.String({ pattern: '^[a-z]+[0-9]+$', description: 'with access_token: the server prefix ("dc" of https://login.mailchimp.com/oauth2/metadata), e.g. us6' })),
      page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000, description: 'records per request (count; Mailchimp allows up to 1000)' })),
      base_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'API root override (tests, proxies)' })),
    },
    { additionalProperties: false },
  ),
  baseUrl: (c) => `https://${dataCenter(c)}.api.mailchimp.com/3.0`,
  // Basic for an API key, Bearer for an OAuth token: one header either way
  auth: {
    kind: 'api_key',
    in: 'header',
    name: 'Authorization',
    value: (c) => (typeof c.api_key === 'string' ? `Basic ${Buffer.from(`quarry:${c.api_key}`).toString('base64')}` : `Bearer ${String(c.access_token)}`),
  },
  // Mailchimp caps each account at 10 simultaneous connections; 10 requests a second per
  // credential keeps the loaders sharing it under that at the API's usual latency
  rateLimit: () => 10,
  rateLimitKey: (c) => String(c.api_key ?? c.access_token),
  errorMessage(body) {
    // problem details: { type, title, status, detail, instance, errors?: [{ field, message }] }
    const b = body as { title?: unknown; detail?: unknown; errors?: unknown } | null;
    if (!b || typeof b !== 'object' || (typeof b.title !== 'string' && typeof b.detail !== 'string')) return undefined;
    const fields = Array.isArray(b.errors) ? (b.errors as { field?: unknown; message?: unknown }[]).map((e) => `${String(e.field)}: ${String(e.message)}`).join('; ') : '';
    return [b.title, b.detail].filter((s) => typeof s === 'string' && s).join(': ') + (fields ? ` (${fields})` : '');
  },
  async check(client, config) {
    const res = await client.request('GET', '', { params: { fields: 'account_id,account_name' } });
    return `Mailchimp account "${String(at(res.body, 'account_name'))}" (data centre ${dataCenter(config)})`;
  },
  streams: [
    paged({ name: 'lists', columns: LIST_COLUMNS, primaryKey: ['id'], path: 'lists', recordsPath: 'lists', params: () => ({ exclude_fields: 'lists._links', sort_field: 'date_created', sort_dir: 'ASC' }) }),
    members,
    paged({ name: 'campaigns', columns: CAMPAIGN_COLUMNS, primaryKey: ['id'], path: 'campaigns', recordsPath: 'campaigns', params: () => ({ exclude_fields: 'campaigns._links', sort_field: 'create_time', sort_dir: 'ASC' }) }),
    paged({ name: 'reports', columns: REPORT_COLUMNS, primaryKey: ['id'], path: 'reports', recordsPath: 'reports', params: () => ({ exclude_fields: 'reports._links' }) }),
  ],
};

export const mailchimp: ConnectorDefinition = defineHttpConnector({
  ...spec,
  validateConfig(config) {
    const errors: FieldError[] = [];
    const key = config.api_key;
    const token = config.access_token;
    if (key === undefined && token === undefined) errors.push({ field: 'config.api_key', message: 'is required, or access_token with data_center' });
    if (key !== undefined && token !== undefined) errors.push({ field: 'config.access_token', message: 'set either api_key or access_token, not both' });
    if (token !== undefined && config.data_center === undefined) errors.push({ field: 'config.data_center', message: 'is required with access_token (the "dc" of https://login.mailchimp.com/oauth2/metadata)' });
    if (typeof key === 'string' && typeof config.data_center === 'string' && !key.endsWith(`-${config.data_center}`)) errors.push({ field: 'config.data_center', message: 'differs from the data centre the API key names' });
    return errors;
  },
});
