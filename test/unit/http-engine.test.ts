import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_RETRY, HttpClient, redactUrl, retryAfterMs } from '../../src/connectors/http/client.js';
import { at, nextLink, readPages } from '../../src/connectors/http/engine.js';
import type { AuthSpec, HttpConnectorSpec, HttpStreamSpec } from '../../src/connectors/http/types.js';
import { createLogger } from '../../src/logger.js';
import { NetworkPolicy } from '../../src/net/policy.js';
import { openOperation } from '../../src/warehouses/context.js';
import { inferType } from '../../src/connectors/rest_api/connector.js';
import { restApi } from '../../src/connectors/rest_api/definition.js';
import { ConfigCodec } from '../../src/secrets/config-codec.js';
import { ValidationError } from '../../src/lib/errors.js';

describe('Retry-After', () => {
  it('reads seconds, fractional seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('2.0')).toBe(2000);
    expect(retryAfterMs('0')).toBe(0);
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0); // in the past: now
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffMs(1, DEFAULT_RETRY, () => 1)).toBe(500);
    expect(backoffMs(3, DEFAULT_RETRY, () => 1)).toBe(2000);
    expect(backoffMs(20, DEFAULT_RETRY, () => 1)).toBe(30_000);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0)).toBe(0);
  });

  it('keeps query strings (where API keys travel) out of messages', () => {
    expect(redactUrl(new URL('https://api.example.com/v1/items?api_key=SECRET&page=2'))).toBe('https://api.example.com/v1/items');
  });
});

describe('paging helpers', () => {
  it('finds rel="next" in RFC 8288 Link headers', () => {
    expect(nextLink('<https://x/items?page_info=abc>; rel="next", <https://x/items?page_info=zzz>; rel="previous"')).toBe('https://x/items?page_info=abc');
    expect(nextLink('<https://x/a>; rel="previous", <https://x/b>; rel=next')).toBe('https://x/b');
    expect(nextLink('<https://x/a>; rel="prev next"')).toBe('https://x/a');
    expect(nextLink('<https://x/a>; rel="previous"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });

  it('follows dotted paths', () => {
    expect(at({ paging: { next: { after: '42' } } }, 'paging.next.after')).toBe('42');
    expect(at([1, 2], '')).toEqual([1, 2]);
    expect(at({ a: null }, 'a.b')).toBeUndefined();
  });
});

describe('rest_api', () => {
  it('infers column types from a sample', () => {
    expect(inferType([1, 2, null])).toBe('integer');
    expect(inferType([1, 2.5])).toBe('number');
    expect(inferType([true])).toBe('boolean');
    expect(inferType(['2024-01-15T09:30:00Z', '2024-01-15T09:30:00.123+02:00'])).toBe('timestamptz');
    expect(inferType(['2024-01-15T09:30:00Z', 'not a date'])).toBe('string');
    expect(inferType([{ a: 1 }])).toBe('json');
    expect(inferType([null])).toBe('string');
  });

  it('names the field each auth and paginator type needs', () => {
    const codec = new ConfigCodec(restApi);
    const bad = {
      base_url: 'https://api.example.com',
      auth: { type: 'oauth2_refresh', token_url: 'https://api.example.com/token', client_id: 'x' },
      streams: [
        { name: 'a', path: '/a', paginator: { type: 'cursor', cursor_path: 'next' } },
        { name: 'a', path: '/b' },
      ],
    };
    try {
      codec.validate(bad);
      expect.unreachable();
    } catch (err) {
      expect((err as ValidationError).errors).toEqual([
        { field: 'config.auth.client_secret', message: 'is required for auth type oauth2_refresh' },
        { field: 'config.auth.refresh_token', message: 'is required for auth type oauth2_refresh' },
        { field: 'config.streams[0].paginator.cursor_param', message: 'is required for paginator type cursor' },
        { field: 'config.streams[1].name', message: '"a" is used by another stream' },
      ]);
    }
    expect(codec.secrets.sort()).toEqual(['auth.client_secret', 'auth.password', 'auth.refresh_token', 'auth.token', 'auth.value']);
  });
});

describe('HTTP client against a local server', () => {
  type Seen = { path: string; authorization: string | undefined };
  /** A server whose handler sees each request; closed after the test. */
  async function serve(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
    const server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.closeAllConnections() ?? server.close(() => resolve())),
    };
  }
  const spec = (auth: AuthSpec, stream?: Partial<HttpStreamSpec>): HttpConnectorSpec => ({
    type: 'unit',
    label: 'unit',
    description: 'unit',
    configSchema: {} as HttpConnectorSpec['configSchema'],
    baseUrl: (c) => String(c.base_url),
    auth,
    check: async () => 'ok',
    streams: [{ name: 'items', columns: [], primaryKey: ['id'], path: '/items', recordsPath: 'data', ...stream }],
  });
  const operation = () => openOperation({ policy: new NetworkPolicy('default'), home: os.tmpdir(), log: createLogger('silent') });

  it('asks for the next page before handing this one on, and never past the last', async () => {
    const seen: string[] = [];
    const server = await serve((req, res) => {
      seen.push(req.url!);
      const after = Number(new URL(req.url!, 'http://x').searchParams.get('after') ?? 0);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: [{ id: after + 1 }], next: after < 2 ? String(after + 1) : null }));
    });
    const op = operation();
    try {
      const s = spec({ kind: 'none' }, { paginator: { kind: 'cursor', cursorPath: 'next', cursorParam: 'after' } });
      const client = new HttpClient(s, { base_url: server.url }, op.ctx);
      const pages = readPages(client, s.streams[0]!, { base_url: server.url }, null, op.ctx.signal);
      const first = await pages.next();
      expect(first.value).toEqual({ records: [{ id: 1 }] });
      // page 1 is in our hands and not yet processed: page 2 is already on its way
      await expect.poll(() => seen.length, { timeout: 2000 }).toBe(2);
      const rest = [];
      for await (const page of pages) rest.push(page);
      expect(rest).toEqual([{ records: [{ id: 2 }] }, { records: [{ id: 3 }] }]);
      expect(seen).toEqual(['/items', '/items?after=1', '/items?after=2']);
      await client.close();
    } finally {
      await op.close();
      await server.close();
    }
  });

  it('follows redirects, and drops the credentials when one leaves the origin', async () => {
    const seen: Seen[] = [];
    const other = await serve((req, res) => {
      seen.push({ path: `other${req.url}`, authorization: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      res.end('{"data":[]}');
    });
    const server = await serve((req, res) => {
      seen.push({ path: req.url!, authorization: req.headers.authorization });
      if (req.url === '/moved') res.writeHead(301, { location: '/items' }).end();
      else if (req.url === '/away') res.writeHead(302, { location: `${other.url}/elsewhere` }).end();
      else res.setHeader('content-type', 'application/json').end('{"data":[{"id":1}]}');
    });
    const op = operation();
    try {
      const client = new HttpClient(spec({ kind: 'bearer', token: () => 'SECRET' }), { base_url: server.url }, op.ctx);
      expect((await client.request('GET', '/moved')).body).toEqual({ data: [{ id: 1 }] });
      expect((await client.request('GET', '/away')).body).toEqual({ data: [] });
      expect(seen).toEqual([
        { path: '/moved', authorization: 'Bearer SECRET' },
        { path: '/items', authorization: 'Bearer SECRET' },
        { path: '/away', authorization: 'Bearer SECRET' },
        { path: 'other/elsewhere', authorization: undefined },
      ]);
      await client.close();
    } finally {
      await op.close();
      await Promise.all([server.close(), other.close()]);
    }
  });

  it('lets go of the run signal after each request', async () => {
    const server = await serve((_req, res) => res.setHeader('content-type', 'application/json').end('{"data":[]}'));
    const op = operation();
    try {
      const client = new HttpClient(spec({ kind: 'none' }), { base_url: server.url }, op.ctx);
      await client.request('GET', '/items');
      const after1 = getEventListeners(op.ctx.signal, 'abort').length;
      for (let i = 0; i < 50; i++) await client.request('GET', '/items');
      expect(getEventListeners(op.ctx.signal, 'abort').length).toBe(after1);
      await client.close();
    } finally {
      await op.close();
      await server.close();
    }
  });
});
