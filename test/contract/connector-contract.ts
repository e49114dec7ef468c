import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { createLoader, createSource, runLoader } from '../helpers/loaders.js';
import { openDuckDb } from '../../src/warehouses/duckdb/driver.js';
import type { ConnectorHarness } from './connector-harness.js';

/**
 * One suite run against every HTTP loader type and its fake vendor, through the public API,
 * loading into a DuckDB warehouse: check, discover, full refresh, incremental (only changed
 * records re-read, updates merged, deletions marked), a 429 storm, an OAuth token expiring
 * mid-run, and a 500 in the middle of paging — each with the exact row set.
 */
export function connectorContract(h: ConnectorHarness): void {
  describe(`connector contract: ${h.type}`, () => {
    let t: TestApp;
    let warehouse: string;
    let schemaNo = 0;
    const loaders = `/api/v1/workspaces/`;

    beforeAll(async () => {
      await h.start();
      t = await setupApp({ workers: { concurrency: 1, leaseMs: 10_000 } });
      warehouse = await createSource(t, { name: 'dw', source_type: 'duckdb', config: { database: 'contract' } });
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await h.stop();
    });

    const loaded = async (schema: string, stream: string, live = true): Promise<Map<string, string>> => {
      const duck = await openDuckDb(t.home, 'contract');
      try {
        const table = (await duck.conn.runAndReadAll(`SELECT column_name FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${stream}'`)).getRowObjects().map((r) => r.column_name);
        const filter = live && table.includes('_quarry_deleted_at') ? ' WHERE _quarry_deleted_at IS NULL' : '';
        const rows = (await duck.conn.runAndReadAll(`SELECT CAST("${h.key}" AS VARCHAR) AS k, CAST("${h.value}" AS VARCHAR) AS v FROM "${schema}"."${stream}"${filter}`)).getRowObjects();
        return new Map(rows.map((r) => [String(r.k), String(r.v)]));
      } finally {
        duck.close();
      }
    };
    const newLoader = (streams: { name: string; sync_mode: string }[]): Promise<Record<string, any> & { schema: string }> => {
      const schema = `c${schemaNo++}`;
      return createLoader(t, { loader_type: h.type, source_id: warehouse, config: h.config(), target_schema: schema, selected_streams: streams }).then((l) => ({ ...l, schema }));
    };

    it('checks the credentials and discovers the streams', async () => {
      const res = await t.request('POST', `${loaders}${t.workspaceId}/loaders/discover`, { body: { loader_type: h.type, config: h.config() } });
      expect(res.statusCode, res.body).toBe(200);
      const { check, streams } = json(res);
      expect(check.length).toBeGreaterThan(5);
      const names = streams.map((s: { name: string }) => s.name);
      for (const s of [...h.fullRefreshStreams, h.stream]) expect(names).toContain(s);
      const main = streams.find((s: { name: string }) => s.name === h.stream);
      expect(main.supported_sync_modes).toContain('incremental');
      expect(main.primary_key).toEqual([h.key]);
    });

    it('loads every stream with a full refresh, page after page', async () => {
      const loader = await newLoader(h.fullRefreshStreams.map((name) => ({ name, sync_mode: 'full_refresh' })));
      const run = await runLoader(t, loader.id);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed', streams_failed: 0 });
      for (const s of h.fullRefreshStreams) {
        const streamRun = run.streams.find((x: { stream: string }) => x.stream === s);
        expect(streamRun.rows_loaded, s).toBeGreaterThan(0);
        if (s === h.stream) expect(await loaded(loader.schema, s)).toEqual(await h.expected(s));
      }
    });

    it('incremental: re-reads only what changed, merges updates, marks deletions', async () => {
      const loader = await newLoader([{ name: h.stream, sync_mode: 'incremental' }]);
      const first = await runLoader(t, loader.id);
      expect(first, JSON.stringify(first)).toMatchObject({ status: 'completed' });
      expect(await loaded(loader.schema, h.stream)).toEqual(await h.expected(h.stream));
      const { reread, deleted } = await h.mutate();
      const second = await runLoader(t, loader.id);
      expect(second, JSON.stringify(second)).toMatchObject({ status: 'completed' });
      expect(second.streams[0].rows_loaded).toBe(reread);
      expect(await loaded(loader.schema, h.stream)).toEqual(await h.expected(h.stream));
      if (!h.notApplicable.deletions) {
        expect(deleted.length).toBeGreaterThan(0);
        const all = await loaded(loader.schema, h.stream, false);
        for (const k of deleted) expect(all.has(k), `deleted ${k} kept and marked`).toBe(true);
        const live = await loaded(loader.schema, h.stream);
        for (const k of deleted) expect(live.has(k), `deleted ${k} marked`).toBe(false);
      }
    });

    it('survives a 429 storm, honouring Retry-After, with the exact row set', async () => {
      const loader = await newLoader([{ name: h.stream, sync_mode: 'full_refresh' }]);
      const before = h.stats().rejected429;
      h.rateLimitStorm();
      const run = await runLoader(t, loader.id, 120_000);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed' });
      expect(h.stats().rejected429).toBeGreaterThan(before);
      expect(await loaded(loader.schema, h.stream)).toEqual(await h.expected(h.stream));
    }, 120_000);

    it('retries a 500 in the middle of paging without duplicates', async () => {
      const loader = await newLoader([{ name: h.stream, sync_mode: 'full_refresh' }]);
      const before = h.stats().failed500;
      h.failMidPaging();
      const run = await runLoader(t, loader.id, 120_000);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed' });
      expect(h.stats().failed500).toBeGreaterThan(before);
      const expected = await h.expected(h.stream);
      expect(run.streams[0].rows_loaded).toBe(expected.size);
      expect(await loaded(loader.schema, h.stream)).toEqual(expected);
    }, 120_000);

    it.runIf(!h.notApplicable.oauth)('refreshes an OAuth token that expires mid-run', async () => {
      const loader = await newLoader([{ name: h.stream, sync_mode: 'full_refresh' }]);
      const before = h.stats().tokenRefreshes;
      h.expireTokenMidRun();
      const run = await runLoader(t, loader.id, 120_000);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed' });
      expect(h.stats().tokenRefreshes).toBeGreaterThan(before);
      expect(await loaded(loader.schema, h.stream)).toEqual(await h.expected(h.stream));
    }, 120_000);

    it('states the cases that do not apply, with a reason', () => {
      for (const [c, reason] of Object.entries(h.notApplicable)) expect(reason.length, c).toBeGreaterThan(20);
    });
  });
}
