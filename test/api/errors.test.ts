import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await setupApp();
  base = `/api/v1/workspaces/${t.workspaceId}/sources`;
});
afterAll(async () => t.close());

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:quarry:problem:/), title: expect.any(String), detail: expect.any(String) });
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
  return body;
}

describe('error classes as application/problem+json', () => {
  it('malformed JSON: 400 without quoting the body', async () => {
    const res = await t.request('POST', base, { body: '{"name": "x", "config": {"password": "HUSH-SECRET"', headers: { 'content-type': 'application/json' } });
    const body = expectProblem(res, 400);
    expect(body.detail).toBe('the request body is not valid JSON');
    expect(res.body).not.toContain('HUSH-SECRET');
  });

  it('empty JSON body: 400', async () => {
    expectProblem(await t.request('POST', base, { body: '', headers: { 'content-type': 'application/json' } }), 400);
  });

  it('a body that is not an object: 422', async () => {
    const body = expectProblem(await t.request('POST', base, { body: '[1,2]', headers: { 'content-type': 'application/json' } }), 422);
    expect(body.errors).toEqual([{ field: '(body)', message: 'must be an object' }]);
  });

  it('unknown route: 404', async () => {
    const body = expectProblem(await t.request('GET', '/api/v1/nope'), 404);
    expect(body.instance).toBe('/api/v1/nope');
  });

  it('wrong method on a known path: 405 with Allow', async () => {
    const res = await t.request('PATCH', `${base}/6b1d3f0e-1111-4222-8333-444455556666`, { body: {} });
    expectProblem(res, 405);
    expect(String(res.headers.allow).split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
    const del = await t.request('DELETE', base);
    expectProblem(del, 405);
  });

  it('body over 1 MiB: 413', async () => {
    const big = JSON.stringify({ name: 'x', source_type: 'duckdb', config: { database: 'a', pad: 'x'.repeat(1024 * 1024) } });
    expectProblem(await t.request('POST', base, { body: big, headers: { 'content-type': 'application/json' } }), 413);
  });

  it('unsupported content type: 415', async () => {
    expectProblem(await t.request('POST', base, { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
  });

  it('validation: 422 with field errors', async () => {
    const body = expectProblem(await t.request('POST', base, { body: { name: '', source_type: 'duckdb', config: { database: 'a' } } }), 422);
    expect(body.errors).toEqual([{ field: 'name', message: expect.stringMatching(/must be/) }]);
  });

  it('conflict: 409', async () => {
    const res = await t.request('POST', base, { body: { name: 'c', source_type: 'duckdb', config: { database: 'a' } } });
    const id = (res.json() as { id: string }).id;
    await t.database.db.query(`CREATE TABLE things (id uuid PRIMARY KEY, name text, source_id uuid REFERENCES sources(id))`);
    await t.database.db.query(`INSERT INTO things VALUES (gen_random_uuid(), 'thing', $1)`, [id]);
    const { clearDependentsCache } = await import('../../src/store/dependents.js');
    clearDependentsCache();
    expectProblem(await t.request('DELETE', `${base}/${id}`), 409);
  });

  it('auth: 401 without, with malformed, with unknown and with revoked tokens', async () => {
    const missing = await t.request('GET', base, { token: null });
    expectProblem(missing, 401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="quarry"');
    expectProblem(await t.request('GET', base, { token: 'not-a-token' }), 401);
    expectProblem(await t.request('GET', base, { token: 'qry_' + 'A'.repeat(38) }), 401);
    expectProblem(await t.request('GET', base, { headers: { authorization: 'Basic dXNlcjpwYXNz' }, token: null }), 401);
    const { token } = await t.account('admin');
    expect((await t.request('GET', base, { token })).statusCode).toBe(200);
    const [row] = (await t.tenancy.listTokens()).filter((x) => token.startsWith(x.token_prefix)).slice(-1);
    await t.tenancy.revokeToken(row!.id);
    expectProblem(await t.request('GET', base, { token }), 401);
  });

  it('auth comes before body validation', async () => {
    expectProblem(await t.request('POST', base, { token: null, body: '{bad json', headers: { 'content-type': 'application/json' } }), 401);
  });

  it('viewers cannot write: 403', async () => {
    const { token } = await t.account('viewer', { workspaceId: t.workspaceId });
    expect((await t.request('GET', base, { token })).statusCode).toBe(200);
    expectProblem(await t.request('POST', base, { token, body: { name: 'v', source_type: 'duckdb', config: { database: 'a' } } }), 403);
    expectProblem(await t.request('POST', '/api/v1/workspaces', { token, body: { name: 'v' } }), 403);
  });

  it('members cannot create workspaces: 403', async () => {
    const { token } = await t.account('member', { workspaceId: t.workspaceId });
    expect((await t.request('POST', base, { token, body: { name: 'm', source_type: 'duckdb', config: { database: 'a' } } })).statusCode).toBe(201);
    expectProblem(await t.request('POST', '/api/v1/workspaces', { token, body: { name: 'm' } }), 403);
  });

  it('X-Workspace-ID must equal the path id: 400', async () => {
    expect((await t.request('GET', base, { headers: { 'x-workspace-id': t.workspaceId } })).statusCode).toBe(200);
    const body = expectProblem(await t.request('GET', base, { headers: { 'x-workspace-id': '6b1d3f0e-1111-4222-8333-444455556666' } }), 400);
    expect(body.errors).toEqual([{ field: 'X-Workspace-ID', message: 'must equal the workspace id in the path' }]);
  });

  it('an unexpected failure is a 500 problem without internals', async () => {
    await t.database.db.query('ALTER TABLE sources RENAME TO sources_gone');
    try {
      const res = await t.request('GET', `${base}/6b1d3f0e-1111-4222-8333-444455556666`);
      const body = expectProblem(res, 500);
      expect(body.detail).toMatch(/request id/);
      expect(res.body).not.toMatch(/sources_gone|relation|SELECT/);
    } finally {
      await t.database.db.query('ALTER TABLE sources_gone RENAME TO sources');
    }
  });
});
