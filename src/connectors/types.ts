import type { ConfigType } from '../secrets/config-codec.js';
import type { DriverContext } from '../warehouses/types.js';

export type SyncMode = 'full_refresh' | 'incremental';
export const SYNC_MODES: readonly SyncMode[] = ['full_refresh', 'incremental'];

/**
 * The type system between connectors and warehouses. A connector maps its source's types to
 * these; a warehouse writer maps these to its own (each with a pure, tested table).
 */
export const LOGICAL_TYPES = ['boolean', 'integer', 'number', 'decimal', 'string', 'date', 'time', 'timestamp', 'timestamptz', 'json', 'binary', 'uuid'] as const;
export type LogicalType = (typeof LOGICAL_TYPES)[number];

export interface Column {
  name: string;
  type: LogicalType;
  nullable: boolean;
  /** For decimal. */
  precision?: number;
  scale?: number;
  /** The type as the source names it, for display and for typed literals in source queries. */
  sourceType?: string;
}

/** A stream: a table, an API object. Its records land in one warehouse table. */
export interface StreamSchema {
  name: string;
  columns: Column[];
  primaryKey: string[];
  /** The default cursor for incremental syncs, when the stream has an obvious one. */
  cursorField: string | null;
  /** Columns that could serve as a cursor (monotonic types). */
  cursorCandidates: string[];
  syncModes: SyncMode[];
}

export interface ReadOptions {
  stream: StreamSchema;
  mode: SyncMode;
  cursorField: string | null;
  /** The committed cursor of the last run (incremental), in the source's own text form. */
  cursor: string | null;
}

/**
 * What a read yields, in order:
 * - `csv`: a chunk of RFC 4180 CSV rows (no header; NULL is an empty unquoted field, the
 *   empty string is `""`), columns in `stream.columns` order. Chunks need not end on a row
 *   boundary: a fast path can pass a database's CSV export through untouched.
 * - `rows`: rows as arrays in `stream.columns` order, for connectors that hold values.
 * - `deleted`: primary keys (values in `stream.primaryKey` order) of records deleted or
 *   archived at the source; an incremental load marks their rows `_quarry_deleted_at`.
 * - `state`: the highest cursor value of the data read (taken in the same snapshot as the
 *   data); the engine commits it together with that data.
 */
export type ReadEvent =
  | { type: 'csv'; data: Buffer }
  | { type: 'rows'; rows: unknown[][] }
  | { type: 'deleted'; keys: unknown[][] }
  | { type: 'state'; cursor: string | null };

export type ConnectorContext = DriverContext;

export interface Connector {
  /** A cheap authenticated call; the message says what was reached. Throws StepError on failure. */
  check(config: Record<string, unknown>, ctx: ConnectorContext): Promise<string>;
  discover(config: Record<string, unknown>, ctx: ConnectorContext): Promise<StreamSchema[]>;
  /** Reads one stream in bounded chunks; stops when ctx.signal aborts. */
  read(config: Record<string, unknown>, options: ReadOptions, ctx: ConnectorContext): AsyncIterable<ReadEvent>;
}

/**
 * One loader type. Adding one means one folder exporting one of these and one line in
 * registry.ts; the engine does not switch on types.
 */
export interface ConnectorDefinition extends ConfigType {
  type: string;
  label: string;
  description: string;
  creatableViaApi: boolean;
  /** Streams known without connecting (SaaS APIs); null when they depend on the config (databases, files). */
  streams: StreamSchema[] | null;
  load(): Promise<Connector>;
}

/** Monotonic types a cursor can be made of. */
export const CURSOR_TYPES: ReadonlySet<LogicalType> = new Set(['integer', 'decimal', 'number', 'date', 'timestamp', 'timestamptz']);

/** The usual names of "last changed" columns, best first. */
const CURSOR_NAMES = ['updated_at', 'modified_at', 'last_modified', 'last_modified_at', 'updated', 'modified', 'changed_at', 'update_time', 'updatedat', 'modifiedat'];

export function cursorCandidates(columns: Column[]): { candidates: string[]; preferred: string | null } {
  const candidates = columns.filter((c) => CURSOR_TYPES.has(c.type)).map((c) => c.name);
  const timeLike = new Set(columns.filter((c) => c.type === 'timestamp' || c.type === 'timestamptz' || c.type === 'date').map((c) => c.name));
  const preferred = CURSOR_NAMES.map((n) => candidates.find((c) => c.toLowerCase() === n && timeLike.has(c))).find(Boolean) ?? null;
  return { candidates, preferred };
}
