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
  /** `public` also refuses loopback and private addresses for user-supplied hosts. */
  networkPolicy: 'default' | 'public';
  /** Whole connection test budget. */
  connectionTestTimeoutMs: number;
  /** Budget of each connection-test step (DNS+TCP+TLS each, login, permission checks). */
  connectionTestStepTimeoutMs: number;
  /** Interval of SSE comment lines that keep proxies from closing a quiet stream. */
  sseHeartbeatMs: number;
  /** Loader runs one process executes at once (`quarry serve` and `quarry worker`); 0: none. */
  workerConcurrency: number;
  /** A running run whose worker has not reported for this long is failed (its worker died). */
  runLeaseMs: number;
  /** Failed runs in a row that set a loader's status to error. */
  maxConsecutiveFailures: number;
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

function enumVar<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!values.includes(raw as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
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
    networkPolicy: enumVar(env, 'QUARRY_NETWORK_POLICY', ['default', 'public'] as const, 'default'),
    connectionTestTimeoutMs: intVar(env, 'QUARRY_TEST_TIMEOUT_MS', 60_000, 100, 3_600_000),
    connectionTestStepTimeoutMs: intVar(env, 'QUARRY_TEST_STEP_TIMEOUT_MS', 20_000, 100, 3_600_000),
    sseHeartbeatMs: intVar(env, 'QUARRY_SSE_HEARTBEAT_MS', 15_000, 100, 600_000),
    workerConcurrency: intVar(env, 'QUARRY_WORKER_CONCURRENCY', 2, 0, 64),
    runLeaseMs: intVar(env, 'QUARRY_RUN_LEASE_MS', 30_000, 1000, 3_600_000),
    maxConsecutiveFailures: intVar(env, 'QUARRY_MAX_CONSECUTIVE_FAILURES', 3, 1, 1000),
  };
}
