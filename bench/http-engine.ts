/**
 * The HTTP connector engine against a local fake returning 100 records a page with zero
 * latency (in its own process), side by side with a plain `fetch` loop that only parses the
 * same pages: the physical limit of this path. The engine's side is what a load does before
 * the warehouse: paging, records to rows, CSV encoding. Memory is sampled while 1,000,000
 * records go through. Run: npm run bench:http-engine
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

async function engine(): Promise<{ seconds: number; records: number; bytes: number; memory: number[] }> {
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
    bytes += encodeCsv(event.rows, types).length; // what the engine hands the warehouse
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

try {
  await baseline(); // warm both paths on a fresh server
  const b = await baseline();
  const e = await engine();
  print(`\nHTTP engine, ${os.cpus().length} cores, ${RECORDS} records, 100 per page, zero latency\n`);
  print(
    table([
      { case: 'plain fetch loop (parse only)', records: b.records, seconds: b.seconds.toFixed(2), 'records/s': Math.round(b.records / b.seconds) },
      { case: 'Quarry HTTP engine (page, rows, CSV)', records: e.records, seconds: e.seconds.toFixed(2), 'records/s': Math.round(e.records / e.seconds) },
    ]),
  );
  print(`\nengine / loop: ${(b.seconds / e.seconds).toFixed(2)}x (goal >= 0.7)`);
  print(`RSS (MB) at each tenth of the records: ${e.memory.join(', ')}`);
  if (e.records !== RECORDS || b.records !== RECORDS) throw new Error('record counts differ');
} finally {
  fake.proc.kill('SIGINT');
}
