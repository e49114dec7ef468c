import path from 'node:path';

/**
 * Every environment variable Quarry reads is parsed here, once. Nothing else touches
 * process.env, so docs/configuration.md can list them all from this file.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  host: string;
  port: number;
  /** External metadata store. Unset: Quarry runs its own embedded PostgreSQL under `home`. */
  databaseUrl: string | undefined;
  home: string;
  /** 32-byte key (base64 or hex). Unset: a key file under `home` is created and used. */
  secretKey: string | undefined;
  logLevel: LogLevel;
  dbPoolMax: number;
  /** Whether the first start of an empty store creates an organization, workspace and token. */
  bootstrap: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Never echo the value: it usually carries a password.
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  return {
    host: env.HOST || '127.0.0.1',
    port: intVar(env, 'PORT', 8080, 0, 65535),
    databaseUrl,
    home: path.resolve(env.QUARRY_HOME || '.quarry'),
    secretKey: env.QUARRY_SECRET_KEY || undefined,
    logLevel,
    dbPoolMax: intVar(env, 'QUARRY_DB_POOL_MAX', 10, 1, 1000),
    bootstrap: boolVar(env, 'QUARRY_BOOTSTRAP', true),
  };
}
