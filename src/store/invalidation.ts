import type { Logger } from '../logger.js';
import type { Db, DbClient } from './db.js';

export const CHANNEL = 'quarry_invalidate';
const RECONNECT_MS = 1000;

type Listener = (topic: string | '*') => void;

/**
 * Delivers the `quarry_invalidate` notifications (sent by triggers on commit, see migration
 * 0002) to in-process caches. Caches may serve entries only while `live`: when the listening
 * connection is lost, every cache is cleared and bypassed until it is back, so a missed
 * notification can never leave a stale entry behind.
 */
export class Invalidation {
  private readonly listeners = new Set<Listener>();
  private client: DbClient | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  live = false;

  constructor(
    private readonly db: Db,
    private readonly log?: Logger,
  ) {}

  subscribe(fn: Listener): void {
    this.listeners.add(fn);
  }

  /** Local writes call this after commit, so this process reads its own writes at once. */
  publish(topic: string): void {
    for (const fn of this.listeners) fn(topic);
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = await this.db.connect();
      const lost = (err?: Error) => {
        if (this.client !== client) return;
        this.client = undefined;
        this.live = false;
        this.publish('*');
        client.release(err ?? true);
        if (!this.stopped) {
          this.log?.warn({ err: err?.message }, 'cache invalidation channel lost; caches bypassed until it reconnects');
          this.timer = setTimeout(() => void this.start(), RECONNECT_MS);
        }
      };
      client.on('notification', (msg) => {
        if (msg.channel === CHANNEL && msg.payload) this.publish(msg.payload);
      });
      client.on('error', lost);
      client.on('end', () => lost());
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
      // Anything may have changed while nobody listened.
      this.publish('*');
      this.live = true;
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'cannot listen for cache invalidations; retrying');
      if (!this.stopped) this.timer = setTimeout(() => void this.start(), RECONNECT_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.live = false;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
      client.release();
    }
  }
}

interface Entry<V> {
  value: V;
  scopes: string[];
  expires: number;
}

/**
 * A bounded cache whose entries belong to invalidation scopes (`workspace:<id>`,
 * `token:<id>`, ...). A fill takes a ticket before reading the database and is dropped if
 * any invalidation happened meanwhile, so a slow read never stores data older than a
 * notification already processed.
 */
export class ScopedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly byScope = new Map<string, Set<string>>();
  private seq = 0;

  constructor(
    private readonly invalidation: Invalidation,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {
    invalidation.subscribe((topic) => (topic === '*' ? this.clear() : this.invalidate(topic)));
  }

  ticket(): number {
    return this.seq;
  }

  get(key: string): V | undefined {
    if (!this.invalidation.live) return undefined;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, scopes: string[], value: V, ticket: number): void {
    if (!this.invalidation.live || ticket !== this.seq) return;
    if (this.entries.size >= this.maxEntries) this.delete(this.entries.keys().next().value!);
    this.delete(key);
    this.entries.set(key, { value, scopes, expires: Date.now() + this.ttlMs });
    for (const s of scopes) {
      let keys = this.byScope.get(s);
      if (!keys) this.byScope.set(s, (keys = new Set()));
      keys.add(key);
    }
  }

  invalidate(scope: string): void {
    this.seq++;
    for (const key of this.byScope.get(scope) ?? []) this.delete(key);
    this.byScope.delete(scope);
  }

  clear(): void {
    this.seq++;
    this.entries.clear();
    this.byScope.clear();
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    for (const s of e.scopes) {
      const keys = this.byScope.get(s);
      keys?.delete(key);
      if (keys?.size === 0) this.byScope.delete(s);
    }
  }
}
