import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { warehouses } from '../../warehouses/registry.js';
import { secretPaths } from '../../secrets/secret-fields.js';
import { AnyObject, WorkspaceParams, problemResponses } from '../schemas.js';

const SourceTypeSchema = Type.Object({
  source_type: Type.String(),
  label: Type.String(),
  description: Type.String(),
  creatable_via_api: Type.Boolean(),
  config_schema: AnyObject,
  secret_fields: Type.Array(Type.String()),
});

// Static for the life of the process: computed once.
const body = warehouses.map((w) => ({
  source_type: w.type,
  label: w.label,
  description: w.description,
  creatable_via_api: w.creatableViaApi,
  config_schema: w.configSchema as Record<string, unknown>,
  secret_fields: secretPaths(w.configSchema),
}));

export function sourceTypeRoutes(app: FastifyInstance): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/v1/workspaces/:id/source-types',
    {
      config: { auth: 'workspace' },
      schema: {
        tags: ['Sources'],
        summary: 'List source types with their config JSON Schema and secret fields',
        params: WorkspaceParams,
        response: { 200: Type.Array(SourceTypeSchema), ...problemResponses(401, 404) },
      },
    },
    async () => body,
  );
}
