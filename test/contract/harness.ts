/**
 * What the warehouse contract suite needs from each source type: a running warehouse (real,
 * or a fake that follows the vendor's API) and configs that make each case happen.
 */
export type Case = 'pass' | 'dns' | 'refused' | 'badCredentials' | 'missingRead' | 'missingWrite' | 'timeout' | 'disconnect';

export type Config = Record<string, unknown>;

export interface WarehouseHarness {
  type: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Undo every simulation switched on by a case. */
  reset(): void;
  /** A config whose test passes. */
  config(): Config;
  /** The passing config, pointed at another host and port. */
  withEndpoint(host: string, port: number): Config;
  badCredentials(): Config;
  /** A config (and simulation) where reading the schema is not granted. */
  missingRead(): Config;
  missingWrite(): Config;
  /** Switches the warehouse to answering too slowly; returns the config to use. */
  slow(): Config;
  /** Connections the warehouse currently has open from Quarry. */
  liveConnections(): number;
  /** What a case must show, where it depends on the vendor. */
  expect: {
    badCredentials: RegExp;
    readFix: RegExp;
    writeFix: RegExp;
  };
  /** Cases that cannot happen for this type, with the reason. The suite states them, it does not skip them silently. */
  notApplicable: Partial<Record<Case, string>>;
}
