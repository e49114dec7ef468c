// Child-process script for the self-test: after close() nothing may keep Node alive,
// not even a request the fake was still delaying.
import { setTimeout as sleep } from 'node:timers/promises';
import { connectClient } from './client.js';
import { startFakeDatabricks } from './server.js';

const fake = await startFakeDatabricks();
const client = await connectClient(fake);
const session = await client.openSession({ initialCatalog: 'main', initialSchema: 'default' });
const op = await session.executeStatement('SELECT 1 AS one', { runAsync: true });
await op.fetchAll();
await op.close();
await session.close();

fake.delayMs = 60_000;
const seen = fake.requests.length;
const pending = client.openSession().catch(() => undefined);
while (fake.requests.length === seen) await sleep(10);
await fake.close();
await pending;
await client.close();
process.stdout.write('closed\n');
