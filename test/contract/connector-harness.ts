/**
 * What the connector contract suite needs from each HTTP loader type: its fake vendor server
 * and the switches the suite flips. Values are compared as strings: `key` -> `value` of the
 * records the warehouse table must hold.
 */
export interface ConnectorHarness {
  type: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A loader config pointed at the fake (`base_url` and friends). */
  config(): Record<string, unknown>;
  /** Streams loaded by the full-refresh case (several pages each). */
  fullRefreshStreams: string[];
  /** The stream of the incremental, 429, 500 and OAuth cases. */
  stream: string;
  /** Its primary-key column and a column whose value changes on update. */
  key: string;
  value: string;
  /** The records the table must hold now, as key -> value. */
  expected(stream: string): Promise<Map<string, string>>;
  /**
   * Changes between two incremental runs: updates, inserts, records sharing the last cursor
   * value and (where the vendor exposes them) deletions. Returns how many records the next
   * incremental read must return, and the keys deleted.
   */
  mutate(): Promise<{ reread: number; deleted: string[] }>;
  /** The next requests answer 429 with Retry-After. */
  rateLimitStorm(): void;
  /** A request in the middle of paging answers 500 once. */
  failMidPaging(): void;
  /** The OAuth access token expires partway through the next run. */
  expireTokenMidRun(): void;
  stats(): { rejected429: number; failed500: number; tokenRefreshes: number };
  /** Cases that cannot happen for this vendor, with the reason. */
  notApplicable: Partial<Record<'oauth' | 'deletions', string>>;
}
