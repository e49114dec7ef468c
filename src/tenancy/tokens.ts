import crypto from 'node:crypto';

/**
 * API tokens look like `qry_<32 random base62 chars><6 char checksum>`. The prefix lets
 * secret scanners recognise a leaked Quarry token; the CRC32 checksum lets them (and us)
 * reject a mistyped or truncated token without a database lookup. Only a SHA-256 of the
 * token is stored: with 190 random bits, a slow hash would add nothing.
 */
export const TOKEN_PREFIX = 'qry_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_CHARS = 32;
const CHECKSUM_CHARS = 6;

function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const byte of crypto.randomBytes(n * 2)) {
      // 248 = 4 * 62: rejecting the top values keeps every character equally likely
      if (byte < 248 && out.length < n) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

function base62(value: number, width: number): string {
  let out = '';
  for (let v = value; out.length < width; v = Math.floor(v / 62)) out = ALPHABET[v % 62] + out;
  return out;
}

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function generateToken(): string {
  const body = randomBase62(RANDOM_CHARS);
  return `${TOKEN_PREFIX}${body}${base62(crc32(body), CHECKSUM_CHARS)}`;
}

export function isWellFormedToken(token: string): boolean {
  if (!token.startsWith(TOKEN_PREFIX) || token.length !== TOKEN_PREFIX.length + RANDOM_CHARS + CHECKSUM_CHARS) return false;
  const body = token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + RANDOM_CHARS);
  if (!/^[0-9A-Za-z]+$/.test(body)) return false;
  return base62(crc32(body), CHECKSUM_CHARS) === token.slice(-CHECKSUM_CHARS);
}

export function hashToken(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

/** What lists show so a person can tell tokens apart: never enough to use one. */
export function displayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}
