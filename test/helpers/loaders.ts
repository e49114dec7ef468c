import { expect } from 'vitest';
import { json, type TestApp } from './app.js';
import type { TestDatabase } from './db.js';

export const pgLoaderConfig = (db: TestDatabase, over: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port: 5432,
  database: db.name,
  username: 'postgres',
  sslmode: 'disable',
  ...over,
});

export async function createSource(t: TestApp, body: Record<string, unknown>): Promise<string> {
  const res = await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources`, { body });
  expect(res.statusCode, res.body).toBe(201);
  return json(res).id as string;
}

export async function createLoader(t: TestApp, body: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/loaders`, { body: { name: 'loader', sync_mode: 'full_refresh', target_schema: 'raw', ...body } });
  expect(res.statusCode, res.body).toBe(201);
  return json(res);
}

export async function trigger(t: TestApp, loaderId: string): Promise<Record<string, any>> {
  const res = await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/loaders/${loaderId}/trigger`);
  expect(res.statusCode, res.body).toBe(201);
  return json(res);
}

/** Polls the run until it ends; returns it with its per-stream figures. */
export async function waitForRun(t: TestApp, loaderId: string, runId: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = json(await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/loaders/${loaderId}/runs/${runId}`));
    if (!['pending', 'running'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runLoader(t: TestApp, loaderId: string, timeoutMs?: number): Promise<Record<string, any>> {
  const run = await trigger(t, loaderId);
  return waitForRun(t, loaderId, run.id, timeoutMs);
}
