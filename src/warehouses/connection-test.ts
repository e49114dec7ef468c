import type { Logger } from '../logger.js';
import type { NetworkPolicy } from '../net/policy.js';
import { openOperation } from './context.js';
import { ProbeError, probeEndpoint, withDeadline } from '../net/probe.js';
import { StepError, type WarehouseConfig, type WarehouseDefinition, type WarehouseDriver, type WarehouseSession } from './types.js';

export type StepName = 'connectivity' | 'authentication' | 'permissions';
export type StepStatus = 'passed' | 'failed' | 'skipped';

/** One step of a connection test: one SSE `step` event, one entry of `last_test_results`. */
export interface TestStep {
  name: StepName;
  status: StepStatus;
  message: string;
  duration_ms: number;
  /** For a missing permission: the statements an administrator must run. */
  fix?: string;
}

export interface ConnectionTestOptions {
  policy: NetworkPolicy;
  home: string;
  log: Logger;
  /** Budget of each step. */
  stepTimeoutMs: number;
  /** Budget of the whole test; when it runs out the current step fails. */
  totalTimeoutMs: number;
  /** Aborted when the client goes away: the test stops and closes its connections. */
  signal: AbortSignal;
  /** Secret values of the config: never allowed into a message. */
  secrets: string[];
}

const STEPS: StepName[] = ['connectivity', 'authentication', 'permissions'];

class Timeout extends Error {}

function scrub(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  // a vendor message is one line in an SSE event; keep it readable and bounded
  return out.replace(/\s+/g, ' ').trim().slice(0, 2000);
}

/**
 * Runs connectivity -> authentication -> permissions, yielding each step the moment it ends.
 * After a failure the remaining steps are yielded as skipped. Connections (the driver
 * session and the egress proxy with every tunnel through it) are closed when the test ends,
 * times out or is aborted.
 */
export async function* runConnectionTest(
  def: WarehouseDefinition,
  config: WarehouseConfig,
  opts: ConnectionTestOptions,
): AsyncGenerator<TestStep, TestStep[]> {
  const steps: TestStep[] = [];
  const op = openOperation({ policy: opts.policy, home: opts.home, log: opts.log }, opts.signal);
  const { ctx, resolved } = op;
  const deadline = Date.now() + opts.totalTimeoutMs;
  let session: WarehouseSession | undefined;

  const run = async (name: StepName, body: () => Promise<{ message: string }>): Promise<TestStep> => {
    const started = Date.now();
    const remaining = deadline - started;
    const budget = Math.min(opts.stepTimeoutMs, remaining);
    const wholeTest = remaining <= opts.stepTimeoutMs;
    try {
      if (budget <= 0) throw new Timeout();
      const { message } = await withDeadline(body(), budget, ctx.signal, () => new Timeout());
      return { name, status: 'passed', message: scrub(message, opts.secrets), duration_ms: Date.now() - started };
    } catch (err) {
      const duration_ms = Date.now() - started;
      if (err instanceof Timeout) {
        op.abort(); // stop whatever the step was still doing
        const limit = Math.round((wholeTest ? opts.totalTimeoutMs : budget) / 100) / 10;
        return {
          name,
          status: 'failed',
          message: wholeTest ? `the connection test timed out after ${limit}s (whole-test limit)` : `timed out after ${limit}s`,
          duration_ms,
        };
      }
      const e = err as Error;
      const fix = err instanceof StepError && err.fix ? scrub(err.fix, opts.secrets) : undefined;
      const message = scrub(e.message || String(err), opts.secrets);
      const full = fix ? `${message}${/[.!?]$/.test(message) ? '' : '.'} To fix, an administrator can run: ${fix}` : message;
      return { name, status: 'failed', message: full, duration_ms, ...(fix ? { fix } : {}) };
    }
  };

  try {
    let driver: WarehouseDriver | undefined;
    const load = async () => (driver ??= await def.load());
    const bodies: Record<StepName, () => Promise<{ message: string }>> = {
      connectivity: async () => {
        const endpoints = (await load()).endpoints(config);
        if (endpoints.length === 0) return { message: 'embedded warehouse: no network needed' };
        const parts: string[] = [];
        for (const ep of endpoints) {
          try {
            const r = await probeEndpoint(ep, opts.policy, opts.stepTimeoutMs, ctx.signal);
            resolved.set(ep.host, r.resolved);
            parts.push(r.message);
          } catch (err) {
            if (err instanceof ProbeError && err.stage === 'aborted') throw new Timeout();
            throw err;
          }
        }
        return { message: `Reached ${def.label} at ${parts.join('; ')}` };
      },
      authentication: async () => {
        session = await (await load()).connect(config, ctx);
        return { message: `Credentials verified: ${session.identity}` };
      },
      permissions: async () => {
        const read = await session!.checkRead();
        const write = await session!.checkWrite();
        return { message: `Read: ${read}. Write: ${write}.` };
      },
    };
    let failed: StepName | undefined;
    for (const name of STEPS) {
      if (opts.signal.aborted) break;
      const step: TestStep = failed
        ? { name, status: 'skipped', message: `skipped because the ${failed} step failed`, duration_ms: 0 }
        : await run(name, bodies[name]);
      if (step.status === 'failed') failed = name;
      if (opts.signal.aborted) break; // the client left: nobody to tell
      steps.push(step);
      yield step;
    }
    return steps;
  } finally {
    op.abort();
    const closing = [op.close(), ...(session ? [session.close().catch(() => undefined)] : [])];
    // Cleanup must not hang the request on a vendor that stopped answering.
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}
