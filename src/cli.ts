#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, type Config, loadConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openStore, type Store } from './store/open.js';
import { Runtime } from './jobs/runtime.js';
import { NetworkPolicy } from './net/policy.js';
import { buildApp, pickSettings } from './app.js';
import { ROLES, type Role, TenancyService } from './tenancy/service.js';
import { DomainError } from './lib/errors.js';

const USAGE = `Usage: quarry <command> [options]

Commands:
  serve                         start the API, scheduler and workers (default)
  worker                        run loader jobs only (add workers next to a serve process)
  migrate                       apply pending metadata-store migrations and exit
  workspace list                list all workspaces
  workspace create <name>       create a workspace [--org <organization id>]
  token create                  create an API token (printed once)
                                  [--name <label>] [--account <name|email|id>]
                                  [--role admin|member|viewer] [--workspace <id>] [--org <id>]
  token list                    list tokens (never their values)
  token revoke <id|prefix>      revoke a token
  duckdb <database> "<sql>"     query an embedded DuckDB warehouse (QUARRY_HOME/warehouses/<database>.duckdb)

Options: --json  machine-readable output for list commands
Environment: see docs/configuration.md (DATABASE_URL, QUARRY_HOME, HOST, PORT, ...)`;

/** CLI output is the product here, not a log line. */
const out = (text: string): void => void process.stdout.write(`${text}\n`);

async function withStore<T>(config: Config, log: Logger, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config, log, { applicationName: 'quarry-cli' });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

async function serve(config: Config, log: Logger): Promise<void> {
  const store = await openStore(config, log);
  const tenancy = new TenancyService(store.db);
  const boot = config.bootstrap ? await tenancy.bootstrap() : undefined;
  const runtime = await startRuntime(config, store, log);
  const app = await buildApp({ db: store.db, box: store.box, logger: log, settings: pickSettings(config), queue: runtime.queue });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 30s: exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await app.close();
      await runtime.stop();
      await store.close();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  const lines = [``, `Quarry is running at ${url}`, `  API reference: ${url}/docs`, `  Metadata store: ${store.embedded ? `embedded PostgreSQL under ${config.home}` : 'DATABASE_URL'}`];
  if (boot) {
    lines.push(
      ``,
      `First start: created an organization, a workspace and an admin API token.`,
      `  Workspace ID: ${boot.workspaceId}`,
      `  API token:    ${boot.token}`,
      `  The token is shown only this once; store it now (more with: quarry token create).`,
      ``,
      `Try it:`,
      `  export QUARRY_URL=${url} QUARRY_WORKSPACE=${boot.workspaceId} QUARRY_TOKEN=${boot.token}`,
      `  curl -H "Authorization: Bearer $QUARRY_TOKEN" $QUARRY_URL/api/v1/workspaces/$QUARRY_WORKSPACE/sources`,
    );
  }
  out(lines.join('\n') + '\n');
}

function startRuntime(config: Config, store: Store, log: Logger): Promise<Runtime> {
  const settings = pickSettings(config);
  return Runtime.start(
    {
      db: store.db,
      databaseUrl: store.url,
      box: store.box,
      settings: { policy: new NetworkPolicy(settings.networkPolicy), home: settings.home, log, discoveryTimeoutMs: settings.connectionTestTimeoutMs },
      log,
    },
    { concurrency: config.workerConcurrency, leaseMs: config.runLeaseMs, maxConsecutiveFailures: config.maxConsecutiveFailures },
  );
}

/** `quarry worker`: runs loader jobs (and scheduler ticks) against the shared metadata database. */
async function worker(config: Config, log: Logger): Promise<void> {
  const store = await openStore(config, log, { applicationName: 'quarry-worker' });
  const runtime = await startRuntime({ ...config, workerConcurrency: Math.max(1, config.workerConcurrency) }, store, log);
  log.info({ concurrency: Math.max(1, config.workerConcurrency) }, 'worker started');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'worker shutting down');
    await runtime.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

async function tokenCreate(tenancy: TenancyService, values: Record<string, string | boolean | undefined>): Promise<void> {
  const role = (values.role as string | undefined) ?? 'admin';
  if (!ROLES.includes(role as Role)) throw new ConfigError(`--role must be one of ${ROLES.join(', ')}`);
  const workspace = values.workspace as string | undefined;
  const orgId =
    (values.org as string | undefined) ?? (workspace ? await tenancy.organizationOfWorkspace(workspace) : await tenancy.firstOrganization());
  if (!orgId) throw new ConfigError('the store has no organization yet: start `quarry serve` once, or create a workspace first');
  const accountName = (values.account as string | undefined) ?? `${role}-${new Date().toISOString().slice(0, 19)}`;
  let account = await tenancy.findAccount(orgId, accountName);
  if (!account) {
    const email = accountName.includes('@') ? accountName : undefined;
    account = { id: await tenancy.createAccount(orgId, { name: accountName, email, role: role as Role }), role: role as Role };
  }
  if (workspace && account.role !== 'admin') await tenancy.addMember(workspace, account.id);
  const created = await tenancy.createToken(account.id, (values.name as string | undefined) ?? 'cli');
  if (values.json) out(JSON.stringify({ id: created.id, token: created.token, account_id: account.id, role: account.role }));
  else out(`Token ${created.id} for account ${accountName} (${account.role}):\n${created.token}\nShown only this once.`);
}

/** A look into an embedded warehouse, for newcomers and operators (the file is free between loads). */
async function duckdbQuery(home: string, database: string, sql: string, asJson: boolean): Promise<void> {
  const { duckdbPath, openDuckDb } = await import('./warehouses/duckdb/driver.js');
  const file = duckdbPath(home, database);
  const exists = await import('node:fs/promises').then((fs) => fs.access(file).then(() => true, () => false));
  if (!exists) throw new ConfigError(`no DuckDB warehouse "${database}" under ${home} (expected ${file})`);
  let duck;
  try {
    duck = await openDuckDb(home, database);
  } catch (err) {
    throw new ConfigError(`cannot open ${file}: ${(err as Error).message} (a load into it may be running; try again when it ends)`);
  }
  try {
    const rows = (await duck.conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    out(asJson ? JSON.stringify(rows) : table(rows));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  } finally {
    duck.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      account: { type: 'string' },
      role: { type: 'string' },
      workspace: { type: 'string' },
      org: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command = 'serve', sub, arg] = positionals;
  if (values.help || command === 'help') return out(USAGE);
  const config = loadConfig();
  // CLI commands log only problems; the server logs at the configured level.
  const log = createLogger(command === 'serve' ? config.logLevel : 'warn');

  switch (`${command} ${sub ?? ''}`.trim()) {
    case 'serve':
      return serve(config, log);
    case 'worker':
      return worker(config, createLogger(config.logLevel));
    case 'migrate':
      return withStore(config, log, async () => out('migrations applied; the metadata store is up to date'));
    case 'workspace list':
      return withStore(config, log, async ({ db }) => {
        const rows = await new TenancyService(db).listAllWorkspaces();
        if (values.json) return out(JSON.stringify(rows));
        out(table(rows.map((w) => ({ id: w.id, name: w.name, organization: w.organization_name, created_at: w.created_at }))));
      });
    case 'workspace create':
      if (!arg) throw new ConfigError('usage: quarry workspace create <name> [--org <organization id>]');
      return withStore(config, log, async ({ db }) => {
        const tenancy = new TenancyService(db);
        const orgId = values.org ?? (await tenancy.firstOrganization()) ?? (await tenancy.createOrganization('Default organization'));
        const ws = await tenancy.insertWorkspace(orgId, null, arg);
        out(values.json ? JSON.stringify(ws) : `Workspace ${ws.id} "${ws.name}" created`);
      });
    case 'token create':
      return withStore(config, log, ({ db }) => tokenCreate(new TenancyService(db), values));
    case 'token list':
      return withStore(config, log, async ({ db }) => {
        const rows = await new TenancyService(db).listTokens();
        if (values.json) return out(JSON.stringify(rows));
        out(
          table(
            rows.map((t) => ({
              id: t.id,
              prefix: t.token_prefix,
              name: t.name,
              account: t.account_name,
              role: t.role,
              created_at: t.created_at,
              last_used_at: t.last_used_at,
              revoked_at: t.revoked_at,
            })),
          ),
        );
      });
    case `duckdb ${sub ?? ''}`.trim():
      if (!sub || !arg) throw new ConfigError('usage: quarry duckdb <database> "<sql>"');
      return duckdbQuery(config.home, sub, arg, Boolean(values.json));
    case 'token revoke':
      if (!arg) throw new ConfigError('usage: quarry token revoke <id|prefix>');
      return withStore(config, log, async ({ db }) => {
        const t = await new TenancyService(db).revokeToken(arg);
        out(`Token ${t.id} (${t.token_prefix}...) revoked`);
      });
    default:
      throw new ConfigError(`unknown command "${positionals.join(' ')}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof DomainError || String((err as { code?: unknown })?.code).startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`quarry: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(known ? 2 : 1);
});
