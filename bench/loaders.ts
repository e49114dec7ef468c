/**
 * Loader throughput on a 5,000,000-row table (~100 bytes a row), side by side in one run with
 * the physical baselines:
 *   postgres -> postgres   vs  psql COPY TO STDOUT | psql COPY FROM STDIN
 *   postgres -> duckdb     (same baseline: the copy pipe is the floor of any load)
 *   mysql    -> postgres   vs  pgloader (Debian's package)
 * Quarry runs in a separate `quarry worker` process (the compiled build, as in production),
 * fresh for each case, so its peak RSS (VmHWM) is measured alone; a 1,000,000-row case shows
 * whether memory grows with rows. A run's time is its own (started -> completed, as recorded);
 * the queue's pickup delay is shown apart.
 * Run: npm run bench:loaders   (BENCH_ROWS=... to change the size)
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createLogger } from '../src/logger.js';
import { createPool } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { TenancyService } from '../src/tenancy/service.js';
import { SourcesService } from '../src/sources/service.js';
import { LoadersService } from '../src/loaders/service.js';
import { SecretBox } from '../src/secrets/secret-box.js';
import { JobQueue } from '../src/jobs/queue.js';
import { NetworkPolicy } from '../src/net/policy.js';
import { ROOT, print, table } from './lib.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const SMALL = Math.min(ROWS, 1_000_000);
const PG = new URL(process.env.QUARRY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const run = promisify(execFile);
const tag = crypto.randomBytes(3).toString('hex');
const names = { meta: `qb_meta_${tag}`, src: `qb_src_${tag}`, dst: `qb_dst_${tag}`, mysql: `qb_src_${tag}` };
const admin = new pg.Client({ connectionString: PG.toString() });
const dbUrl = (db: string) => Object.assign(new URL(PG.toString()), { pathname: `/${db}` }).toString();
const log = createLogger('warn');

interface Result {
  case: string;
  rows: number;
  seconds: number;
  peakRssMb?: number;
  pickupMs?: number;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function sh(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function peakRss(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function main(): Promise<void> {
  await run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  await admin.connect();
  for (const db of [names.meta, names.src, names.dst]) await admin.query(`CREATE DATABASE ${db}`);
  const my = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-bench-'));
  const key = crypto.randomBytes(32);
  const results: Result[] = [];
  let worker: ChildProcess | undefined;
  try {
    // ~100 bytes a row as CSV: id, name, amount, created_at, flag, note
    const src = new pg.Client({ connectionString: dbUrl(names.src) });
    await src.connect();
    for (const [tbl, n] of [['big', ROWS], ['small', SMALL]] as const) {
      await src.query(`CREATE TABLE ${tbl} (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), created_at timestamptz NOT NULL, flag boolean, note text)`);
      await src.query(`INSERT INTO ${tbl} SELECT g, 'customer name ' || g, (g % 100000) / 100.0, '2024-01-01'::timestamptz + g * interval '1 second', g % 2 = 0, md5(g::text) FROM generate_series(1, ${n}) g`);
    }
    await src.end();
    await my.query(`CREATE DATABASE ${names.mysql}; USE ${names.mysql};
      CREATE TABLE big (id bigint PRIMARY KEY, name varchar(64) NOT NULL, amount decimal(12,2), created_at datetime(6) NOT NULL, flag tinyint(1), note varchar(64));
      INSERT INTO big SELECT seq, CONCAT('customer name ', seq), (seq % 100000) / 100.0, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND, seq % 2 = 0, MD5(seq) FROM seq_1_to_${ROWS};`);

    // Quarry's metadata, sources and loaders, driven in-process; runs execute in a worker process.
    const db = createPool(dbUrl(names.meta), 4);
    await migrate(db);
    const tenancy = new TenancyService(db);
    const boot = (await tenancy.bootstrap())!;
    const principal = await tenancy.authenticate(boot.token);
    const box = new SecretBox(key);
    const sources = new SourcesService(db, box);
    const queue = await JobQueue.start(dbUrl(names.meta), log, { schedule: false });
    const loaders = new LoadersService(db, box, { policy: new NetworkPolicy('default'), home, log, discoveryTimeoutMs: 60_000 }, queue);
    const pgDest = await sources.create(principal, boot.workspaceId, { name: 'pg', source_type: 'postgres', config: { host: PG.hostname, port: Number(PG.port || 5432), database: names.dst, username: PG.username || 'postgres', sslmode: 'disable' } });
    const duckDest = await sources.create(principal, boot.workspaceId, { name: 'duck', source_type: 'duckdb', config: { database: 'bench' } });
    const pgSource = { host: PG.hostname, port: Number(PG.port || 5432), database: names.src, username: PG.username || 'postgres', sslmode: 'disable' };

    async function quarry(label: string, loaderType: string, config: Record<string, unknown>, dest: string, stream: string, rows: number) {
      const loader = await loaders.create(principal, boot.workspaceId, {
        name: label,
        loader_type: loaderType,
        source_id: dest,
        config,
        target_schema: `b_${results.length}`,
        selected_streams: [{ name: stream }],
        sync_mode: 'full_refresh',
      });
      worker = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'worker'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: dbUrl(names.meta), QUARRY_SECRET_KEY: key.toString('base64'), QUARRY_HOME: home, QUARRY_WORKER_CONCURRENCY: '1', LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      await new Promise((r) => setTimeout(r, 3000)); // let it start and poll
      const r = await loaders.trigger(boot.workspaceId, loader.id, null);
      let run: { status: string; error_message: string; created_at: Date; started_at: Date | null; completed_at: Date | null };
      for (;;) {
        run = (await db.query<typeof run>('SELECT status, error_message, created_at, started_at, completed_at FROM loader_runs WHERE id = $1', [r.id])).rows[0]!;
        if (run.status !== 'pending' && run.status !== 'running') break;
        await new Promise((res) => setTimeout(res, 100));
      }
      if (run.status !== 'completed') throw new Error(`${label}: ${run.status} ${run.error_message}`);
      const seconds = (run.completed_at!.getTime() - run.started_at!.getTime()) / 1000;
      const pickupMs = run.started_at!.getTime() - run.created_at.getTime();
      const peak = await peakRss(worker.pid!);
      worker.kill('SIGTERM');
      await new Promise((r) => worker!.once('exit', r));
      results.push({ case: label, rows, seconds, peakRssMb: peak, pickupMs });
    }

    const dst = dbUrl(names.dst);
    results.push({ case: 'baseline: psql COPY | psql COPY (pg -> pg)', rows: ROWS, seconds: await timed(async () => {
      await sh(`psql -q "${dst}" -c "CREATE TABLE copy_pipe (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), created_at timestamptz NOT NULL, flag boolean, note text)"`);
      await sh(`psql -q "${dbUrl(names.src)}" -c "COPY big TO STDOUT" | psql -q "${dst}" -c "COPY copy_pipe FROM STDIN"`);
    }) });
    await quarry('quarry postgres -> postgres', 'postgresql', pgSource, pgDest.id, 'big', ROWS);
    await quarry('quarry postgres -> postgres (1M rows, memory check)', 'postgresql', pgSource, pgDest.id, 'small', SMALL);
    await quarry('quarry postgres -> duckdb', 'postgresql', pgSource, duckDest.id, 'big', ROWS);
    results.push({ case: 'baseline: pgloader (mysql -> pg)', rows: ROWS, seconds: await timed(async () => {
      await run('pgloader', ['--quiet', '--with', 'prefetch rows = 100000', `mysql://root@127.0.0.1:3306/${names.mysql}`, `${dst}`], { maxBuffer: 1 << 26 });
    }) });
    await quarry('quarry mysql -> postgres', 'mysql', { host: '127.0.0.1', port: 3306, database: names.mysql, username: 'root', sslmode: 'disable' }, pgDest.id, 'big', ROWS);

    print(`\nLoader throughput, ${os.cpus().length} cores, full refresh, ~100 bytes/row\n`);
    print(table(results.map((r) => ({ case: r.case, rows: r.rows, seconds: r.seconds.toFixed(1), 'rows/s': Math.round(r.rows / r.seconds), 'peak RSS MB': r.peakRssMb ? r.peakRssMb.toFixed(0) : '-', 'queue pickup ms': r.pickupMs ?? '-' }))));
    const rate = (label: string) => { const r = results.find((x) => x.case.startsWith(label))!; return r.rows / r.seconds; };
    print(`\npostgres -> postgres / COPY pipe: ${(rate('quarry postgres -> postgres') / rate('baseline: psql')).toFixed(2)}x (goal >= 0.8)`);
    print(`postgres -> duckdb   / COPY pipe: ${(rate('quarry postgres -> duckdb') / rate('baseline: psql')).toFixed(2)}x`);
    print(`mysql -> postgres    / pgloader:  ${(rate('quarry mysql') / rate('baseline: pgloader')).toFixed(2)}x (goal >= 2)`);
    await queue.stop();
    await db.end();
  } finally {
    worker?.kill('SIGKILL');
    for (const d of [names.meta, names.src, names.dst]) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await my.query(`DROP DATABASE IF EXISTS ${names.mysql}`).catch(() => undefined);
    await my.end();
    await fs.rm(home, { recursive: true, force: true });
  }
}

await main();
