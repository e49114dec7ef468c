import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { validConfigs } from '../helpers/fixtures.js';

let t: TestApp;
let wsA: string;
let wsB: string;
let tokenB: string;
let sourceA: string;
let sourceB: string;

beforeAll(async () => {
  t = await setupApp();
  wsA = t.workspaceId;
  // Organization B: its own workspace and admin.
  const orgB = await t.tenancy.createOrganization('B');
  const adminB = await t.tenancy.createAccount(orgB, { name: 'adminB', role: 'admin' });
  wsB = (await t.tenancy.insertWorkspace(orgB, adminB, 'B workspace')).id;
  tokenB = (await t.tenancy.createToken(adminB, 'b')).token;
  sourceA = json(await t.request('POST', `/api/v1/workspaces/${wsA}/sources`, { body: { name: 'A', source_type: 'snowflake', config: validConfigs.snowflake } })).id;
  sourceB = json(await t.request('POST', `/api/v1/workspaces/${wsB}/sources`, { token: tokenB, body: { name: 'B', source_type: 'duckdb', config: { database: 'b' } } })).id;
});
afterAll(async () => t.close());

describe('cross-tenant isolation', () => {
  it('a token of organization A gets 404 for everything of workspace B, whatever it guesses', async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/v1/workspaces/${wsB}`],
      ['GET', `/api/v1/workspaces/${wsB}/sources`],
      ['POST', `/api/v1/workspaces/${wsB}/sources`, { name: 'x', source_type: 'duckdb', config: { database: 'x' } }],
      ['GET', `/api/v1/workspaces/${wsB}/sources/${sourceB}`],
      ['PUT', `/api/v1/workspaces/${wsB}/sources/${sourceB}`, { name: 'pwned' }],
      ['DELETE', `/api/v1/workspaces/${wsB}/sources/${sourceB}`],
      ['GET', `/api/v1/workspaces/${wsB}/source-types`],
      // B's source through A's own workspace: still not found
      ['GET', `/api/v1/workspaces/${wsA}/sources/${sourceB}`],
      ['PUT', `/api/v1/workspaces/${wsA}/sources/${sourceB}`, { name: 'pwned' }],
      ['DELETE', `/api/v1/workspaces/${wsA}/sources/${sourceB}`],
    ];
    for (const [method, url, body] of attempts) {
      const res = await t.request(method as 'GET', url, body === undefined ? {} : { body });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.body).not.toContain(sourceB.slice(0, 8) + 'x'); // no data of B
    }
    const fromB = json(await t.request('GET', `/api/v1/workspaces/${wsB}/sources/${sourceB}`, { token: tokenB }));
    expect(fromB.name).toBe('B');
  });

  it('a non-existent workspace and a foreign one answer identically', async () => {
    const foreign = await t.request('GET', `/api/v1/workspaces/${wsB}/sources`);
    const missing = await t.request('GET', `/api/v1/workspaces/6b1d3f0e-1111-4222-8333-444455556666/sources`);
    const malformed = await t.request('GET', `/api/v1/workspaces/nope/sources`);
    for (const res of [foreign, missing, malformed]) {
      expect(res.statusCode).toBe(404);
      expect((res.json() as { detail: string }).detail).toBe('workspace not found');
    }
  });

  it('B cannot reach A either, and the workspace lists are separate', async () => {
    expect((await t.request('GET', `/api/v1/workspaces/${wsA}/sources/${sourceA}`, { token: tokenB })).statusCode).toBe(404);
    const listA = (await t.request('GET', '/api/v1/workspaces')).json() as { id: string }[];
    const listB = (await t.request('GET', '/api/v1/workspaces', { token: tokenB })).json() as { id: string }[];
    expect(listA.map((w) => w.id)).toContain(wsA);
    expect(listA.map((w) => w.id)).not.toContain(wsB);
    expect(listB.map((w) => w.id)).toEqual([wsB]);
  });

  it('a member sees only workspaces shared with them; others are 404', async () => {
    const other = json(await t.request('POST', '/api/v1/workspaces', { body: { name: 'private' } }));
    const { token } = await t.account('member', { workspaceId: wsA });
    const list = (await t.request('GET', '/api/v1/workspaces', { token })).json() as { id: string }[];
    expect(list.map((w) => w.id)).toEqual([wsA]);
    expect((await t.request('GET', `/api/v1/workspaces/${other.id}`, { token })).statusCode).toBe(404);
    expect((await t.request('GET', `/api/v1/workspaces/${other.id}/sources`, { token })).statusCode).toBe(404);
    expect((await t.request('GET', `/api/v1/workspaces/${wsA}/sources/${sourceA}`, { token })).statusCode).toBe(200);
  });
});

describe('Workspaces API', () => {
  it('creates (201), gets and lists workspaces', async () => {
    const res = await t.request('POST', '/api/v1/workspaces', { body: { name: 'Analytics' } });
    expect(res.statusCode).toBe(201);
    const ws = json(res);
    expect(Object.keys(ws).sort()).toEqual(['created_at', 'created_by', 'id', 'name', 'organization_id', 'updated_at']);
    expect(ws).toMatchObject({ name: 'Analytics', organization_id: t.organizationId });
    expect(json(await t.request('GET', `/api/v1/workspaces/${ws.id}`))).toEqual(ws);
    const list = (await t.request('GET', '/api/v1/workspaces')).json() as { id: string }[];
    expect(list.map((w) => w.id)).toContain(ws.id);
  });

  it('rejects bad workspace input', async () => {
    for (const body of [{}, { name: '   ' }, { name: 'x', extra: 1 }, { name: 42 }]) {
      const res = await t.request('POST', '/api/v1/workspaces', { body });
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
      expect((res.json() as { errors: { field: string }[] }).errors[0]!.field).toMatch(/^(name|extra)$/);
    }
    expect((await t.request('GET', '/api/v1/workspaces?limit=0')).statusCode).toBe(422);
    expect((await t.request('GET', '/api/v1/workspaces', { token: null })).statusCode).toBe(401);
  });
});

describe('source types', () => {
  it('lists every type with its config schema, secret fields and creatable flag', async () => {
    const res = await t.request('GET', `/api/v1/workspaces/${wsA}/source-types`);
    expect(res.statusCode).toBe(200);
    const types = res.json() as { source_type: string; secret_fields: string[]; creatable_via_api: boolean; config_schema: { properties: object } }[];
    expect(types.map((x) => x.source_type)).toEqual(['snowflake', 'bigquery', 'databricks', 'postgres', 'duckdb']);
    const sf = types.find((x) => x.source_type === 'snowflake')!;
    expect(sf.secret_fields).toEqual(['password', 'private_key', 'private_key_passphrase']);
    expect(sf.creatable_via_api).toBe(true);
    expect(Object.keys(sf.config_schema.properties)).toContain('warehouse');
    expect(types.find((x) => x.source_type === 'bigquery')!.secret_fields).toEqual(['credentials_json']);
    expect(types.find((x) => x.source_type === 'duckdb')!.secret_fields).toEqual([]);
  });
});
