import os from 'node:os';
import type { Db } from '../store/db.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { ConfigCodec } from '../secrets/config-codec.js';
import { findConnector } from '../connectors/registry.js';
import type { StreamSchema, SyncMode } from '../connectors/types.js';
import { findWarehouse } from '../warehouses/registry.js';
import type { StreamWriter, WarehouseWriter } from '../warehouses/types.js';
import { type OperationSettings, openOperation } from '../warehouses/context.js';
import { type SelectedStream, codecOf, loaderAad } from '../loaders/service.js';
import { encodeCsv } from './csv.js';

export interface RunDeps {
  db: Db;
  box: SecretBox;
  settings: OperationSettings;
  log: Logger;
  /** How often a running run proves its worker alive (and checks for a cancel request). */
  heartbeatMs: number;
  /** Failed runs in a row after which a loader is set to `error`. */
  maxConsecutiveFailures: number;
}

export class RunCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** A table name for a stream: lower case, letters, digits and underscores. */
export function tableName(stream: string): string {
  const t = stream
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (/^[a-z_]/.test(t) ? t : `s_${t}`).slice(0, 50) || 'stream';
}

interface LoaderForRun {
  id: string;
  workspace_id: string;
  loader_type: string;
  config: Record<string, unknown>;
  secret_config: string | null;
  secret_keys: string[];
  target_schema: string;
  selected_streams: SelectedStream[];
  source_id: string;
}

/**
 * Executes one run: for each selected stream, extract -> stage -> commit (swap or merge,
 * with the stream's cursor in the same warehouse transaction). Streams are independent: one
 * failing is recorded and the others go on. Memory stays bounded: data flows through in the
 * connector's chunks, with backpressure from the warehouse.
 */
export async function executeRun(deps: RunDeps, runId: string, jobId: string, controller: AbortController): Promise<void> {
  const { db, log } = deps;
  const claimed = await db.query<{ loader_id: string }>(
    `UPDATE loader_runs SET status = 'running', started_at = now(), heartbeat_at = now(), worker = $2, job_id = COALESCE(job_id, $3)
      WHERE id = $1 AND status = 'pending' RETURNING loader_id`,
    [runId, `${os.hostname()}:${process.pid}`, jobId],
  );
  if (!claimed.rows[0]) return; // cancelled before it started, or already taken

  const loader = (await db.query<LoaderForRun>(`SELECT id, workspace_id, loader_type, config, secret_config, secret_keys, target_schema, selected_streams, source_id FROM loaders WHERE id = $1`, [claimed.rows[0].loader_id])).rows[0]!;
  const runLog = log.child({ runId, loaderId: loader.id });

  // Heartbeat: proves the worker alive (the reaper fails runs whose heartbeat stops) and
  // picks up a cancel request even if its notification was missed.
  const heartbeat = setInterval(() => {
    db.query<{ cancel: boolean }>(`UPDATE loader_runs SET heartbeat_at = now() WHERE id = $1 RETURNING cancel_requested_at IS NOT NULL AS cancel`, [runId])
      .then((r) => {
        if (r.rows[0]?.cancel) controller.abort('cancel');
      })
      .catch((err: Error) => runLog.warn({ err: err.message }, 'heartbeat failed'));
  }, deps.heartbeatMs);

  const op = openOperation(deps.settings, controller.signal);
  // The warehouse connection is not cut by a cancel: it must stay up to drop what was staged.
  const writerOp = openOperation(deps.settings);
  let writer: WarehouseWriter | undefined;
  const errors: string[] = [];
  let rowsLoaded = 0;
  let failed = 0;
  let cancelled = false;
  const selected = loader.selected_streams;
  await db.query('UPDATE loader_runs SET streams_total = $2 WHERE id = $1', [runId, selected.length]);
  await db.query(
    `INSERT INTO loader_run_streams (run_id, stream, position, status, sync_mode) SELECT $1, s.name, s.ord, 'pending', s.mode
       FROM unnest($2::text[], $3::int[], $4::text[]) AS s(name, ord, mode)`,
    [runId, selected.map((s) => s.name), selected.map((_, i) => i), selected.map((s) => s.sync_mode)],
  );

  try {
    const connectorDef = findConnector(loader.loader_type);
    if (!connectorDef) throw new Error(`loader type ${loader.loader_type} is not available in this Quarry build`);
    const source = (await db.query<{ id: string; source_type: string; config: Record<string, unknown>; secret_config: string | null; secret_keys: string[] }>(
      'SELECT id, source_type, config, secret_config, secret_keys FROM sources WHERE id = $1',
      [loader.source_id],
    )).rows[0]!;
    const warehouseDef = findWarehouse(source.source_type);
    if (!warehouseDef?.loadable) throw new Error(`cannot load into a ${source.source_type} source`);
    const warehouseConfig = new ConfigCodec(warehouseDef).open(deps.box, `sources:${source.id}`, source);
    new ConfigCodec(warehouseDef).validate(warehouseConfig); // fills defaults
    const config = codecOf(loader.loader_type).open(deps.box, loaderAad(loader.id), loader);
    codecOf(loader.loader_type).validate(config);

    const connector = await connectorDef.load();
    const driver = await warehouseDef.load();
    writer = await driver.openWriter!(warehouseConfig, writerOp.ctx);
    await writer.ensureSchema(loader.target_schema);
    const running = (await db.query<{ id: string }>(`SELECT id FROM loader_runs WHERE status = 'running'`)).rows.map((r) => r.id);
    await writer.cleanup(loader.target_schema, running);
    const streams = new Map<string, StreamSchema>((connectorDef.streams ?? (await connector.discover(config, op.ctx))).map((s) => [s.name, s]));

    for (const choice of selected) {
      if (controller.signal.aborted) {
        cancelled = true;
        break;
      }
      const started = Date.now();
      let bytes = 0;
      let sw: StreamWriter | undefined;
      await db.query(`UPDATE loader_run_streams SET status = 'running' WHERE run_id = $1 AND stream = $2`, [runId, choice.name]);
      try {
        const stream = streams.get(choice.name);
        if (!stream) throw new Error(`the stream no longer exists at the source`);
        const mode: SyncMode = choice.sync_mode;
        const cursorField = mode === 'incremental' ? (choice.cursor_field ?? stream.cursorField) : null;
        const primaryKey = choice.primary_key ?? stream.primaryKey;
        const table = tableName(stream.name);
        const state = mode === 'incremental' ? await writer.readState(loader.target_schema, table, stream.name) : null;
        sw = await writer.begin({ schema: loader.target_schema, table, stream: stream.name, columns: stream.columns, primaryKey, mode, runId });
        const types = stream.columns.map((c) => c.type);
        let cursor: string | null = state;
        for await (const event of connector.read(config, { stream, mode, cursorField, cursor: state }, op.ctx)) {
          if (controller.signal.aborted) throw new RunCancelled();
          if (event.type === 'state') cursor = event.cursor;
          else if (event.type === 'deleted') {
            if (mode === 'incremental') sw.markDeleted(event.keys); // a full refresh rebuilds without them anyway
          } else {
            const data = event.type === 'csv' ? event.data : encodeCsv(event.rows, types);
            bytes += data.length;
            await sw.write(data);
          }
        }
        if (controller.signal.aborted) throw new RunCancelled();
        runLog.debug({ stream: choice.name, bytes, ms: Date.now() - started }, 'stream staged');
        const { rows } = await sw.commit(mode === 'incremental' ? cursor : null);
        rowsLoaded += rows;
        await db.query(
          `UPDATE loader_run_streams SET status = 'completed', rows_loaded = $3, bytes = $4, duration_ms = $5, cursor = $6 WHERE run_id = $1 AND stream = $2`,
          [runId, choice.name, rows, bytes, Date.now() - started, mode === 'incremental' ? cursor : null],
        );
        if (mode === 'incremental') {
          await db.query(
            `INSERT INTO loader_stream_state (loader_id, stream, cursor, run_id, updated_at) VALUES ($1, $2, $3, $4, now())
             ON CONFLICT (loader_id, stream) DO UPDATE SET cursor = EXCLUDED.cursor, run_id = EXCLUDED.run_id, updated_at = now()`,
            [loader.id, choice.name, cursor, runId],
          );
        }
        await db.query('UPDATE loader_runs SET rows_loaded = $2 WHERE id = $1', [runId, rowsLoaded]);
        runLog.info({ stream: choice.name, rows, bytes, ms: Date.now() - started }, 'stream loaded');
      } catch (err) {
        await sw?.abort().catch(() => undefined);
        const wasCancel = controller.signal.aborted;
        const message = wasCancel ? 'cancelled' : (err as Error).message;
        await db.query(`UPDATE loader_run_streams SET status = $3, duration_ms = $4, bytes = $5, error_message = $6 WHERE run_id = $1 AND stream = $2`, [
          runId,
          choice.name,
          wasCancel ? 'cancelled' : 'failed',
          Date.now() - started,
          bytes,
          wasCancel ? '' : message,
        ]);
        if (wasCancel) {
          cancelled = true;
          break;
        }
        failed++;
        errors.push(`stream ${choice.name}: ${message}`);
        runLog.warn({ stream: choice.name, err: message }, 'stream failed');
      }
    }
  } catch (err) {
    if (controller.signal.aborted) cancelled = true;
    else {
      errors.push((err as Error).message);
      failed = Math.max(failed, 1);
      runLog.warn({ err: (err as Error).message }, 'run failed before its streams');
    }
  } finally {
    clearInterval(heartbeat);
    await writer?.close().catch(() => undefined);
    await op.close();
    await writerOp.close();
  }

  // An abort is a user's cancel, or this worker shutting down: the latter is a failure the
  // next run recovers from (it resumes from the last committed state).
  const shutdown = cancelled && controller.signal.reason === 'shutdown';
  if (cancelled) {
    await db.query(`UPDATE loader_run_streams SET status = 'cancelled' WHERE run_id = $1 AND status = 'pending'`, [runId]);
  }
  const status = shutdown ? 'failed' : cancelled ? 'cancelled' : failed ? 'failed' : 'completed';
  const message = shutdown ? 'the worker was shut down during the run; the next run resumes from the last committed state' : cancelled ? 'cancelled' : errors.join('; ');
  await finishRun(deps, runId, loader.id, status, { rowsLoaded, streamsFailed: failed, errorMessage: message });
}

/** Ends a run and updates its loader: a run of failures in a row puts the loader in `error`. */
export async function finishRun(
  deps: Pick<RunDeps, 'db' | 'maxConsecutiveFailures'>,
  runId: string,
  loaderId: string,
  status: 'completed' | 'failed' | 'cancelled',
  figures: { rowsLoaded?: number; streamsFailed?: number; errorMessage: string },
): Promise<void> {
  const { db } = deps;
  const ended = await db.query(
    `UPDATE loader_runs SET status = $2, completed_at = now(), rows_loaded = COALESCE($3, rows_loaded), streams_failed = COALESCE($4, streams_failed), error_message = $5
      WHERE id = $1 AND status IN ('pending', 'running') RETURNING id`,
    [runId, status, figures.rowsLoaded ?? null, figures.streamsFailed ?? null, figures.errorMessage.slice(0, 4000)],
  );
  if (!ended.rowCount) return; // someone else ended it (the reaper, a cancel of a pending run)
  if (status === 'completed') {
    await db.query(`UPDATE loaders SET consecutive_failures = 0, status_error = CASE WHEN status = 'error' THEN status_error ELSE '' END WHERE id = $1`, [loaderId]);
  } else if (status === 'failed') {
    await db.query(
      `UPDATE loaders SET consecutive_failures = consecutive_failures + 1,
              status = CASE WHEN consecutive_failures + 1 >= $2 AND status = 'active' THEN 'error' ELSE status END,
              status_error = CASE WHEN consecutive_failures + 1 >= $2 THEN $3 ELSE status_error END
        WHERE id = $1`,
      [loaderId, deps.maxConsecutiveFailures, `${deps.maxConsecutiveFailures} runs failed in a row; last: ${figures.errorMessage.slice(0, 1000)}`],
    );
  }
}
