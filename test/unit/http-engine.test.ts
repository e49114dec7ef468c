import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_RETRY, redactUrl, retryAfterMs } from '../../src/connectors/http/client.js';
import { at, nextLink } from '../../src/connectors/http/engine.js';
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
