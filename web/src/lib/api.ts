// The console's only way to the server: the public HTTP API under /api/v1, with the
// token the user signed in with.

export interface FieldError {
  field: string;
  message: string;
}

export interface Dependent {
  kind: string;
  id: string;
  name: string;
}

/** RFC 9457 problem details as the API sends them (docs/api.md). */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  request_id?: string;
  errors?: FieldError[];
  dependents?: Dependent[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
}

const TOKEN_KEY = 'quarry.token';
const WORKSPACE_KEY = 'quarry.workspace';
type Listener = () => void;
const listeners = new Set<Listener>();

/** The token lives in session storage: it ends with the tab, and other sites cannot read it. */
let endedBecause: string | null = null;

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn(token: string): void {
    endedBecause = null;
    sessionStorage.setItem(TOKEN_KEY, token);
    listeners.forEach((l) => l());
  },
  /** `reason`: why the console ended the session itself, for the sign-in page to say. */
  signOut(reason: string | null = null): void {
    endedBecause = reason;
    sessionStorage.removeItem(TOKEN_KEY);
    listeners.forEach((l) => l());
  },
  endedBecause: (): string | null => endedBecause,
  lastWorkspace: (): string | null => sessionStorage.getItem(WORKSPACE_KEY),
  rememberWorkspace: (id: string): void => sessionStorage.setItem(WORKSPACE_KEY, id),
  subscribe(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

export const API_BASE = '/api/v1';

export function authHeaders(token = session.token()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Reads an error answer as a problem document, whatever the server (or a proxy) sent. */
export async function readProblem(res: Response): Promise<Problem> {
  const type = res.headers.get('content-type') ?? '';
  if (/json/.test(type)) {
    try {
      const body = (await res.json()) as Partial<Problem>;
      return { ...body, title: body.title ?? res.statusText, status: body.status ?? res.status };
    } catch {
      // fall through: a body that is not JSON after all
    }
  }
  return { title: res.statusText || 'Request failed', status: res.status, detail: `the server answered ${res.status} ${res.statusText}` };
}

function nextLink(res: Response): string | null {
  const link = res.headers.get('link');
  const match = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match ? match[1]! : null;
}

export interface Page<T> {
  items: T;
  next: string | null;
}

/** One API call. `path` is under /api/v1, or a full path from a Link header. */
export async function call<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal; token?: string } = {}): Promise<Page<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(init.token ?? session.token()) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path.startsWith(API_BASE) ? path : `${API_BASE}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ title: 'Network error', status: 0, detail: 'the Quarry server could not be reached; check that it is running' });
  }
  if (!res.ok) {
    const problem = await readProblem(res);
    // A revoked or expired token: back to the sign-in page, which says why.
    if (res.status === 401 && init.token === undefined) session.signOut('The API no longer accepts your token (revoked, or its account removed): sign in again.');
    throw new ApiError(problem);
  }
  const items = (res.status === 204 ? undefined : await res.json()) as T;
  return { items, next: nextLink(res) };
}

export const api = {
  get: async <T>(path: string, signal?: AbortSignal) => (await call<T>('GET', path, undefined, signal ? { signal } : {})).items,
  post: async <T>(path: string, body?: unknown) => (await call<T>('POST', path, body)).items,
  put: async <T>(path: string, body: unknown) => (await call<T>('PUT', path, body)).items,
  del: async <T>(path: string) => (await call<T>('DELETE', path)).items,
  /** A whole list, following the Link: rel="next" pages. */
  async all<T>(path: string, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    let next: string | null = path;
    while (next) {
      const page: Page<T[]> = await call<T[]>('GET', next, undefined, signal ? { signal } : {});
      out.push(...page.items);
      next = page.next;
    }
    return out;
  },
};

export const ws = (workspaceId: string) => `/workspaces/${encodeURIComponent(workspaceId)}`;
