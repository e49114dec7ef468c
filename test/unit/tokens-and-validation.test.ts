import { describe, expect, it } from 'vitest';
import { displayPrefix, generateToken, hashToken, isWellFormedToken } from '../../src/tenancy/tokens.js';
import { didYouMean } from '../../src/lib/did-you-mean.js';
import { compile, toFieldErrors } from '../../src/lib/json-schema.js';
import { decodeCursor, encodeCursor } from '../../src/lib/pagination.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('API tokens', () => {
  it('carry the qry_ prefix and a checksum', () => {
    const tokens = new Set(Array.from({ length: 200 }, generateToken));
    expect(tokens.size).toBe(200);
    for (const t of tokens) {
      expect(t).toMatch(/^qry_[0-9A-Za-z]{38}$/);
      expect(isWellFormedToken(t)).toBe(true);
    }
    const t = [...tokens][0]!;
    const typo = t.slice(0, 10) + (t[10] === 'a' ? 'b' : 'a') + t.slice(11);
    expect(isWellFormedToken(typo)).toBe(false);
    expect(isWellFormedToken(t.slice(0, -1))).toBe(false);
    expect(isWellFormedToken('ghp_' + t.slice(4))).toBe(false);
    expect(hashToken(t)).toHaveLength(32);
    expect(displayPrefix(t)).toBe(t.slice(0, 10));
  });
});

describe('did you mean', () => {
  it('suggests close names only', () => {
    expect(didYouMean('warehose', ['warehouse', 'database'])).toBe('warehouse');
    expect(didYouMean('nmae', ['name', 'config'])).toBe('name');
    expect(didYouMean('user', ['username', 'password'])).toBe('username');
    expect(didYouMean('zzz', ['warehouse', 'database'])).toBeUndefined();
    expect(didYouMean('a', ['account'])).toBeUndefined();
  });
});

describe('field errors from JSON Schema', () => {
  const validate = compile({
    type: 'object',
    properties: {
      list: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false } },
      mode: { type: 'string', enum: ['full_refresh', 'incremental'] },
    },
    additionalProperties: false,
  });

  it('names nested fields with dotted paths and indexes', () => {
    validate({ list: [{ n: 1 }, { n: 'x' }, {}], mode: 'incremental' });
    expect(toFieldErrors(validate.errors, 'config')).toEqual([
      { field: 'config.list[1].n', message: 'must be an integer' },
      { field: 'config.list[2].n', message: 'is required' },
    ]);
    validate({ mode: 'incremntal' });
    expect(toFieldErrors(validate.errors)).toEqual([{ field: 'mode', message: 'must be one of: full_refresh, incremental; did you mean "incremental"?' }]);
  });
});

describe('cursors', () => {
  it('round-trip and reject forgeries', () => {
    const k = { createdAt: new Date('2024-01-15T09:30:00.123Z'), id: '550e8400-e29b-41d4-a716-446655440000' };
    expect(decodeCursor(encodeCursor(k))).toEqual(k);
    expect(() => decodeCursor('bogus')).toThrow(/cursor/);
    expect(() => decodeCursor(Buffer.from('["x","y"]').toString('base64url'))).toThrow(/cursor/);
  });
});

describe('configuration', () => {
  it('has working defaults and names the bad variable', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, databaseUrl: undefined, logLevel: 'info', bootstrap: true });
    expect(c.home.endsWith('.quarry')).toBe(true);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT must be between/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' })).toThrow(/DATABASE_URL must be a postgres/);
    try {
      loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});
