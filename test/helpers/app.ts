import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AppSettings, buildApp, pickSettings } from '../../src/app.js';
import { NetworkPolicy, type Lookup } from '../../src/net/policy.js';
import { loadConfig } from '../../src/config.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { Runtime } from '../../src/jobs/runtime.js';
import { createLogger } from '../../src/logger.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { type Role, TenancyService } from '../../src/tenancy/service.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  tenancy: TenancyService;
  box: SecretBox;
  /** Every log line written while the app ran. */
  logs: string[];
  workspaceId: string;
  organizationId: string;
  token: string;
  request(method: InjectOptions['method'], url: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** The background runtime, when the app was set up with workers. */
  runtime: Runtime | undefined;
  /** QUARRY_HOME of this app: a fresh temporary directory. */
  home: string;
  /** Listens on a free port (for streaming tests); returns the base URL. */
  listen(): Promise<string>;
  /** A new account with its token, in this organization (or a new one). */
  account(role: Role, opts?: { workspaceId?: string; organizationId?: string }): Promise<{ token: string; accountId: string }>;
  close(): Promise<void>;
}

export interface SetupOptions {
  database?: TestDatabase;
  key?: Buffer;
  settings?: Partial<AppSettings>;
  lookup?: Lookup;
  /** Run loader jobs in this process too (the embedded default), with these settings. */
  workers?: { concurrency: number; leaseMs?: number; maxConsecutiveFailures?: number };
}

export async function setupApp(opts: SetupOptions = {}): Promise<TestApp> {
  const database = opts.database ?? (await createTestDatabase());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger('debug', sink);
  const box = new SecretBox(opts.key ?? crypto.randomBytes(32));
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quarry-test-home-'));
  const settings = { ...pickSettings(loadConfig({})), home, ...opts.settings };
  const policy = new NetworkPolicy(settings.networkPolicy, opts.lookup);
  const runtime = opts.workers
    ? await Runtime.start(
        { db: database.db, databaseUrl: database.url, box, settings: { policy, home, log: logger, discoveryTimeoutMs: settings.connectionTestTimeoutMs }, log: logger },
        { concurrency: opts.workers.concurrency, leaseMs: opts.workers.leaseMs ?? 30_000, maxConsecutiveFailures: opts.workers.maxConsecutiveFailures ?? 3 },
      )
    : undefined;
  const queue = runtime?.queue ?? (await JobQueue.start(database.url, logger, { schedule: false }));
  const app = await buildApp({ db: database.db, box, logger, settings, queue, ...(opts.lookup ? { lookup: opts.lookup } : {}) });
  const tenancy = new TenancyService(database.db);
  const boot = (await tenancy.bootstrap()) ?? (await existingBootstrap(tenancy, database));

  const t: TestApp = {
    app,
    database,
    tenancy,
    box,
    logs,
    workspaceId: boot.workspaceId,
    organizationId: boot.organizationId,
    token: boot.token,
    request: (method, url, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? boot.token : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      return app.inject({
        method,
        url,
        headers,
        ...(opts.body === undefined ? {} : typeof opts.body === 'string' ? { payload: opts.body } : { payload: opts.body as object }),
      });
    },
    account: async (role, opts = {}) => {
      const orgId = opts.organizationId ?? boot.organizationId;
      const accountId = await tenancy.createAccount(orgId, { name: `${role}-${crypto.randomUUID()}`, role });
      if (opts.workspaceId) await tenancy.addMember(opts.workspaceId, accountId);
      const { token } = await tenancy.createToken(accountId, 'test');
      return { token, accountId };
    },
    home,
    runtime,
    close: async () => {
      await app.close();
      if (runtime) await runtime.stop();
      else await queue.stop();
      if (!opts.database) await database.drop();
      await fs.rm(home, { recursive: true, force: true });
    },
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    },
  };
  return t;
}

/** A second app on the same database reuses the first one's organization and workspace. */
async function existingBootstrap(tenancy: TenancyService, database: TestDatabase) {
  const { rows } = await database.db.query<{ id: string; organization_id: string }>('SELECT id, organization_id FROM workspaces ORDER BY created_at LIMIT 1');
  const accountId = await tenancy.createAccount(rows[0]!.organization_id, { name: `admin-${crypto.randomUUID()}`, role: 'admin' });
  const { token } = await tenancy.createToken(accountId, 'second app');
  return { organizationId: rows[0]!.organization_id, workspaceId: rows[0]!.id, accountId, token };
}

export const json = (res: LightMyRequestResponse) => res.json() as Record<string, unknown> & Record<string, any>;
