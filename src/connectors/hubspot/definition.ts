import crypto from 'node:crypto';
import Type from 'typebox';
import type { FieldError } from '../../lib/errors.js';
import { at, defineHttpConnector } from '../http/engine.js';
import type { AuthSpec, Config, HttpConnectorSpec, HttpStreamSpec, Json } from '../http/types.js';
import type { Column, ConnectorDefinition, LogicalType } from '../types.js';
import { type CrmObject, flatten, isoTime, readObjects } from './objects.js';

export const HUBSPOT_API = 'https://api.hubapi.com';

interface Credentials {
  type: 'private_app' | 'oauth';
  access_token?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
}

const CREDENTIAL_FIELDS: Record<Credentials['type'], (keyof Credentials)[]> = {
  private_app: ['access_token'],
  oauth: ['client_id', 'client_secret', 'refresh_token'],
};

const creds = (c: Config) => (c.credentials ?? {}) as Credentials;
const root = (c: Config) => (typeof c.base_url === 'string' && c.base_url ? c.base_url : HUBSPOT_API).replace(/\/+$/, '');
const secret = (description: string) => Type.String({ minLength: 1, writeOnly: true, format: 'password', description });

/** HubSpot's limits are per account: the credential identifies it. */
const accountKey = (c: Config): string => {
  const k = creds(c);
  return crypto
    .createHash('sha256')
    .update(k.type === 'oauth' ? `oauth\u0000${k.client_id}\u0000${k.refresh_token}` : `private_app\u0000${k.access_token}`)
    .digest('hex');
};

function auth(c: Config): AuthSpec {
  if (creds(c).type === 'oauth') {
    return {
      kind: 'oauth2_refresh',
      tokenUrl: (x) => `${root(x)}/oauth/v1/token`,
      clientId: (x) => creds(x).client_id ?? '',
      clientSecret: (x) => creds(x).client_secret ?? '',
      refreshToken: (x) => creds(x).refresh_token ?? '',
    };
  }
  return { kind: 'bearer', token: (x) => creds(x).access_token ?? '' };
}

const col = (name: string, type: LogicalType, nullable = true): Column => ({ name, type, nullable });
const PAGES = { kind: 'cursor', cursorPath: 'paging.next.after', cursorParam: 'after', sizeParam: 'limit', size: 100 } as const;

const OBJECTS: CrmObject[] = [
  {
    name: 'contacts',
    modified: 'lastmodifieddate',
    columns: [
      ['email', 'string'],
      ['firstname', 'string'],
      ['lastname', 'string'],
      ['lifecyclestage', 'string'],
    ],
  },
  {
    name: 'companies',
    modified: 'hs_lastmodifieddate',
    columns: [
      ['name', 'string'],
      ['domain', 'string'],
    ],
  },
  {
    name: 'deals',
    modified: 'hs_lastmodifieddate',
    columns: [
      ['dealname', 'string'],
      ['amount', 'decimal'],
      ['dealstage', 'string'],
      ['closedate', 'timestamptz'],
    ],
  },
  {
    name: 'tickets',
    modified: 'hs_lastmodifieddate',
    columns: [
      ['subject', 'string'],
      ['hs_pipeline_stage', 'string'],
    ],
  },
];

function objectStream(o: CrmObject): HttpStreamSpec {
  const properties = [...o.columns.map(([name]) => name), 'createdate', o.modified];
  const stream: HttpStreamSpec = {
    name: o.name,
    columns: [col('id', 'string', false), ...o.columns.map(([name, type]) => col(name, type)), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz'), col('archived', 'boolean'), col('properties', 'json')],
    primaryKey: ['id'],
    path: `crm/v3/objects/${o.name}`,
    params: () => ({ properties: properties.join(','), archived: false }),
    recordsPath: 'results',
    paginator: PAGES,
    incremental: { cursorField: 'updated_at' },
    transform: flatten(o),
  };
  stream.read = readObjects(o, stream, properties, accountKey);
  return stream;
}

const owners: HttpStreamSpec = {
  name: 'owners',
  columns: [
    col('id', 'string', false),
    col('email', 'string'),
    col('type', 'string'),
    col('first_name', 'string'),
    col('last_name', 'string'),
    col('user_id', 'integer'),
    col('created_at', 'timestamptz'),
    col('updated_at', 'timestamptz'),
    col('archived', 'boolean'),
    col('teams', 'json'),
  ],
  primaryKey: ['id'],
  path: 'crm/v3/owners',
  params: () => ({ archived: false }),
  recordsPath: 'results',
  paginator: PAGES,
  // the owners endpoint has no modified-since filter: full refresh only
  transform: (r) => ({
    id: r.id,
    email: r.email,
    type: r.type,
    first_name: r.firstName,
    last_name: r.lastName,
    user_id: r.userId,
    created_at: isoTime(r.createdAt),
    updated_at: isoTime(r.updatedAt),
    archived: r.archived === true,
    teams: r.teams ?? null,
  }),
};

/** `{ status: "error", message, correlationId, category }`; 429s carry errorType and policyName instead. */
function errorMessage(body: Json): string | undefined {
  const b = body as { message?: unknown; category?: unknown; errorType?: unknown; policyName?: unknown; correlationId?: unknown } | null;
  if (!b || typeof b !== 'object' || typeof b.message !== 'string') return undefined;
  const kind = [b.errorType ?? b.category, b.policyName].filter((x) => typeof x === 'string').join(' ');
  return `${b.message}${kind ? ` [${kind}]` : ''}${typeof b.correlationId === 'string' ? ` (correlationId ${b.correlationId})` : ''}`;
}

export const hubspotSpec: HttpConnectorSpec = {
  type: 'hubspot',
  label: 'HubSpot',
  description: 'HubSpot CRM (v3 API): contacts, companies, deals, tickets and owners; incremental through the search API, archived records marked deleted.',
  configSchema: Type.Object(
    {
      credentials: Type.Object(
        {
          type: Type.Enum(['private_app', 'oauth'], { description: 'a private app access token, or an OAuth app with a refresh token' }),
          access_token: Type.Optional(secret('private app access token (private_app)')),
          client_id: Type.Optional(Type.String({ minLength: 1, description: 'OAuth app client ID (oauth)' })),
          client_secret: Type.Optional(secret('OAuth app client secret (oauth)')),
          refresh_token: Type.Optional(secret('OAuth refresh token of the installed app (oauth)')),
        },
        { additionalProperties: false },
      ),
      base_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'API root override (tests, proxies)' })),
    },
    { additionalProperties: false },
  ),
  baseUrl: () => HUBSPOT_API,
  auth,
  // 100 requests per 10 s per account on the smallest plans: 9/s never exceeds it
  rateLimit: () => 9,
  rateLimitKey: accountKey,
  errorMessage,
  check: async (client) => {
    const res = await client.request('GET', 'crm/v3/objects/contacts', { params: { limit: 1, archived: false } });
    if (!Array.isArray(at(res.body, 'results'))) throw new Error('HubSpot answered without "results" for the contacts list');
    return `HubSpot CRM API reached at ${client.url('').origin}; contacts are readable`;
  },
  streams: [...OBJECTS.map(objectStream), owners],
};

export const hubspot: ConnectorDefinition = defineHttpConnector({
  ...hubspotSpec,
  validateConfig(config: Config): FieldError[] {
    const k = creds(config);
    const errors: FieldError[] = [];
    const needed = CREDENTIAL_FIELDS[k.type] ?? [];
    for (const f of needed) if (k[f] === undefined) errors.push({ field: `config.credentials.${f}`, message: `is required for credentials type ${k.type}` });
    for (const f of Object.values(CREDENTIAL_FIELDS).flat()) {
      if (!needed.includes(f) && k[f] !== undefined) errors.push({ field: `config.credentials.${f}`, message: `is not used by credentials type ${k.type}` });
    }
    return errors;
  },
});
