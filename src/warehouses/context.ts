import { setMaxListeners } from 'node:events';
import type { Logger } from '../logger.js';
import { type EgressProxy, startEgressProxy } from '../net/egress-proxy.js';
import type { NetworkPolicy, ResolvedAddress } from '../net/policy.js';
import type { DriverContext } from './types.js';

/** What every outbound operation (a test, a discovery, a run) is given. */
export interface OperationSettings {
  policy: NetworkPolicy;
  home: string;
  log: Logger;
}

/**
 * A DriverContext for one operation, with its own abort signal (aborted by `signal` too) and
 * its own egress proxy, started on first use. `close()` aborts and closes everything.
 */
export function openOperation(settings: OperationSettings, signal?: AbortSignal): { ctx: DriverContext; resolved: Map<string, ResolvedAddress>; abort(): void; close(): Promise<void> } {
  const controller = new AbortController();
  // every stream, request and backoff of a run waits on this one signal at once, legitimately
  setMaxListeners(0, controller.signal);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) controller.abort();
  const resolved = new Map<string, ResolvedAddress>();
  let proxy: Promise<EgressProxy> | undefined;
  const ctx: DriverContext = {
    policy: settings.policy,
    resolve: async (host) => resolved.get(host) ?? settings.policy.resolve(host),
    proxy: () => (proxy ??= startEgressProxy(settings.policy)),
    home: settings.home,
    signal: controller.signal,
    log: settings.log,
  };
  return {
    ctx,
    resolved,
    abort: () => controller.abort(),
    close: async () => {
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
      if (proxy) await proxy.then((p) => p.close()).catch(() => undefined);
    },
  };
}
