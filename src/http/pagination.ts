import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DEFAULT_LIMIT, MAX_LIMIT, type Page, type PageRequest } from '../lib/pagination.js';

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `page size (1-${MAX_LIMIT})` })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'opaque cursor from the previous page\'s Link header' })),
  },
  { additionalProperties: false },
);

export function pageRequest(query: { limit?: number | undefined; cursor?: string | undefined }): PageRequest {
  return { limit: query.limit ?? DEFAULT_LIMIT, cursor: query.cursor };
}

/**
 * The body stays the bare JSON array of the reference; the next page is announced in an
 * RFC 8288 Link header, keeping the other query parameters.
 */
export function pageHeaders(request: FastifyRequest, page: Page<unknown>): Record<string, string> {
  if (!page.next) return {};
  const url = new URL(request.url, 'http://placeholder');
  url.searchParams.set('cursor', page.next);
  return { link: `<${url.pathname}${url.search}>; rel="next"` };
}

export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>): T[] {
  reply.headers(pageHeaders(request, page));
  return page.items;
}
