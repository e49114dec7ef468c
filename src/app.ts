import crypto from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from './logger.js';
import type { Db } from './store/db.js';
import type { SecretBox } from './secrets/secret-box.js';
import { createAjv } from './lib/json-schema.js';
import { ProblemSchema, errorHandler, registerNotFound } from './http/problem.js';
import { registerAuth } from './http/auth.js';
import { TenancyService } from './tenancy/service.js';
import { SourcesService } from './sources/service.js';
import { SourceSchema, sourceRoutes } from './http/routes/sources.js';
import { sourceTypeRoutes } from './http/routes/source-types.js';
import { workspaceRoutes } from './http/routes/workspaces.js';
import { metaRoutes } from './http/routes/meta.js';
import { Invalidation } from './store/invalidation.js';
import { ResponseCache } from './http/response-cache.js';
import { sourceTestRoutes } from './http/routes/source-tests.js';
import { NetworkPolicy, type Lookup } from './net/policy.js';
import { type Config, loadConfig } from './config.js';
import type { JobQueue } from './jobs/queue.js';
import { LoadersService } from './loaders/service.js';
import { loaderRoutes } from './http/routes/loaders.js';
import { consoleRoutes } from './http/routes/console.js';

export interface AppDeps {
  db: Db;
  box: SecretBox;
  logger: Logger;
  /** Settings read from the environment (config.ts); defaults suit tests. */
  settings?: Partial<AppSettings>;
  /** DNS for user-supplied hosts; tests substitute their own. */
  lookup?: Lookup;
  /** The job queue runs are sent to (jobs/queue.ts). */
  queue: Pick<JobQueue, 'enqueueRun' | 'cancelJob'>;
}

export type AppSettings = Pick<Config, 'home' | 'networkPolicy' | 'connectionTestTimeoutMs' | 'connectionTestStepTimeoutMs' | 'sseHeartbeatMs'>;

export const BODY_LIMIT = 1024 * 1024;

/** The HTTP application, without listen(): tests drive it with app.inject(). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Bodies as sent (no coercion, unknown fields reported); query strings coerced from text.
  const bodyAjv = createAjv({ coerce: false });
  const queryAjv = createAjv({ coerce: true });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema));

  app.setErrorHandler(errorHandler);
  registerNotFound(app);
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Quarry API',
        version: '1',
        description: 'Warehouse sources and inbound ELT loaders. Authenticate with `Authorization: Bearer qry_...`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.addSchema(ProblemSchema);
  app.addSchema(SourceSchema);

  const invalidation = new Invalidation(deps.db, deps.logger);
  await invalidation.start();
  app.addHook('onClose', () => invalidation.stop());

  const settings: AppSettings = { ...pickSettings(loadConfig({})), ...deps.settings };
  const tenancy = new TenancyService(deps.db, invalidation);
  const sources = new SourcesService(deps.db, deps.box, invalidation);
  registerAuth(app, tenancy);
  metaRoutes(app, deps.db);
  workspaceRoutes(app, tenancy);
  sourceRoutes(app, sources, new ResponseCache(invalidation));
  sourceTypeRoutes(app);
  const policy = new NetworkPolicy(settings.networkPolicy, deps.lookup);
  const loaders = new LoadersService(deps.db, deps.box, { policy, home: settings.home, log: deps.logger, discoveryTimeoutMs: settings.connectionTestTimeoutMs }, deps.queue);
  loaderRoutes(app, loaders);
  sourceTestRoutes(app, sources, {
    home: settings.home,
    policy,
    totalTimeoutMs: settings.connectionTestTimeoutMs,
    stepTimeoutMs: settings.connectionTestStepTimeoutMs,
    heartbeatMs: settings.sseHeartbeatMs,
  }, deps.logger);
  await consoleRoutes(app);
  return app;
}

export function pickSettings(c: Config): AppSettings {
  return {
    home: c.home,
    networkPolicy: c.networkPolicy,
    connectionTestTimeoutMs: c.connectionTestTimeoutMs,
    connectionTestStepTimeoutMs: c.connectionTestStepTimeoutMs,
    sseHeartbeatMs: c.sseHeartbeatMs,
  };
}
