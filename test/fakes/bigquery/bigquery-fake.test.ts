import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BigQuery, BigQueryDate, BigQueryDatetime, BigQueryTimestamp } from '@google-cloud/bigquery';
// `gaxios` imported from ESM resolves to gaxios' ESM build, whose Gaxios type google-auth-library's
// (CJS) JWTOptions.transporter rejects (TS2322). The CJS instance re-exported by google-auth-library fits.
import { JWT, gaxios } from 'google-auth-library';
import { type FakeBigQuery, type ServiceAccount, startFakeBigQuery } from './server.js';

const PROJECT = 'my-gcp-project';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The wiring the Quarry driver uses: a JWT client whose token request is redirected to the key's token_uri. */
function makeClient(fake: FakeBigQuery, account: ServiceAccount): BigQuery {
  const creds = JSON.parse(account.credentialsJson) as { client_email: string; private_key: string; private_key_id: string; token_uri: string };
  const transporter = new gaxios.Gaxios();
  transporter.interceptors.request.add({
    resolved: async (o) => {
      if (String(o.url) === GOOGLE_TOKEN_URL) o.url = new URL(creds.token_uri);
      return o;
    },
  });
  const authClient = new JWT({
    email: creds.client_email,
    key: creds.private_key,
    keyId: creds.private_key_id,
    scopes: ['https://www.googleapis.com/auth/bigquery'],
    transporter,
  });
  return new BigQuery({ projectId: PROJECT, apiEndpoint: fake.url, authClient, location: 'US' });
}

/** Runs fn and returns what it threw. */
async function failure(fn: () => Promise<unknown>): Promise<Error & { code?: unknown; errors?: { reason?: string; message?: string }[] }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: unknown; errors?: { reason?: string; message?: string }[] };
  }
  throw new Error('expected a failure');
}

describe('fake BigQuery server', () => {
  let fake: FakeBigQuery;
  let bq: BigQuery;

  beforeAll(async () => {
    fake = await startFakeBigQuery();
    bq = makeClient(fake, fake.serviceAccount);
  });
  afterAll(async () => {
    await fake?.close();
  });
  afterEach(() => {
    fake.deny.read = false;
    fake.deny.write = false;
    fake.delayMs = 0;
  });

  it('issues a token at token_uri and serves dataset metadata with it', async () => {
    const before = fake.requests.length;
    const [meta] = await bq.dataset('analytics').getMetadata();
    expect(meta).toMatchObject({
      kind: 'bigquery#dataset',
      id: `${PROJECT}:analytics`,
      datasetReference: { projectId: PROJECT, datasetId: 'analytics' },
      location: 'US',
    });
    const seen = fake.requests.slice(before);
    expect(seen).toContainEqual({ method: 'POST', path: '/token' });
    expect(seen).toContainEqual({ method: 'GET', path: `/bigquery/v2/projects/${PROJECT}/datasets/analytics` });
    expect(JSON.parse(fake.serviceAccount.credentialsJson)).toMatchObject({
      type: 'service_account',
      project_id: PROJECT,
      client_email: `quarry@${PROJECT}.iam.gserviceaccount.com`,
      token_uri: fake.tokenUri,
    });
  });

  it('rejects API calls without a valid bearer token', async () => {
    const url = `${fake.url}/bigquery/v2/projects/${PROJECT}/datasets/analytics`;
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 401, errors: [{ reason: 'required', message: 'Login Required.' }], status: 'UNAUTHENTICATED' } });
    const invalid = await fetch(url, { headers: { authorization: 'Bearer ya29.nope' } });
    expect(invalid.status).toBe(401);
    expect(await invalid.json()).toMatchObject({ error: { code: 401, errors: [{ reason: 'authError', message: 'Invalid Credentials' }], status: 'UNAUTHENTICATED' } });
  });

  it('runs the read check over INFORMATION_SCHEMA.TABLES', async () => {
    const empty = await bq.query({ query: `SELECT table_name FROM \`${PROJECT}.analytics\`.INFORMATION_SCHEMA.TABLES LIMIT 1`, location: 'US' });
    expect(empty[0]).toEqual([]);
    await fake.sql('CREATE TABLE analytics.events (id BIGINT, name VARCHAR)');
    const [rows] = await bq.query({ query: `SELECT table_name FROM \`${PROJECT}.analytics\`.INFORMATION_SCHEMA.TABLES LIMIT 1`, location: 'US' });
    expect(rows).toEqual([{ table_name: 'events' }]);
    const [cols] = await bq.query({
      query: `SELECT column_name, data_type FROM \`${PROJECT}\`.analytics.INFORMATION_SCHEMA.COLUMNS WHERE table_name = "events" ORDER BY ordinal_position`,
    });
    expect(cols).toEqual([
      { column_name: 'id', data_type: 'INT64' },
      { column_name: 'name', data_type: 'STRING' },
    ]);
    await fake.sql('DROP TABLE analytics.events');
  });

  it('creates and deletes the write-check table', async () => {
    const name = `_quarry_write_check_${Math.random().toString(16).slice(2, 10)}`;
    const [table] = await bq.dataset('analytics').createTable(name, { schema: [{ name: 'id', type: 'INTEGER' }] });
    expect(table.id).toBe(name);
    const [meta] = await table.getMetadata();
    expect(meta).toMatchObject({ id: `${PROJECT}:analytics.${name}`, type: 'TABLE', schema: { fields: [{ name: 'id', type: 'INTEGER', mode: 'NULLABLE' }] }, numRows: '0' });
    await table.delete();
    const [exists] = await bq.dataset('analytics').table(name).exists();
    expect(exists).toBe(false);
    expect(fake.requests).toContainEqual({ method: 'DELETE', path: `/bigquery/v2/projects/${PROJECT}/datasets/analytics/tables/${name}` });
  });

  it('loads rows with insertAll and reads them back with BigQuery types', async () => {
    const [table] = await bq.dataset('analytics').createTable('typed', {
      schema: [
        { name: 'id', type: 'INTEGER', mode: 'REQUIRED' },
        { name: 'name', type: 'STRING' },
        { name: 'score', type: 'FLOAT' },
        { name: 'active', type: 'BOOLEAN' },
        { name: 'amount', type: 'NUMERIC' },
        { name: 'created_at', type: 'TIMESTAMP' },
        { name: 'day', type: 'DATE' },
        { name: 'local', type: 'DATETIME' },
        { name: 'payload', type: 'JSON' },
        { name: 'tags', type: 'STRING', mode: 'REPEATED' },
        { name: 'address', type: 'RECORD', fields: [{ name: 'city', type: 'STRING' }, { name: 'zip', type: 'INTEGER' }] },
      ],
    });
    await table.insert([
      {
        id: 1, name: 'ada', score: 1.5, active: true, amount: '12.30', created_at: '2024-01-02T03:04:05.123456Z', day: '2024-01-02',
        local: '2024-01-02T03:04:05', payload: { a: 1 }, tags: ['x', 'y'], address: { city: 'Paris', zip: 75001 },
      },
      { id: 2, name: null, tags: [] },
    ]);
    const [rows] = await bq.query({ query: 'SELECT * FROM `my-gcp-project.analytics.typed` ORDER BY id' });
    expect(rows).toHaveLength(2);
    const first = rows[0] as Record<string, unknown>;
    expect(first).toMatchObject({ id: 1, name: 'ada', score: 1.5, active: true, tags: ['x', 'y'], address: { city: 'Paris', zip: 75001 }, payload: '{"a":1}' });
    expect(String(first.amount)).toBe('12.3');
    expect(first.created_at).toBeInstanceOf(BigQueryTimestamp);
    expect((first.created_at as BigQueryTimestamp).value).toBe('2024-01-02T03:04:05.123456000Z');
    expect(first.day).toBeInstanceOf(BigQueryDate);
    expect((first.day as BigQueryDate).value).toBe('2024-01-02');
    expect(first.local).toBeInstanceOf(BigQueryDatetime);
    expect((first.local as BigQueryDatetime).value).toBe('2024-01-02T03:04:05');
    expect(rows[1]).toMatchObject({ id: 2, name: null, tags: [], created_at: null });

    const [listed] = await table.getRows();
    expect(listed.map((r) => (r as { id: number }).id)).toEqual([1, 2]);

    // A bad row rejects the whole request (partial failure) unless skipInvalidRows.
    const partial = await failure(() => table.insert([{ id: 'x' }, { id: 3 }], { partialRetries: 0 }));
    expect(partial.name).toBe('PartialFailureError');
    expect(partial.errors?.[0]).toMatchObject({ errors: [{ reason: 'invalid' }] });
    expect(partial.errors?.[1]).toMatchObject({ errors: [{ reason: 'stopped' }] });
    const [count] = await bq.query('SELECT COUNT(*) AS n FROM analytics.typed');
    expect(count).toEqual([{ n: 2 }]);
    await table.delete();
  });

  it('supports DDL/DML, query parameters, pagination and query jobs', async () => {
    await bq.query('CREATE TABLE `my-gcp-project.analytics.nums` (n INT64, label STRING, ts TIMESTAMP)');
    const values = Array.from({ length: 25 }, (_, k) => `(${k + 1}, "n${k + 1}", TIMESTAMP '2024-01-01 00:00:00 UTC')`).join(', ');
    const [, , insertResponse] = await bq.query(`INSERT INTO analytics.nums (n, label, ts) VALUES ${values}`);
    expect(insertResponse).toMatchObject({ numDmlAffectedRows: '25' });
    const [paged] = await bq.query({ query: 'SELECT n FROM analytics.nums ORDER BY n', maxResults: 10 });
    expect(paged.map((r) => (r as { n: number }).n)).toEqual(Array.from({ length: 25 }, (_, k) => k + 1));

    const [named] = await bq.query({ query: 'SELECT label FROM analytics.nums WHERE n = @n AND label LIKE @p', params: { n: 7, p: 'n%' } });
    expect(named).toEqual([{ label: 'n7' }]);
    const [positional] = await bq.query({ query: 'SELECT n FROM analytics.nums WHERE n > ? ORDER BY n', params: [23] });
    expect(positional).toEqual([{ n: 24 }, { n: 25 }]);

    const [job] = await bq.createQueryJob({ query: 'SELECT MAX(n) AS top, MIN(ts) AS first_ts FROM analytics.nums', location: 'US' });
    const [jobRows] = await job.getQueryResults();
    expect(jobRows[0]).toMatchObject({ top: 25 });
    expect(((jobRows[0] as { first_ts: BigQueryTimestamp }).first_ts).value).toBe('2024-01-01T00:00:00.000Z');
    const [jobMeta] = await job.getMetadata();
    expect(jobMeta).toMatchObject({ status: { state: 'DONE' }, statistics: { query: { statementType: 'SELECT' } } });

    const badJob = await failure(() => bq.createQueryJob({ query: 'SELECT nope FROM analytics.nums' }));
    expect(badJob.errors?.[0]).toMatchObject({ reason: 'invalidQuery', message: 'Unrecognized name: nope' });

    await bq.query('DROP TABLE analytics.nums');
    const [tables] = await bq.dataset('analytics').getTables();
    expect(tables.map((t) => t.id)).not.toContain('nums');
  });

  it('surfaces an unknown dataset as a 404 ApiError', async () => {
    const err = await failure(() => bq.dataset('nope').getMetadata());
    expect(err.constructor.name).toBe('ApiError');
    expect(err.code).toBe(404);
    expect(err.errors?.[0]).toMatchObject({ reason: 'notFound', domain: 'global' });
    expect(err.message).toBe(`Not found: Dataset ${PROJECT}:nope`);

    const q = await failure(() => bq.query('SELECT * FROM `my-gcp-project.nope.t`'));
    expect(q.code).toBe(404);
    expect(q.message).toBe(`Not found: Dataset ${PROJECT}:nope was not found in location US`);
    const t = await failure(() => bq.query('SELECT * FROM `my-gcp-project.analytics.missing`'));
    expect(t.code).toBe(404);
    expect(t.message).toBe(`Not found: Table ${PROJECT}:analytics.missing was not found in location US`);
  });

  it('rejects a key it does not trust with invalid_grant', async () => {
    const untrusted = makeClient(fake, fake.untrustedServiceAccount);
    const err = await failure(() => untrusted.dataset('analytics').getMetadata());
    expect(err.message).toBe('invalid_grant: Invalid JWT Signature.');
    expect((err as { status?: number }).status).toBe(400);
  });

  it('simulates a missing read permission', async () => {
    fake.deny.read = true;
    const err = await failure(() => bq.query({ query: `SELECT table_name FROM \`${PROJECT}.analytics\`.INFORMATION_SCHEMA.TABLES LIMIT 1`, location: 'US' }));
    const table = `${PROJECT}:analytics.INFORMATION_SCHEMA.TABLES`;
    const message = `Access Denied: Table ${table}: User does not have permission to query table ${table}, or perhaps it does not exist.`;
    expect(err.code).toBe(403);
    expect(err.errors?.[0]).toMatchObject({ reason: 'accessDenied', message });
    expect(err.message).toBe(message);
    // Metadata stays readable.
    await expect(bq.dataset('analytics').getMetadata()).resolves.toBeDefined();
  });

  it('simulates a missing write permission', async () => {
    fake.deny.write = true;
    const err = await failure(() => bq.dataset('analytics').createTable('_quarry_write_check_00', { schema: [{ name: 'id', type: 'INTEGER' }] }));
    const message = `Access Denied: Dataset ${PROJECT}:analytics: Permission bigquery.tables.create denied on dataset ${PROJECT}:analytics (or it may not exist).`;
    expect(err.code).toBe(403);
    expect(err.errors?.[0]).toMatchObject({ reason: 'accessDenied', message });
    expect(err.message).toBe(message);
  });

  it('delays every response by delayMs', async () => {
    fake.delayMs = 150;
    const started = Date.now();
    await bq.dataset('analytics').getMetadata();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // The token request is delayed too.
    const fresh = makeClient(fake, fake.serviceAccount);
    const t0 = Date.now();
    await fresh.dataset('analytics').getMetadata();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });
});
