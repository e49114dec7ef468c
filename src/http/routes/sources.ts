import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { SourcesService } from '../../sources/service.js';
import { warehouses } from '../../warehouses/registry.js';
import { PageQuery, pageHeaders, pageRequest } from '../pagination.js';
import type { ResponseCache } from '../response-cache.js';
import { DisplayName, objectWith, Timestamp, Uuid, WorkspaceParams, problemResponses } from '../schemas.js';

export const SourceSchema = Type.Object(
  {
    id: Uuid,
    workspace_id: Uuid,
    name: Type.String(),
    source_type: Type.String({ enum: warehouses.map((w) => w.type) }),
    config: objectWith('Connection configuration; secret fields are masked'),
    connection_id: Type.Union([Uuid, Type.Null()]),
    status: Type.String({ enum: ['pending', 'connected', 'error'] }),
    status_error: Type.String(),
    created_by: Uuid,
    created_at: Timestamp,
    updated_at: Timestamp,
    last_test_results: Type.Union([
      Type.Object({
        steps: Type.Array(
          Type.Object({
            name: Type.String(),
            status: Type.String({ enum: ['passed', 'failed', 'skipped'] }),
            message: Type.String(),
            duration_ms: Type.Integer(),
            fix: Type.Optional(Type.String()),
          }),
        ),
      }),
      Type.Null(),
    ]),
    last_test_succeeded: Type.Union([Type.Boolean(), Type.Null()]),
    last_tested_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: 'Source' },
);

const SourceParams = Type.Object({ id: Type.String(), sourceId: Type.String({ description: 'Source ID' }) });
const ConnectionId = Type.Union([Type.String(), Type.Null()], { description: 'ID of a shared connection of the organization' });

const CreateBody = Type.Object(
  {
    name: DisplayName,
    source_type: Type.String({ enum: warehouses.filter((w) => w.creatableViaApi).map((w) => w.type) }),
    config: objectWith('Connection configuration; GET /source-types lists its JSON Schema for each source_type'),
    connection_id: Type.Optional(ConnectionId),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(DisplayName),
    config: Type.Optional(
      objectWith('Fields to change: sent fields replace, omitted fields are kept, null removes, a masked secret keeps the stored one'),
    ),
    connection_id: Type.Optional(ConnectionId),
  },
  { additionalProperties: false },
);

const SourceRef = Type.Ref('Source');
const tags = ['Sources'];

export function sourceRoutes(app: FastifyInstance, sources: SourcesService, responses: ResponseCache): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/api/v1/workspaces/:id/sources';

  r.get(
    base,
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'List sources',
        params: WorkspaceParams,
        querystring: PageQuery,
        response: { 200: Type.Array(SourceRef), ...problemResponses(401, 404, 422) },
      },
    },
    async (request, reply) =>
      responses.send(reply, `sources ${request.url}`, [`workspace:${request.params.id}`], async () => {
        const page = await sources.list(request.params.id, pageRequest(request.query));
        return { body: page.items, headers: pageHeaders(request, page) };
      }),
  );

  r.post(
    base,
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'Create a source',
        params: WorkspaceParams,
        body: CreateBody,
        response: { 201: SourceRef, ...problemResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await sources.create(request.principal, request.params.id, request.body)),
  );

  r.get(
    `${base}/:sourceId`,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'Get a source', params: SourceParams, response: { 200: SourceRef, ...problemResponses(401, 404) } },
    },
    async (request) => sources.get(request.params.id, request.params.sourceId),
  );

  r.put(
    `${base}/:sourceId`,
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'Update a source',
        description: 'Partial update of name, config and connection_id. A config change sets status back to pending.',
        params: SourceParams,
        body: UpdateBody,
        response: { 200: SourceRef, ...problemResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request) => sources.update(request.params.id, request.params.sourceId, request.body),
  );

  r.delete(
    `${base}/:sourceId`,
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'Delete a source',
        description: 'Refused with 409, naming them, while loaders or other resources depend on the source.',
        params: SourceParams,
        response: { 200: Type.Object({ status: Type.Literal('deleted') }), ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await sources.delete(request.params.id, request.params.sourceId);
      return { status: 'deleted' as const };
    },
  );
}
