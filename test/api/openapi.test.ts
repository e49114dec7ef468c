import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await setupApp();
});
afterAll(async () => t.close());

describe('OpenAPI and docs', () => {
  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const res = await t.request('GET', '/api/v1/openapi.json', { token: null });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths['/api/v1/workspaces/{id}/sources']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/workspaces/{id}/sources/{sourceId}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(doc.paths['/api/v1/workspaces/{id}/source-types']).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Source', 'Problem']));
    expect(JSON.stringify(doc.components.schemas.Source)).toContain('status_error');
  });

  it('serves a browsable reference at /docs', async () => {
    const res = await t.request('GET', '/docs/', { token: null });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/swagger/i);
  });

  it('health and readiness', async () => {
    expect((await t.request('GET', '/healthz', { token: null })).json()).toEqual({ status: 'ok' });
    expect((await t.request('GET', '/readyz', { token: null })).json()).toEqual({ status: 'ok' });
  });
});
