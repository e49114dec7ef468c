import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, setupApp, type TestApp } from '../helpers/app.js';
import { secretFieldsOf, validConfigs } from '../helpers/fixtures.js';
import { createLogger } from '../../src/logger.js';

let t: TestApp;
beforeAll(async () => {
  t = await setupApp();
});
afterAll(async () => t.close());

/** Every secret value of the fixtures, and pieces of them long enough to be telling. */
const secretValues = Object.entries(secretFieldsOf).flatMap(([type, fields]) => fields.map((f) => String(validConfigs[type]![f])));
const NEW_SECRET = 'rotated-pass-SECRET-9';

describe('secrets never leave in plaintext', () => {
  it('not in any response body, log line or stored row', async () => {
    const base = `/api/v1/workspaces/${t.workspaceId}/sources`;
    const bodies: string[] = [];
    for (const type of Object.keys(validConfigs)) {
      const created = await t.request('POST', base, { body: { name: type, source_type: type, config: validConfigs[type] } });
      expect(created.statusCode).toBe(201);
      bodies.push(created.body);
      const id = json(created).id as string;
      bodies.push((await t.request('GET', `${base}/${id}`)).body);
      bodies.push((await t.request('PUT', `${base}/${id}`, { body: { name: `${type}!`, config: json(created).config } })).body);
      // a rejected update that carries the secret
      bodies.push((await t.request('PUT', `${base}/${id}`, { body: { config: { ...validConfigs[type], bogus_field: 1 } } })).body);
    }
    const pg = json(await t.request('POST', base, { body: { name: 'rot', source_type: 'postgres', config: validConfigs.postgres } }));
    bodies.push((await t.request('PUT', `${base}/${pg.id}`, { body: { config: { password: NEW_SECRET } } })).body);
    bodies.push((await t.request('GET', base)).body);
    bodies.push((await t.request('POST', base, { body: '{"config": {"password": "' + NEW_SECRET + '"', headers: { 'content-type': 'application/json' } })).body);

    const { rows } = await t.database.db.query<{ row: string }>(`SELECT row_to_json(s)::text AS row FROM sources s`);
    expect(rows.length).toBe(6);
    const stored = rows.map((r) => r.row);
    for (const secret of [...secretValues, NEW_SECRET]) {
      for (const haystack of [...bodies, ...t.logs, ...stored]) expect(haystack).not.toContain(secret);
    }
    // Stored rows hold ciphertext for each secret-bearing source.
    expect(stored.filter((r) => r.includes('"secret_config":"v1:')).length).toBe(5);
    expect(t.logs.length).toBeGreaterThan(10);
  });

  it('the logger redacts secret-named keys even if a future call logs a config', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
    const original = { config: { password: 'p-SECRET', nested: [{ token: 't-SECRET' }] }, req: { headers: { authorization: 'Bearer qry_x' } } };
    log.info(original, 'oops');
    log.error({ err: Object.assign(new Error('boom'), { client_secret: 'c-SECRET' }) }, 'failed');
    expect(original.config.password).toBe('p-SECRET'); // the caller's object is untouched
    expect(lines.join('')).not.toMatch(/SECRET|qry_x/);
    expect(lines.join('')).toContain('[redacted]');
    expect(lines.join('')).toContain('boom');
  });
});
