import type { Logger } from '../logger.js';
import { type Db } from './db.js';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

// Any constant works; it only has to be the same for every Quarry process.
const LOCK_KEY = 0x51_75_61_72; // "Quar"

/**
 * Applies pending migrations in order, each in its own transaction. A session-level advisory
 * lock makes concurrent start-ups (API + workers) take turns instead of racing.
 */
export async function migrate(db: Db, log?: Logger, migrations: Migration[] = allMigrations): Promise<number[]> {
  const client = await db.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS quarry_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM quarry_migrations');
    const done = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...done);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known) {
      throw new Error(`the metadata database is at migration ${newest}, newer than this Quarry build knows (${known}); upgrade Quarry`);
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO quarry_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
      log?.info({ version: m.version, name: m.name }, 'migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}

