import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';
import { SecretBox, resolveKey } from '../secrets/secret-box.js';
import { type Db, createPool } from './db.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded.js';
import { migrate } from './migrate.js';

export interface Store {
  db: Db;
  /** Where the metadata database is (for the job queue's own pool). */
  url: string;
  box: SecretBox;
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Connects to the metadata store (DATABASE_URL, or the embedded server under QUARRY_HOME),
 * brings its schema up to date and loads the secret key.
 */
export async function openStore(config: Config, log: Logger, opts: { applicationName?: string } = {}): Promise<Store> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.home, log);
    url = embedded.url;
  }
  const db = createPool(url, config.dbPoolMax, opts.applicationName);
  try {
    await migrate(db, log);
    const key = await resolveKey(config.secretKey, config.home);
    if (key.origin === 'file-created') log.info({ file: key.file }, 'created a new secret key file (keep it: stored secrets need it)');
    if (key.origin !== 'env' && config.databaseUrl) {
      log.warn({ file: key.file }, 'QUARRY_SECRET_KEY is not set: using the key file; every process sharing this database needs the same key');
    }
    const box = new SecretBox(key.key);
    await checkKey(db, box);
    return {
      db,
      url,
      box,
      embedded: embedded !== undefined,
      close: async () => {
        await db.end();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await db.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

/**
 * The store remembers the fingerprint of the key its secrets were sealed with, so a
 * process started with another key stops at once instead of failing on every source later.
 */
async function checkKey(db: Db, box: SecretBox): Promise<void> {
  await db.query(`INSERT INTO quarry_settings (key, value) VALUES ('secret_key_fingerprint', $1) ON CONFLICT (key) DO NOTHING`, [box.fingerprint]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM quarry_settings WHERE key = 'secret_key_fingerprint'`);
  if (rows[0]?.value !== box.fingerprint) {
    throw new ConfigError(
      'the secret key differs from the one this metadata store was set up with (fingerprint mismatch); start Quarry with the original QUARRY_SECRET_KEY or key file',
    );
  }
}
