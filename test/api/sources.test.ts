import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { secretFieldsOf, validConfigs } from '../helpers/fixtures.js';
import { MASK } from '../../src/secrets/secret-fields.js';
import { clearDependentsCache } from '../../src/store/dependents.js';

let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await setupApp();
  base = `/api/v1/workspaces/${t.workspaceId}/sources`;
});
afterAll(async () => t.close());

const SOURCE_FIELDS = [
  'id',
  'workspace_id',
  'name',
  'source_type',
  'config',
  'connection_id',
  'status',
  'status_error',
  'created_by',
  'created_at',
  'updated_at',
  'last_test_results',
  'last_test_succeeded',
  'last_tested_at',
].sort();

async function create(type: string, overrides: Record<string, unknown> = {}) {
  const res = await t.request('POST', base, { body: { name: `My ${type}`, source_type: type, config: validConfigs[type], ...overrides } });
  expect(res.statusCode, res.body).toBe(201);
  return json(res);
}

describe('Sources API: happy paths', () => {
  for (const type of Object.keys(validConfigs)) {
    it(`creates, gets, lists, updates and deletes a ${type} source`, async () => {
      const created = await create(type);
      expect(Object.keys(created).sort()).toEqual(SOURCE_FIELDS);
      expect(created).toMatchObject({ workspace_id: t.workspaceId, source_type: type, status: 'pending', status_error: '', connection_id: null });
      expect(created).toMatchObject({ last_test_results: null, last_test_succeeded: null, last_tested_at: null });
      for (const f of secretFieldsOf[type]!) expect(created.config[f]).toBe(MASK);
      expect(new Date(created.created_at).toISOString()).toBe(created.created_at);

      const got = json(await t.request('GET', `${base}/${created.id}`));
      expect(got).toEqual(created);

      const list = await t.request('GET', base);
      expect(list.statusCode).toBe(200);
      expect(Array.isArray(list.json())).toBe(true);
      expect((list.json() as { id: string }[]).map((s) => s.id)).toContain(created.id);

      const put = await t.request('PUT', `${base}/${created.id}`, { body: { name: `Renamed ${type}` } });
      expect(put.statusCode, put.body).toBe(200);
      expect(json(put).name).toBe(`Renamed ${type}`);
      expect(json(put).config).toEqual(created.config);

      const del = await t.request('DELETE', `${base}/${created.id}`);
      expect(del.statusCode).toBe(200);
      expect(del.json()).toEqual({ status: 'deleted' });
      expect((await t.request('GET', `${base}/${created.id}`)).statusCode).toBe(404);
    });
  }

  it('fills schema defaults into the stored config', async () => {
    const created = await create('postgres', { config: { host: 'db.internal', database: 'dw', username: 'u', password: 'p-SECRET' } });
    expect(created.config).toEqual({ host: 'db.internal', port: 5432, database: 'dw', schema: 'public', username: 'u', password: MASK, sslmode: 'prefer' });
  });

  it('GET -> edit -> PUT round-trips: the masked secret keeps the stored one, status goes back to pending', async () => {
    const created = await create('snowflake');
    await t.database.db.query(`UPDATE sources SET status = 'connected' WHERE id = $1`, [created.id]);
    const got = json(await t.request('GET', `${base}/${created.id}`));
    expect(got.status).toBe('connected');
    const edited = { ...got.config, warehouse: 'LARGE_WH' };
    const put = json(await t.request('PUT', `${base}/${created.id}`, { body: { config: edited } }));
    expect(put.config).toEqual(edited);
    expect(put.status).toBe('pending');
    const { rows } = await t.database.db.query('SELECT secret_config FROM sources WHERE id = $1', [created.id]);
    const secrets = JSON.parse(t.box.open(rows[0].secret_config, `sources:${created.id}`));
    expect(secrets).toEqual({ password: validConfigs.snowflake!.password });
  });

  it('a name-only update keeps the status; a new secret replaces the stored one', async () => {
    const created = await create('databricks');
    await t.database.db.query(`UPDATE sources SET status = 'connected' WHERE id = $1`, [created.id]);
    expect(json(await t.request('PUT', `${base}/${created.id}`, { body: { name: 'x' } })).status).toBe('connected');
    const put = json(await t.request('PUT', `${base}/${created.id}`, { body: { config: { token: 'dapi-NEW-SECRET' } } }));
    expect(put.status).toBe('pending');
    expect(put.config.token).toBe(MASK);
    expect(put.config.http_path).toBe(validConfigs.databricks!.http_path);
    const { rows } = await t.database.db.query('SELECT secret_config FROM sources WHERE id = $1', [created.id]);
    expect(JSON.parse(t.box.open(rows[0].secret_config, `sources:${created.id}`))).toEqual({ token: 'dapi-NEW-SECRET' });
  });

  it('PUT config: null removes an optional field; switching Snowflake to key-pair auth works', async () => {
    const created = await create('snowflake');
    const key = '-----BEGIN PRIVATE KEY-----\nMIIE-SECRET\n-----END PRIVATE KEY-----';
    const put = await t.request('PUT', `${base}/${created.id}`, { body: { config: { password: null, private_key: key, role: null } } });
    expect(put.statusCode, put.body).toBe(200);
    expect(json(put).config).not.toHaveProperty('password');
    expect(json(put).config).not.toHaveProperty('role');
    expect(json(put).config.private_key).toBe(MASK);
  });

  it('pages with limit and cursor, announcing the next page in a Link header', async () => {
    const ws = json(await t.request('POST', '/api/v1/workspaces', { body: { name: 'paging' } }));
    const url = `/api/v1/workspaces/${ws.id}/sources`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.request('POST', url, { body: { name: `s${i}`, source_type: 'duckdb', config: { database: `db${i}` } } });
      ids.push(json(res).id);
    }
    const seen: string[] = [];
    let next: string | undefined = `${url}?limit=2`;
    let pages = 0;
    while (next) {
      const res = await t.request('GET', next);
      expect(res.statusCode).toBe(200);
      seen.push(...(res.json() as { id: string }[]).map((s) => s.id));
      const link = res.headers.link as string | undefined;
      next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
    const all = await t.request('GET', url);
    expect(all.headers.link).toBeUndefined();
    expect((all.json() as unknown[]).length).toBe(5);
  });
});

describe('Sources API: bad input', () => {
  const problem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return res.json() as { status: number; detail: string; errors?: { field: string; message: string }[] };
  };

  it('requires name, source_type and config, naming each', async () => {
    const res = await t.request('POST', base, { body: {} });
    expect(res.statusCode).toBe(422);
    expect(problem(res).errors!.map((e) => e.field).sort()).toEqual(['config', 'name', 'source_type']);
  });

  it('rejects an unknown source_type with a hint', async () => {
    const res = await t.request('POST', base, { body: { name: 'x', source_type: 'snowflak', config: {} } });
    expect(res.statusCode).toBe(422);
    expect(problem(res).errors).toEqual([{ field: 'source_type', message: expect.stringContaining('did you mean "snowflake"?') }]);
  });

  it('rejects unknown config fields with a did-you-mean hint', async () => {
    const res = await t.request('POST', base, {
      body: { name: 'x', source_type: 'snowflake', config: { ...validConfigs.snowflake, warehose: 'X' } },
    });
    expect(res.statusCode).toBe(422);
    expect(problem(res).errors).toEqual([{ field: 'config.warehose', message: 'is not a known field; did you mean "warehouse"?' }]);
  });

  it('rejects unknown top-level fields', async () => {
    const res = await t.request('POST', base, { body: { name: 'x', source_type: 'duckdb', config: { database: 'a' }, nmae: 'y' } });
    expect(res.statusCode).toBe(422);
    expect(problem(res).errors).toEqual([{ field: 'nmae', message: 'is not a known field; did you mean "name"?' }]);
  });

  it('enforces required config fields per type', async () => {
    const { password: _p, account: _a, ...rest } = validConfigs.snowflake!;
    const res = await t.request('POST', base, { body: { name: 'x', source_type: 'snowflake', config: rest } });
    expect(res.statusCode).toBe(422);
    const errors = problem(res).errors!;
    expect(errors).toContainEqual({ field: 'config.account', message: 'is required' });
    expect(errors).toContainEqual({ field: 'config.password', message: 'is required (or one of: password, private_key)' });
  });

  it('checks types, patterns and semantic rules of configs', async () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['postgres', { ...validConfigs.postgres, port: '5432' }, 'config.port', /must be an integer/],
      ['postgres', { ...validConfigs.postgres, port: 70000 }, 'config.port', /must be <= 65535/],
      ['postgres', { ...validConfigs.postgres, sslmode: 'requir' }, 'config.sslmode', /did you mean "require"/],
      ['duckdb', { database: '../etc/passwd' }, 'config.database', /a file name/],
      ['bigquery', { ...validConfigs.bigquery, credentials_json: 'not json' }, 'config.credentials_json', /does not parse as JSON/],
      ['bigquery', { ...validConfigs.bigquery, project_id: 'Bad_Project' }, 'config.project_id', /Google Cloud project id/],
      ['databricks', { ...validConfigs.databricks, host: 'https://adb.example.com' }, 'config.host', /host name without scheme/],
      ['snowflake', { ...validConfigs.snowflake, password: '' }, 'config.password', /must not be empty/],
    ];
    for (const [type, config, field, message] of cases) {
      const res = await t.request('POST', base, { body: { name: 'x', source_type: type, config } });
      expect(res.statusCode, `${type} ${field}`).toBe(422);
      const err = problem(res).errors!.find((e) => e.field === field);
      expect(err?.message, JSON.stringify(problem(res).errors)).toMatch(message);
    }
  });

  it('never echoes a secret in a validation error', async () => {
    const res = await t.request('POST', base, {
      body: { name: 'x', source_type: 'bigquery', config: { ...validConfigs.bigquery, credentials_json: '{"type":"user","secret":"LEAKY-SECRET"}' } },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).not.toContain('LEAKY-SECRET');
  });

  it('refuses the mask as a new secret, and the mask for a secret never stored', async () => {
    const res = await t.request('POST', base, { body: { name: 'x', source_type: 'postgres', config: { ...validConfigs.postgres, password: MASK } } });
    expect(res.statusCode).toBe(422);
    expect(problem(res).errors![0]!.field).toBe('config.password');
    const created = await create('postgres', { config: { host: 'h', database: 'd', username: 'u' } });
    const put = await t.request('PUT', `${base}/${created.id}`, { body: { config: { password: MASK } } });
    expect(put.statusCode).toBe(422);
    expect(problem(put).errors![0]).toEqual({ field: 'config.password', message: expect.stringContaining('no value is stored') });
  });

  it('rejects a PUT that would make the config invalid, leaving the source unchanged', async () => {
    const created = await create('postgres');
    const res = await t.request('PUT', `${base}/${created.id}`, { body: { name: 'changed', config: { host: null } } });
    expect(res.statusCode).toBe(422);
    expect(problem(res).errors).toEqual([{ field: 'config.host', message: 'is required' }]);
    expect(json(await t.request('GET', `${base}/${created.id}`))).toEqual(created);
  });

  it('checks connection_id: unknown, malformed, other organization, other type', async () => {
    const cases = ['8f7c1a52-0000-4000-8000-000000000000', 'not-a-uuid'];
    for (const connection_id of cases) {
      const res = await t.request('POST', base, { body: { name: 'x', source_type: 'duckdb', config: { database: 'a' }, connection_id } });
      expect(res.statusCode).toBe(422);
      expect(problem(res).errors).toEqual([{ field: 'connection_id', message: 'does not name a shared connection of this organization' }]);
    }
    const otherOrg = await t.tenancy.createOrganization('other');
    const foreign = '11111111-1111-4111-8111-111111111111';
    await t.database.db.query(`INSERT INTO connections (id, organization_id, name, connection_type) VALUES ($1, $2, 'theirs', 'duckdb')`, [foreign, otherOrg]);
    const res = await t.request('POST', base, { body: { name: 'x', source_type: 'duckdb', config: { database: 'a' }, connection_id: foreign } });
    expect(res.statusCode).toBe(422);

    const mine = '22222222-2222-4222-8222-222222222222';
    await t.database.db.query(`INSERT INTO connections (id, organization_id, name, connection_type) VALUES ($1, $2, 'ours', 'snowflake')`, [mine, t.organizationId]);
    const wrongType = await t.request('POST', base, { body: { name: 'x', source_type: 'duckdb', config: { database: 'a' }, connection_id: mine } });
    expect(problem(wrongType).errors).toEqual([{ field: 'connection_id', message: 'names a snowflake connection, but source_type is duckdb' }]);
    const ok = await t.request('POST', base, { body: { name: 'x', source_type: 'snowflake', config: validConfigs.snowflake, connection_id: mine } });
    expect(ok.statusCode).toBe(201);
    expect(json(ok).connection_id).toBe(mine);
  });

  it('validates limit and cursor', async () => {
    for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'cursor=bogus', 'color=red']) {
      const res = await t.request('GET', `${base}?${q}`);
      expect(res.statusCode, q).toBe(422);
      expect(problem(res).errors![0]!.field).toBe(q.split('=')[0]);
    }
  });

  it('answers 404 for unknown and malformed source ids', async () => {
    for (const id of ['6b1d3f0e-1111-4222-8333-444455556666', 'nope']) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const res = await t.request(method, `${base}/${id}`, method === 'PUT' ? { body: { name: 'x' } } : {});
        expect(res.statusCode).toBe(404);
        expect(problem(res).detail).toBe('source not found');
      }
    }
  });

  it('refuses to delete a source others depend on, naming them', async () => {
    const created = await create('duckdb');
    await t.database.db.query(`CREATE TABLE test_syncs (id uuid PRIMARY KEY, name text NOT NULL, source_id uuid REFERENCES sources(id))`);
    clearDependentsCache();
    await t.database.db.query(`INSERT INTO test_syncs VALUES ('33333333-3333-4333-8333-333333333333', 'nightly orders', $1)`, [created.id]);
    const res = await t.request('DELETE', `${base}/${created.id}`);
    expect(res.statusCode).toBe(409);
    const body = problem(res) as { detail: string; dependents?: unknown };
    expect(body.detail).toContain('1 test_sync ("nightly orders" (33333333-3333-4333-8333-333333333333))');
    expect(body.dependents).toEqual([{ kind: 'test_sync', id: '33333333-3333-4333-8333-333333333333', name: 'nightly orders' }]);
    expect((await t.request('GET', `${base}/${created.id}`)).statusCode).toBe(200);
    await t.database.db.query('DROP TABLE test_syncs');
    clearDependentsCache();
    expect((await t.request('DELETE', `${base}/${created.id}`)).statusCode).toBe(200);
  });
});
