import crypto from 'node:crypto';
import { type Db, type Queryable, isUuid, withTransaction } from '../store/db.js';
import { AuthenticationError, ForbiddenError, NotFoundError, ValidationError } from '../lib/errors.js';
import { type Page, type PageRequest, keysetClause, toPage } from '../lib/pagination.js';
import { displayPrefix, generateToken, hashToken, isWellFormedToken } from './tokens.js';
import { type Invalidation, ScopedCache } from '../store/invalidation.js';

export const ROLES = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved from the bearer token on every request. */
export interface Principal {
  tokenId: string;
  accountId: string;
  organizationId: string;
  role: Role;
}

export interface WorkspaceRow {
  id: string;
  organization_id: string;
  name: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface TokenRow {
  id: string;
  account_id: string;
  account_name: string;
  role: Role;
  organization_id: string;
  name: string;
  token_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface Bootstrap {
  organizationId: string;
  workspaceId: string;
  accountId: string;
  token: string;
}

const BOOTSTRAP_LOCK = 0x51_42_53_54; // "QBST"
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

export class TenancyService {
  /** Per-process throttle so a busy token does not turn every request into a write. */
  private readonly lastUsedWritten = new Map<string, number>();
  /** Token (and workspace) -> principal, dropped when the token, account or workspace changes. */
  private readonly authCache: ScopedCache<{ principal: Principal; workspaceAccess: boolean }> | undefined;

  constructor(
    private readonly db: Db,
    private readonly invalidation?: Invalidation,
  ) {
    this.authCache = invalidation ? new ScopedCache(invalidation) : undefined;
  }

  /**
   * On an empty store: one organization, one workspace, one admin account and its token.
   * Returns undefined when the store already has an organization. Safe against concurrent
   * starts (advisory lock).
   */
  async bootstrap(): Promise<Bootstrap | undefined> {
    return withTransaction(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      const { rowCount } = await tx.query('SELECT 1 FROM organizations LIMIT 1');
      if (rowCount) return undefined;
      const organizationId = await this.createOrganization('Default organization', tx);
      const accountId = await this.createAccount(organizationId, { name: 'admin', role: 'admin' }, tx);
      const workspace = await this.insertWorkspace(organizationId, accountId, 'Default workspace', tx);
      const { token } = await this.createToken(accountId, 'bootstrap', tx);
      return { organizationId, workspaceId: workspace.id, accountId, token };
    });
  }

  async createOrganization(name: string, q: Queryable = this.db): Promise<string> {
    const id = crypto.randomUUID();
    await q.query('INSERT INTO organizations (id, name) VALUES ($1, $2)', [id, name]);
    return id;
  }

  async createAccount(organizationId: string, input: { name: string; email?: string; role: Role }, q: Queryable = this.db): Promise<string> {
    const id = crypto.randomUUID();
    await q.query('INSERT INTO accounts (id, organization_id, name, email, role) VALUES ($1, $2, $3, $4, $5)', [
      id,
      organizationId,
      input.name,
      input.email ?? null,
      input.role,
    ]);
    return id;
  }

  async findAccount(organizationId: string, nameOrEmailOrId: string): Promise<{ id: string; role: Role } | undefined> {
    const { rows } = await this.db.query<{ id: string; role: Role }>(
      `SELECT id, role FROM accounts WHERE organization_id = $1 AND (email = $2 OR name = $2 OR id::text = $2) ORDER BY created_at LIMIT 1`,
      [organizationId, nameOrEmailOrId],
    );
    return rows[0];
  }

  async addMember(workspaceId: string, accountId: string, q: Queryable = this.db): Promise<void> {
    await q.query('INSERT INTO workspace_members (workspace_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [workspaceId, accountId]);
    this.invalidation?.publish(`account:${accountId}`);
  }

  /** The token is returned here and never again: only its hash is stored. */
  async createToken(accountId: string, name: string, q: Queryable = this.db): Promise<{ id: string; token: string; prefix: string }> {
    const id = crypto.randomUUID();
    const token = generateToken();
    const prefix = displayPrefix(token);
    await q.query('INSERT INTO api_tokens (id, account_id, name, token_prefix, token_hash) VALUES ($1, $2, $3, $4, $5)', [
      id,
      accountId,
      name,
      prefix,
      hashToken(token),
    ]);
    return { id, token, prefix };
  }

  async listTokens(): Promise<TokenRow[]> {
    const { rows } = await this.db.query<TokenRow>(
      `SELECT t.id, t.account_id, a.name AS account_name, a.role, a.organization_id, t.name, t.token_prefix,
              t.created_at, t.last_used_at, t.revoked_at
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id
        ORDER BY t.created_at, t.id`,
    );
    return rows;
  }

  /** Revokes by id or by the displayed prefix (when that prefix is unambiguous). */
  async revokeToken(idOrPrefix: string): Promise<TokenRow> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM api_tokens WHERE ${isUuid(idOrPrefix) ? 'id = $1' : 'token_prefix = $1'}`,
      [idOrPrefix],
    );
    if (rows.length === 0) throw new NotFoundError(`no token matches "${idOrPrefix}"`);
    if (rows.length > 1) throw new ValidationError([{ field: 'token', message: `the prefix "${idOrPrefix}" matches ${rows.length} tokens; revoke by id` }]);
    await this.db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [rows[0]!.id]);
    this.invalidation?.publish(`token:${rows[0]!.id}`);
    return (await this.listTokens()).find((t) => t.id === rows[0]!.id)!;
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    const row = await this.lookupToken(token, undefined);
    return row.principal;
  }

  /**
   * Token check and workspace access in one round trip. A workspace that does not exist,
   * belongs to another organization, or is not shared with this account is "not found":
   * the caller learns nothing about other tenants.
   */
  async authorizeWorkspace(token: string | undefined, workspaceId: string): Promise<Principal> {
    const { principal, workspaceAccess } = await this.lookupToken(token, workspaceId);
    if (!workspaceAccess) throw new NotFoundError('workspace not found');
    return principal;
  }

  private async lookupToken(token: string | undefined, workspaceId: string | undefined): Promise<{ principal: Principal; workspaceAccess: boolean }> {
    if (!token) throw new AuthenticationError('missing bearer token: send "Authorization: Bearer <token>"');
    if (!isWellFormedToken(token)) throw new AuthenticationError('the bearer token is not a valid Quarry API token');
    const wsId = workspaceId !== undefined && isUuid(workspaceId) ? workspaceId : null;
    const hash = hashToken(token);
    const key = `${hash.toString('hex')}|${wsId ?? ''}`;
    const cached = this.authCache?.get(key);
    if (cached) {
      this.touch(cached.principal.tokenId);
      return cached;
    }
    const ticket = this.authCache?.ticket() ?? 0;
    const { rows } = await this.db.query<{
      token_id: string;
      account_id: string;
      organization_id: string;
      role: Role;
      has_access: boolean;
    }>({
      name: 'quarry-auth',
      text: `SELECT t.id AS token_id, a.id AS account_id, a.organization_id, a.role,
              (w.id IS NOT NULL AND (a.role = 'admin' OR m.account_id IS NOT NULL)) AS has_access
         FROM api_tokens t
         JOIN accounts a ON a.id = t.account_id
         LEFT JOIN workspaces w ON w.id = $2 AND w.organization_id = a.organization_id
         LEFT JOIN workspace_members m ON m.workspace_id = w.id AND m.account_id = a.id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      values: [hash, wsId],
    });
    const row = rows[0];
    if (!row) throw new AuthenticationError('the bearer token is unknown or has been revoked');
    this.touch(row.token_id);
    const result = {
      principal: { tokenId: row.token_id, accountId: row.account_id, organizationId: row.organization_id, role: row.role },
      workspaceAccess: row.has_access,
    };
    const scopes = [`token:${row.token_id}`, `account:${row.account_id}`, ...(wsId ? [`workspace:${wsId}`] : [])];
    this.authCache?.set(key, scopes, result, ticket);
    return result;
  }

  private touch(tokenId: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(tokenId) ?? 0) < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWritten.set(tokenId, now);
    this.db.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [tokenId]).catch(() => undefined);
  }

  async listWorkspaces(p: Principal, page: PageRequest): Promise<Page<WorkspaceRow>> {
    const ks = keysetClause(page, 4, 'w');
    const { rows } = await this.db.query<WorkspaceRow>(
      `SELECT w.id, w.organization_id, w.name, w.created_by, w.created_at, w.updated_at
         FROM workspaces w
        WHERE w.organization_id = $1
          AND ($2 = 'admin' OR EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.account_id = $3))
          AND ${ks.where}
        ORDER BY w.created_at, w.id
        LIMIT ${page.limit + 1}`,
      [p.organizationId, p.role, p.accountId, ...ks.params],
    );
    return toPage(rows, page.limit);
  }

  async getWorkspace(p: Principal, id: string): Promise<WorkspaceRow> {
    if (!isUuid(id)) throw new NotFoundError('workspace not found');
    const { rows } = await this.db.query<WorkspaceRow>(
      `SELECT w.id, w.organization_id, w.name, w.created_by, w.created_at, w.updated_at
         FROM workspaces w
        WHERE w.id = $1 AND w.organization_id = $2
          AND ($3 = 'admin' OR EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.account_id = $4))`,
      [id, p.organizationId, p.role, p.accountId],
    );
    if (!rows[0]) throw new NotFoundError('workspace not found');
    return rows[0];
  }

  async createWorkspace(p: Principal, name: string): Promise<WorkspaceRow> {
    if (p.role !== 'admin') throw new ForbiddenError('only organization admins can create workspaces');
    return this.insertWorkspace(p.organizationId, p.accountId, name);
  }

  async insertWorkspace(organizationId: string, createdBy: string | null, name: string, q: Queryable = this.db): Promise<WorkspaceRow> {
    const { rows } = await q.query<WorkspaceRow>(
      `INSERT INTO workspaces (id, organization_id, name, created_by) VALUES ($1, $2, $3, $4)
       RETURNING id, organization_id, name, created_by, created_at, updated_at`,
      [crypto.randomUUID(), organizationId, name, createdBy],
    );
    return rows[0]!;
  }

  /** All workspaces of every organization, for the operator's CLI. */
  async listAllWorkspaces(): Promise<(WorkspaceRow & { organization_name: string })[]> {
    const { rows } = await this.db.query<WorkspaceRow & { organization_name: string }>(
      `SELECT w.*, o.name AS organization_name FROM workspaces w JOIN organizations o ON o.id = w.organization_id ORDER BY w.created_at, w.id`,
    );
    return rows;
  }

  async organizationOfWorkspace(workspaceId: string): Promise<string> {
    if (!isUuid(workspaceId)) throw new NotFoundError(`no workspace ${workspaceId}`);
    const { rows } = await this.db.query<{ organization_id: string }>('SELECT organization_id FROM workspaces WHERE id = $1', [workspaceId]);
    if (!rows[0]) throw new NotFoundError(`no workspace ${workspaceId}`);
    return rows[0].organization_id;
  }

  async firstOrganization(): Promise<string | undefined> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM organizations ORDER BY created_at, id LIMIT 1');
    return rows[0]?.id;
  }
}
