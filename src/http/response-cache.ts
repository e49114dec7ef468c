import type { FastifyReply } from 'fastify';
import { type Invalidation, ScopedCache } from '../store/invalidation.js';

interface Cached {
  body: string;
  headers: Record<string, string>;
}

/**
 * Serialised GET responses, kept until a write to one of their scopes commits (see
 * store/invalidation.ts). A hit costs no database round trip and no serialisation; auth has
 * already run (and is itself cached the same way) before a handler gets here.
 */
export class ResponseCache {
  private readonly cache: ScopedCache<Cached>;

  constructor(invalidation: Invalidation) {
    this.cache = new ScopedCache(invalidation, 30_000, 2_000);
  }

  async send(
    reply: FastifyReply,
    key: string,
    scopes: string[],
    compute: () => Promise<{ body: unknown; headers?: Record<string, string> }>,
  ): Promise<FastifyReply> {
    let hit = this.cache.get(key);
    if (!hit) {
      const ticket = this.cache.ticket();
      const fresh = await compute();
      // The route's response schema serialises, exactly as for an uncached reply.
      const entry: Cached = { body: String(reply.serialize(fresh.body)), headers: fresh.headers ?? {} };
      this.cache.set(key, scopes, entry, ticket);
      hit = entry;
    }
    for (const [k, v] of Object.entries(hit.headers)) reply.header(k, v);
    return reply.type('application/json; charset=utf-8').send(hit.body);
  }
}
