/**
 * The two servers of the Sources API benchmark, each in its own process:
 *   ours <database-url>   the real app (auth, Postgres, masking, serialisation)
 *   bare <body-file>      a bare Fastify route answering the same bytes, the ceiling
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { createPool } from '../src/store/db.js';
import { SecretBox } from '../src/secrets/secret-box.js';
import { JobQueue } from '../src/jobs/queue.js';

const [mode, arg, keyB64] = process.argv.slice(2);
const announce = (port: number) => process.stdout.write(`listening ${port}\n`);
// Exit cleanly on SIGINT so profilers (--cpu-prof) can write their output.
process.on('SIGINT', () => process.exit(0));

if (mode === 'ours') {
  const db = createPool(arg!, 10);
  const logger = createLogger('info', fs.createWriteStream('/dev/null'));
  const queue = await JobQueue.start(arg!, logger, { schedule: false });
  // Request logging stays on, as in production, into /dev/null.
  const app = await buildApp({ db, box: new SecretBox(Buffer.from(keyB64!, 'base64')), logger, queue });
  await app.listen({ port: 0, host: '127.0.0.1' });
  announce((app.server.address() as { port: number }).port);
} else {
  const { list, created } = JSON.parse(fs.readFileSync(arg!, 'utf8')) as { list: string; created: string };
  const app = Fastify({ bodyLimit: 1024 * 1024 });
  app.get('/api/v1/workspaces/:id/sources', async (_req, reply) => reply.type('application/json').send(list));
  app.post('/api/v1/workspaces/:id/sources', async (req, reply) => {
    void crypto.randomUUID(); // the bare route still parses the body (Fastify does) and answers the same bytes
    void req.body;
    return reply.code(201).type('application/json').send(created);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  announce((app.server.address() as { port: number }).port);
}
