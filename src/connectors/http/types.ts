import type { FieldError } from '../../lib/errors.js';
import type { Column, StreamSchema, SyncMode } from '../types.js';
import type { HttpClient } from './client.js';

export type Json = unknown;
export type Config = Record<string, unknown>;
export type Params = Record<string, string | number | boolean | undefined>;

/** How requests authenticate. Values come from the loader's config (secrets decrypted). */
export type AuthSpec =
  | { kind: 'none' }
  | { kind: 'bearer'; token: (c: Config) => string }
  | { kind: 'api_key'; in: 'header' | 'query'; name: string; value: (c: Config) => string; prefix?: string }
  | { kind: 'basic'; username: (c: Config) => string; password: (c: Config) => string }
  | {
      kind: 'oauth2_refresh';
      tokenUrl: (c: Config) => string;
      clientId: (c: Config) => string;
      clientSecret: (c: Config) => string;
      refreshToken: (c: Config) => string;
      /** A still-valid access token from the config, used until it expires or is refused. */
      accessToken?: (c: Config) => string | undefined;
      /** How the client authenticates at the token endpoint: form fields (default) or HTTP Basic (RFC 6749 §2.3.1; Klaviyo requires it). */
      clientAuth?: 'body' | 'basic';
      /** The request header that carries the access token, bare (Shopify: X-Shopify-Access-Token); default `Authorization: Bearer`. */
      tokenHeader?: string;
    }
  | {
      kind: 'oauth2_client_credentials';
      tokenUrl: (c: Config) => string;
      clientId: (c: Config) => string;
      clientSecret: (c: Config) => string;
      scope?: (c: Config) => string | undefined;
      clientAuth?: 'body' | 'basic';
      /** As for oauth2_refresh. */
      tokenHeader?: string;
    };

/** How the next page is requested. */
export type PaginatorSpec =
  /** `offset`/`limit` parameters; stops on a short page. */
  | { kind: 'offset'; offsetParam: string; limitParam: string; limit: number; startOffset?: number }
  /** A page number; stops on an empty or short page, or when `totalPagesPath` says so. */
  | { kind: 'page'; pageParam: string; sizeParam?: string; size?: number; firstPage?: number; totalPagesPath?: string }
  /** A cursor found in the body, sent back as a parameter. */
  | { kind: 'cursor'; cursorPath: string; cursorParam: string; sizeParam?: string; size?: number }
  /** The next page's full URL, found in the body. */
  | { kind: 'next_url'; nextUrlPath: string; sizeParam?: string; size?: number }
  /** RFC 8288 `Link: <...>; rel="next"`. */
  | { kind: 'link_header'; sizeParam?: string; size?: number }
  /** The last record's field, sent as a parameter (Stripe's `starting_after`), while `hasMorePath` is true. */
  | { kind: 'last_record'; field: string; param: string; hasMorePath: string; sizeParam?: string; size?: number }
  | { kind: 'none' };

/** What a stream knows about incremental reads. */
export interface IncrementalSpec {
  /** The record field the cursor is read from. */
  cursorField: string;
  /** Request parameters that ask for records whose cursor is >= the committed one. */
  params?: (cursor: string, config: Config) => Params;
  /**
   * Cursor values compare as numbers, or as strings (ISO 8601 timestamps in one format do).
   * Default: strings.
   */
  compare?: 'number' | 'string';
}

export interface ReadContext {
  client: HttpClient;
  config: Config;
  mode: SyncMode;
  cursor: string | null;
  signal: AbortSignal;
}

/**
 * What a custom `read` yields: records, or keys of records deleted at the source. A deleted
 * key that also carries the stream's cursor field (the time of the deletion) advances the cursor.
 */
export type RecordEvent = { records: Record<string, Json>[] } | { deleted: Record<string, Json>[] };

export interface HttpStreamSpec {
  name: string;
  columns: Column[];
  primaryKey: string[];
  path?: string | ((config: Config) => string);
  method?: 'GET' | 'POST';
  params?: (config: Config) => Params;
  body?: (config: Config, cursor: string | null) => Json;
  /** Where the records are in a page: a dotted path (`data`, `results`, `members`), or '' for a top-level array. */
  recordsPath?: string;
  paginator?: PaginatorSpec;
  incremental?: IncrementalSpec;
  /** Reshapes a record before its columns are taken (flatten, rename). */
  transform?: (record: Record<string, Json>) => Record<string, Json>;
  /** The escape hatch: any read the declarative parts cannot express (search APIs, event feeds). */
  read?: (ctx: ReadContext) => AsyncIterable<RecordEvent>;
}

/** A connector described as data; `defineHttpConnector` turns it into a ConnectorDefinition. */
export interface HttpConnectorSpec {
  type: string;
  label: string;
  description: string;
  configSchema: import('typebox').TSchema;
  /** The vendor's API root; a config's `base_url` overrides it (tests point it at a fake). */
  baseUrl: (config: Config) => string;
  /** One scheme, or one chosen by the config (vendors that take an API token or OAuth2). */
  auth: AuthSpec | ((config: Config) => AuthSpec);
  headers?: (config: Config) => Record<string, string>;
  /** Requests per second allowed per credential (shared by every loader using it). */
  rateLimit?: (config: Config) => number;
  /** The credential that identifies the rate-limit bucket (default: the whole config's secrets). */
  rateLimitKey?: (config: Config) => string;
  /** Checks of the config that JSON Schema cannot express (which fields an auth type needs...). */
  validateConfig?: (config: Config) => FieldError[];
  /** Reads the vendor's error text from an error response body. */
  errorMessage?: (body: Json, status: number) => string | undefined;
  /** A cheap authenticated call; returns a description of what was reached. */
  check: (client: HttpClient, config: Config) => Promise<string>;
  streams: HttpStreamSpec[];
}

/** A stream as the engine sees it, from its spec. */
export function streamSchema(s: HttpStreamSpec): StreamSchema {
  const cursor = s.incremental?.cursorField ?? null;
  return {
    name: s.name,
    columns: s.columns,
    primaryKey: s.primaryKey,
    cursorField: cursor,
    cursorCandidates: cursor ? [cursor] : [],
    syncModes: cursor && s.primaryKey.length ? ['full_refresh', 'incremental'] : ['full_refresh'],
  };
}
