import type { Connector, ConnectorContext, ConnectorDefinition, ReadEvent, ReadOptions } from '../types.js';
import { HttpClient } from './client.js';
import { type Config, type HttpConnectorSpec, type HttpStreamSpec, type Json, type Params, type RecordEvent, streamSchema } from './types.js';

/** A dotted path into a JSON value; '' is the value itself. */
export function at(value: Json, path: string): Json {
  if (!path) return value;
  let cur: Json = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Json>)[part];
  }
  return cur;
}

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

function recordsOf(body: Json, path: string | undefined): Record<string, Json>[] {
  const found = at(body, path ?? '');
  if (Array.isArray(found)) return found as Record<string, Json>[];
  throw new Error(`expected an array of records at "${path ?? ''}" in the response`);
}

/**
 * The declarative read: pages of one stream, as the spec's paginator walks them, with the
 * incremental filter of the committed cursor applied on the first request. The next page is
 * requested as soon as its address is known, before this page's records are handed on, so the
 * vendor's latency overlaps the work on the records (one page ahead at most: memory stays flat).
 */
export async function* readPages(client: HttpClient, stream: HttpStreamSpec, config: Config, cursor: string | null, signal: AbortSignal): AsyncGenerator<RecordEvent> {
  const path = typeof stream.path === 'function' ? stream.path(config) : (stream.path ?? '');
  const p = stream.paginator ?? { kind: 'none' };
  const size = 'size' in p && p.size !== undefined && 'sizeParam' in p && p.sizeParam ? { [p.sizeParam]: p.size } : {};
  let params: Params = { ...stream.params?.(config), ...(cursor !== null && stream.incremental?.params ? stream.incremental.params(cursor, config) : {}), ...size };
  let target = path;
  const method = stream.method ?? 'GET';
  let offset = p.kind === 'offset' ? (p.startOffset ?? 0) : 0;
  let page = p.kind === 'page' ? (p.firstPage ?? 1) : 0;
  type Page = Awaited<ReturnType<HttpClient['request']>>;
  const fetchPage = (): Promise<Page> => {
    if (p.kind === 'offset') params = { ...params, [p.offsetParam]: offset, [p.limitParam]: p.limit };
    if (p.kind === 'page') params = { ...params, [p.pageParam]: page };
    const sent = client.request(method, target, { params, ...(stream.body ? { body: stream.body(config, cursor) } : {}) });
    sent.catch(() => undefined); // awaited below; until then a failure must not count as unhandled
    return sent;
  };
  /** Moves the paginator past this response; false when it was the last page. */
  const advance = (res: Page, records: Record<string, Json>[]): boolean => {
    switch (p.kind) {
      case 'none':
        return false;
      case 'offset':
        if (records.length < p.limit) return false;
        offset += records.length;
        return true;
      case 'page': {
        const total = p.totalPagesPath ? Number(at(res.body, p.totalPagesPath)) : undefined;
        if (records.length === 0 || (p.size && records.length < p.size) || (total !== undefined && page >= total)) return false;
        page++;
        return true;
      }
      case 'cursor': {
        const next = at(res.body, p.cursorPath);
        if (next === undefined || next === null || next === '') return false;
        params = { ...params, [p.cursorParam]: String(next) };
        return true;
      }
      case 'next_url': {
        const next = at(res.body, p.nextUrlPath);
        if (typeof next !== 'string' || !next) return false;
        target = next; // the next URL carries every parameter itself
        params = {};
        return true;
      }
      case 'link_header': {
        const next = nextLink(res.headers.get('link'));
        if (!next) return false;
        target = next;
        params = {};
        return true;
      }
      case 'last_record': {
        const last = records[records.length - 1];
        if (!at(res.body, p.hasMorePath) || !last) return false;
        params = { ...params, [p.param]: String(at(last, p.field)) };
        return true;
      }
    }
  };
  let pending: Promise<Page> | undefined = fetchPage();
  while (pending) {
    if (signal.aborted) throw new Error('cancelled');
    const res: Page = await pending;
    const records = recordsOf(res.body, stream.recordsPath);
    pending = advance(res, records) ? fetchPage() : undefined;
    if (records.length) yield { records };
  }
}

function compareCursor(a: string, b: string, mode: 'number' | 'string'): number {
  return mode === 'number' ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
}

/** Turns a spec into a loader type: check, discover (the declared streams) and read. */
export function defineHttpConnector(spec: HttpConnectorSpec): ConnectorDefinition {
  const streams = spec.streams.map(streamSchema);
  const byName = new Map(spec.streams.map((s) => [s.name, s]));
  const connector: Connector = {
    async check(config, ctx) {
      const client = new HttpClient(spec, config, ctx);
      try {
        return await spec.check(client, config);
      } finally {
        await client.close();
      }
    },
    async discover() {
      return streams;
    },
    read(config, options, ctx) {
      return readStream(spec, byName.get(options.stream.name), config, options, ctx);
    },
  };
  return {
    type: spec.type,
    label: spec.label,
    description: spec.description,
    creatableViaApi: true,
    configSchema: spec.configSchema,
    ...(spec.validateConfig ? { validateConfig: spec.validateConfig } : {}),
    streams,
    load: async () => connector,
  };
}

/** One stream of any HTTP connector: records to rows, deletions to keys, the cursor tracked. */
export async function* readStream(
  spec: HttpConnectorSpec,
  stream: HttpStreamSpec | undefined,
  config: Config,
  options: ReadOptions,
  ctx: ConnectorContext,
): AsyncGenerator<ReadEvent> {
  if (!stream) throw new Error(`unknown stream ${options.stream.name}`);
  const client = new HttpClient(spec, config, ctx);
  const incremental = options.mode === 'incremental' && stream.incremental !== undefined;
  const cursorField = incremental ? (options.cursorField ?? stream.incremental!.cursorField) : null;
  const compare = stream.incremental?.compare ?? 'string';
  const since = incremental ? options.cursor : null;
  let max = since;
  const columns = options.stream.columns.map((c) => c.name);
  const pk = options.stream.primaryKey;
  const track = (record: Record<string, Json>) => {
    const v = cursorField ? record[cursorField] : undefined;
    if (v === null || v === undefined) return;
    const s = String(v);
    if (max === null || compareCursor(s, max, compare) > 0) max = s;
  };
  try {
    const source = stream.read ? stream.read({ client, config, mode: options.mode, cursor: since, signal: ctx.signal }) : readPages(client, stream, config, since, ctx.signal);
    for await (const event of source) {
      if ('deleted' in event) {
        if (event.deleted.length) yield { type: 'deleted', keys: event.deleted.map((r) => pk.map((k) => at(r, k))) };
        // a deletion that carries the cursor field (the time of a deletion event) advances it too
        event.deleted.forEach(track);
        continue;
      }
      const rows: unknown[][] = [];
      for (const raw of event.records) {
        const record = stream.transform ? stream.transform(raw) : raw;
        rows.push(columns.map((c) => record[c] ?? null));
        track(record);
      }
      if (rows.length) yield { type: 'rows', rows };
    }
    if (incremental) yield { type: 'state', cursor: max };
  } finally {
    await client.close();
  }
}
