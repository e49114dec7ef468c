/** Key-pair (SNOWFLAKE_JWT) verification for the fake Snowflake server, with node:crypto only. */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Accepts a PEM (public or private) or the bare base64 body Snowflake's RSA_PUBLIC_KEY takes. */
export function toPublicKey(pemOrBase64: string): KeyObject {
  const text = pemOrBase64.includes('-----BEGIN')
    ? pemOrBase64
    : `-----BEGIN PUBLIC KEY-----\n${pemOrBase64.replace(/\s+/g, '').replace(/(.{64})/g, '$1\n')}\n-----END PUBLIC KEY-----\n`;
  return createPublicKey(text);
}

/** Snowflake's key fingerprint: SHA256 over the DER SubjectPublicKeyInfo, base64. */
export function publicKeyFingerprint(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Checks an RS256 JWT the way Snowflake does: signature, sub = ACCOUNT.USER,
 * iss = ACCOUNT.USER.<fingerprint of the registered key>, not expired.
 */
export function verifySnowflakeJwt(token: string, publicKey: string, account: string, user: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  const payload = decodeJson(p);
  if (!header || !payload || header.alg !== 'RS256') return false;
  let key: KeyObject;
  try {
    key = toPublicKey(publicKey);
  } catch {
    return false;
  }
  if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return false;
  const subject = `${account.toUpperCase()}.${user.toUpperCase()}`;
  if (payload.sub !== subject || payload.iss !== `${subject}.${publicKeyFingerprint(key)}`) return false;
  // The Node SDK puts milliseconds in exp/iat; other clients use seconds.
  const exp = typeof payload.exp === 'number' ? payload.exp : 0;
  const expMs = exp > 1e11 ? exp : exp * 1000;
  return expMs > Date.now();
}
