import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type TSchema } from 'typebox';
import type { LoadersService } from '../../loaders/service.js';
import { connectors } from '../../connectors/registry.js';
import { type Column, type StreamSchema, SYNC_MODES } from '../../connectors/types.js';
import { secretPaths } from '../../secrets/secret-fields.js';
import { PageQuery, pageRequest, sendPage } from '../pagination.js';
import { AnyObject, DisplayName, Timestamp, Uuid, WorkspaceParams, objectWith, problemResponses, stringEnum } from '../schemas.js';

const SyncMode = stringEnum(SYNC_MODES);
const SettableStatus = stringEnum(['draft', 'active', 'paused'] as const);
const Identifier = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', description: 'an identifier: a letter or _ then letters, digits or _ (up to 63)' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const SelectedStream = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    sync_mode: Type.Optional(SyncMode),
    cursor_field: Type.Optional(Type.String({ minLength: 1, description: 'overrides the stream\'s default cursor' })),
    primary_key: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'overrides the stream\'s primary key' })),
  },
  { additionalProperties: false },
);

const LoaderSchema = Type.Object(
  {
    id: Uuid,
    workspace_id: Uuid,
    source_id: Uuid,
    name: Type.String(),
    loader_type: Type.String(),
    config: objectWith('Connection configuration; secret fields are masked'),
    target_schema: Type.String(),
    selected_streams: Type.Array(Type.Object({ name: Type.String(), sync_mode: SyncMode, cursor_field: Type.Optional(Type.String()), primary_key: Type.Optional(Type.Array(Type.String())) })),
    sync_mode: SyncMode,
    schedule: Nullable(Type.String()),
    status: Type.String({ enum: ['draft', 'active', 'paused', 'error'] }),
    status_error: Type.String(),
    created_by: Uuid,
    created_at: Timestamp,
    updated_at: Timestamp,
    last_run_at: Nullable(Timestamp),
    last_run_id: Nullable(Uuid),
    next_run_at: Nullable(Timestamp),
  },
  { $id: 'Loader' },
);

const RunFields = {
  id: Uuid,
  loader_id: Uuid,
  workspace_id: Uuid,
  status: Type.String({ enum: ['pending', 'running', 'completed', 'failed', 'cancelled'] }),
  started_at: Nullable(Timestamp),
  completed_at: Nullable(Timestamp),
  rows_loaded: Type.Integer(),
  streams_total: Type.Integer(),
  streams_failed: Type.Integer(),
  error_message: Type.String(),
  triggered_by: Nullable(Uuid),
  job_id: Nullable(Type.String()),
  created_at: Timestamp,
  scheduled_for: Nullable(Timestamp),
  cancel_requested_at: Nullable(Timestamp),
};
const RunSchema = Type.Object(RunFields, { $id: 'LoaderRun' });
const RunDetailSchema = Type.Object({
  ...RunFields,
  streams: Type.Array(
    Type.Object({
      stream: Type.String(),
      status: Type.String(),
      sync_mode: SyncMode,
      rows_loaded: Type.Integer(),
      bytes: Type.Integer(),
      duration_ms: Type.Integer(),
      cursor: Nullable(Type.String()),
      error_message: Type.String(),
    }),
  ),
});

const StreamOut = Type.Object({
  name: Type.String(),
  json_schema: AnyObject,
  columns: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), nullable: Type.Boolean(), source_type: Type.Optional(Type.String()) })),
  primary_key: Type.Array(Type.String()),
  cursor_field: Nullable(Type.String()),
  cursor_candidates: Type.Array(Type.String()),
  supported_sync_modes: Type.Array(SyncMode),
});

const JSON_TYPES: Record<Column['type'], Record<string, unknown>> = {
  boolean: { type: 'boolean' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  decimal: { type: 'number' },
  string: { type: 'string' },
  date: { type: 'string', format: 'date' },
  time: { type: 'string', format: 'time' },
  timestamp: { type: 'string', format: 'date-time' },
  timestamptz: { type: 'string', format: 'date-time' },
  json: {},
  binary: { type: 'string', contentEncoding: 'base16' },
  uuid: { type: 'string', format: 'uuid' },
};

/** A stream as the API shows it, with its record JSON Schema. */
export function streamOut(s: StreamSchema) {
  const properties = Object.fromEntries(
    s.columns.map((c) => {
      const t = JSON_TYPES[c.type];
      return [c.name, c.nullable && typeof t.type === 'string' ? { ...t, type: [t.type, 'null'] } : t];
    }),
  );
  return {
    name: s.name,
    json_schema: { type: 'object', properties, required: s.columns.filter((c) => !c.nullable).map((c) => c.name) },
    columns: s.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, ...(c.sourceType ? { source_type: c.sourceType } : {}) })),
    primary_key: s.primaryKey,
    cursor_field: s.cursorField,
    cursor_candidates: s.cursorCandidates,
    supported_sync_modes: s.syncModes,
  };
}

const LoaderParams = Type.Object({ id: Type.String(), loaderId: Type.String({ description: 'Loader ID' }) });
const RunParams = Type.Object({ id: Type.String(), loaderId: Type.String(), runId: Type.String({ description: 'Run ID' }) });
const tags = ['Loaders'];
const LOADER_TYPES = connectors.filter((c) => c.creatableViaApi).map((c) => c.type);

const loaderTypesBody = connectors.map((c) => ({
  loader_type: c.type,
  label: c.label,
  description: c.description,
  creatable_via_api: c.creatableViaApi,
  config_schema: c.configSchema as Record<string, unknown>,
  secret_fields: secretPaths(c.configSchema),
  streams: c.streams ? c.streams.map(streamOut) : null,
  streams_depend_on_config: c.streams === null,
}));

export function loaderRoutes(app: FastifyInstance, loaders: LoadersService): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(LoaderSchema);
  app.addSchema(RunSchema);
  const base = '/api/v1/workspaces/:id/loaders';

  r.get(
    '/api/v1/workspaces/:id/loader-types',
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'List loader types with their config JSON Schema, secret fields and streams',
        params: WorkspaceParams,
        response: {
          200: Type.Array(
            Type.Object({
              loader_type: Type.String(),
              label: Type.String(),
              description: Type.String(),
              creatable_via_api: Type.Boolean(),
              config_schema: AnyObject,
              secret_fields: Type.Array(Type.String()),
              streams: Type.Union([Type.Array(StreamOut), Type.Null()]),
              streams_depend_on_config: Type.Boolean(),
            }),
          ),
          ...problemResponses(401, 404),
        },
      },
    },
    async () => loaderTypesBody,
  );

  r.post(
    `${base}/discover`,
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: 'Check a loader config and list the streams it reaches (nothing is saved)',
        params: WorkspaceParams,
        body: Type.Object({ loader_type: Type.String({ enum: LOADER_TYPES }), config: objectWith('as for creating a loader') }, { additionalProperties: false }),
        response: { 200: Type.Object({ check: Type.String(), streams: Type.Array(StreamOut) }), ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { check, streams } = await loaders.discover(request.body);
      return { check, streams: streams.map(streamOut) };
    },
  );

  r.get(
    base,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'List loaders', params: WorkspaceParams, querystring: PageQuery, response: { 200: Type.Array(Type.Ref('Loader')), ...problemResponses(401, 404, 422) } },
    },
    async (request, reply) => sendPage(request, reply, await loaders.list(request.params.id, pageRequest(request.query))),
  );

  const CreateBody = Type.Object(
    {
      name: DisplayName,
      loader_type: Type.String({ enum: LOADER_TYPES }),
      source_id: Type.String({ description: 'the warehouse source to load into' }),
      config: objectWith('Connection configuration; GET /loader-types lists its JSON Schema for each loader_type'),
      target_schema: Identifier,
      selected_streams: Type.Array(SelectedStream, { minItems: 1 }),
      sync_mode: SyncMode,
      schedule: Type.Optional(Type.Union([Type.String({ description: 'cron expression (UTC): minute hour day-of-month month day-of-week' }), Type.Null()])),
      status: Type.Optional(SettableStatus),
    },
    { additionalProperties: false },
  );

  r.post(
    base,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'Create a loader', params: WorkspaceParams, body: CreateBody, response: { 201: Type.Ref('Loader'), ...problemResponses(400, 401, 403, 404, 413, 415, 422) } },
    },
    async (request, reply) => reply.code(201).send(await loaders.create(request.principal, request.params.id, request.body)),
  );

  r.get(
    `${base}/:loaderId`,
    { config: { auth: 'workspace' }, schema: { tags, summary: 'Get a loader', params: LoaderParams, response: { 200: Type.Ref('Loader'), ...problemResponses(401, 404) } } },
    async (request) => loaders.get(request.params.id, request.params.loaderId),
  );

  const UpdateBody = Type.Object(
    {
      name: Type.Optional(DisplayName),
      source_id: Type.Optional(Type.String()),
      config: Type.Optional(objectWith('Fields to change: sent fields replace, omitted fields are kept, null removes, a masked secret keeps the stored one')),
      target_schema: Type.Optional(Identifier),
      selected_streams: Type.Optional(Type.Array(SelectedStream, { minItems: 1 })),
      sync_mode: Type.Optional(SyncMode),
      schedule: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      status: Type.Optional(stringEnum(['draft', 'active', 'paused'] as const, { description: 'pause or resume; resuming clears an error' })),
    },
    { additionalProperties: false },
  );

  r.put(
    `${base}/:loaderId`,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'Update a loader (partial)', params: LoaderParams, body: UpdateBody, response: { 200: Type.Ref('Loader'), ...problemResponses(400, 401, 403, 404, 413, 415, 422) } },
    },
    async (request) => loaders.update(request.params.id, request.params.loaderId, request.body),
  );

  r.delete(
    `${base}/:loaderId`,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'Delete a loader (its warehouse tables stay)', params: LoaderParams, response: { 200: Type.Object({ status: Type.Literal('deleted') }), ...problemResponses(401, 403, 404, 409) } },
    },
    async (request) => {
      await loaders.delete(request.params.id, request.params.loaderId);
      return { status: 'deleted' as const };
    },
  );

  r.get(
    `${base}/:loaderId/streams`,
    {
      config: { auth: 'workspace' },
      schema: {
        tags,
        summary: "The streams the loader's config reaches now, with the selected ones marked",
        params: LoaderParams,
        response: { 200: Type.Array(Type.Object({ ...StreamOut.properties, selected: Type.Boolean(), sync_mode: Nullable(SyncMode) })), ...problemResponses(401, 404, 409) },
      },
    },
    async (request) => (await loaders.loaderStreams(request.params.id, request.params.loaderId)).map((s) => ({ ...streamOut(s), selected: s.selected, sync_mode: s.sync_mode })),
  );

  r.post(
    `${base}/:loaderId/trigger`,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'Trigger a run', params: LoaderParams, response: { 201: Type.Ref('LoaderRun'), ...problemResponses(401, 403, 404, 409) } },
    },
    async (request, reply) => reply.code(201).send(await loaders.trigger(request.params.id, request.params.loaderId, request.principal.accountId)),
  );

  r.get(
    `${base}/:loaderId/runs`,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'List runs, newest first', params: LoaderParams, querystring: PageQuery, response: { 200: Type.Array(Type.Ref('LoaderRun')), ...problemResponses(401, 404, 422) } },
    },
    async (request, reply) => sendPage(request, reply, await loaders.runs(request.params.id, request.params.loaderId, pageRequest(request.query))),
  );

  r.get(
    `${base}/:loaderId/runs/:runId`,
    { config: { auth: 'workspace' }, schema: { tags, summary: 'Get a run with its per-stream figures', params: RunParams, response: { 200: RunDetailSchema, ...problemResponses(401, 404) } } },
    async (request) => loaders.run(request.params.id, request.params.loaderId, request.params.runId),
  );

  r.post(
    `${base}/:loaderId/runs/:runId/cancel`,
    {
      config: { auth: 'workspace' },
      schema: { tags, summary: 'Cancel a pending or running run', params: RunParams, response: { 200: RunDetailSchema, ...problemResponses(401, 403, 404, 409) } },
    },
    async (request) => loaders.cancel(request.params.id, request.params.loaderId, request.params.runId),
  );
}
