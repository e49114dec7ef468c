import type { WarehouseHarness } from '../harness.js';

const none = () => {
  throw new Error('not applicable to DuckDB');
};

/** The embedded DuckDB warehouse: a local file, so the network and login cases do not exist. */
export function duckdbHarness(): WarehouseHarness {
  const reason = 'an embedded DuckDB file has no network, no login and no grants (only file permissions, which root bypasses)';
  return {
    type: 'duckdb',
    start: async () => undefined,
    stop: async () => undefined,
    reset: () => undefined,
    config: () => ({ database: 'contract', schema: 'analytics' }),
    withEndpoint: none,
    badCredentials: none,
    missingRead: none,
    missingWrite: none,
    slow: none,
    liveConnections: () => 0,
    expect: { badCredentials: /^$/, readFix: /^$/, writeFix: /^$/ },
    notApplicable: {
      dns: reason,
      refused: reason,
      badCredentials: reason,
      missingRead: reason,
      missingWrite: reason,
      timeout: 'opening a local file has nothing to wait for; the whole-test timeout is covered by the network types',
      disconnect: 'a DuckDB test finishes in milliseconds; client disconnects are covered by the network types',
    },
  };
}
