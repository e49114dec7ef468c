import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { postStream, type ReceivedEvent, type StreamResult } from '../helpers/sse.js';
import { closedPort } from '../helpers/tap.js';
import type { Case, Config, WarehouseHarness } from './harness.js';
import { postgresHarness } from './harnesses/postgres.js';
import { duckdbHarness } from './harnesses/duckdb.js';
import { snowflakeHarness } from './harnesses/snowflake.js';
import { bigqueryHarness } from './harnesses/bigquery.js';
import { databricksHarness } from './harnesses/databricks.js';

/**
 * One suite, run against every source type through the public API: POST /sources/test and
 * POST /sources/{id}/test, read as Server-Sent Events.
 */
const STEP_TIMEOUT_MS = 3000;
const harnesses: WarehouseHarness[] = [postgresHarness(), duckdbHarness(), snowflakeHarness(), bigqueryHarness(), databricksHarness()];

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const stepsOf = (r: StreamResult) => r.events.filter((e) => e.event === 'step').map((e) => e.data as { name: string; status: string; message: string; fix?: string; duration_ms: number });
const doneOf = (r: StreamResult) => r.events.find((e) => e.event === 'done')?.data as { success: boolean; steps: unknown[]; source?: Record<string, any> };

for (const h of harnesses) {
  describe(`warehouse contract: ${h.type}`, () => {
    let t: TestApp;
    let base: string;
    const applicable = (c: Case) => !(c in h.notApplicable);
    const test = (config: Config, onEvent?: (e: ReceivedEvent) => 'abort' | void) =>
      postStream(`${base}/api/v1/workspaces/${t.workspaceId}/sources/test`, { token: t.token, body: { source_type: h.type, config }, ...(onEvent ? { onEvent } : {}) });

    beforeAll(async () => {
      await h.start();
      t = await setupApp({ settings: { connectionTestStepTimeoutMs: STEP_TIMEOUT_MS, connectionTestTimeoutMs: 20_000, sseHeartbeatMs: 200 } });
      base = await t.listen();
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await h.stop();
    });

    it('states the cases that do not apply to it, with a reason', () => {
      for (const [c, reason] of Object.entries(h.notApplicable)) expect(reason.length, c).toBeGreaterThan(20);
    });

    it('passes with working credentials, streaming each step as it ends', async () => {
      h.reset();
      const r = await test(h.config());
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/^text\/event-stream/);
      const steps = stepsOf(r);
      expect(steps.map((s) => [s.name, s.status])).toEqual([
        ['connectivity', 'passed'],
        ['authentication', 'passed'],
        ['permissions', 'passed'],
      ]);
      for (const s of steps) expect(s.duration_ms).toBeGreaterThanOrEqual(0);
      expect(steps[2]!.message).toMatch(/Read: can list and query .*Write: can create and drop tables/);
      expect(doneOf(r)).toEqual({ success: true, steps });
      expect(r.events.map((e) => e.event)).toEqual(['step', 'step', 'step', 'done']);
    });

    it.runIf(applicable('dns'))('fails connectivity on a host that does not resolve, skipping the rest', async () => {
      const r = await test(h.withEndpoint('nonexistent.invalid', 443));
      expect(stepsOf(r).map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped']);
      expect(stepsOf(r)[0]!.message).toBe('DNS: nonexistent.invalid does not resolve (no such host)');
      expect(doneOf(r).success).toBe(false);
    });

    it.runIf(applicable('refused'))('fails connectivity on a refused connection, saying so', async () => {
      const port = await closedPort();
      const r = await test(h.withEndpoint('127.0.0.1', port));
      expect(stepsOf(r)[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(new RegExp(`^TCP: connection to 127\\.0\\.0\\.1:${port} \\(127\\.0\\.0\\.1\\) refused`)) });
      expect(stepsOf(r).slice(1).map((s) => s.status)).toEqual(['skipped', 'skipped']);
    });

    it.runIf(applicable('badCredentials'))('fails authentication on bad credentials, without echoing them', async () => {
      h.reset();
      const config = h.badCredentials();
      const r = await test(config);
      const steps = stepsOf(r);
      expect(steps.map((s) => s.status)).toEqual(['passed', 'failed', 'skipped']);
      expect(steps[1]!.message).toMatch(h.expect.badCredentials);
      for (const v of Object.values(config)) if (typeof v === 'string' && /SECRET|wrong/.test(v)) expect(r.body).not.toContain(v);
    });

    it.runIf(applicable('missingRead'))('fails permissions on a missing read grant and names the fix', async () => {
      h.reset();
      const r = await test(h.missingRead());
      const steps = stepsOf(r);
      expect(steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
      expect(steps[2]!.fix).toMatch(h.expect.readFix);
      expect(steps[2]!.message).toMatch(/[.!?] To fix, an administrator can run: /);
      expect(steps[2]!.message.endsWith(steps[2]!.fix!)).toBe(true);
    });

    it.runIf(applicable('missingWrite'))('fails permissions on a missing write grant and names the fix', async () => {
      h.reset();
      const r = await test(h.missingWrite());
      const steps = stepsOf(r);
      expect(steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
      expect(steps[2]!.message).toMatch(/Write|create/i);
      expect(steps[2]!.fix).toMatch(h.expect.writeFix);
    });

    it.runIf(applicable('timeout'))('fails the step that waits too long, with heartbeats meanwhile', async () => {
      const config = h.slow();
      try {
        const r = await test(config);
        const steps = stepsOf(r);
        const failed = steps.find((s) => s.status === 'failed')!;
        expect(failed.message).toBe(`timed out after ${STEP_TIMEOUT_MS / 1000}s`);
        expect(steps.filter((s) => s.status === 'skipped').length).toBe(2 - steps.indexOf(failed));
        expect(r.comments).toBeGreaterThan(0);
        await eventually(() => h.liveConnections() === 0);
      } finally {
        h.reset();
      }
    });

    it.runIf(applicable('disconnect'))('stops and closes its connections when the client disconnects mid-test', async () => {
      const config = h.slow();
      try {
        const r = await test(config, (e) => (e.event === 'step' && e.data.name === 'connectivity' ? 'abort' : undefined));
        expect(stepsOf(r).map((s) => s.name)).toEqual(['connectivity']);
        await eventually(() => h.liveConnections() === 0);
      } finally {
        h.reset();
      }
    });

    it('tests a saved source with its stored credentials and records the result', async () => {
      h.reset();
      const created = json(await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources`, { body: { name: h.type, source_type: h.type, config: h.config() } }));
      const url = `${base}/api/v1/workspaces/${t.workspaceId}/sources/${created.id}/test`;
      const r = await postStream(url, { token: t.token });
      const done = doneOf(r);
      expect(done.success).toBe(true);
      expect(done.source).toMatchObject({ id: created.id, status: 'connected', status_error: '', last_test_succeeded: true });
      expect(done.source!.last_test_results.steps).toEqual(stepsOf(r));
      expect(done.source!.config).toEqual(created.config); // masked as in every response
      const got = json(await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/sources/${created.id}`));
      expect(got).toEqual(done.source);

      if (applicable('missingWrite')) {
        // the same source losing a grant: status error, the failing step named
        const other = json(await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources`, { body: { name: `${h.type} ro`, source_type: h.type, config: h.missingWrite() } }));
        const failed = doneOf(await postStream(`${base}/api/v1/workspaces/${t.workspaceId}/sources/${other.id}/test`, { token: t.token }));
        expect(failed.success).toBe(false);
        expect(failed.source).toMatchObject({ status: 'error', last_test_succeeded: false, status_error: expect.stringMatching(/^permissions: /) });
        h.reset();
      }
    });

    it.runIf(applicable('disconnect'))('records nothing when the client leaves a saved-source test', async () => {
      h.reset();
      const created = json(await t.request('POST', `/api/v1/workspaces/${t.workspaceId}/sources`, { body: { name: `${h.type} left`, source_type: h.type, config: h.config() } }));
      h.slow();
      try {
        const url = `${base}/api/v1/workspaces/${t.workspaceId}/sources/${created.id}/test`;
        await postStream(url, { token: t.token, onEvent: (e) => (e.event === 'step' ? 'abort' : undefined) });
        await eventually(() => h.liveConnections() === 0);
        const got = json(await t.request('GET', `/api/v1/workspaces/${t.workspaceId}/sources/${created.id}`));
        expect(got).toMatchObject({ status: 'pending', last_tested_at: null, last_test_results: null });
      } finally {
        h.reset();
      }
    });
  });
}
