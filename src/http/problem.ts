import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  DomainError,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../lib/errors.js';
import { toFieldErrors } from '../lib/json-schema.js';

/** RFC 9457 problem details, with a field-level `errors` list for validation failures. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI identifying the kind of problem' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String({ description: 'the request path' }),
    request_id: Type.String({ description: 'matches the reqId of the server log lines of this request' }),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    dependents: Type.Optional(Type.Array(Type.Object({ kind: Type.String(), id: Type.String(), name: Type.String() }))),
  },
  { $id: 'Problem' },
);

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad Request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not Found'],
  405: ['method-not-allowed', 'Method Not Allowed'],
  406: ['not-acceptable', 'Not Acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload Too Large'],
  415: ['unsupported-media-type', 'Unsupported Media Type'],
  422: ['validation-failed', 'Validation Failed'],
  429: ['too-many-requests', 'Too Many Requests'],
  500: ['internal-error', 'Internal Server Error'],
  503: ['unavailable', 'Service Unavailable'],
};

export interface ProblemExtras {
  errors?: FieldError[] | undefined;
  dependents?: unknown;
  headers?: Record<string, string>;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, status: number, detail: string, extras: ProblemExtras = {}): FastifyReply {
  const [slug, title] = TITLES[status] ?? TITLES[status >= 500 ? 500 : 400]!;
  const body = {
    type: `urn:quarry:problem:${slug}`,
    title,
    status,
    detail,
    instance: request.url.split('?')[0]!,
    request_id: String(request.id),
    ...(extras.errors ? { errors: extras.errors } : {}),
    ...(extras.dependents ? { dependents: extras.dependents } : {}),
  };
  for (const [k, v] of Object.entries(extras.headers ?? {})) reply.header(k, v);
  // The body is serialised here, not by a route's response schema.
  return reply.code(status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

/**
 * Fastify's own client errors, with details we write ourselves: some of Fastify's messages
 * (a JSON syntax error's, notably) quote the request body, which may hold a secret.
 */
function fastifyClientError(err: FastifyError): { status: number; detail: string } | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, detail: 'the request body is not valid JSON' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, detail: 'the request says Content-Type: application/json but its body is empty' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, detail: 'the request body is larger than the 1 MiB limit' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, detail: 'send the request body as application/json' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, detail: 'the Content-Length header does not match the body' };
    case 'FST_ERR_BAD_URL':
      return { status: 400, detail: 'the request URL is malformed' };
    default:
      if (err instanceof SyntaxError || /JSON/.test(err.message)) return { status: 400, detail: 'the request body is not valid JSON' };
      return undefined;
  }
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation) {
    const context = err.validationContext ?? 'body';
    const errors = toFieldErrors(err.validation as never);
    const where = context === 'querystring' ? 'query string' : context;
    return sendProblem(request, reply, 422, `the ${where} is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, { errors });
  }
  const e: unknown = err;
  if (e instanceof DomainError) {
    if (e instanceof ValidationError) return sendProblem(request, reply, 422, `the request is invalid: ${e.message}`, { errors: e.errors });
    if (e instanceof NotFoundError) return sendProblem(request, reply, 404, e.message);
    if (e instanceof ConflictError) return sendProblem(request, reply, 409, e.message, { dependents: e.details?.dependents });
    if (e instanceof AuthenticationError) {
      return sendProblem(request, reply, 401, e.message, { headers: { 'www-authenticate': 'Bearer realm="quarry"' } });
    }
    if (e instanceof ForbiddenError) return sendProblem(request, reply, 403, e.message);
    if (e instanceof BadRequestError) return sendProblem(request, reply, 400, e.message, { errors: e.errors });
  }
  const client = fastifyClientError(err);
  if (client) return sendProblem(request, reply, client.status, client.detail);
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status < 500) return sendProblem(request, reply, status, err.message);
  request.log.error({ err }, 'unhandled error');
  return sendProblem(request, reply, 500, `an unexpected error occurred; the server log has the details under request id ${request.id}`);
}

/** Routes by pattern, so an unknown method on a known path gets 405 with an Allow header. */
export function registerNotFound(app: FastifyInstance): void {
  const routes: { methods: string[]; pattern: RegExp }[] = [];
  app.addHook('onRoute', (opts) => {
    const pattern = new RegExp(
      '^' +
        opts.url
          .split('/')
          .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/') +
        '/?$',
    );
    routes.push({ methods: ([] as string[]).concat(opts.method), pattern });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))];
    if (allowed.length && !allowed.includes(request.method)) {
      return sendProblem(request, reply, 405, `${request.method} is not supported on ${path}; use ${allowed.join(', ')}`, {
        headers: { allow: allowed.join(', ') },
      });
    }
    return sendProblem(request, reply, 404, `no route ${request.method} ${path}`);
  });
}
