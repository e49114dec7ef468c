import type { TSchema } from 'typebox';
import type { FieldError } from '../lib/errors.js';
import type { Logger } from '../logger.js';
import type { EgressProxy } from '../net/egress-proxy.js';
import type { NetworkPolicy, ResolvedAddress } from '../net/policy.js';
import type { Endpoint } from '../net/probe.js';
import type { Column, SyncMode } from '../connectors/types.js';

export type WarehouseConfig = Record<string, unknown>;

/**
 * One warehouse type. Adding a type means one folder exporting one of these and one line
 * in registry.ts; nothing else in the code switches on the type.
 */
export interface WarehouseDefinition {
  type: string;
  label: string;
  description: string;
  /** JSON Schema of `config`; secret fields are marked `writeOnly: true`. */
  configSchema: TSchema;
  /** Whether sources of this type can be created through the API (the idea of Census' source types). */
  creatableViaApi: boolean;
  /** Whether loaders can load into this type (its driver has openWriter). */
  loadable: boolean;
  /** Checks JSON Schema cannot express (e.g. that a credentials blob parses). Never echo values. */
  validateConfig?(config: WarehouseConfig): FieldError[];
  /** The driver; imported on first use so a vendor SDK loads only when its type is used. */
  load(): Promise<WarehouseDriver>;
}

/** What a driver gets from Quarry for one operation (a connection test, a load). */
export interface DriverContext {
  policy: NetworkPolicy;
  /** The address to connect to for a host: the one the connectivity step checked, else resolved now. */
  resolve(host: string): Promise<ResolvedAddress>;
  /** The egress proxy SDK traffic must use (started on first call, closed when the operation ends). */
  proxy(): Promise<EgressProxy>;
  /** QUARRY_HOME, for embedded warehouse files. */
  home: string;
  signal: AbortSignal;
  log: Logger;
}

export interface WarehouseDriver {
  /** Network endpoints the connectivity step checks (none for an embedded warehouse). */
  endpoints(config: WarehouseConfig): Endpoint[];
  /** Logs in with the config's credentials. Throws StepError on a rejected login. */
  connect(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseSession>;
  /** Loading into this warehouse; absent while a type can be tested but not yet loaded into. */
  openWriter?(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseWriter>;
}

/** One stream's load into a warehouse table. */
export interface StreamLoad {
  schema: string;
  table: string;
  /** The stream's name: the key of its state. */
  stream: string;
  /** The columns of the CSV written, in order. */
  columns: Column[];
  primaryKey: string[];
  mode: SyncMode;
  runId: string;
}

/**
 * Loads streams into a warehouse. Data goes to a staging table first; `commit` makes it
 * visible (an atomic swap for full refresh, a merge on the primary key for incremental)
 * in the same transaction as the stream's new cursor, so data and state never disagree.
 */
export interface WarehouseWriter {
  ensureSchema(schema: string): Promise<void>;
  /** The committed cursor of a stream; null when there is none or its table is gone. */
  readState(schema: string, table: string, stream: string): Promise<string | null>;
  /** Drops staging tables of runs other than these (left behind by a killed worker). */
  cleanup(schema: string, keepRunIds: string[]): Promise<void>;
  begin(load: StreamLoad): Promise<StreamWriter>;
  close(): Promise<void>;
}

export interface StreamWriter {
  /** Appends CSV (the engine's interchange format, see engine/csv.ts); resolves when accepted. */
  write(csv: Buffer): Promise<void>;
  /** Primary keys of rows deleted at the source: marked `_quarry_deleted_at` at commit (incremental). */
  markDeleted(keys: unknown[][]): void;
  commit(cursor: string | null): Promise<{ rows: number }>;
  /** Drops everything staged; nothing becomes visible. */
  abort(): Promise<void>;
}

/** Staging tables are named `<table>__qs_<run>` so a later run can find and drop leftovers. */
export const STAGING_MARK = '__qs_';
export function stagingName(table: string, runId: string): string {
  const suffix = `${STAGING_MARK}${runId.replace(/-/g, '').slice(0, 12)}`;
  return `${table.slice(0, 63 - suffix.length)}${suffix}`;
}
export const STATE_TABLE = '_quarry_state';
export const DELETED_COLUMN = '_quarry_deleted_at';
/** How many keys one statement marks deleted. */
export const DELETE_BATCH = 500;

export interface WarehouseSession {
  /** Who we are logged in as, for the authentication step's message. */
  identity: string;
  /** Can list and select from the configured database/schema. Throws StepError (with fix) if not. */
  checkRead(): Promise<string>;
  /** Can create and drop a table in the schema loaders write to. Throws StepError (with fix) if not. */
  checkWrite(): Promise<string>;
  close(): Promise<void>;
}

/** A failure a driver understood: its message is shown to the user, `fix` says what to run. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

/** A name for scratch tables that cannot collide with a user's. */
export function scratchTableName(prefix = '_quarry_write_check_'): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
