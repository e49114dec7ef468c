import crypto from 'node:crypto';
import { type Db, type Queryable, isUuid, withTransaction } from '../store/db.js';
import { ConflictError, type FieldError, NotFoundError, ValidationError } from '../lib/errors.js';
import { didYouMean } from '../lib/did-you-mean.js';
import { nextOccurrence, normalizeCron, validateSchedule } from '../lib/cron.js';
import { type Page, type PageRequest, keysetClause, toPage } from '../lib/pagination.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { type Config, ConfigCodec } from '../secrets/config-codec.js';
import { connectors, findConnector } from '../connectors/registry.js';
import type { ConnectorDefinition, StreamSchema, SyncMode } from '../connectors/types.js';
import { findWarehouse } from '../warehouses/registry.js';
import { StepError } from '../warehouses/types.js';
import { type OperationSettings, openOperation } from '../warehouses/context.js';
import { withDeadline } from '../net/probe.js';
import type { Principal } from '../tenancy/service.js';
import type { JobQueue } from '../jobs/queue.js';

export type LoaderStatus = 'draft' | 'active' | 'paused' | 'error';
export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface SelectedStream {
  name: string;
  sync_mode: SyncMode;
  /** Overrides of what discovery found. */
  cursor_field?: string;
  primary_key?: string[];
}

/** The Loader Object of 003_*, config masked, plus next_run_at. */
export interface LoaderView {
  id: string;
  workspace_id: string;
  source_id: string;
  name: string;
  loader_type: string;
  config: Config;
  target_schema: string;
  selected_streams: SelectedStream[];
  sync_mode: SyncMode;
  schedule: string | null;
  status: LoaderStatus;
  status_error: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  last_run_at: Date | null;
  last_run_id: string | null;
  next_run_at: Date | null;
}

interface LoaderRow extends Omit<LoaderView, 'next_run_at'> {
  secret_config: string | null;
  secret_keys: string[];
}

/** The Loader Run Object of 003_*. */
export interface RunView {
  id: string;
  loader_id: string;
  workspace_id: string;
  status: RunStatus;
  started_at: Date | null;
  completed_at: Date | null;
  rows_loaded: number;
  streams_total: number;
  streams_failed: number;
  error_message: string;
  triggered_by: string | null;
  job_id: string | null;
  created_at: Date;
  scheduled_for: Date | null;
  cancel_requested_at: Date | null;
}

export interface RunStreamView {
  stream: string;
  status: RunStatus;
  sync_mode: SyncMode;
  rows_loaded: number;
  bytes: number;
  duration_ms: number;
  cursor: string | null;
  error_message: string;
}

export interface CreateLoaderInput {
  name: string;
  loader_type: string;
  source_id: string;
  config: Config;
  target_schema: string;
  selected_streams: { name: string; sync_mode?: SyncMode | undefined; cursor_field?: string | undefined; primary_key?: string[] | undefined }[];
  sync_mode: SyncMode;
  schedule?: string | null | undefined;
  status?: 'draft' | 'active' | 'paused' | undefined;
}

export type UpdateLoaderInput = Partial<Omit<CreateLoaderInput, 'loader_type'>>;

const LOADER_COLUMNS = `id, workspace_id, source_id, name, loader_type, config, secret_config, secret_keys, target_schema, selected_streams,
  sync_mode, schedule, status, status_error, created_by, created_at, updated_at, last_run_at, last_run_id`;
export const RUN_COLUMNS = `id, loader_id, workspace_id, status, started_at, completed_at, rows_loaded, streams_total, streams_failed,
  error_message, triggered_by, job_id, created_at, scheduled_for, cancel_requested_at`;

const codecs = new Map(connectors.map((c) => [c.type, new ConfigCodec(c)]));
export const loaderAad = (id: string) => `loaders:${id}`;

export function codecOf(type: string): ConfigCodec {
  const codec = codecs.get(type);
  if (!codec) throw new Error(`unknown loader type ${type}`);
  return codec;
}

export interface LoaderSettings extends OperationSettings {
  /** Budget of a discovery made to validate streams. */
  discoveryTimeoutMs: number;
}

export class LoadersService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly settings: LoaderSettings,
    private readonly queue: Pick<JobQueue, 'enqueueRun' | 'cancelJob'>,
  ) {}

  toView(row: LoaderRow): LoaderView {
    const { secret_config: _s, secret_keys: _k, ...rest } = row;
    return {
      ...rest,
      config: ConfigCodec.mask(row),
      next_run_at: row.schedule && row.status === 'active' ? nextOccurrence(row.schedule) : null,
    };
  }

  async list(workspaceId: string, page: PageRequest): Promise<Page<LoaderView>> {
    const ks = keysetClause(page, 2);
    const { rows } = await this.db.query<LoaderRow>(
      `SELECT ${LOADER_COLUMNS} FROM loaders WHERE workspace_id = $1 AND ${ks.where} ORDER BY created_at, id LIMIT ${page.limit + 1}`,
      [workspaceId, ...ks.params],
    );
    const p = toPage(rows, page.limit);
    return { items: p.items.map((r) => this.toView(r)), next: p.next };
  }

  async get(workspaceId: string, id: string): Promise<LoaderView> {
    return this.toView(await this.row(this.db, workspaceId, id));
  }

  async row(q: Queryable, workspaceId: string, id: string, forUpdate = false): Promise<LoaderRow> {
    if (!isUuid(id)) throw new NotFoundError('loader not found');
    const { rows } = await q.query<LoaderRow>(`SELECT ${LOADER_COLUMNS} FROM loaders WHERE id = $1 AND workspace_id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [id, workspaceId]);
    if (!rows[0]) throw new NotFoundError('loader not found');
    return rows[0];
  }

  /** The loader's full config, secrets included: for connectors only. */
  fullConfig(row: Pick<LoaderRow, 'id' | 'loader_type' | 'config' | 'secret_config' | 'secret_keys'>): Config {
    return codecOf(row.loader_type).open(this.box, loaderAad(row.id), row);
  }

  private definition(type: string): ConnectorDefinition {
    const def = findConnector(type);
    if (def) return def;
    const hint = didYouMean(type, connectors.map((c) => c.type));
    throw new ValidationError([{ field: 'loader_type', message: `must be one of: ${connectors.map((c) => c.type).join(', ')}${hint ? `; did you mean "${hint}"?` : ''}` }]);
  }

  /** Streams of a loader type for a config: declared ones, or discovered through a connection. */
  async streams(def: ConnectorDefinition, config: Config, signal?: AbortSignal): Promise<StreamSchema[]> {
    if (def.streams) return def.streams;
    const op = openOperation(this.settings, signal);
    try {
      const connector = await def.load();
      return await withDeadline(connector.discover(config, op.ctx), this.settings.discoveryTimeoutMs, op.ctx.signal, () => new Error(`discovery timed out after ${this.settings.discoveryTimeoutMs / 1000}s`));
    } finally {
      await op.close();
    }
  }

  /** A connection check and the streams, for POST /loaders/discover and the console's create flow. */
  async discover(input: { loader_type: string; config: Config }): Promise<{ check: string; streams: StreamSchema[] }> {
    const def = this.definition(input.loader_type);
    const codec = codecOf(def.type);
    codec.rejectMasked(input.config);
    const config = structuredClone(input.config);
    codec.validate(config);
    const op = openOperation(this.settings);
    try {
      const connector = await def.load();
      const deadline = () => new StepError(`the ${def.label} connection did not answer within ${this.settings.discoveryTimeoutMs / 1000}s`);
      const check = await withDeadline(connector.check(config, op.ctx), this.settings.discoveryTimeoutMs, op.ctx.signal, deadline);
      const streams = def.streams ?? (await withDeadline(connector.discover(config, op.ctx), this.settings.discoveryTimeoutMs, op.ctx.signal, deadline));
      return { check, streams };
    } catch (err) {
      throw new ValidationError([{ field: 'config', message: `cannot connect with this config: ${(err as Error).message}` }]);
    } finally {
      await op.close();
    }
  }

  /** GET /loaders/{id}/streams: the streams the loader's own config reaches now, selection marked. */
  async loaderStreams(workspaceId: string, id: string): Promise<(StreamSchema & { selected: boolean; sync_mode: SyncMode | null })[]> {
    const row = await this.row(this.db, workspaceId, id);
    const def = this.definition(row.loader_type);
    let streams: StreamSchema[];
    try {
      streams = await this.streams(def, this.fullConfig(row));
    } catch (err) {
      throw new ConflictError(`cannot reach the loader's source to list its streams: ${(err as Error).message}`);
    }
    const chosen = new Map(row.selected_streams.map((s) => [s.name, s]));
    return streams.map((s) => ({ ...s, selected: chosen.has(s.name), sync_mode: chosen.get(s.name)?.sync_mode ?? null }));
  }

  /** The checks every create and update runs on the loader as it would be saved. */
  private async validate(workspaceId: string, def: ConnectorDefinition, config: Config, input: Omit<CreateLoaderInput, 'loader_type' | 'config' | 'name'>, checkStreams: boolean): Promise<SelectedStream[]> {
    const errors: FieldError[] = [];
    const source = isUuid(input.source_id)
      ? (await this.db.query<{ source_type: string }>('SELECT source_type FROM sources WHERE id = $1 AND workspace_id = $2', [input.source_id, workspaceId])).rows[0]
      : undefined;
    if (!source) errors.push({ field: 'source_id', message: 'does not name a source of this workspace' });
    else if (!findWarehouse(source.source_type)?.loadable) {
      errors.push({ field: 'source_id', message: `names a ${source.source_type} source; loaders can load into: ${['postgres', 'duckdb'].filter((t) => findWarehouse(t)?.loadable).join(', ')}` });
    }
    const scheduleError = validateSchedule(input.schedule);
    if (scheduleError) errors.push(scheduleError);
    const seen = new Set<string>();
    input.selected_streams.forEach((s, i) => {
      if (seen.has(s.name)) errors.push({ field: `selected_streams[${i}].name`, message: `selects "${s.name}" a second time` });
      seen.add(s.name);
    });
    if (errors.length) throw new ValidationError(errors);

    const selected = input.selected_streams.map((s) => ({ ...s, sync_mode: s.sync_mode ?? input.sync_mode }));
    if (!checkStreams) return selected;
    let streams: StreamSchema[];
    try {
      streams = await this.streams(def, config);
    } catch (err) {
      throw new ValidationError([{ field: 'config', message: `cannot list the streams with this config: ${(err as Error).message}` }]);
    }
    const byName = new Map(streams.map((s) => [s.name, s]));
    selected.forEach((s, i) => {
      const stream = byName.get(s.name);
      const at = `selected_streams[${i}]`;
      if (!stream) {
        const hint = didYouMean(s.name, byName.keys());
        errors.push({ field: `${at}.name`, message: `"${s.name}" is not a stream of this ${def.label} source${hint ? `; did you mean "${hint}"?` : ''}` });
        return;
      }
      const columns = new Set(stream.columns.map((c) => c.name));
      if (s.cursor_field !== undefined && !stream.cursorCandidates.includes(s.cursor_field)) {
        errors.push({ field: `${at}.cursor_field`, message: `"${s.cursor_field}" cannot serve as a cursor; candidates: ${stream.cursorCandidates.join(', ') || 'none'}` });
      }
      for (const [k, col] of (s.primary_key ?? []).entries()) {
        if (!columns.has(col)) errors.push({ field: `${at}.primary_key[${k}]`, message: `"${col}" is not a column of ${s.name}` });
      }
      if (s.sync_mode === 'incremental') {
        const cursor = s.cursor_field ?? stream.cursorField;
        const pk = s.primary_key ?? stream.primaryKey;
        if (!cursor) {
          errors.push({ field: `${at}.sync_mode`, message: `incremental needs a cursor and ${s.name} has no default one; set cursor_field (candidates: ${stream.cursorCandidates.join(', ') || 'none'}) or use full_refresh` });
        } else if (pk.length === 0) {
          errors.push({ field: `${at}.sync_mode`, message: `incremental merges on a primary key and ${s.name} has none; set primary_key or use full_refresh` });
        }
      }
    });
    if (errors.length) throw new ValidationError(errors);
    return selected;
  }

  async create(p: Principal, workspaceId: string, input: CreateLoaderInput): Promise<LoaderView> {
    const def = this.definition(input.loader_type);
    const codec = codecOf(def.type);
    codec.rejectMasked(input.config);
    const config = structuredClone(input.config);
    codec.validate(config);
    const selected = await this.validate(workspaceId, def, config, input, true);
    const id = crypto.randomUUID();
    const stored = codec.seal(this.box, loaderAad(id), config);
    const { rows } = await this.db.query<LoaderRow>(
      `INSERT INTO loaders (id, workspace_id, source_id, name, loader_type, config, secret_config, secret_keys, target_schema, selected_streams, sync_mode, schedule, status, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${LOADER_COLUMNS}`,
      [
        id,
        workspaceId,
        input.source_id,
        input.name,
        def.type,
        stored.config,
        stored.secret_config,
        stored.secret_keys,
        input.target_schema,
        JSON.stringify(selected),
        input.sync_mode,
        input.schedule ? normalizeCron(input.schedule) : null,
        input.status ?? 'active',
        p.accountId,
      ],
    );
    return this.toView(rows[0]!);
  }

  async update(workspaceId: string, id: string, patch: UpdateLoaderInput): Promise<LoaderView> {
    const row = await this.row(this.db, workspaceId, id);
    const def = this.definition(row.loader_type);
    const codec = codecOf(def.type);
    const current = this.fullConfig(row);
    const config = patch.config === undefined ? current : codec.merge(current, patch.config);
    codec.validate(config);
    const merged = {
      source_id: patch.source_id ?? row.source_id,
      target_schema: patch.target_schema ?? row.target_schema,
      selected_streams: patch.selected_streams ?? row.selected_streams,
      sync_mode: patch.sync_mode ?? row.sync_mode,
      schedule: patch.schedule === undefined ? row.schedule : patch.schedule,
    };
    // A connection is only needed when what it would validate changed.
    const checkStreams = patch.config !== undefined || patch.selected_streams !== undefined || patch.sync_mode !== undefined;
    const selected = await this.validate(workspaceId, def, config, merged, checkStreams);
    const stored = codec.seal(this.box, loaderAad(id), config);
    // Resuming (or any status set by hand) clears the error and the failure count.
    const status = patch.status ?? row.status;
    const { rows } = await this.db.query<LoaderRow>(
      `UPDATE loaders SET name = $3, source_id = $4, config = $5, secret_config = $6, secret_keys = $7, target_schema = $8,
              selected_streams = $9, sync_mode = $10, schedule = $11, status = $12,
              status_error = CASE WHEN $13 THEN '' ELSE status_error END,
              consecutive_failures = CASE WHEN $13 THEN 0 ELSE consecutive_failures END,
              updated_at = now()
        WHERE id = $1 AND workspace_id = $2 RETURNING ${LOADER_COLUMNS}`,
      [
        id,
        workspaceId,
        patch.name ?? row.name,
        merged.source_id,
        stored.config,
        stored.secret_config,
        stored.secret_keys,
        merged.target_schema,
        JSON.stringify(selected),
        merged.sync_mode,
        merged.schedule ? normalizeCron(merged.schedule) : null,
        status,
        patch.status !== undefined,
      ],
    );
    return this.toView(rows[0]!);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await withTransaction(this.db, async (tx) => {
      await this.row(tx, workspaceId, id, true);
      const active = await this.activeRun(tx, id);
      if (active) throw new ConflictError(`the loader has a ${active.status} run (${active.id}); cancel it first`, { dependents: [{ kind: 'run', id: active.id, name: active.status }] });
      await tx.query('DELETE FROM loaders WHERE id = $1', [id]);
    });
  }

  private async activeRun(q: Queryable, loaderId: string): Promise<{ id: string; status: RunStatus } | undefined> {
    const { rows } = await q.query<{ id: string; status: RunStatus }>(`SELECT id, status FROM loader_runs WHERE loader_id = $1 AND status IN ('pending', 'running')`, [loaderId]);
    return rows[0];
  }

  /**
   * Creates a pending run and its queue job in one transaction (so neither exists without
   * the other). A loader has at most one pending or running run: the database enforces it.
   */
  async trigger(workspaceId: string, id: string, triggeredBy: string | null, scheduledFor: Date | null = null): Promise<RunView> {
    return withTransaction(this.db, async (tx) => {
      await this.row(tx, workspaceId, id, true);
      const active = await this.activeRun(tx, id);
      if (active) throw new ConflictError(`the loader already has a ${active.status} run: ${active.id}`, { dependents: [{ kind: 'run', id: active.id, name: active.status }] });
      const runId = crypto.randomUUID();
      await tx.query(`INSERT INTO loader_runs (id, loader_id, workspace_id, triggered_by, scheduled_for) VALUES ($1, $2, $3, $4, $5)`, [runId, id, workspaceId, triggeredBy, scheduledFor]);
      const jobId = await this.queue.enqueueRun(tx, runId);
      const { rows } = await tx.query<RunView>(`UPDATE loader_runs SET job_id = $2 WHERE id = $1 RETURNING ${RUN_COLUMNS}`, [runId, jobId]);
      await tx.query('UPDATE loaders SET last_run_at = now(), last_run_id = $2 WHERE id = $1', [id, runId]);
      return rows[0]!;
    });
  }

  async runs(workspaceId: string, loaderId: string, page: PageRequest): Promise<Page<RunView>> {
    await this.row(this.db, workspaceId, loaderId);
    const ks = keysetClause(page, 2, '', 'desc');
    const { rows } = await this.db.query<RunView>(
      `SELECT ${RUN_COLUMNS} FROM loader_runs WHERE loader_id = $1 AND ${ks.where} ORDER BY created_at DESC, id DESC LIMIT ${page.limit + 1}`,
      [loaderId, ...ks.params],
    );
    return toPage(rows, page.limit);
  }

  async run(workspaceId: string, loaderId: string, runId: string): Promise<RunView & { streams: RunStreamView[] }> {
    if (!isUuid(runId) || !isUuid(loaderId)) throw new NotFoundError('run not found');
    const { rows } = await this.db.query<RunView>(`SELECT ${RUN_COLUMNS} FROM loader_runs WHERE id = $1 AND loader_id = $2 AND workspace_id = $3`, [runId, loaderId, workspaceId]);
    if (!rows[0]) throw new NotFoundError('run not found');
    const streams = await this.db.query<RunStreamView>(
      `SELECT stream, status, sync_mode, rows_loaded, bytes, duration_ms, cursor, error_message FROM loader_run_streams WHERE run_id = $1 ORDER BY position`,
      [runId],
    );
    return { ...rows[0], streams: streams.rows };
  }

  /**
   * A pending run is cancelled at once (its job withdrawn). A running one is asked to stop:
   * its worker hears it within moments, discards what it staged, and ends it `cancelled`.
   * Waits a little for that, so the answer usually shows the final state.
   */
  async cancel(workspaceId: string, loaderId: string, runId: string, waitMs = 10_000): Promise<RunView & { streams: RunStreamView[] }> {
    const run = await this.run(workspaceId, loaderId, runId);
    if (run.status === 'pending') {
      const { rows } = await this.db.query<{ job_id: string | null }>(
        `UPDATE loader_runs SET status = 'cancelled', completed_at = now(), error_message = 'cancelled before it started'
          WHERE id = $1 AND status = 'pending' RETURNING job_id`,
        [runId],
      );
      if (rows[0]?.job_id) await this.queue.cancelJob(rows[0].job_id).catch(() => undefined);
    } else if (run.status === 'running') {
      await this.db.query(`UPDATE loader_runs SET cancel_requested_at = COALESCE(cancel_requested_at, now()) WHERE id = $1`, [runId]);
      await this.db.query(`SELECT pg_notify('quarry_invalidate', $1)`, [`run-cancel:${runId}`]);
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline) {
        const { rows } = await this.db.query<{ status: RunStatus }>('SELECT status FROM loader_runs WHERE id = $1', [runId]);
        if (rows[0]?.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } else {
      throw new ConflictError(`the run already ended (${run.status})`);
    }
    return this.run(workspaceId, loaderId, runId);
  }
}
