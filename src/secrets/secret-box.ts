import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptError extends Error {
  constructor() {
    // Deliberately says nothing about the ciphertext or the key.
    super('a stored secret could not be decrypted: QUARRY_SECRET_KEY is not the key it was encrypted with');
    this.name = 'SecretDecryptError';
  }
}

/**
 * AES-256-GCM with a fresh random IV per value. The associated data binds a ciphertext to
 * the row it belongs to, so a secret copied into another row's column does not decrypt.
 */
export class SecretBox {
  readonly fingerprint: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new ConfigError('the secret key must be 32 bytes');
    // A non-secret identifier of the key: lets start-up detect a changed key before any use.
    this.fingerprint = crypto.createHmac('sha256', key).update('quarry-key-check').digest('hex').slice(0, 16);
  }

  seal(plaintext: string, aad: string): string {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  open(sealed: string, aad: string): string {
    const [version, body] = sealed.split(':', 2);
    if (version !== VERSION || body === undefined) throw new SecretDecryptError();
    const raw = Buffer.from(body, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptError();
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptError();
    }
  }
}

export function parseKey(encoded: string, source: string): Buffer {
  const trimmed = encoded.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) key = Buffer.from(trimmed, 'base64');
  if (!key || key.length !== 32) {
    throw new ConfigError(`${source} must be 32 random bytes, base64 or hex encoded (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
}

export interface KeySource {
  key: Buffer;
  /** Where the key came from, for the start-up log line (never the key itself). */
  origin: 'env' | 'file-created' | 'file';
  file?: string;
}

/**
 * QUARRY_SECRET_KEY when set; otherwise `<home>/secret.key`, created 0600 on first use.
 * The exclusive create makes two processes starting at once agree on one key.
 */
export async function resolveKey(secretKey: string | undefined, home: string): Promise<KeySource> {
  if (secretKey) return { key: parseKey(secretKey, 'QUARRY_SECRET_KEY'), origin: 'env' };
  const file = path.join(home, 'secret.key');
  await fs.mkdir(home, { recursive: true });
  try {
    await fs.writeFile(file, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return { key: parseKey(await fs.readFile(file, 'utf8'), file), origin: 'file-created', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const stat = await fs.stat(file);
  if ((stat.mode & 0o077) !== 0) {
    throw new ConfigError(`${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`);
  }
  return { key: parseKey(await fs.readFile(file, 'utf8'), file), origin: 'file' };
}
