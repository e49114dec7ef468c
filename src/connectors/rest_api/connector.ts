import type { Column, Connector, LogicalType, StreamSchema } from '../types.js';
import { HttpClient } from '../http/client.js';
import { at, readStream } from '../http/engine.js';
import type { AuthSpec, Config, HttpConnectorSpec, HttpStreamSpec, Json, PaginatorSpec } from '../http/types.js';
import { streamSchema } from '../http/types.js';

interface RestStream {
  name: string;
  path: string;
  method: 'GET' | 'POST';
  params?: Record<string, string | number | boolean>;
  body?: Json;
  records_path: string;
  primary_key: string[];
  paginator: Record<string, unknown> & { type: string };
  incremental?: { cursor_field: string; param: string; compare: 'string' | 'number' };
  columns?: { name: string; type: LogicalType }[];
}

interface RestConfig {
  base_url: string;
  auth: Record<string, string> & { type: string };
  headers?: Record<string, string>;
  requests_per_second?: number;
  streams: RestStream[];
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** A column type for a sample of values (the first non-null one decides). */
export function inferType(values: Json[]): LogicalType {
  const v = values.find((x) => x !== null && x !== undefined);
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return values.every((x) => x === null || x === undefined || Number.isInteger(x)) ? 'integer' : 'number';
  if (typeof v === 'string') return values.every((x) => x === null || x === undefined || (typeof x === 'string' && ISO_TIME.test(x))) ? 'timestamptz' : 'string';
  if (typeof v === 'object') return 'json';
  return 'string';
}

function auth(a: RestConfig['auth']): AuthSpec {
  switch (a.type) {
    case 'bearer':
      return { kind: 'bearer', token: () => a.token! };
    case 'api_key':
      return { kind: 'api_key', in: (a.in as 'header' | 'query') ?? 'header', name: a.name!, value: () => a.value! };
    case 'basic':
      return { kind: 'basic', username: () => a.username!, password: () => a.password! };
    case 'oauth2_refresh':
      return { kind: 'oauth2_refresh', tokenUrl: () => a.token_url!, clientId: () => a.client_id!, clientSecret: () => a.client_secret!, refreshToken: () => a.refresh_token! };
    case 'oauth2_client_credentials':
      return { kind: 'oauth2_client_credentials', tokenUrl: () => a.token_url!, clientId: () => a.client_id!, clientSecret: () => a.client_secret!, scope: () => a.scope };
    default:
      return { kind: 'none' };
  }
}

function paginator(p: RestStream['paginator']): PaginatorSpec {
  const n = (k: string) => (p[k] === undefined ? undefined : Number(p[k]));
  const s = (k: string) => (p[k] === undefined ? undefined : String(p[k]));
  const size = { ...(s('size_param') ? { sizeParam: s('size_param')! } : {}), ...(n('size') ? { size: n('size')! } : {}) };
  switch (p.type) {
    case 'offset':
      return { kind: 'offset', offsetParam: s('offset_param')!, limitParam: s('limit_param')!, limit: n('limit')! };
    case 'page':
      return { kind: 'page', pageParam: s('page_param')!, ...size, ...(n('first_page') !== undefined ? { firstPage: n('first_page')! } : {}), ...(s('total_pages_path') ? { totalPagesPath: s('total_pages_path')! } : {}) };
    case 'cursor':
      return { kind: 'cursor', cursorPath: s('cursor_path')!, cursorParam: s('cursor_param')!, ...size };
    case 'next_url':
      return { kind: 'next_url', nextUrlPath: s('next_url_path')!, ...size };
    case 'link_header':
      return { kind: 'link_header', ...size };
    default:
      return { kind: 'none' };
  }
}

/** The whole connector as the user described it in the loader config. */
function specOf(config: RestConfig, columns: Map<string, Column[]>): HttpConnectorSpec {
  const streams: HttpStreamSpec[] = config.streams.map((s) => ({
    name: s.name,
    path: s.path,
    method: s.method,
    ...(s.params ? { params: () => s.params! } : {}),
    ...(s.body !== undefined ? { body: () => s.body } : {}),
    recordsPath: s.records_path,
    primaryKey: s.primary_key,
    paginator: paginator(s.paginator),
    columns: columns.get(s.name) ?? (s.columns ?? []).map((c) => ({ name: c.name, type: c.type, nullable: !s.primary_key.includes(c.name) })),
    ...(s.incremental ? { incremental: { cursorField: s.incremental.cursor_field, compare: s.incremental.compare, params: (cursor: string) => ({ [s.incremental!.param]: cursor }) } } : {}),
  }));
  return {
    type: 'rest_api',
    label: 'REST API',
    description: '',
    configSchema: {} as never,
    baseUrl: () => config.base_url,
    auth: auth(config.auth),
    headers: () => config.headers ?? {},
    ...(config.requests_per_second ? { rateLimit: () => config.requests_per_second! } : {}),
    rateLimitKey: () => `${config.base_url}\u0000${JSON.stringify(config.auth)}`,
    check: async (client) => {
      const first = config.streams[0]!;
      const res = await client.request(first.method, first.path, { params: first.params ?? {} });
      const records = at(res.body, first.records_path);
      return `reached ${client.url(first.path).origin}; ${Array.isArray(records) ? `${records.length} record(s) on the first page of ${first.name}` : `no records array at "${first.records_path}"`}`;
    },
    streams,
  };
}

/** Columns of streams the config does not type: from a sample page, read once. */
async function inferColumns(config: RestConfig, ctx: Parameters<Connector['discover']>[1]): Promise<Map<string, Column[]>> {
  const out = new Map<string, Column[]>();
  const spec = specOf(config, out);
  const client = new HttpClient(spec, config as unknown as Config, ctx);
  try {
    for (const s of config.streams) {
      if (s.columns) continue;
      const res = await client.request(s.method, s.path, { params: s.params ?? {}, ...(s.body !== undefined ? { body: s.body } : {}) });
      const records = (at(res.body, s.records_path) as Record<string, Json>[] | undefined)?.slice(0, 100) ?? [];
      const names = [...new Set(records.flatMap((r) => Object.keys(r)))];
      out.set(
        s.name,
        names.map((name) => ({ name, type: inferType(records.map((r) => r[name])), nullable: !s.primary_key.includes(name) })),
      );
    }
  } finally {
    await client.close();
  }
  return out;
}

export const connector: Connector = {
  async check(raw, ctx) {
    const config = raw as unknown as RestConfig;
    const spec = specOf(config, new Map());
    const client = new HttpClient(spec, raw, ctx);
    try {
      return await spec.check(client, raw);
    } finally {
      await client.close();
    }
  },

  async discover(raw, ctx): Promise<StreamSchema[]> {
    const config = raw as unknown as RestConfig;
    return specOf(config, await inferColumns(config, ctx)).streams.map(streamSchema);
  },

  read(raw, options, ctx) {
    const config = raw as unknown as RestConfig;
    const spec = specOf(config, new Map([[options.stream.name, options.stream.columns]]));
    return readStream(spec, spec.streams.find((s) => s.name === options.stream.name), raw, options, ctx);
  },
};
