import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_DIST = path.join(ROOT, 'web/dist');
const OUTPUTS = [path.join(ROOT, 'dist/cli.js'), path.join(WEB_DIST, 'index.html')];
const INPUTS = ['src', 'web/src', 'web/index.html', 'web/vite.config.ts', 'package-lock.json'].map((p) => path.join(ROOT, p));

function newest(p: string): number {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
}

/**
 * The e2e tests run the built server and UI. `npm test` builds just before vitest, so under
 * it the outputs only need to exist; run alone, a test builds when an output is missing or
 * older than the sources.
 */
export async function ensureBuilt(): Promise<void> {
  const built = Math.min(...OUTPUTS.map((o) => fs.statSync(o, { throwIfNoEntry: false })?.mtimeMs ?? 0));
  if (built > 0 && (process.env.npm_lifecycle_event === 'test' || built >= Math.max(...INPUTS.map(newest)))) return;
  try {
    await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}
