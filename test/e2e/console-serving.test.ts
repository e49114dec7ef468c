import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../src/http/routes/console.js';
import { errorHandler, registerNotFound } from '../../src/http/problem.js';
import { setupApp, type TestApp } from '../helpers/app.js';

const isProblem = (res: { statusCode: number; headers: Record<string, unknown> }, status: number) => {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
};

describe('the console next to the API (buildApp)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp();
  });
  afterAll(async () => t.close());

  it('answers HTML at / and at console paths, built or not', async () => {
    for (const url of ['/', '/sign-in', `/w/${t.workspaceId}/sources`, '/w/x/loaders/y/runs/z?tab=1']) {
      const res = await t.request('GET', url, { token: null });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toMatch(/<div id="root">|npm run build/);
    }
  });

  it('keeps the API problem+json 404 and 405', async () => {
    isProblem(await t.request('GET', '/api/v1/nope'), 404);
    isProblem(await t.request('GET', '/api'), 404);
    // An unknown path with another method is a 404, not a 405 "use GET".
    isProblem(await t.request('POST', '/api/v1/nope', { body: {} }), 404);
    isProblem(await t.request('DELETE', '/w/x/sources'), 404);
    const wrong = await t.request('PATCH', `/api/v1/workspaces/${t.workspaceId}/sources/6b1d3f0e-1111-4222-8333-444455556666`, { body: {} });
    isProblem(wrong, 405);
    expect(String(wrong.headers.allow).split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
    isProblem(await t.request('GET', '/readyz/more'), 404);
    isProblem(await t.request('GET', '/assets/index-gone.js'), 404);
  });

  it('leaves the other routes alone', async () => {
    expect((await t.request('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await t.request('GET', '/api/v1/openapi.json')).json()).toMatchObject({ openapi: '3.1.0' });
    const docs = await t.request('GET', '/docs', { token: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).not.toContain('<div id="root">');
  });
});

describe('serving a web/dist directory', () => {
  let dir: string;
  let root: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-console-'));
    root = path.join(dir, 'dist');
    await fs.mkdir(root);
    await fs.writeFile(path.join(dir, 'secret.txt'), 'TOP-SECRET');
    app = Fastify();
    app.setErrorHandler(errorHandler);
    registerNotFound(app);
    await consoleRoutes(app, { root });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('says to build when nothing is built (never a 500)', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build');
  });

  it('serves files, hashed assets for good, and index.html for the rest', async () => {
    await fs.mkdir(path.join(root, 'assets'));
    await fs.writeFile(path.join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    await fs.writeFile(path.join(root, 'assets', 'index-abc123.js'), 'export const x = 1;');
    await fs.writeFile(path.join(root, 'robots.txt'), 'User-agent: *');
    await fs.writeFile(path.join(root, '.env'), 'HIDDEN=1');

    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toBe('export const x = 1;');
    expect((await app.inject({ method: 'HEAD', url: '/assets/index-abc123.js' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/robots.txt' })).body).toBe('User-agent: *');

    for (const url of ['/', '/index.html', '/w/1/sources', '/.env', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('<div id="root">');
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.headers['content-security-policy'], url).toContain("default-src 'self'");
    }
    isProblem(await app.inject({ method: 'GET', url: '/assets/missing.js' }), 404);
    isProblem(await app.inject({ method: 'POST', url: '/' }), 404);
  });
});
