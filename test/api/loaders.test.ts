import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createSource, pgLoaderConfig } from '../helpers/loaders.js';
import { MASK } from '../../src/secrets/secret-fields.js';

/** The Loaders API without workers: runs stay pending, so every state is observable. */
let t: TestApp;
let src: TestDatabase;
let dest: string;
let base: string;

const LOADER_FIELDS = [
  'id', 'workspace_id', 'source_id', 'name', 'loader_type', 'config', 'target_schema', 'selected_streams', 'sync_mode', 'schedule',
  'status', 'status_error', 'created_by', 'created_at', 'updated_at', 'last_run_at', 'last_run_id', 'next_run_at',
].sort();
const RUN_FIELDS = [
  'id', 'loader_id', 'workspace_id', 'status', 'started_at', 'completed_at', 'rows_loaded', 'streams_total', 'streams_failed',
  'error_message', 'triggered_by', 'job_id', 'created_at', 'scheduled_for', 'cancel_requested_at',
].sort();

beforeAll(async () => {
  t = await setupApp();
  src = await createTestDatabase({ migrate: false });
  await src.db.query(`
    CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2), updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE events (id int, payload jsonb);
    CREATE TABLE accounts (id int PRIMARY KEY, name text);
  `);
  dest = await createSource(t, { name: 'warehouse', source_type: 'duckdb', config: { database: 'dw' } });
  base = `/api/v1/workspaces/${t.workspaceId}/loaders`;
});
afterAll(async () => {
  await t?.close();
  await src?.drop();
});

const body = (over: Record<string, unknown> = {}) => ({
  name: 'Orders loader',
  loader_type: 'postgresql',
  source_id: dest,
  config: pgLoaderConfig(src, { password: 'pg-pass-SECRET' }),
  target_schema: 'RAW_ORDERS',
  selected_streams: [{ name: 'orders', sync_mode: 'incremental' }, { name: 'events', sync_mode: 'full_refresh' }],
  sync_mode: 'full_refresh',
  schedule: '0 */6 * * *',
  ...over,
});

const problem = (res: { statusCode: number; body: string }) => JSON.parse(res.body) as { detail: string; errors?: { field: string; message: string }[] };

describe('Loaders API: happy paths', () => {
  it('creates, gets, lists, updates and deletes a loader', async () => {
    const res = await t.request('POST', base, { body: body() });
    expect(res.statusCode, res.body).toBe(201);
    const loader = json(res);
    expect(Object.keys(loader).sort()).toEqual(LOADER_FIELDS);
    expect(loader).toMatchObject({
      workspace_id: t.workspaceId,
      source_id: dest,
      loader_type: 'postgresql',
      target_schema: 'RAW_ORDERS',
      sync_mode: 'full_refresh',
      schedule: '0 */6 * * *',
      status: 'active',
      status_error: '',
      last_run_at: null,
      last_run_id: null,
      selected_streams: [{ name: 'orders', sync_mode: 'incremental' }, { name: 'events', sync_mode: 'full_refresh' }],
    });
    expect(loader.config.password).toBe(MASK);
    expect(new Date(loader.next_run_at).getUTCHours() % 6).toBe(0);
    expect(res.body).not.toContain('pg-pass-SECRET');

    expect(json(await t.request('GET', `${base}/${loader.id}`))).toEqual(loader);
    const list = (await t.request('GET', base)).json() as { id: string }[];
    expect(list.map((l) => l.id)).toContain(loader.id);

    // pause: no next run; the masked password round-trips
    const put = await t.request('PUT', `${base}/${loader.id}`, { body: { name: 'Renamed', status: 'paused', config: loader.config } });
    expect(put.statusCode, put.body).toBe(200);
    expect(json(put)).toMatchObject({ name: 'Renamed', status: 'paused', next_run_at: null, config: loader.config });

    const del = await t.request('DELETE', `${base}/${loader.id}`);
    expect(del.json()).toEqual({ status: 'deleted' });
    expect((await t.request('GET', `${base}/${loader.id}`)).statusCode).toBe(404);
  });

  it('defaults a stream\'s sync mode to the loader\'s, and takes a stream\'s own cursor and key', async () => {
    const loader = json(await t.request('POST', base, { body: body({ selected_streams: [{ name: 'accounts' }, { name: 'events', sync_mode: 'incremental', cursor_field: 'id', primary_key: ['id'] }], schedule: null }) }));
    expect(loader.selected_streams).toEqual([
      { name: 'accounts', sync_mode: 'full_refresh' },
      { name: 'events', sync_mode: 'incremental', cursor_field: 'id', primary_key: ['id'] },
    ]);
    expect(loader.schedule).toBeNull();
    expect(loader.next_run_at).toBeNull();
  });

  it('lists loader types with config schema, secret fields and stream metadata', async () => {
    const types = (await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/loader-types`)).json() as Record<string, any>[];
    const pg = types.find((x) => x.loader_type === 'postgresql')!;
    expect(pg).toMatchObject({ secret_fields: ['password'], creatable_via_api: true, streams: null, streams_depend_on_config: true });
    expect(Object.keys(pg.config_schema.properties)).toEqual(expect.arrayContaining(['host', 'database', 'schemas']));
  });

  it('discovers streams with record schema, primary key, cursor and sync modes', async () => {
    const res = await t.request('POST', `${base}/discover`, { body: { loader_type: 'postgresql', config: pgLoaderConfig(src) } });
    expect(res.statusCode, res.body).toBe(200);
    const { check, streams } = json(res);
    expect(check).toMatch(/readable table/);
    const orders = streams.find((s: { name: string }) => s.name === 'orders');
    expect(orders).toMatchObject({
      primary_key: ['id'],
      cursor_field: 'updated_at',
      supported_sync_modes: ['full_refresh', 'incremental'],
      json_schema: { type: 'object', properties: { id: { type: 'integer' }, amount: { type: ['number', 'null'] }, updated_at: { type: 'string', format: 'date-time' } } },
    });
    expect(streams.find((s: { name: string }) => s.name === 'events').supported_sync_modes).toEqual(['full_refresh']);
  });

  it('lists a saved loader\'s streams with its selection', async () => {
    const loader = json(await t.request('POST', base, { body: body() }));
    const streams = (await t.request('GET', `${base}/${loader.id}/streams`)).json() as { name: string; selected: boolean; sync_mode: string | null }[];
    expect(streams.map((s) => [s.name, s.selected, s.sync_mode]).sort()).toEqual([
      ['accounts', false, null],
      ['events', true, 'full_refresh'],
      ['orders', true, 'incremental'],
    ]);
  });

  it('triggers a run (201), refuses a second one (409 naming it), lists and gets runs, cancels a pending run', async () => {
    const loader = json(await t.request('POST', base, { body: body() }));
    const res = await t.request('POST', `${base}/${loader.id}/trigger`);
    expect(res.statusCode, res.body).toBe(201);
    const run = json(res);
    expect(Object.keys(run).sort()).toEqual(RUN_FIELDS);
    expect(run).toMatchObject({ loader_id: loader.id, workspace_id: t.workspaceId, status: 'pending', rows_loaded: 0, triggered_by: expect.any(String), job_id: expect.any(String), completed_at: null });

    const again = await t.request('POST', `${base}/${loader.id}/trigger`);
    expect(again.statusCode).toBe(409);
    expect(problem(again).detail).toContain(run.id);

    const got = json(await t.request('GET', `${base}/${loader.id}`));
    expect(got).toMatchObject({ last_run_id: run.id, last_run_at: expect.any(String) });
    const runs = (await t.request('GET', `${base}/${loader.id}/runs`)).json() as { id: string }[];
    expect(runs.map((r) => r.id)).toEqual([run.id]);
    const detail = json(await t.request('GET', `${base}/${loader.id}/runs/${run.id}`));
    expect(detail).toMatchObject({ id: run.id, streams: [] });

    const del = await t.request('DELETE', `${base}/${loader.id}`);
    expect(del.statusCode).toBe(409);
    expect(problem(del).detail).toContain(run.id);

    const cancelled = await t.request('POST', `${base}/${loader.id}/runs/${run.id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(json(cancelled)).toMatchObject({ status: 'cancelled', completed_at: expect.any(String) });
    expect((await t.request('POST', `${base}/${loader.id}/runs/${run.id}/cancel`)).statusCode).toBe(409);
    // a new run may start now
    expect((await t.request('POST', `${base}/${loader.id}/trigger`)).statusCode).toBe(201);
  });

  it('pages runs newest first', async () => {
    const loader = json(await t.request('POST', base, { body: body() }));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = json(await t.request('POST', `${base}/${loader.id}/trigger`));
      ids.push(run.id);
      await t.request('POST', `${base}/${loader.id}/runs/${run.id}/cancel`);
    }
    const first = await t.request('GET', `${base}/${loader.id}/runs?limit=2`);
    expect((first.json() as { id: string }[]).map((r) => r.id)).toEqual([ids[2], ids[1]]);
    const next = /<([^>]+)>/.exec(String(first.headers.link))![1]!;
    expect(((await t.request('GET', next)).json() as { id: string }[]).map((r) => r.id)).toEqual([ids[0]]);
  });

  it('refuses to delete a source that loaders use, naming them', async () => {
    const other = await createSource(t, { name: 'used', source_type: 'duckdb', config: { database: 'used' } });
    const loader = json(await t.request('POST', base, { body: body({ source_id: other, name: 'Uses it' }) }));
    const res = await t.request('DELETE', `/api/v1/workspaces/${t.workspaceId}/sources/${other}`);
    expect(res.statusCode).toBe(409);
    expect(problem(res).detail).toContain(`1 loader ("Uses it" (${loader.id}))`);
  });
});

describe('Loaders API: bad input', () => {
  const expectErrors = async (over: Record<string, unknown>, expected: { field: string; message: RegExp }[]) => {
    const res = await t.request('POST', base, { body: body(over) });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    const errors = problem(res).errors!;
    for (const e of expected) expect(errors, JSON.stringify(errors)).toContainEqual({ field: e.field, message: expect.stringMatching(e.message) });
  };

  it('names unknown loader types, sources, schemas and cron fields', async () => {
    await expectErrors({ loader_type: 'postgres' }, [{ field: 'loader_type', message: /did you mean "postgresql"/ }]);
    await expectErrors({ source_id: '6b1d3f0e-1111-4222-8333-444455556666' }, [{ field: 'source_id', message: /not name a source of this workspace/ }]);
    await expectErrors({ source_id: 'nope' }, [{ field: 'source_id', message: /not name a source/ }]);
    await expectErrors({ target_schema: 'raw-data' }, [{ field: 'target_schema', message: /an identifier/ }]);
    await expectErrors({ schedule: '0 25 * * *' }, [{ field: 'schedule', message: /^the hour field "25" is out of range 0-23$/ }]);
    await expectErrors({ schedule: '* * *' }, [{ field: 'schedule', message: /must have 5 fields/ }]);
    await expectErrors({ sync_mode: 'incremntal' }, [{ field: 'sync_mode', message: /did you mean "incremental"/ }]);
    await expectErrors({ extra: 1 }, [{ field: 'extra', message: /not a known field/ }]);
  });

  it('refuses a snowflake source as a target (not loadable yet)', async () => {
    const sf = await createSource(t, {
      name: 'sf',
      source_type: 'snowflake',
      config: { account: 'xy12345', warehouse: 'W', database: 'D', username: 'u', password: 'p' },
    });
    await expectErrors({ source_id: sf }, [{ field: 'source_id', message: /snowflake source; loaders can load into: postgres, duckdb/ }]);
  });

  it('checks streams against the source: existence, duplicates, sync modes, cursor and key', async () => {
    await expectErrors({ selected_streams: [{ name: 'ordres' }] }, [{ field: 'selected_streams[0].name', message: /not a stream .*did you mean "orders"/ }]);
    await expectErrors({ selected_streams: [{ name: 'orders' }, { name: 'orders' }] }, [{ field: 'selected_streams[1].name', message: /second time/ }]);
    await expectErrors({ selected_streams: [{ name: 'events', sync_mode: 'incremental' }] }, [{ field: 'selected_streams[0].sync_mode', message: /incremental needs a cursor/ }]);
    await expectErrors({ selected_streams: [{ name: 'events', sync_mode: 'incremental', cursor_field: 'id' }] }, [{ field: 'selected_streams[0].sync_mode', message: /merges on a primary key/ }]);
    await expectErrors({ selected_streams: [{ name: 'orders', cursor_field: 'amount2' }] }, [{ field: 'selected_streams[0].cursor_field', message: /cannot serve as a cursor/ }]);
    await expectErrors({ selected_streams: [{ name: 'orders', primary_key: ['nope'] }] }, [{ field: 'selected_streams[0].primary_key[0]', message: /not a column/ }]);
    await expectErrors({ selected_streams: [] }, [{ field: 'selected_streams', message: /at least 1/ }]);
    await expectErrors({ selected_streams: [{ name: 'orders', sync_mode: 'sometimes' }] }, [{ field: 'selected_streams[0].sync_mode', message: /must be one of/ }]);
  });

  it('validates the config and reports an unusable one', async () => {
    await expectErrors({ config: { ...pgLoaderConfig(src), hots: 'x' } }, [{ field: 'config.hots', message: /did you mean "host"/ }]);
    await expectErrors({ config: { ...pgLoaderConfig(src), password: MASK } }, [{ field: 'config.password', message: /mask/ }]);
    await expectErrors({ config: pgLoaderConfig(src, { database: 'does_not_exist_db' }) }, [{ field: 'config', message: /cannot list the streams .*does_not_exist_db/ }]);
    const discover = await t.request('POST', `${base}/discover`, { body: { loader_type: 'postgresql', config: pgLoaderConfig(src, { port: 1 }) } });
    expect(discover.statusCode).toBe(422);
    expect(problem(discover).errors![0]!.field).toBe('config');
  });

  it('answers 404 for unknown loaders and runs, 403 for viewers, 404 across workspaces', async () => {
    const missing = '6b1d3f0e-1111-4222-8333-444455556666';
    for (const [method, path] of [
      ['GET', `${base}/${missing}`],
      ['PUT', `${base}/${missing}`],
      ['DELETE', `${base}/${missing}`],
      ['POST', `${base}/${missing}/trigger`],
      ['GET', `${base}/${missing}/runs`],
      ['GET', `${base}/${missing}/runs/${missing}`],
      ['POST', `${base}/${missing}/runs/${missing}/cancel`],
      ['GET', `${base}/nope/runs/nope`],
    ] as const) {
      const res = await t.request(method, path, method === 'PUT' ? { body: { name: 'x' } } : {});
      expect(res.statusCode, `${method} ${path}`).toBe(404);
    }
    const loader = json(await t.request('POST', base, { body: body() }));
    const viewer = await t.account('viewer', { workspaceId: t.workspaceId });
    expect((await t.request('GET', `${base}/${loader.id}`, { token: viewer.token })).statusCode).toBe(200);
    expect((await t.request('POST', `${base}/${loader.id}/trigger`, { token: viewer.token })).statusCode).toBe(403);
    expect((await t.request('PUT', `${base}/${loader.id}`, { token: viewer.token, body: { name: 'x' } })).statusCode).toBe(403);
    const org = await t.tenancy.createOrganization('other');
    const stranger = await t.account('admin', { organizationId: org });
    expect((await t.request('GET', `${base}/${loader.id}`, { token: stranger.token })).statusCode).toBe(404);
    expect((await t.request('POST', `${base}/${loader.id}/trigger`, { token: stranger.token })).statusCode).toBe(404);
  });
});
