import crypto from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher, Headers, interceptors, request } from 'undici';
import { StepError } from '../../warehouses/types.js';
import type { ConnectorContext } from '../types.js';
import type { AuthSpec, Config, HttpConnectorSpec, Json, Params } from './types.js';

/** A response the engine gave up on, with the vendor's own reason. */
export class HttpError extends StepError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  capMs: number;
  /** The longest Retry-After honoured; beyond it the request fails (a vendor asking for an hour). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 500, capMs: 30_000, maxRetryAfterMs: 300_000 };

/**
 * A token bucket per credential, shared by every client in the process: two loaders on one
 * account draw from one rate limit.
 */
class Budget {
  private tokens: number;
  private last = Date.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly perSecond: number) {
    this.tokens = Math.max(1, perSecond);
  }

  acquire(signal: AbortSignal): Promise<void> {
    const next = this.queue.then(async () => {
      for (;;) {
        const now = Date.now();
        this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) / 1000) * this.perSecond);
        this.last = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await sleep(((1 - this.tokens) / this.perSecond) * 1000, signal);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

const budgets = new Map<string, Budget>();
const tokens = new Map<string, Promise<{ token: string; expiresAt: number }>>();

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  // seconds, possibly fractional (Shopify sends "2.0")
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header.trim()) * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A body as JSON when it is JSON, else the text itself (kept for the error message). */
function parse(text: string): Json {
  if (!text) return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** Exponential backoff with full jitter. */
export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  return Math.round(random() * Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1)));
}

function hash(...parts: string[]): string {
  return crypto.createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A URL fit for a log line or an error: no query string (API keys travel there sometimes). */
export function redactUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * The HTTP client every HTTP connector uses: base URL and auth from the spec, the network
 * policy on every connection (the checked address is the one connected to), retries of 429
 * and 5xx with backoff and Retry-After, no retry of 401/403 (an OAuth token is refreshed once),
 * and the per-credential request budget.
 */
export class HttpClient {
  private readonly agent: Agent;
  /** The agent with redirects followed (credentials dropped when one leaves the origin). */
  private readonly dispatcher: Dispatcher;
  private readonly budget: Budget | undefined;
  private readonly base: URL;
  private readonly auth: AuthSpec;
  /** Requests sent, for the run's figures and the tests. */
  requests = 0;

  constructor(
    private readonly spec: HttpConnectorSpec,
    private readonly config: Config,
    private readonly ctx: ConnectorContext,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.auth = typeof spec.auth === 'function' ? spec.auth(config) : spec.auth;
    const base = typeof config.base_url === 'string' && config.base_url ? config.base_url : spec.baseUrl(config);
    this.base = new URL(base.endsWith('/') ? base : `${base}/`);
    const lookup: LookupFunction = (hostname, options, callback) => {
      ctx.resolve(hostname).then(
        (r) => (options.all ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: r.address, family: r.family }]) : callback(null, r.address, r.family)),
        (err: Error) => callback(Object.assign(err, { code: 'EPOLICY' }) as NodeJS.ErrnoException, '', 0),
      );
    };
    this.agent = new Agent({ connect: { lookup }, keepAliveTimeout: 10_000 });
    this.dispatcher = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
    ctx.signal.addEventListener('abort', () => void this.agent.destroy().catch(() => undefined), { once: true });
    const rate = spec.rateLimit?.(config);
    if (rate) {
      const key = hash(spec.type, spec.rateLimitKey?.(config) ?? JSON.stringify(config));
      if (!budgets.has(key)) budgets.set(key, new Budget(rate));
      this.budget = budgets.get(key);
    }
  }

  url(pathOrUrl: string, params: Params = {}): URL {
    const url = /^https?:\/\//.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(pathOrUrl.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async authorize(url: URL, headers: Record<string, string>, fresh = false): Promise<void> {
    const a: AuthSpec = this.auth;
    const c = this.config;
    switch (a.kind) {
      case 'none':
        return;
      case 'bearer':
        headers.authorization = `Bearer ${a.token(c)}`;
        return;
      case 'api_key':
        if (a.in === 'header') headers[a.name.toLowerCase()] = `${a.prefix ?? ''}${a.value(c)}`;
        else url.searchParams.set(a.name, a.value(c));
        return;
      case 'basic':
        headers.authorization = `Basic ${Buffer.from(`${a.username(c)}:${a.password(c)}`).toString('base64')}`;
        return;
      case 'oauth2_refresh':
      case 'oauth2_client_credentials': {
        const token = await this.accessToken(fresh);
        if (a.tokenHeader) headers[a.tokenHeader.toLowerCase()] = token;
        else headers.authorization = `Bearer ${token}`;
      }
    }
  }

  /** OAuth2 access token, cached per credential until a minute before it expires. */
  private async accessToken(fresh: boolean): Promise<string> {
    const a = this.auth;
    if (a.kind !== 'oauth2_refresh' && a.kind !== 'oauth2_client_credentials') throw new Error('not an OAuth2 connector');
    const c = this.config;
    const key = hash(this.spec.type, a.tokenUrl(c), a.clientId(c), a.kind === 'oauth2_refresh' ? a.refreshToken(c) : a.clientSecret(c));
    const cached = tokens.get(key);
    if (cached && !fresh) {
      const t = await cached.catch(() => undefined);
      if (t && t.expiresAt > Date.now() + 60_000) return t.token;
    }
    if (!fresh && a.kind === 'oauth2_refresh' && !cached) {
      const given = a.accessToken?.(c);
      if (given) {
        tokens.set(key, Promise.resolve({ token: given, expiresAt: Date.now() + 3_600_000 }));
        return given;
      }
    }
    const request = (async () => {
      const form = new URLSearchParams(
        a.kind === 'oauth2_refresh'
          ? { grant_type: 'refresh_token', refresh_token: a.refreshToken(c), client_id: a.clientId(c), client_secret: a.clientSecret(c) }
          : { grant_type: 'client_credentials', client_id: a.clientId(c), client_secret: a.clientSecret(c), ...(a.scope?.(c) ? { scope: a.scope(c)! } : {}) },
      );
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (a.clientAuth === 'basic') {
        // the client credentials travel in the Authorization header instead of the form
        form.delete('client_id');
        form.delete('client_secret');
        headers.authorization = `Basic ${Buffer.from(`${a.clientId(c)}:${a.clientSecret(c)}`).toString('base64')}`;
      }
      const res = await this.send('POST', new URL(a.tokenUrl(c)), headers, form.toString());
      const body = parse(res.text) as { access_token?: string; expires_in?: number; error?: string; error_description?: string; message?: string } | null;
      if (res.status >= 300 || !body?.access_token) {
        throw new HttpError(res.status, `the OAuth token endpoint refused the credentials (${res.status}): ${body?.error_description ?? body?.error ?? body?.message ?? STATUS_CODES[res.status] ?? ''}`);
      }
      return { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
    })();
    tokens.set(key, request);
    request.catch(() => tokens.delete(key));
    return (await request).token;
  }

  private vendorMessage(body: Json, status: number, fallback: string): string {
    const own = this.spec.errorMessage?.(body, status);
    if (own) return own;
    if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
    const b = body as { message?: unknown; error?: unknown; detail?: unknown; errors?: unknown } | null;
    const e = b?.error as { message?: unknown } | string | undefined;
    const candidate = b?.message ?? (typeof e === 'string' ? e : e?.message) ?? b?.detail ?? (Array.isArray(b?.errors) ? JSON.stringify(b.errors).slice(0, 500) : undefined);
    return typeof candidate === 'string' ? candidate : fallback;
  }

  /**
   * One request with the retry policy; resolves with the parsed JSON body. 401 and 403 fail at
   * once with the vendor's reason (after one token refresh for OAuth2).
   */
  async request(method: 'GET' | 'POST', pathOrUrl: string, opts: { params?: Params; body?: Json; headers?: Record<string, string> } = {}): Promise<{ body: Json; headers: Headers; status: number; url: URL }> {
    const url = this.url(pathOrUrl, opts.params);
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Quarry', ...this.spec.headers?.(this.config), ...opts.headers };
      const target = new URL(url);
      await this.authorize(target, headers, refreshed);
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      await this.budget?.acquire(this.ctx.signal);
      let res: { status: number; headers: Headers; text: string };
      try {
        this.requests++;
        res = await this.send(method, target, headers, opts.body === undefined ? undefined : JSON.stringify(opts.body));
      } catch (err) {
        if (this.ctx.signal.aborted) throw new Error('cancelled', { cause: err });
        const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
        const cause = e.code ? e : (e.cause ?? e);
        if (cause.code === 'EPOLICY') throw new StepError(cause.message ?? 'refused by the network policy');
        if (attempt >= this.retry.maxAttempts) throw new StepError(`${method} ${redactUrl(url)} failed after ${attempt} attempts: ${cause.message ?? String(err)}`);
        await sleep(backoffMs(attempt, this.retry), this.ctx.signal);
        continue;
      }
      const body = parse(res.text);
      const ok = res.status >= 200 && res.status < 300;
      if (ok) return { body, headers: res.headers, status: res.status, url: target };
      const reason = this.vendorMessage(body, res.status, STATUS_CODES[res.status] ?? `HTTP ${res.status}`);
      if (res.status === 401 && !refreshed && (this.auth.kind === 'oauth2_refresh' || this.auth.kind === 'oauth2_client_credentials')) {
        refreshed = true; // the access token expired mid-run: refresh once, do not count it
        attempt--;
        continue;
      }
      if (res.status === 401) throw new HttpError(401, `authentication failed (401): ${reason}`);
      if (res.status === 403) throw new HttpError(403, `permission denied (403): ${reason}`);
      if (res.status === 429 || res.status >= 500) {
        if (attempt >= this.retry.maxAttempts) throw new HttpError(res.status, `${method} ${redactUrl(url)} still failed after ${attempt} attempts (${res.status}): ${reason}`);
        const asked = retryAfterMs(res.headers.get('retry-after'));
        if (asked !== undefined && asked > this.retry.maxRetryAfterMs) {
          throw new HttpError(res.status, `${redactUrl(url)} asked to retry after ${Math.round(asked / 1000)}s, longer than the ${this.retry.maxRetryAfterMs / 1000}s allowed (${res.status}): ${reason}`);
        }
        // Retry-After: 0 must not spin: wait at least the backoff's base
        const wait = asked === undefined ? backoffMs(attempt, this.retry) : Math.max(asked, this.retry.baseMs);
        this.ctx.log.debug({ url: redactUrl(url), status: res.status, attempt, wait }, 'retrying');
        await sleep(wait, this.ctx.signal);
        continue;
      }
      throw new HttpError(res.status, `${method} ${redactUrl(url)} failed (${res.status}): ${reason}`);
    }
  }

  /**
   * One exchange on the policy-checked agent. undici's `request` rather than `fetch`: it costs
   * less per page and lets go of the run's abort signal when the exchange ends (fetch keeps a
   * listener on it until garbage collection, thousands over a long run).
   */
  private async send(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; headers: Headers; text: string }> {
    const res = await request(url, { method, headers, body, dispatcher: this.dispatcher, signal: this.ctx.signal });
    const text = await res.body.text();
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const one of v) out.append(k, one);
      else if (v !== undefined) out.set(k, v);
    }
    return { status: res.statusCode, headers: out, text };
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
