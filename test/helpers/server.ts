import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'src/cli.ts');

/** The environment a fresh machine has: nothing of the test runner's own settings. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...extra };
}

export interface RunningServer {
  proc: ChildProcess;
  url: string;
  output: () => string;
  banner: { workspaceId?: string; token?: string };
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `quarry serve` as a child process and waits for its "running at" banner. */
export async function startServer(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], { cwd: ROOT, env: cleanEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  while (!/Quarry is running at (\S+)/.test(out) || (/First start/.test(out) && !/Try it:\n.*\n.*\n/.test(out))) {
    if (proc.exitCode !== null) throw new Error(`quarry serve exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`quarry serve did not start within ${timeoutMs}ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /Quarry is running at (\S+)/.exec(out)![1]!;
  const banner = {
    workspaceId: /Workspace ID: (\S+)/.exec(out)?.[1],
    token: /API token: +(\S+)/.exec(out)?.[1],
  };
  return {
    proc,
    url,
    banner,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Runs a `quarry` CLI command to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
