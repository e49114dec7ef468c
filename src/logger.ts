import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Keys whose values are never written to a log line, at any depth. Quarry does not log
 * request bodies or configs at all; this is the safety net for a future log call that
 * forgets. A key-walk in `formatters.log` rather than pino's `redact` paths: it reaches any
 * depth, and a flat line (the common case) costs one pass over its keys, where wildcard
 * redact paths cost more than the rest of a cached request.
 */
const SECRET_KEYS = new Set([
  'password',
  'token',
  'credentials_json',
  'private_key',
  'private_key_passphrase',
  'secret',
  'api_key',
  'apikey',
  'access_token',
  'refresh_token',
  'client_secret',
  'authorization',
  'cookie',
  'x-api-key',
  'secret_config',
]);
const CENSOR = '[redacted]';
const MAX_DEPTH = 8;

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((v, i) => {
      const s = scrub(v, depth + 1, seen);
      if (s !== v) (copy ??= value.slice())[i] = s;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const s = SECRET_KEYS.has(key.toLowerCase()) && v !== undefined && v !== null ? CENSOR : scrub(v, depth + 1, seen);
    if (s !== v) {
      // copy on write: the caller's object is never modified
      const target: Record<string, unknown> = (copy ??=
        value instanceof Error
          ? Object.assign(Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>, { message: value.message, stack: value.stack }, obj)
          : { ...obj });
      target[key] = s;
    }
  }
  return copy ?? value;
}

export function redactSecrets<T>(value: T): T {
  return scrub(value, 0, new WeakSet()) as T;
}

export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    base: { service: 'quarry' },
    formatters: { log: (obj) => redactSecrets(obj) },
  };
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
