import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox, SecretDecryptError, parseKey, resolveKey } from '../../src/secrets/secret-box.js';
import { MASK, joinSecrets, maskConfig, restoreMasked, secretPaths, splitSecrets } from '../../src/secrets/secret-fields.js';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(crypto.randomBytes(32));

  it('round-trips, with a fresh IV each time', () => {
    const a = box.seal('hunter2', 'sources:1');
    const b = box.seal('hunter2', 'sources:1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:/);
    expect(a).not.toContain('hunter2');
    expect(box.open(a, 'sources:1')).toBe('hunter2');
  });

  it('refuses another row\'s ciphertext, a tampered one and another key', () => {
    const sealed = box.seal('hunter2', 'sources:1');
    expect(() => box.open(sealed, 'sources:2')).toThrow(SecretDecryptError);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => box.open(`v1:${raw.toString('base64')}`, 'sources:1')).toThrow(SecretDecryptError);
    expect(() => new SecretBox(crypto.randomBytes(32)).open(sealed, 'sources:1')).toThrow(SecretDecryptError);
    expect(() => box.open('garbage', 'sources:1')).toThrow(SecretDecryptError);
  });

  it('parses base64 and hex keys and rejects anything else without echoing it', () => {
    const key = crypto.randomBytes(32);
    expect(parseKey(key.toString('base64'), 'K')).toEqual(key);
    expect(parseKey(key.toString('hex'), 'K')).toEqual(key);
    expect(() => parseKey('short-secret-value', 'QUARRY_SECRET_KEY')).toThrow(/QUARRY_SECRET_KEY must be 32 random bytes/);
    try {
      parseKey('short-secret-value', 'QUARRY_SECRET_KEY');
    } catch (err) {
      expect((err as Error).message).not.toContain('short-secret-value');
    }
  });

  it('creates the key file 0600 once and reuses it; refuses a world-readable one', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-key-'));
    const first = await resolveKey(undefined, home);
    expect(first.origin).toBe('file-created');
    expect((await fs.stat(path.join(home, 'secret.key'))).mode & 0o777).toBe(0o600);
    const second = await resolveKey(undefined, home);
    expect(second.origin).toBe('file');
    expect(second.key).toEqual(first.key);
    await fs.chmod(path.join(home, 'secret.key'), 0o644);
    await expect(resolveKey(undefined, home)).rejects.toThrow(/chmod 600/);
    const env = crypto.randomBytes(32);
    expect((await resolveKey(env.toString('base64'), home)).key).toEqual(env);
    await fs.rm(home, { recursive: true });
  });
});

describe('secret fields', () => {
  const schema = {
    properties: {
      host: { type: 'string' },
      password: { type: 'string', writeOnly: true },
      auth: { properties: { kind: { type: 'string' }, token: { type: 'string', writeOnly: true } } },
    },
    anyOf: [{ properties: { api_key: { type: 'string', writeOnly: true } } }],
  };
  const paths = secretPaths(schema);

  it('finds secrets from writeOnly, nested and in branches', () => {
    expect(paths.sort()).toEqual(['api_key', 'auth.token', 'password']);
  });

  it('splits, masks, joins and restores', () => {
    const config = { host: 'h', password: 'p', auth: { kind: 'bearer', token: 't' } };
    const { plain, secrets } = splitSecrets(config, paths);
    expect(plain).toEqual({ host: 'h', auth: { kind: 'bearer' } });
    expect(secrets).toEqual({ password: 'p', 'auth.token': 't' });
    expect(maskConfig(plain, Object.keys(secrets))).toEqual({ host: 'h', password: MASK, auth: { kind: 'bearer', token: MASK } });
    expect(joinSecrets(plain, secrets)).toEqual(config);
    const edited = { host: 'h2', password: MASK, auth: { kind: 'bearer', token: MASK } };
    expect(restoreMasked(edited, config, paths)).toEqual([]);
    expect(edited).toEqual({ host: 'h2', password: 'p', auth: { kind: 'bearer', token: 't' } });
    expect(restoreMasked({ api_key: MASK }, config, paths)).toEqual(['api_key']);
  });
});
