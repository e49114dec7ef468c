import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { Invalidation } from '../store/invalidation.js';
import { executeRun, finishRun } from '../engine/run.js';
import { ConflictError } from '../lib/errors.js';
import { previousOccurrence } from '../lib/cron.js';
import { LoadersService, type LoaderSettings } from '../loaders/service.js';
import { JobQueue } from './queue.js';

export interface RuntimeOptions {
  /** Runs executed at once by this process; 0 makes it an API-only process. */
  concurrency: number;
  leaseMs: number;
  maxConsecutiveFailures: number;
}

export interface RuntimeDeps {
  db: Db;
  databaseUrl: string;
  box: SecretBox;
  settings: LoaderSettings;
  log: Logger;
}

/** Cron occurrences older than this when first seen (Quarry was down) are not run late. */
const MISSED_TICK_GRACE_MS = 5 * 60_000;

/**
 * The background half of Quarry, in `quarry serve` and `quarry worker`: the job queue, the
 * workers that execute runs, the per-minute scheduler tick and the reaper of runs whose worker
 * died. Any number of processes can run it against one metadata database.
 */
export class Runtime {
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Set<Promise<void>>();
  private reaper: NodeJS.Timeout | undefined;
  readonly loaders: LoadersService;

  private constructor(
    private readonly deps: RuntimeDeps,
    private readonly opts: RuntimeOptions,
    readonly queue: JobQueue,
    private readonly invalidation: Invalidation,
  ) {
    this.loaders = new LoadersService(deps.db, deps.box, deps.settings, queue);
  }

  static async start(deps: RuntimeDeps, opts: RuntimeOptions): Promise<Runtime> {
    const queue = await JobQueue.start(deps.databaseUrl, deps.log, { schedule: true });
    const invalidation = new Invalidation(deps.db, deps.log);
    await invalidation.start();
    const rt = new Runtime(deps, opts, queue, invalidation);
    invalidation.subscribe((topic) => {
      if (topic.startsWith('run-cancel:')) rt.running.get(topic.slice('run-cancel:'.length))?.abort('cancel');
    });
    await queue.workTicks(async () => void (await rt.tick()));
    if (opts.concurrency > 0) {
      await queue.workRuns(opts.concurrency, (runId, jobId) => rt.execute(runId, jobId));
      rt.reaper = setInterval(() => void rt.reap().catch((err: Error) => deps.log.warn({ err: err.message }, 'reaper failed')), Math.max(1000, opts.leaseMs / 3));
      rt.reaper.unref();
    }
    return rt;
  }

  private async execute(runId: string, jobId: string): Promise<void> {
    const controller = new AbortController();
    this.running.set(runId, controller);
    const work = executeRun(
      {
        db: this.deps.db,
        box: this.deps.box,
        settings: this.deps.settings,
        log: this.deps.log,
        heartbeatMs: Math.max(200, this.opts.leaseMs / 6),
        maxConsecutiveFailures: this.opts.maxConsecutiveFailures,
      },
      runId,
      jobId,
      controller,
    )
      .catch((err: Error) => this.deps.log.error({ err, runId }, 'run crashed'))
      .finally(() => this.running.delete(runId));
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /**
   * One scheduler tick (pg-boss sends it once a minute cluster-wide). For each active loader
   * whose cron had an occurrence since the last one it ran for, claim that occurrence
   * (a conditional update only one process can win) and create its run.
   */
  async tick(now = new Date()): Promise<number> {
    const { rows } = await this.deps.db.query<{ id: string; workspace_id: string; schedule: string; last_scheduled_for: Date | null; created_at: Date }>(
      `SELECT id, workspace_id, schedule, last_scheduled_for, created_at FROM loaders WHERE status = 'active' AND schedule IS NOT NULL`,
    );
    let created = 0;
    for (const l of rows) {
      const due = previousOccurrence(l.schedule, now);
      if (due <= l.created_at || (l.last_scheduled_for && due <= l.last_scheduled_for) || now.getTime() - due.getTime() > MISSED_TICK_GRACE_MS) continue;
      const claim = await this.deps.db.query(
        `UPDATE loaders SET last_scheduled_for = $2 WHERE id = $1 AND (last_scheduled_for IS NULL OR last_scheduled_for < $2)`,
        [l.id, due],
      );
      if (!claim.rowCount) continue;
      try {
        await this.loaders.trigger(l.workspace_id, l.id, null, due);
        created++;
      } catch (err) {
        if (err instanceof ConflictError) this.deps.log.info({ loaderId: l.id, due }, `scheduled run skipped: ${err.message}`);
        else throw err;
      }
    }
    return created;
  }

  /** Fails runs whose worker stopped sending heartbeats (killed, or lost its database). */
  async reap(): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ id: string; loader_id: string; heartbeat_at: Date }>(
      `SELECT id, loader_id, heartbeat_at FROM loader_runs WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1)`,
      [this.opts.leaseMs / 1000],
    );
    for (const r of rows) {
      if (this.running.has(r.id)) continue; // ours and alive: its heartbeat is just late
      await this.deps.db.query(`UPDATE loader_run_streams SET status = 'failed', error_message = 'the worker stopped' WHERE run_id = $1 AND status IN ('pending', 'running')`, [r.id]);
      await finishRun({ db: this.deps.db, maxConsecutiveFailures: this.opts.maxConsecutiveFailures }, r.id, r.loader_id, 'failed', {
        errorMessage: `the worker running it stopped responding (last heartbeat ${r.heartbeat_at.toISOString()}); the next run resumes from the last committed state`,
      });
      this.deps.log.warn({ runId: r.id }, 'run failed: its worker stopped responding');
    }
    return rows.map((r) => r.id);
  }

  /** Stops taking work; runs in progress are aborted (they end failed and resume next time). */
  async stop(): Promise<void> {
    clearInterval(this.reaper);
    for (const c of this.running.values()) c.abort('shutdown');
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, 20_000).unref())]);
    await this.queue.stop();
    await this.invalidation.stop();
  }
}
