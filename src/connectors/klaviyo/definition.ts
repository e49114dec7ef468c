import Type from 'typebox';
import type { FieldError } from '../../lib/errors.js';
import { at, defineHttpConnector } from '../http/engine.js';
import type { AuthSpec, Config, HttpConnectorSpec, Json } from '../http/types.js';
import type { ConnectorDefinition } from '../types.js';
import { StepError } from '../../warehouses/types.js';
import { CAMPAIGN_CHANNELS, DEFAULT_CAMPAIGN_CHANNELS, streams } from './streams.js';

export const KLAVIYO_API = 'https://a.klaviyo.com';
export const DEFAULT_REVISION = '2024-10-15';

const secret = (description: string, extra: Record<string, unknown> = {}) => Type.String({ minLength: 1, writeOnly: true, format: 'password', description, ...extra });

/** Which fields each auth type needs (checked with a readable message). */
const AUTH_NEEDS: Record<string, string[]> = {
  api_key: ['api_key'],
  oauth2_refresh: ['client_id', 'client_secret', 'refresh_token'],
};

const configSchema = Type.Object(
  {
    auth: Type.Object(
      {
        type: Type.Enum(['api_key', 'oauth2_refresh'], { description: 'api_key: a private API key; oauth2_refresh: an OAuth app installed on the account' }),
        api_key: Type.Optional(secret('a private API key (pk_...) with read access to the streams loaded', { pattern: '^pk_' })),
        client_id: Type.Optional(Type.String({ minLength: 1, description: 'OAuth app client ID' })),
        client_secret: Type.Optional(secret('OAuth app client secret')),
        refresh_token: Type.Optional(secret('OAuth refresh token of the installation')),
      },
      { additionalProperties: false },
    ),
    revision: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(\\.[A-Za-z0-9]+)?$', default: DEFAULT_REVISION, description: 'an API revision (YYYY-MM-DD), sent as the revision header' })),
    campaign_channels: Type.Optional(
      Type.Array(Type.Enum([...CAMPAIGN_CHANNELS]), { minItems: 1, uniqueItems: true, default: DEFAULT_CAMPAIGN_CHANNELS, description: 'the campaign channels to load (Klaviyo lists one channel per request)' }),
    ),
    requests_per_second: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 350, default: 10, description: 'request budget shared by every loader on this credential (Klaviyo allows 10/s on lists, campaigns and metrics, 75/s on profiles)' }),
    ),
    base_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'API root override (tests, proxies)' })),
  },
  { additionalProperties: false },
);

type AuthConfig = Record<string, string | undefined> & { type: string };
const authOf = (c: Config) => c.auth as AuthConfig;
const root = (c: Config) => (typeof c.base_url === 'string' && c.base_url ? c.base_url : KLAVIYO_API).replace(/\/*$/, '/');

function auth(c: Config): AuthSpec {
  const a = authOf(c);
  if (a.type === 'oauth2_refresh') {
    return {
      kind: 'oauth2_refresh',
      tokenUrl: (cfg) => new URL('oauth/token', root(cfg)).toString(),
      clientId: () => a.client_id!,
      clientSecret: () => a.client_secret!,
      refreshToken: () => a.refresh_token!,
      clientAuth: 'basic', // Klaviyo's token endpoint takes the client credentials as HTTP Basic only
    };
  }
  return { kind: 'api_key', in: 'header', name: 'Authorization', prefix: 'Klaviyo-API-Key ', value: () => a.api_key! };
}

/** Klaviyo's JSON:API errors: `{ errors: [{ code, title, detail, source }] }`. */
export function errorMessage(body: Json): string | undefined {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || !errors.length) return undefined;
  return errors
    .map((e: { code?: unknown; title?: unknown; detail?: unknown; source?: { parameter?: unknown } }) => {
      const text = String(e?.detail || e?.title || 'error');
      const param = typeof e?.source?.parameter === 'string' ? ` [${e.source.parameter}]` : '';
      return `${text}${param}${e?.code ? ` (${String(e.code)})` : ''}`;
    })
    .join('; ');
}

const spec: HttpConnectorSpec = {
  type: 'klaviyo',
  label: 'Klaviyo',
  description: 'Klaviyo marketing data: profiles, events, lists, campaigns and metrics, with incremental profiles and events.',
  configSchema,
  baseUrl: () => KLAVIYO_API,
  auth,
  headers: (c) => ({ accept: 'application/vnd.api+json', revision: typeof c.revision === 'string' ? c.revision : DEFAULT_REVISION }),
  rateLimit: (c) => (typeof c.requests_per_second === 'number' ? c.requests_per_second : 10),
  // Klaviyo limits per account for private keys and per installation for OAuth apps
  rateLimitKey: (c) => `${root(c)}\u0000${authOf(c).api_key ?? `${authOf(c).client_id}\u0000${authOf(c).refresh_token}`}`,
  errorMessage,
  check: async (client, c) => {
    const res = await client.request('GET', 'api/accounts');
    const id = at(res.body, 'data.0.id');
    const name = at(res.body, 'data.0.attributes.contact_information.organization_name');
    if (typeof id !== 'string') throw new StepError('Klaviyo answered GET /api/accounts without an account');
    return `reached Klaviyo account ${typeof name === 'string' && name ? `"${name}" ` : ''}(${id}) with API revision ${String(c.revision ?? DEFAULT_REVISION)}`;
  },
  streams,
};

function validateConfig(config: Config): FieldError[] {
  const a = (config.auth ?? {}) as AuthConfig;
  const needs = AUTH_NEEDS[a.type] ?? [];
  const errors: FieldError[] = needs.filter((f) => a[f] === undefined).map((f) => ({ field: `config.auth.${f}`, message: `is required for auth type ${a.type}` }));
  for (const f of Object.values(AUTH_NEEDS).flat()) {
    if (!needs.includes(f) && a[f] !== undefined) errors.push({ field: `config.auth.${f}`, message: `is not used by auth type ${a.type}` });
  }
  return errors;
}

export const klaviyo: ConnectorDefinition = defineHttpConnector({ ...spec, validateConfig });
