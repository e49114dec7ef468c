import PgBoss from 'pg-boss';
import type { Logger } from '../logger.js';
import type { Queryable } from '../store/db.js';

export const RUN_QUEUE = 'quarry.loader-run';
export const TICK_QUEUE = 'quarry.scheduler-tick';

/**
 * The job queue, on the metadata PostgreSQL (pg-boss, in its own `pgboss` schema). Runs are
 * jobs; the scheduler is one pg-boss cron schedule that fires once a minute across however
 * many processes are up, and each tick creates the runs that are due.
 */
export class JobQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly log: Logger,
  ) {}

  static async start(connectionString: string, log: Logger, opts: { schedule: boolean }): Promise<JobQueue> {
    const boss = new PgBoss({
      connectionString,
      schema: 'pgboss',
      max: 4,
      application_name: 'quarry-queue',
      // pg-boss's cron checks run where scheduling is on; a tick is still sent once cluster-wide
      schedule: opts.schedule,
      cronMonitorIntervalSeconds: 10,
      cronWorkerIntervalSeconds: 2,
    });
    boss.on('error', (err: Error) => log.error({ err: err.message }, 'job queue error'));
    await boss.start();
    // Workers report their own liveness (heartbeats, see engine/worker.ts), so a long run
    // must not be expired by the queue, and a failed run is never retried behind the user's back.
    await boss.createQueue(RUN_QUEUE, { name: RUN_QUEUE, retryLimit: 0, expireInSeconds: 12 * 3600 });
    await boss.createQueue(TICK_QUEUE, { name: TICK_QUEUE, retryLimit: 0, expireInSeconds: 300 });
    if (opts.schedule) await boss.schedule(TICK_QUEUE, '* * * * *', {}, { tz: 'UTC' });
    return new JobQueue(boss, log);
  }

  /** Enqueues inside the caller's transaction: the job exists exactly when the run does. */
  async enqueueRun(tx: Queryable, runId: string): Promise<string> {
    const id = await this.boss.send(RUN_QUEUE, { runId }, { db: { executeSql: (text: string, values: unknown[]) => tx.query(text, values) } });
    if (!id) throw new Error('the job queue did not accept the run');
    return id;
  }

  async cancelJob(jobId: string): Promise<void> {
    await this.boss.cancel(RUN_QUEUE, jobId);
  }

  async workRuns(concurrency: number, handler: (runId: string, jobId: string) => Promise<void>): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      await this.boss.work<{ runId: string }>(RUN_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
        if (job) await handler(job.data.runId, job.id);
      });
    }
  }

  async workTicks(handler: () => Promise<void>): Promise<void> {
    await this.boss.work(TICK_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async () => {
      try {
        await handler();
      } catch (err) {
        this.log.error({ err }, 'scheduler tick failed');
      }
    });
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  }
}
