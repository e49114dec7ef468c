/** A zero-latency paginated JSON API for bench/http-engine.ts: 100 records a page, cursor paging. */
import http from 'node:http';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const after = Number(url.searchParams.get('after') ?? 0);
  const limit = Number(url.searchParams.get('limit') ?? 100);
  const data = [];
  for (let id = after + 1; id <= Math.min(TOTAL, after + limit); id++) {
    data.push({
      id,
      name: `customer ${id}`,
      email: `customer${id}@example.com`,
      amount: id * 1.25,
      active: id % 2 === 0,
      created_at: '2024-01-15T09:30:00.000Z',
      updated_at: '2024-02-01T10:00:00.000Z',
      tags: ['vip', `segment-${id % 7}`],
      address: { city: 'Lisbon', zip: `${1000 + (id % 9000)}` },
    });
  }
  const last = data[data.length - 1]?.id;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data, next: last !== undefined && last < TOTAL ? String(last) : null }));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
process.on('SIGINT', () => process.exit(0));
