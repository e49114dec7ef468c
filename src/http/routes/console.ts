import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/** web/dist of the repository: three levels up from src/http/routes and dist/http/routes alike. */
export const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

/** Paths the console never answers: the API keeps its problem+json 404 and 405. */
const RESERVED = /^\/(?:api|docs|healthz|readyz)(?:\/|$)/;

// The console holds an API token: only its own scripts run, and it talks only to this origin.
// 'unsafe-eval': the form library matches anyOf/oneOf branches and new list items with ajv,
// which compiles schemas with `new Function`. Charts set inline styles.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quarry</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Quarry</h1>
<p>The API is running, but the web console is not built. Run <code>npm run build</code> in the Quarry directory, then reload this page.</p>
<p>The API reference is at <a href="/docs">/docs</a>.</p>
</body></html>
`;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function htmlHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
}

/**
 * Serves the built web console (web/dist) at `/`. A GET that no route matched, outside the
 * API's paths, gets the file it names or else index.html, where the console's router takes
 * over (so /w/<id>/sources can be reloaded or bookmarked).
 *
 * This is an onRequest hook on unmatched requests rather than a catch-all route: the API's
 * 404/405 handler works out the allowed methods from the registered routes, and a `/*` route
 * would make every unknown path look like a GET-only one.
 */
export async function consoleRoutes(app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const root = opts.root ?? CONSOLE_DIST;
  // Only reply.sendFile (streaming, ETag, Last-Modified, HEAD): no routes of its own.
  await app.register(fastifyStatic, { root, serve: false, suppressWarning: true, dotfiles: 'deny' });

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const pathname = request.url.split('?')[0]!;
    if (RESERVED.test(pathname)) return;

    if (!(await isFile(path.join(root, 'index.html')))) {
      return htmlHeaders(reply).code(200).type('text/html; charset=utf-8').send(NOT_BUILT);
    }
    let relative: string | undefined;
    try {
      relative = path.normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '');
    } catch {
      relative = undefined; // malformed percent-encoding: not a file
    }
    const file = relative ? path.join(root, relative) : undefined;
    const inside = file !== undefined && file.startsWith(root + path.sep) && !relative!.split(/[/\\]/).some((s) => s.startsWith('.'));
    if (inside && relative !== 'index.html' && (await isFile(file))) {
      // Vite names assets by content hash: they never change under their name.
      const immutable = relative!.startsWith(`assets${path.sep}`);
      return reply
        .header('x-content-type-options', 'nosniff')
        .sendFile(relative!, immutable ? { maxAge: '365d', immutable: true } : { cacheControl: false });
    }
    // A missing hashed asset is a stale page asking for an old build: a 404, not HTML.
    if (pathname.startsWith('/assets/')) return;
    return htmlHeaders(reply).type('text/html; charset=utf-8').sendFile('index.html', { cacheControl: false });
  });
}
