import crypto from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type Db, type Queryable, isUuid, withTransaction } from '../store/db.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import { didYouMean } from '../lib/did-you-mean.js';
import { type Page, type PageRequest, keysetClause, toPage } from '../lib/pagination.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { ConfigCodec } from '../secrets/config-codec.js';
import { warehouses } from '../warehouses/registry.js';
import type { WarehouseConfig, WarehouseDefinition } from '../warehouses/types.js';
import type { TestStep } from '../warehouses/connection-test.js';
import type { Principal } from '../tenancy/service.js';
import { findDependents } from '../store/dependents.js';
import type { Invalidation } from '../store/invalidation.js';

export type SourceStatus = 'pending' | 'connected' | 'error';

/** The source object of the API (000_* "Source Object"), config masked. */
export interface SourceView {
  id: string;
  workspace_id: string;
  name: string;
  source_type: string;
  config: WarehouseConfig;
  connection_id: string | null;
  status: SourceStatus;
  status_error: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  /** The last connection test, ordered steps (the Census peer's shape); null before any test. */
  last_test_results: { steps: TestStep[] } | null;
  last_test_succeeded: boolean | null;
  last_tested_at: Date | null;
}

interface SourceRow extends Omit<SourceView, 'config'> {
  config: WarehouseConfig;
  secret_config: string | null;
  secret_keys: string[];
}

export interface CreateSourceInput {
  name: string;
  source_type: string;
  config: WarehouseConfig;
  connection_id?: string | null | undefined;
}

export interface UpdateSourceInput {
  name?: string | undefined;
  config?: WarehouseConfig | undefined;
  connection_id?: string | null | undefined;
}

const COLUMNS = `id, workspace_id, name, source_type, config, secret_config, secret_keys, connection_id,
  status, status_error, created_by, created_at, updated_at, last_test_results, last_test_succeeded, last_tested_at`;

interface TypeInfo {
  def: WarehouseDefinition;
  codec: ConfigCodec;
}

const typeInfo = new Map<string, TypeInfo>(warehouses.map((def) => [def.type, { def, codec: new ConfigCodec(def) }]));

/** The associated data that binds a source's ciphertext to its row. */
const aad = (id: string) => `sources:${id}`;

export class SourcesService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly invalidation?: Invalidation,
  ) {}

  /** After a commit: this process drops its cached reads at once (others hear the trigger). */
  private changed(workspaceId: string): void {
    this.invalidation?.publish(`workspace:${workspaceId}`);
  }

  toView(row: SourceRow): SourceView {
    return {
      id: row.id,
      workspace_id: row.workspace_id,
      name: row.name,
      source_type: row.source_type,
      config: ConfigCodec.mask(row),
      connection_id: row.connection_id,
      status: row.status,
      status_error: row.status_error,
      created_by: row.created_by,
      created_at: row.created_at,
      updated_at: row.updated_at,
      last_test_results: row.last_test_results,
      last_test_succeeded: row.last_test_succeeded,
      last_tested_at: row.last_tested_at,
    };
  }

  async list(workspaceId: string, page: PageRequest): Promise<Page<SourceView>> {
    const ks = keysetClause(page, 2);
    const { rows } = await this.db.query<SourceRow>(
      `SELECT ${COLUMNS} FROM sources WHERE workspace_id = $1 AND ${ks.where} ORDER BY created_at, id LIMIT ${page.limit + 1}`,
      [workspaceId, ...ks.params],
    );
    const p = toPage(rows, page.limit);
    return { items: p.items.map((r) => this.toView(r)), next: p.next };
  }

  async get(workspaceId: string, id: string): Promise<SourceView> {
    return this.toView(await this.row(this.db, workspaceId, id));
  }

  private async row(q: Queryable, workspaceId: string, id: string, forUpdate = false): Promise<SourceRow> {
    if (!isUuid(id)) throw new NotFoundError('source not found');
    const { rows } = await q.query<SourceRow>(
      `SELECT ${COLUMNS} FROM sources WHERE id = $1 AND workspace_id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [id, workspaceId],
    );
    if (!rows[0]) throw new NotFoundError('source not found');
    return rows[0];
  }

  /** The full config with secrets decrypted, for drivers only. Never returned by the API. */
  async resolveConfig(workspaceId: string, id: string): Promise<{ source: SourceView; config: WarehouseConfig }> {
    const row = await this.row(this.db, workspaceId, id);
    return { source: this.toView(row), config: this.fullConfig(row) };
  }

  private fullConfig(row: SourceRow): WarehouseConfig {
    return this.typeOf(row.source_type).codec.open(this.box, aad(row.id), row);
  }

  async create(p: Principal, workspaceId: string, input: CreateSourceInput): Promise<SourceView> {
    const { def, codec } = this.typeOf(input.source_type);
    codec.rejectMasked(input.config);
    const config = structuredClone(input.config);
    const connectionId = input.connection_id ?? null;
    const shared = await this.connectionConfig(this.db, workspaceId, connectionId, def.type);
    this.validateOwn(codec, shared, config);

    const id = crypto.randomUUID();
    const stored = codec.seal(this.box, aad(id), config);
    const { rows } = await this.db.query<SourceRow>(
      `INSERT INTO sources (id, workspace_id, name, source_type, config, secret_config, secret_keys, connection_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [id, workspaceId, input.name, def.type, stored.config, stored.secret_config, stored.secret_keys, connectionId, p.accountId],
    );
    this.changed(workspaceId);
    return this.toView(rows[0]!);
  }

  async update(workspaceId: string, id: string, patch: UpdateSourceInput): Promise<SourceView> {
    const view = await withTransaction(this.db, async (tx) => {
      const row = await this.row(tx, workspaceId, id, true);
      const { def, codec } = this.typeOf(row.source_type);
      const current = this.fullConfig(row);
      const config = patch.config === undefined ? current : codec.merge(current, patch.config);
      const connectionId = patch.connection_id === undefined ? row.connection_id : patch.connection_id;
      const shared = await this.connectionConfig(tx, workspaceId, connectionId, def.type);
      this.validateOwn(codec, shared, config);

      const changed = !isDeepStrictEqual(config, current) || connectionId !== row.connection_id;
      const stored = codec.seal(this.box, aad(id), config);
      const { rows } = await tx.query<SourceRow>(
        `UPDATE sources SET name = $3, config = $4, secret_config = $5, secret_keys = $6, connection_id = $7,
                status = CASE WHEN $8 THEN 'pending' ELSE status END,
                status_error = CASE WHEN $8 THEN '' ELSE status_error END,
                updated_at = now()
          WHERE id = $1 AND workspace_id = $2 RETURNING ${COLUMNS}`,
        [id, workspaceId, patch.name ?? row.name, stored.config, stored.secret_config, stored.secret_keys, connectionId, changed],
      );
      return this.toView(rows[0]!);
    });
    this.changed(workspaceId);
    return view;
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await withTransaction(this.db, async (tx) => {
      await this.row(tx, workspaceId, id, true);
      const dependents = await findDependents(tx, 'sources', id);
      if (dependents.length) {
        throw new ConflictError(`the source cannot be deleted while ${describeDependents(dependents)} use it; delete them or point them at another source first`, {
          dependents,
        });
      }
      await tx.query('DELETE FROM sources WHERE id = $1', [id]);
    });
    this.changed(workspaceId);
  }

  private typeOf(type: string): TypeInfo {
    const info = typeInfo.get(type);
    if (info?.def.creatableViaApi) return info;
    const creatable = warehouses.filter((w) => w.creatableViaApi).map((w) => w.type);
    const hint = didYouMean(type, creatable);
    throw new ValidationError([
      { field: 'source_type', message: `must be one of: ${creatable.join(', ')}${hint ? `; did you mean "${hint}"?` : ''}` },
    ]);
  }

  /**
   * Validates a source's own config together with what its shared connection supplies, and
   * fills the schema's defaults into the source's own config.
   */
  private validateOwn(codec: ConfigCodec, shared: WarehouseConfig, own: WarehouseConfig): void {
    const merged = { ...shared, ...own };
    codec.validate(merged);
    for (const [key, value] of Object.entries(merged)) if (!(key in shared) && !(key in own)) own[key] = value;
  }

  /**
   * The config a shared connection contributes (secrets decrypted), or {} without one. The
   * connection must exist in the workspace's organization and be of the same type.
   */
  private async connectionConfig(q: Queryable, workspaceId: string, connectionId: string | null, type: string): Promise<WarehouseConfig> {
    if (connectionId === null) return {};
    const notFound = new ValidationError([{ field: 'connection_id', message: 'does not name a shared connection of this organization' }]);
    if (!isUuid(connectionId)) throw notFound;
    const { rows } = await q.query<{ id: string; connection_type: string; config: WarehouseConfig; secret_config: string | null }>(
      `SELECT c.id, c.connection_type, c.config, c.secret_config FROM connections c JOIN workspaces w ON w.organization_id = c.organization_id
        WHERE c.id = $1 AND w.id = $2`,
      [connectionId, workspaceId],
    );
    const row = rows[0];
    if (!row) throw notFound;
    if (row.connection_type !== type) {
      throw new ValidationError([{ field: 'connection_id', message: `names a ${row.connection_type} connection, but source_type is ${type}` }]);
    }
    return this.typeOf(type).codec.open(this.box, `connections:${row.id}`, { config: row.config, secret_config: row.secret_config, secret_keys: [] });
  }

  /**
   * Everything a connection test needs for a config that is not saved: the type, the full
   * config (a shared connection's fields under the given ones) and its secret values.
   */
  async prepareTest(workspaceId: string, input: { source_type: string; config: WarehouseConfig; connection_id?: string | null | undefined }): Promise<PreparedTest> {
    const { def, codec } = this.typeOf(input.source_type);
    codec.rejectMasked(input.config, 'send the real value, or test the saved source');
    const config = { ...(await this.connectionConfig(this.db, workspaceId, input.connection_id ?? null, def.type)), ...structuredClone(input.config) };
    codec.validate(config);
    return { definition: def, config, secrets: codec.secretValues(config) };
  }

  /** The same for a saved source, with its stored credentials. */
  async prepareStoredTest(workspaceId: string, id: string): Promise<PreparedTest & { source: SourceView }> {
    const row = await this.row(this.db, workspaceId, id);
    const { def, codec } = this.typeOf(row.source_type);
    const config = { ...(await this.connectionConfig(this.db, workspaceId, row.connection_id, def.type)), ...this.fullConfig(row) };
    codec.validate(config); // also fills defaults added to the schema since the source was saved
    return { definition: def, config, secrets: codec.secretValues(config), source: this.toView(row) };
  }

  /**
   * Records a finished test. The status changes only if the source was not edited while the
   * test ran: a result for the old config must not mark the new one connected.
   */
  async recordTest(workspaceId: string, id: string, testedVersion: Date, steps: TestStep[]): Promise<SourceView> {
    const failed = steps.find((s) => s.status === 'failed');
    const { rows } = await this.db.query<SourceRow>(
      `UPDATE sources SET status = $4, status_error = $5, last_test_results = $6, last_test_succeeded = $7, last_tested_at = now()
        WHERE id = $1 AND workspace_id = $2 AND updated_at = $3 RETURNING ${COLUMNS}`,
      [id, workspaceId, testedVersion, failed ? 'error' : 'connected', failed ? `${failed.name}: ${failed.message}` : '', { steps }, !failed],
    );
    this.changed(workspaceId);
    return rows[0] ? this.toView(rows[0]) : this.get(workspaceId, id);
  }
}

export interface PreparedTest {
  definition: WarehouseDefinition;
  config: WarehouseConfig;
  /** The secret values in the config, so no step message can echo one. */
  secrets: string[];
}

function describeDependents(deps: { kind: string; id: string; name: string }[]): string {
  const byKind = new Map<string, string[]>();
  for (const d of deps) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), `"${d.name}" (${d.id})`]);
  return [...byKind].map(([kind, names]) => `${names.length} ${kind}${names.length === 1 ? '' : 's'} (${names.join(', ')})`).join(' and ');
}
