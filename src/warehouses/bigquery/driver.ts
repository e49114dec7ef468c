import type { BigQuery } from '@google-cloud/bigquery';
import { StepError, scratchTableName, type DriverContext, type WarehouseConfig, type WarehouseDriver, type WarehouseSession } from '../types.js';

interface BigQueryConfig {
  project_id: string;
  dataset: string;
  credentials_json: string;
  location?: string;
  api_endpoint?: string;
}

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** google-auth-library always posts to this; Quarry honours the key file's token_uri instead. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/bigquery';

function apiRoot(c: BigQueryConfig): URL {
  return new URL(c.api_endpoint ?? 'https://bigquery.googleapis.com');
}

function endpointOf(url: URL) {
  const https = url.protocol === 'https:';
  return { host: url.hostname, port: Number(url.port || (https ? 443 : 80)), tls: https };
}

/**
 * Google's errors: ApiError (code, errors[].reason) from the API — where a failed job insert
 * carries only the reason — and GaxiosError from the token endpoint.
 */
function describe(err: unknown): { status: number; reason: string; message: string } {
  const e = err as { code?: number | string; errors?: { reason?: string }[]; message?: string; response?: { status?: number; data?: { error?: string; error_description?: string } } };
  const data = e.response?.data;
  if (data?.error) return { status: e.response?.status ?? 400, reason: data.error, message: `${data.error}: ${data.error_description ?? ''}`.trim() };
  const reason = e.errors?.[0]?.reason ?? '';
  const byReason: Record<string, number> = { accessDenied: 403, notFound: 404, authError: 401, required: 401 };
  return { status: Number(e.code ?? e.response?.status ?? byReason[reason] ?? 0), reason, message: e.message ?? String(err) };
}

class BigQuerySession implements WarehouseSession {
  constructor(
    private readonly bq: BigQuery,
    private readonly c: BigQueryConfig,
    private readonly email: string,
    readonly identity: string,
  ) {}

  private get datasetRef() {
    return `\`${this.c.project_id}.${this.c.dataset}\``;
  }

  async checkRead(): Promise<string> {
    try {
      const [rows] = await this.bq.query({ query: `SELECT COUNT(*) AS n FROM ${this.datasetRef}.INFORMATION_SCHEMA.TABLES`, ...(this.c.location ? { location: this.c.location } : {}) });
      return `can list and query dataset ${this.c.project_id}:${this.c.dataset} (${Number((rows as { n?: unknown }[])[0]?.n ?? 0)} table(s))`;
    } catch (err) {
      const d = describe(err);
      if (d.status === 403) {
        throw new StepError(
          `the service account ${this.email} cannot query dataset ${this.c.project_id}:${this.c.dataset}: ${d.message}`,
          `gcloud projects add-iam-policy-binding ${this.c.project_id} --member=serviceAccount:${this.email} --role=roles/bigquery.jobUser; ` +
            `GRANT \`roles/bigquery.dataViewer\` ON SCHEMA ${this.datasetRef} TO "serviceAccount:${this.email}";`,
        );
      }
      throw err;
    }
  }

  async checkWrite(): Promise<string> {
    const dataset = this.bq.dataset(this.c.dataset);
    try {
      const [table] = await dataset.createTable(scratchTableName(), { schema: [{ name: 'id', type: 'INTEGER' }] });
      await table.delete();
      return `can create and drop tables in dataset ${this.c.project_id}:${this.c.dataset}`;
    } catch (err) {
      const d = describe(err);
      if (d.status === 403) {
        throw new StepError(
          `the service account ${this.email} cannot create tables in dataset ${this.c.project_id}:${this.c.dataset}: ${d.message}`,
          `GRANT \`roles/bigquery.dataEditor\` ON SCHEMA ${this.datasetRef} TO "serviceAccount:${this.email}";`,
        );
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    // HTTP only: the egress proxy's close ends its connections.
  }
}

export const driver: WarehouseDriver = {
  endpoints(config) {
    const c = config as unknown as BigQueryConfig;
    const key = JSON.parse(c.credentials_json) as ServiceAccountKey;
    const api = endpointOf(apiRoot(c));
    const token = endpointOf(new URL(key.token_uri ?? GOOGLE_TOKEN_URL));
    return api.host === token.host && api.port === token.port ? [api] : [api, token];
  },

  async connect(config: WarehouseConfig, ctx: DriverContext): Promise<WarehouseSession> {
    const c = config as unknown as BigQueryConfig;
    const key = JSON.parse(c.credentials_json) as ServiceAccountKey;
    const [{ BigQuery }, { JWT, gaxios }] = await Promise.all([import('@google-cloud/bigquery'), import('google-auth-library')]);
    const proxy = await ctx.proxy();

    // gaxios as google-auth-library re-exports it, so the JWT client gets the class it expects
    const transporter = new gaxios.Gaxios({ proxy: proxy.url, signal: ctx.signal });
    transporter.interceptors.request.add({
      resolved: async (opts) => {
        if (key.token_uri && String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(key.token_uri);
        return opts;
      },
    });
    const authClient = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [SCOPE], transporter });
    try {
      await authClient.authorize();
    } catch (err) {
      const d = describe(err);
      throw new StepError(`Google rejected the service-account key of ${key.client_email}: ${d.message}`);
    }

    const bq = new BigQuery({
      projectId: c.project_id,
      apiEndpoint: apiRoot(c).origin,
      authClient,
      ...(c.location ? { location: c.location } : {}),
      // a connection test reports a failure instead of retrying it for minutes
      autoRetry: false,
    });
    // every API call goes through the egress proxy, which applies the network policy
    bq.interceptors.push({ request: (reqOpts) => Object.assign(reqOpts, { proxy: proxy.url }) as never });

    try {
      const [meta] = await bq.dataset(c.dataset).getMetadata();
      const location = (meta as { location?: string }).location;
      return new BigQuerySession(bq, c, key.client_email, `authenticated as ${key.client_email}; dataset ${c.project_id}:${c.dataset}${location ? ` (${location})` : ''} found`);
    } catch (err) {
      const d = describe(err);
      if (d.status === 404) {
        throw new StepError(
          `dataset ${c.project_id}:${c.dataset} does not exist, or ${key.client_email} cannot see it: ${d.message}`,
          `CREATE SCHEMA \`${c.project_id}.${c.dataset}\`${c.location ? ` OPTIONS (location = '${c.location}')` : ''};`,
        );
      }
      if (d.status === 401 || d.status === 403) {
        throw new StepError(
          `the service account ${key.client_email} cannot access dataset ${c.project_id}:${c.dataset}: ${d.message}`,
          `GRANT \`roles/bigquery.dataViewer\` ON SCHEMA \`${c.project_id}.${c.dataset}\` TO "serviceAccount:${key.client_email}";`,
        );
      }
      throw err;
    }
  },
};
