import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Logger } from '../../logger.js';
import type { NetworkPolicy } from '../../net/policy.js';
import type { PreparedTest, SourcesService, SourceView } from '../../sources/service.js';
import { runConnectionTest, type TestStep } from '../../warehouses/connection-test.js';
import { warehouses } from '../../warehouses/registry.js';
import { openEventStream } from '../sse.js';
import { DisplayName, WorkspaceParams, objectWith, problemResponses } from '../schemas.js';

export interface ConnectionTestSettings {
  home: string;
  policy: NetworkPolicy;
  totalTimeoutMs: number;
  stepTimeoutMs: number;
  heartbeatMs: number;
}

const TestBody = Type.Object(
  {
    // the create request's fields are accepted as they are; name is not needed for a test
    name: Type.Optional(DisplayName),
    source_type: Type.String({ enum: warehouses.filter((w) => w.creatableViaApi).map((w) => w.type) }),
    config: objectWith('Connection configuration, as for creating a source; a shared connection named by connection_id supplies what is left out'),
    connection_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);

const sseResponse = {
  200: {
    description:
      'Server-Sent Events: one `step` event per finished step (`{"name","status","message","duration_ms"}`, plus `fix` for a missing permission), then `done` (`{"success","steps"}`; `source` too for a saved source)',
    content: { 'text/event-stream': { schema: Type.String() } },
  },
};

const tags = ['Sources'];

export function sourceTestRoutes(app: FastifyInstance, sources: SourcesService, settings: ConnectionTestSettings, log: Logger): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  /** Streams the steps; returns them, or undefined when the client left before the end. */
  async function stream(
    request: FastifyRequest,
    reply: FastifyReply,
    prepared: PreparedTest,
    finish: (steps: TestStep[]) => Promise<Record<string, unknown>>,
  ): Promise<void> {
    const events = openEventStream(request, reply, settings.heartbeatMs);
    try {
      const steps: TestStep[] = [];
      const run = runConnectionTest(prepared.definition, prepared.config, {
        policy: settings.policy,
        home: settings.home,
        log,
        stepTimeoutMs: settings.stepTimeoutMs,
        totalTimeoutMs: settings.totalTimeoutMs,
        signal: events.signal,
        secrets: prepared.secrets,
      });
      for await (const step of run) {
        steps.push(step);
        events.send('step', step);
      }
      if (events.signal.aborted) return;
      events.send('done', { success: steps.every((s) => s.status === 'passed'), steps, ...(await finish(steps)) });
    } catch (err) {
      request.log.error({ err }, 'connection test failed unexpectedly');
      events.send('error', { title: 'Internal Server Error', status: 500, detail: `the connection test stopped unexpectedly; request id ${request.id}` });
    } finally {
      events.end();
    }
  }

  r.post(
    '/api/v1/workspaces/:id/sources/test',
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'Test a new connection (SSE); nothing is saved',
        params: WorkspaceParams,
        body: TestBody,
        response: { ...sseResponse, ...problemResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const prepared = await sources.prepareTest(request.params.id, request.body);
      await stream(request, reply, prepared, async () => ({}));
    },
  );

  r.post(
    '/api/v1/workspaces/:id/sources/:sourceId/test',
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'Test a saved source with its stored credentials (SSE); records the result on the source',
        params: Type.Object({ id: Type.String(), sourceId: Type.String() }),
        response: { ...sseResponse, ...problemResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const prepared = await sources.prepareStoredTest(request.params.id, request.params.sourceId);
      await stream(request, reply, prepared, async (steps) => {
        const source: SourceView = await sources.recordTest(request.params.id, request.params.sourceId, prepared.source.updated_at, steps);
        return { source };
      });
    },
  );
}
