import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { TenancyService } from '../../tenancy/service.js';
import { PageQuery, pageRequest, sendPage } from '../pagination.js';
import { DisplayName, Timestamp, Uuid, WorkspaceParams, problemResponses } from '../schemas.js';

const WorkspaceSchema = Type.Object(
  {
    id: Uuid,
    organization_id: Uuid,
    name: Type.String(),
    created_by: Type.Union([Uuid, Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Workspace' },
);

const tags = ['Workspaces'];

export function workspaceRoutes(app: FastifyInstance, tenancy: TenancyService): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(WorkspaceSchema);

  r.get(
    '/api/v1/workspaces',
    {
      config: { auth: 'account' },
      schema: {
        tags,
        summary: 'List the workspaces this token can reach',
        querystring: PageQuery,
        response: { 200: Type.Array(Type.Ref('Workspace')), ...problemResponses(401, 422) },
      },
    },
    async (request, reply) => sendPage(request, reply, await tenancy.listWorkspaces(request.principal, pageRequest(request.query))),
  );

  r.post(
    '/api/v1/workspaces',
    {
      config: { auth: 'account' },
      schema: {
        tags,
        summary: 'Create a workspace (organization admins)',
        body: Type.Object({ name: DisplayName }, { additionalProperties: false }),
        response: { 201: Type.Ref('Workspace'), ...problemResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await tenancy.createWorkspace(request.principal, request.body.name)),
  );

  r.get(
    '/api/v1/workspaces/:id',
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'Get a workspace', params: WorkspaceParams, response: { 200: Type.Ref('Workspace'), ...problemResponses(401, 404) } },
    },
    async (request) => tenancy.getWorkspace(request.principal, request.params.id),
  );
}
