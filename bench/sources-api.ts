/**
 * Sources API throughput: GET /sources (100 sources) and POST /sources under concurrent load
 * (autocannon, 20 connections, 10 s each), side by side with a bare Fastify route that
 * answers the same bytes, in the same run. Run: npm run bench:sources
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createPool } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { TenancyService } from '../src/tenancy/service.js';
import { SourcesService } from '../src/sources/service.js';
import { SecretBox } from '../src/secrets/secret-box.js';
import { load, print, spawnServer, table } from './lib.js';

const ADMIN = process.env.QUARRY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `quarry_bench_${crypto.randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN);
url.pathname = `/${name}`;
const dbUrl = url.toString();
const key = crypto.randomBytes(32);
const procs: { kill(): void }[] = [];

try {
  const db = createPool(dbUrl, 4);
  await migrate(db);
  const tenancy = new TenancyService(db);
  const boot = (await tenancy.bootstrap())!;
  const sources = new SourcesService(db, new SecretBox(key));
  const principal = await tenancy.authenticate(boot.token);
  for (let i = 0; i < 100; i++) {
    await sources.create(principal, boot.workspaceId, {
      name: `Source ${i}`,
      source_type: 'snowflake',
      config: { account: 'xy12345.us-east-1', warehouse: 'COMPUTE_WH', database: 'ANALYTICS', schema: 'PUBLIC', username: 'cdp_user', password: `pw-${i}` },
    });
  }
  await db.end();

  const ours = await spawnServer('bench/sources-servers.ts', ['ours', dbUrl, key.toString('base64')]);
  procs.push(ours.proc);
  const listPath = `/api/v1/workspaces/${boot.workspaceId}/sources`;
  const headers = { authorization: `Bearer ${boot.token}`, 'content-type': 'application/json' };
  const list = await (await fetch(`http://127.0.0.1:${ours.port}${listPath}`, { headers })).text();
  const createBody = JSON.stringify({
    name: 'Bench source',
    source_type: 'snowflake',
    config: { account: 'xy12345.us-east-1', warehouse: 'COMPUTE_WH', database: 'ANALYTICS', username: 'cdp_user', password: 'secure_password' },
  });
  const created = await (await fetch(`http://127.0.0.1:${ours.port}${listPath}`, { method: 'POST', headers, body: createBody })).text();
  if (JSON.parse(list).length !== 100) throw new Error('expected 100 sources');
  const bodyFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-bench-')), 'bodies.json');
  await fs.writeFile(bodyFile, JSON.stringify({ list, created }));
  const bare = await spawnServer('bench/sources-servers.ts', ['bare', bodyFile]);
  procs.push(bare.proc);

  const results = [];
  // warm-up both, then measure alternately
  for (const port of [ours.port, bare.port]) await load('warmup', { url: `http://127.0.0.1:${port}${listPath}`, headers, duration: 2 });
  results.push(await load('GET /sources (100) quarry', { url: `http://127.0.0.1:${ours.port}${listPath}`, headers }));
  results.push(await load('GET /sources (100) bare', { url: `http://127.0.0.1:${bare.port}${listPath}`, headers }));
  results.push(await load('POST /sources quarry', { url: `http://127.0.0.1:${ours.port}${listPath}`, method: 'POST', headers, body: createBody }));
  results.push(await load('POST /sources bare', { url: `http://127.0.0.1:${bare.port}${listPath}`, method: 'POST', headers, body: createBody }));

  print(`\nSources API, ${os.cpus().length} cores, list body ${list.length} bytes, autocannon 20 connections x 10 s\n`);
  print(table(results.map((r) => ({ case: r.label, 'req/s': r.rps, 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors + r.non2xx }))));
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  print(`\nGET  ratio quarry/bare: ${ratio(results[0]!.rps, results[1]!.rps)} (goal >= 0.50)`);
  print(`POST ratio quarry/bare: ${ratio(results[2]!.rps, results[3]!.rps)}`);
  if (results.some((r) => r.errors + r.non2xx > 0)) throw new Error('some requests failed');
} finally {
  for (const p of procs) p.kill();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
