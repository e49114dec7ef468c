import Type from 'typebox';
import type { FieldError } from '../../lib/errors.js';
import { LOGICAL_TYPES } from '../types.js';
import type { ConnectorDefinition } from '../types.js';

const secret = (description: string) => Type.String({ minLength: 1, writeOnly: true, format: 'password', description });
const AUTH_TYPES = ['none', 'bearer', 'api_key', 'basic', 'oauth2_refresh', 'oauth2_client_credentials'] as const;
const PAGINATORS = ['none', 'offset', 'page', 'cursor', 'next_url', 'link_header'] as const;

/** Which fields each auth type and paginator type needs (checked with a readable message). */
export const AUTH_NEEDS: Record<(typeof AUTH_TYPES)[number], string[]> = {
  none: [],
  bearer: ['token'],
  api_key: ['name', 'value'],
  basic: ['username', 'password'],
  oauth2_refresh: ['token_url', 'client_id', 'client_secret', 'refresh_token'],
  oauth2_client_credentials: ['token_url', 'client_id', 'client_secret'],
};
export const PAGINATOR_NEEDS: Record<(typeof PAGINATORS)[number], string[]> = {
  none: [],
  offset: ['offset_param', 'limit_param', 'limit'],
  page: ['page_param'],
  cursor: ['cursor_path', 'cursor_param'],
  next_url: ['next_url_path'],
  link_header: [],
};

const Stream = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', description: 'an identifier (letters, digits and _): the stream and table name' }),
    path: Type.String({ minLength: 1, description: 'path under base_url, e.g. /v1/orders' }),
    method: Type.Optional(Type.Enum(['GET', 'POST'], { default: 'GET' })),
    params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
    body: Type.Optional(Type.Unknown({ description: 'JSON body for POST' })),
    records_path: Type.Optional(Type.String({ default: '', description: "dotted path of the records array in a page ('' for a top-level array)" })),
    primary_key: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: ['id'] })),
    paginator: Type.Optional(
      Type.Object(
        {
          type: Type.Enum([...PAGINATORS]),
          offset_param: Type.Optional(Type.String()),
          limit_param: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1 })),
          page_param: Type.Optional(Type.String()),
          size_param: Type.Optional(Type.String()),
          size: Type.Optional(Type.Integer({ minimum: 1 })),
          first_page: Type.Optional(Type.Integer({ minimum: 0 })),
          total_pages_path: Type.Optional(Type.String()),
          cursor_path: Type.Optional(Type.String()),
          cursor_param: Type.Optional(Type.String()),
          next_url_path: Type.Optional(Type.String()),
        },
        { additionalProperties: false, default: { type: 'none' } },
      ),
    ),
    incremental: Type.Optional(
      Type.Object(
        {
          cursor_field: Type.String({ minLength: 1, description: 'record field holding the last-modified value' }),
          param: Type.String({ minLength: 1, description: 'query parameter that asks for records with a cursor >= the given value' }),
          compare: Type.Optional(Type.Enum(['string', 'number'], { default: 'string' })),
        },
        { additionalProperties: false },
      ),
    ),
    columns: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), type: Type.Enum([...LOGICAL_TYPES]) }, { additionalProperties: false }), {
        description: 'the record fields to load and their types; when omitted, a sample page is read to infer them',
      }),
    ),
  },
  { additionalProperties: false },
);

export const restApi: ConnectorDefinition = {
  type: 'rest_api',
  label: 'REST API',
  description: 'Any JSON HTTP API, described in the loader config: streams, pagination, auth, incremental filter.',
  creatableViaApi: true,
  streams: null,
  configSchema: Type.Object(
    {
      base_url: Type.String({ format: 'uri', pattern: '^https?://', description: 'the API root, e.g. https://api.example.com' }),
      auth: Type.Optional(
        Type.Object(
          {
            type: Type.Enum([...AUTH_TYPES]),
            token: Type.Optional(secret('bearer token')),
            in: Type.Optional(Type.Enum(['header', 'query'], { default: 'header' })),
            name: Type.Optional(Type.String({ minLength: 1, description: 'header or query parameter carrying the API key' })),
            value: Type.Optional(secret('API key')),
            username: Type.Optional(Type.String({ minLength: 1 })),
            password: Type.Optional(secret('password')),
            token_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'a URL (http or https)' })),
            client_id: Type.Optional(Type.String({ minLength: 1 })),
            client_secret: Type.Optional(secret('OAuth client secret')),
            refresh_token: Type.Optional(secret('OAuth refresh token')),
            scope: Type.Optional(Type.String()),
          },
          { additionalProperties: false, default: { type: 'none' } },
        ),
      ),
      headers: Type.Optional(Type.Record(Type.String(), Type.String())),
      requests_per_second: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'request budget shared by every loader using these credentials' })),
      streams: Type.Array(Stream, { minItems: 1 }),
    },
    { additionalProperties: false },
  ),
  validateConfig(config) {
    const errors: FieldError[] = [];
    const auth = (config.auth ?? { type: 'none' }) as Record<string, unknown> & { type: keyof typeof AUTH_NEEDS };
    for (const f of AUTH_NEEDS[auth.type] ?? []) if (auth[f] === undefined) errors.push({ field: `config.auth.${f}`, message: `is required for auth type ${auth.type}` });
    const names = new Set<string>();
    (config.streams as Record<string, unknown>[]).forEach((s, i) => {
      if (names.has(String(s.name))) errors.push({ field: `config.streams[${i}].name`, message: `"${String(s.name)}" is used by another stream` });
      names.add(String(s.name));
      const p = (s.paginator ?? { type: 'none' }) as Record<string, unknown> & { type: keyof typeof PAGINATOR_NEEDS };
      for (const f of PAGINATOR_NEEDS[p.type] ?? []) if (p[f] === undefined) errors.push({ field: `config.streams[${i}].paginator.${f}`, message: `is required for paginator type ${p.type}` });
    });
    return errors;
  },
  load: async () => (await import('./connector.js')).connector,
};
