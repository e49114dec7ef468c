/**
 * Connection-test latency: time from request to the first SSE byte and to the `done` event,
 * over 100 sequential tests, for a passing PostgreSQL test and a DNS-failure test; baseline in
 * the same run: a plain `pg` connect + SELECT 1 + end. Run: npm run bench:connection-test
 */
import crypto from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { createPool } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { TenancyService } from '../src/tenancy/service.js';
import { print, spawnServer, table } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const ADMIN = process.env.QUARRY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `quarry_bench_${crypto.randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN);
url.pathname = `/${name}`;
const target = new URL(ADMIN);

function stats(label: string, values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { case: label, runs: s.length, 'median ms': at(0.5).toFixed(2), 'p99 ms': at(0.99).toFixed(2) };
}

let server: { kill(): void } | undefined;
try {
  const db = createPool(url.toString(), 2);
  await migrate(db);
  const boot = (await new TenancyService(db).bootstrap())!;
  await db.end();
  const ours = await spawnServer('bench/sources-servers.ts', ['ours', url.toString(), crypto.randomBytes(32).toString('base64')]);
  server = ours.proc;
  const endpoint = `http://127.0.0.1:${ours.port}/api/v1/workspaces/${boot.workspaceId}/sources/test`;
  const pgConfig = { host: target.hostname, port: Number(target.port || 5432), database: target.pathname.slice(1) || 'postgres', username: target.username || 'postgres', sslmode: 'disable' };

  async function sse(config: Record<string, unknown>): Promise<{ first: number; done: number; success: boolean }> {
    const t0 = performance.now();
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${boot.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source_type: 'postgres', config }),
    });
    let first = 0;
    let text = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!first) first = performance.now() - t0;
      text += Buffer.from(chunk).toString();
      if (text.includes('event: done')) break;
    }
    const done = performance.now() - t0;
    return { first, done, success: /"success":true/.test(text) };
  }

  async function baseline(): Promise<number> {
    const t0 = performance.now();
    const c = new pg.Client({ host: pgConfig.host, port: pgConfig.port, database: pgConfig.database, user: pgConfig.username });
    await c.connect();
    await c.query('SELECT 1');
    await c.end();
    return performance.now() - t0;
  }

  // warm up every path once
  await sse(pgConfig);
  await sse({ ...pgConfig, host: 'nonexistent.invalid' });
  await baseline();

  const passFirst: number[] = [];
  const passDone: number[] = [];
  const dnsFirst: number[] = [];
  const dnsDone: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await sse(pgConfig);
    if (!p.success) throw new Error('the passing test failed');
    passFirst.push(p.first);
    passDone.push(p.done);
    const d = await sse({ ...pgConfig, host: 'nonexistent.invalid' });
    dnsFirst.push(d.first);
    dnsDone.push(d.done);
    base.push(await baseline());
  }
  print(`\nConnection test latency, ${os.cpus().length} cores, ${RUNS} sequential runs each\n`);
  print(
    table([
      stats('postgres pass: first SSE byte', passFirst),
      stats('postgres pass: done', passDone),
      stats('DNS failure: first SSE byte', dnsFirst),
      stats('DNS failure: done', dnsDone),
      stats('baseline: pg connect + SELECT 1 + end', base),
    ]),
  );
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  print(`\npassing test done / baseline (medians): ${(median(passDone) / median(base)).toFixed(2)}x`);
} finally {
  server?.kill();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
