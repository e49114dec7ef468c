import pg from 'pg';

/** The local services every machine (and CI) runs. Overridable for other setups. */
export const PG_ADMIN_URL = process.env.QUARRY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function assertPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    // Never a silent skip: the suite needs a real PostgreSQL.
    throw new Error(`the tests need PostgreSQL at ${PG_ADMIN_URL} (set QUARRY_TEST_PG_URL): ${(err as Error).message}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}
