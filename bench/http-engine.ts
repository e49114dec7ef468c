/**
 * The HTTP connector engine against a local fake returning 100 records a page with zero
 * latency (in its own process), side by side with a plain `fetch` loop that only parses the
 * same pages: the physical limit of this path. The engine's side is the HTTP connector engine
 * (paging, records to rows); a third case adds the run engine's CSV encoding, the rest of what a
 * load does before the warehouse. Memory is sampled while 1,000,000 records go through.
 * Run: npm run bench:http-engine
 */
import os from 'node:os';
import { fetch, Agent } from 'undici';
import { createLogger } from '../src/logger.js';
import { NetworkPolicy } from '../src/net/policy.js';
import { openOperation } from '../src/warehouses/context.js';
import { restApi } from '../src/connectors/rest_api/definition.js';
import { ConfigCodec } from '../src/secrets/config-codec.js';
import { encodeCsv } from '../src/engine/csv.js';
import { print, spawnServer, table } from './lib.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const fake = await spawnServer('bench/http-fake.ts', [String(RECORDS)]);
const base = `http://127.0.0.1:${fake.port}`;

function rss(): number {
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

async function baseline(): Promise<{ seconds: number; records: number }> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const t0 = performance.now();
  let after: string | null = '0';
  let records = 0;
  while (after !== null) {
    const res = await fetch(`${base}/items?after=${after}&limit=100`, { dispatcher: agent });
    const body = (await res.json()) as { data: unknown[]; next: string | null };
    records += body.data.length;
    after = body.next;
  }
  await agent.close();
  return { seconds: (performance.now() - t0) / 1000, records };
}

async function engine(csv: boolean): Promise<{ seconds: number; records: number; bytes: number; memory: number[] }> {
  const config = {
    base_url: base,
    streams: [
      {
        name: 'items',
        path: '/items',
        records_path: 'data',
        paginator: { type: 'cursor', cursor_path: 'next', cursor_param: 'after', size_param: 'limit', size: 100 },
        columns: [
          { name: 'id', type: 'integer' },
          { name: 'name', type: 'string' },
          { name: 'email', type: 'string' },
          { name: 'amount', type: 'number' },
          { name: 'active', type: 'boolean' },
          { name: 'created_at', type: 'timestamptz' },
          { name: 'updated_at', type: 'timestamptz' },
          { name: 'tags', type: 'json' },
          { name: 'address', type: 'json' },
        ],
      },
    ],
  } as Record<string, unknown>;
  new ConfigCodec(restApi).validate(config);
  const connector = await restApi.load();
  const op = openOperation({ policy: new NetworkPolicy('default'), home: os.tmpdir(), log: createLogger('silent') });
  const [stream] = await connector.discover(config, op.ctx);
  const types = stream!.columns.map((c) => c.type);
  const memory: number[] = [];
  let records = 0;
  let bytes = 0;
  let nextSample = RECORDS / 10;
  const t0 = performance.now();
  for await (const event of connector.read(config, { stream: stream!, mode: 'full_refresh', cursorField: null, cursor: null }, op.ctx)) {
    if (event.type !== 'rows') continue;
    if (csv) bytes += encodeCsv(event.rows, types).length; // what the run engine hands the warehouse
    records += event.rows.length;
    if (records >= nextSample) {
      memory.push(rss());
      nextSample += RECORDS / 10;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  await op.close();
  return { seconds, records, bytes, memory };
}

// Timings on a shared 2-core machine drift by tens of percent between minutes: the cases
// alternate, round after round, and the ratio reported is the median of the rounds' ratios.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
try {
  await baseline(); // warm both paths on a fresh server
  const rows: Record<string, string | number>[] = [];
  let memory: number[] = [];
  const ratios: number[] = [];
  const withCsv: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await baseline();
    const e = await engine(false);
    const c = await engine(true);
    if (e.records !== RECORDS || b.records !== RECORDS || c.records !== RECORDS) throw new Error('record counts differ');
    const row = (name: string, r: { seconds: number; records: number }) => ({ round, case: name, records: r.records, seconds: r.seconds.toFixed(2), 'records/s': Math.round(r.records / r.seconds) });
    rows.push(row('plain fetch loop (parse only)', b), row('HTTP engine (pages -> rows)', e), row('HTTP engine + CSV encoding', c));
    ratios.push(b.seconds / e.seconds);
    withCsv.push(b.seconds / c.seconds);
    memory = c.memory;
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  print(`\nHTTP engine, ${os.cpus().length} cores, ${RECORDS} records, 100 per page, zero latency, ${ROUNDS} alternating rounds\n`);
  print(table(rows));
  print(`\nengine / loop per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}x (goal >= 0.7)`);
  print(`engine + CSV / loop per round: ${withCsv.map((r) => r.toFixed(2)).join(', ')}; median ${median(withCsv).toFixed(2)}x`);
  print(`RSS (MB) at each tenth of the records, last round: ${memory.join(', ')}`);
} finally {
  fake.proc.kill('SIGINT');
}
