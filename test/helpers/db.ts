import crypto from 'node:crypto';
import pg from 'pg';
import { createPool, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { PG_ADMIN_URL } from './services.js';

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A uniquely named, migrated database on the local server, dropped by `drop()`. */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `quarry_test_${crypto.randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createPool(url.toString(), 10, 'quarry-test');
  if (opts.migrate !== false) await migrate(db);
  return {
    name,
    url: url.toString(),
    db,
    drop: async () => {
      await db.end().catch(() => undefined);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
