/**
 * A local fake of Google BigQuery (REST v2) and of Google's OAuth2 token endpoint, for driving the
 * official `@google-cloud/bigquery` client in tests. SQL runs on an in-memory DuckDB with one schema
 * per dataset; BigQuery syntax is translated in ./sql.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createPublicKey, generateKeyPair, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import {
  type BqField,
  BqError,
  type CatalogView,
  type QueryParameter,
  type TableRef,
  STATUS_BY_HTTP,
  duckTypeForField,
  invalidQuery,
  quoteIdent,
  rewriteSql,
  sqlString,
  standardTypeName,
  statementTypeOf,
} from './sql.js';
import { type TimestampFormat, RowError, fieldForDuckType, formatRow, jsonToSql } from './values.js';

export interface FakeBigQueryOptions {
  projectId?: string /* default 'my-gcp-project' */;
  datasets?: string[] /* default ['analytics'] */;
  location?: string /* default 'US' */;
}

export interface ServiceAccount {
  /** A complete key file JSON whose token_uri = fake.tokenUri. */
  credentialsJson: string;
  clientEmail: string;
  privateKeyPem: string;
}

export interface FakeBigQuery {
  /** http://127.0.0.1:<port> — the client's apiEndpoint. */
  url: string;
  /** url + '/token' */
  tokenUri: string;
  port: number;
  /** A service account the fake trusts (generated RSA key, client_email quarry@<project>.iam.gserviceaccount.com). */
  serviceAccount: ServiceAccount;
  /** A syntactically valid key file the fake does NOT trust (same account, other key): bad credentials. */
  untrustedServiceAccount: ServiceAccount;
  deny: { read: boolean; write: boolean };
  delayMs: number;
  requests: { method: string; path: string }[];
  /** Direct DuckDB access (DuckDB SQL, one schema per dataset); BIGINTs that fit come back as numbers. */
  sql(text: string): Promise<Record<string, unknown>[]>;
  /** Also destroys keep-alive sockets so vitest exits. */
  close(): Promise<void>;
}

type DuckModule = typeof import('@duckdb/node-api');

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_TTL_S = 3599;
// Not a real placeholder a user could collide with by accident: BigQuery column names cannot start with "__bq".
const PLACEHOLDER_COLUMN = '__bq_no_schema';

interface DatasetMeta {
  creationTime: number;
  lastModifiedTime: number;
  location: string;
  description?: string;
  friendlyName?: string;
  labels?: Record<string, string>;
  etag: string;
}

interface TableMeta {
  type: 'TABLE' | 'VIEW';
  creationTime: number;
  lastModifiedTime: number;
  /** Schema given through the API: keeps BigQuery-only type distinctions, modes and descriptions. */
  schema?: BqField[];
  description?: string;
  friendlyName?: string;
  labels?: Record<string, string>;
  expirationTime?: string;
  viewQuery?: string;
  /** insertAll best-effort de-duplication. */
  insertIds: Set<string>;
  etag: string;
}

interface QueryResult {
  statementType: string;
  fields?: BqField[];
  rows?: DuckDBValue[][];
  numDml?: number;
  location: string;
  destination?: { datasetId: string; tableId: string };
}

interface JobRecord {
  jobId: string;
  location: string;
  email: string;
  configuration: Record<string, unknown>;
  creationTime: number;
  endTime: number;
  result?: QueryResult;
  error?: BqError;
  cancelled?: boolean;
}

interface QueryRequest {
  query: string;
  params?: QueryParameter[];
  defaultDataset?: string;
  location?: string;
  dryRun?: boolean;
  destination?: { projectId?: string; datasetId: string; tableId: string };
  writeDisposition?: string;
  createDisposition?: string;
}

interface Principal {
  email: string;
}

class HttpReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

const b64url = (buf: Buffer): string => buf.toString('base64url');
const etag = (): string => randomBytes(12).toString('base64');

function errorBody(err: BqError): unknown {
  const detail = { message: err.message, domain: 'global', reason: err.reason, ...err.extra };
  return {
    error: { code: err.httpStatus, message: err.message, errors: [detail], status: STATUS_BY_HTTP[err.httpStatus] ?? 'UNKNOWN' },
  };
}

async function makeServiceAccount(projectId: string, email: string, tokenUri: string): Promise<{ account: ServiceAccount; publicKey: KeyObject }> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: string; publicKey: string }>((resolve, reject) =>
    generateKeyPair(
      'rsa',
      { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } },
      (err, pub, priv) => (err ? reject(err) : resolve({ privateKey: priv, publicKey: pub })),
    ),
  );
  const key = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey,
    client_email: email,
    client_id: String(100000000000000000000n + BigInt('0x' + randomBytes(8).toString('hex'))),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: 'googleapis.com',
  };
  return {
    account: { credentialsJson: JSON.stringify(key, null, 2), clientEmail: email, privateKeyPem: privateKey },
    publicKey: createPublicKey(publicKey),
  };
}

function decodeJwt(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signed: string; signature: Buffer } | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const [h, p, s] = parts as [string, string, string];
    return {
      header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>,
      signed: `${h}.${p}`,
      signature: Buffer.from(s, 'base64url'),
    };
  } catch {
    return null;
  }
}

function jsToPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(jsToPlain);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsToPlain(x)]));
  }
  return v;
}

export async function startFakeBigQuery(opts: FakeBigQueryOptions = {}): Promise<FakeBigQuery> {
  const projectId = opts.projectId ?? 'my-gcp-project';
  const defaultLocation = opts.location ?? 'US';
  const duck: DuckModule = await import('@duckdb/node-api');
  const instance: DuckDBInstance = await duck.DuckDBInstance.create(':memory:');
  const conn: DuckDBConnection = await instance.connect();
  // BigQuery TIMESTAMPs are absolute and DATETIMEs naive; a UTC session keeps DuckDB's casts between them neutral.
  await conn.run(`SET TimeZone = 'UTC'`);

  const datasets = new Map<string, DatasetMeta>();
  const tables = new Map<string, TableMeta>(); // key: dataset + '\0' + table
  const tkey = (ds: string, t: string): string => `${ds}\u0000${t}`;
  const jobs = new Map<string, JobRecord>();
  const tokens = new Map<string, { email: string; scope: string; expiresAt: number }>();
  const trusted = new Map<string, KeyObject>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closed = false;

  // All DuckDB work is serialised: one connection, and catalog syncs must not interleave with statements.
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const rowsOf = async (sql: string): Promise<Record<string, unknown>[]> => {
    const r = await conn.runAndReadAll(sql);
    return r.getRowObjectsJS().map((o) => jsToPlain(o) as Record<string, unknown>);
  };

  /** Reconciles the metadata maps with DuckDB's catalog (SQL can create and drop objects). */
  const sync = async (): Promise<void> => {
    const now = Date.now();
    const schemaRows = await rowsOf(`SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal`);
    const seenDs = new Set(schemaRows.map((r) => String(r.schema_name)));
    for (const ds of seenDs) {
      if (!datasets.has(ds)) datasets.set(ds, { creationTime: now, lastModifiedTime: now, location: defaultLocation, etag: etag() });
    }
    for (const ds of [...datasets.keys()]) if (!seenDs.has(ds)) datasets.delete(ds);
    const tableRows = await rowsOf(
      `SELECT schema_name, table_name, 'TABLE' AS kind FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary
       UNION ALL SELECT schema_name, view_name, 'VIEW' FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary`,
    );
    const seenT = new Set<string>();
    for (const r of tableRows) {
      const ds = String(r.schema_name);
      if (!seenDs.has(ds)) continue;
      const key = tkey(ds, String(r.table_name));
      seenT.add(key);
      const kind = r.kind === 'VIEW' ? 'VIEW' : 'TABLE';
      const existing = tables.get(key);
      if (!existing || existing.type !== kind) {
        tables.set(key, { type: kind, creationTime: now, lastModifiedTime: now, insertIds: new Set(), etag: etag() });
      }
    }
    for (const key of [...tables.keys()]) if (!seenT.has(key)) tables.delete(key);
  };

  /** The table's BigQuery schema: DuckDB's columns, refined by the schema given through the API. */
  const describeTable = async (ds: string, t: string): Promise<BqField[]> => {
    const r = await conn.runAndReadAll(`SELECT * FROM ${quoteIdent(ds)}.${quoteIdent(t)} LIMIT 0`);
    const nullability = await rowsOf(
      `SELECT column_name, is_nullable FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = ${sqlString(ds)} AND table_name = ${sqlString(t)}`,
    );
    const notNull = new Set(nullability.filter((x) => x.is_nullable === false).map((x) => String(x.column_name)));
    const stored = tables.get(tkey(ds, t))?.schema ?? [];
    const fields: BqField[] = [];
    r.columnNames().forEach((name, i) => {
      if (name === PLACEHOLDER_COLUMN) return;
      const given = stored.find((f) => f.name.toLowerCase() === name.toLowerCase());
      if (given) {
        fields.push(given);
        return;
      }
      const derived = fieldForDuckType(duck, name, r.columnType(i));
      if (derived.mode !== 'REPEATED') derived.mode = notNull.has(name) ? 'REQUIRED' : 'NULLABLE';
      fields.push(derived);
    });
    return fields;
  };

  const tableExists = (ds: string, t: string): TableMeta | undefined => tables.get(tkey(ds, t));

  // ---------------------------------------------------------------------------------------------
  // INFORMATION_SCHEMA

  interface Snapshot {
    tables: { ds: string; name: string; meta: TableMeta; fields: BqField[]; ddlQuery?: string }[];
  }

  const snapshot = async (): Promise<Snapshot> => {
    const out: Snapshot = { tables: [] };
    const views = await rowsOf(`SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = current_database() AND NOT internal`);
    for (const [key, meta] of [...tables.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const [ds, name] = key.split('\u0000') as [string, string];
      const viewSql = views.find((v) => v.schema_name === ds && v.view_name === name)?.sql;
      out.tables.push({
        ds,
        name,
        meta,
        fields: await describeTable(ds, name),
        ddlQuery: meta.viewQuery ?? (typeof viewSql === 'string' ? viewSql.replace(/^CREATE VIEW [^\s]+ AS /i, '').replace(/;$/, '') : undefined),
      });
    }
    return out;
  };

  type Col = [name: string, duckType: string];
  const relation = (cols: Col[], rows: (string | number | null)[][]): string => {
    const lit = (v: string | number | null, type: string): string =>
      v === null ? `CAST(NULL AS ${type})` : `CAST(${typeof v === 'number' ? String(v) : sqlString(v)} AS ${type})`;
    if (rows.length === 0) return `(SELECT ${cols.map(([n, t]) => `${lit(null, t)} AS ${quoteIdent(n)}`).join(', ')} WHERE false)`;
    const selects = rows.map((row) => `SELECT ${cols.map(([n, t], i) => `${lit(row[i] ?? null, t)} AS ${quoteIdent(n)}`).join(', ')}`);
    return `(${selects.join(' UNION ALL ')})`;
  };
  const isoTime = (ms: number): string => new Date(ms).toISOString();

  const infoSchemaSql = (snap: Snapshot | undefined, view: string, dataset: string | undefined): string => {
    const inScope = (snap?.tables ?? []).filter((t) => dataset === undefined || t.ds === dataset);
    const ddlOf = (t: Snapshot['tables'][number]): string =>
      t.meta.type === 'VIEW'
        ? `CREATE VIEW \`${projectId}.${t.ds}.${t.name}\`\nAS ${t.ddlQuery ?? ''};`
        : `CREATE TABLE \`${projectId}.${t.ds}.${t.name}\`\n(\n${t.fields.map((f) => `  ${f.name} ${standardTypeName(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`).join(',\n')}\n);`;
    switch (view) {
      case 'TABLES':
        return relation(
          [
            ['table_catalog', 'VARCHAR'], ['table_schema', 'VARCHAR'], ['table_name', 'VARCHAR'], ['table_type', 'VARCHAR'],
            ['is_insertable_into', 'VARCHAR'], ['is_typed', 'VARCHAR'], ['is_change_history_enabled', 'VARCHAR'],
            ['creation_time', 'TIMESTAMPTZ'], ['base_table_catalog', 'VARCHAR'], ['base_table_schema', 'VARCHAR'],
            ['base_table_name', 'VARCHAR'], ['snapshot_time_ms', 'TIMESTAMPTZ'], ['ddl', 'VARCHAR'], ['default_collation_name', 'VARCHAR'],
          ],
          inScope.map((t) => [
            projectId, t.ds, t.name, t.meta.type === 'VIEW' ? 'VIEW' : 'BASE TABLE', t.meta.type === 'VIEW' ? 'NO' : 'YES', 'NO', 'NO',
            isoTime(t.meta.creationTime), null, null, null, null, ddlOf(t), 'NULL',
          ]),
        );
      case 'COLUMNS':
        return relation(
          [
            ['table_catalog', 'VARCHAR'], ['table_schema', 'VARCHAR'], ['table_name', 'VARCHAR'], ['column_name', 'VARCHAR'],
            ['ordinal_position', 'BIGINT'], ['is_nullable', 'VARCHAR'], ['data_type', 'VARCHAR'], ['is_generated', 'VARCHAR'],
            ['generation_expression', 'VARCHAR'], ['is_stored', 'VARCHAR'], ['is_hidden', 'VARCHAR'], ['is_updatable', 'VARCHAR'],
            ['is_system_defined', 'VARCHAR'], ['is_partitioning_column', 'VARCHAR'], ['clustering_ordinal_position', 'BIGINT'],
            ['collation_name', 'VARCHAR'], ['column_default', 'VARCHAR'], ['rounding_mode', 'VARCHAR'],
          ],
          inScope.flatMap((t) =>
            t.fields.map((f, i) => [
              projectId, t.ds, t.name, f.name, i + 1, f.mode === 'REQUIRED' ? 'NO' : 'YES', standardTypeName(f), 'NEVER',
              null, null, 'NO', null, 'NO', 'NO', null, 'NULL', 'NULL', null,
            ]),
          ),
        );
      case 'VIEWS':
        return relation(
          [['table_catalog', 'VARCHAR'], ['table_schema', 'VARCHAR'], ['table_name', 'VARCHAR'], ['view_definition', 'VARCHAR'], ['check_option', 'VARCHAR'], ['use_standard_sql', 'VARCHAR']],
          inScope.filter((t) => t.meta.type === 'VIEW').map((t) => [projectId, t.ds, t.name, t.ddlQuery ?? '', null, 'YES']),
        );
      case 'SCHEMATA':
      case 'DATASETS':
        return relation(
          [
            ['catalog_name', 'VARCHAR'], ['schema_name', 'VARCHAR'], ['schema_owner', 'VARCHAR'], ['creation_time', 'TIMESTAMPTZ'],
            ['last_modified_time', 'TIMESTAMPTZ'], ['location', 'VARCHAR'], ['ddl', 'VARCHAR'], ['default_collation_name', 'VARCHAR'],
          ],
          [...datasets.entries()]
            .filter(([ds]) => dataset === undefined || ds === dataset)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([ds, m]) => [projectId, ds, null, isoTime(m.creationTime), isoTime(m.lastModifiedTime), m.location, `CREATE SCHEMA \`${projectId}.${ds}\`\nOPTIONS(\n  location="${m.location.toLowerCase()}"\n);`, null]),
        );
      default:
        throw invalidQuery(`Table "INFORMATION_SCHEMA.${view}" is not supported by the fake BigQuery server`);
    }
  };

  // ---------------------------------------------------------------------------------------------
  // Access control simulation

  const denyRead = (ref: TableRef): BqError => {
    const name = `${projectId}:${ref.dataset}.${ref.table}`;
    return new BqError(403, 'accessDenied', `Access Denied: Table ${name}: User does not have permission to query table ${name}, or perhaps it does not exist.`);
  };
  const denyDataset = (ds: string, permission: string): BqError =>
    new BqError(403, 'accessDenied', `Access Denied: Dataset ${projectId}:${ds}: Permission ${permission} denied on dataset ${projectId}:${ds} (or it may not exist).`);
  const denyTable = (ds: string, t: string, permission: string): BqError => {
    const name = `${projectId}:${ds}.${t}`;
    return new BqError(403, 'accessDenied', `Access Denied: Table ${name}: Permission ${permission} denied on table ${name} (or it may not exist).`);
  };

  const fake: FakeBigQuery = {
    url: '',
    tokenUri: '',
    port: 0,
    serviceAccount: undefined as unknown as ServiceAccount,
    untrustedServiceAccount: undefined as unknown as ServiceAccount,
    deny: { read: false, write: false },
    delayMs: 0,
    requests: [],
    sql: (text) => exclusive(() => rowsOf(text)),
    close: async () => undefined,
  };

  // ---------------------------------------------------------------------------------------------
  // Queries

  const mapDuckError = (e: unknown, refs: TableRef[], defaultDataset: string | undefined, location: string): BqError => {
    if (e instanceof BqError) return e;
    const full = (e instanceof Error ? e.message : String(e)).replace(/^Failed to extract statements: /, '');
    const msg = full.split('\n')[0] ?? full;
    let m: RegExpMatchArray | null;
    if ((m = msg.match(/because schema "([^"]+)" does not exist/))) {
      return new BqError(404, 'notFound', `Not found: Dataset ${projectId}:${m[1]} was not found in location ${location}`);
    }
    if ((m = msg.match(/^Catalog Error: Table with name "?([^"!]+?)"? does not exist/))) {
      const name = (m[1] as string).split('.').pop() as string;
      const ref = refs.find((r) => r.table.toLowerCase() === name.toLowerCase());
      const ds = ref?.dataset ?? defaultDataset;
      if (!ds) return invalidQuery(`Table "${name}" must be qualified with a dataset (e.g. dataset.table).`);
      return new BqError(404, 'notFound', `Not found: Table ${projectId}:${ds}.${ref?.table ?? name} was not found in location ${location}`);
    }
    if ((m = msg.match(/^Catalog Error: \w+ with name "?([^"!]+?)"? already exists/))) {
      const ref = refs[0];
      return new BqError(409, 'duplicate', `Already Exists: Table ${projectId}:${ref ? `${ref.dataset}.${ref.table}` : m[1]}`);
    }
    if ((m = msg.match(/^Binder Error: Referenced column "?([^"]+)"? not found/))) return invalidQuery(`Unrecognized name: ${m[1]}`);
    if ((m = msg.match(/^Parser Error: (.*)$/))) return invalidQuery(`Syntax error: ${m[1]}`);
    return invalidQuery(msg.replace(/^[A-Za-z ]+ Error: /, ''));
  };

  const runQuery = (req: QueryRequest): Promise<QueryResult> =>
    exclusive(async () => {
      await sync();
      if (req.defaultDataset !== undefined && !datasets.has(req.defaultDataset)) {
        throw new BqError(404, 'notFound', `Not found: Dataset ${projectId}:${req.defaultDataset} was not found in location ${req.location ?? defaultLocation}`);
      }
      const snap = /information_schema/i.test(req.query) ? await snapshot() : undefined;
      const cat: CatalogView = {
        projectId,
        location: req.location ?? defaultLocation,
        datasets: new Set(datasets.keys()),
        defaultDataset: req.defaultDataset,
        infoSchema: (view, ds) => infoSchemaSql(snap, view, ds),
      };
      const rw = rewriteSql(req.query, cat, req.params ?? []);
      const statements = await conn.extractStatements(rw.sql).catch((e: unknown) => {
        throw mapDuckError(e, rw.refs, req.defaultDataset, req.location ?? defaultLocation);
      });
      if (statements.count === 0) throw invalidQuery('Syntax error: Unexpected end of script');
      const statementType = statements.count > 1 ? 'SCRIPT' : statementTypeOf(req.query);
      const isWrite = statementType !== 'SELECT';

      // Location: every dataset the query names must live where the job runs.
      const named = [...rw.refs.map((r) => r.dataset), ...rw.datasetRefs.filter((d) => datasets.has(d))];
      const location = req.location ?? (named[0] ? datasets.get(named[0])?.location : undefined) ?? defaultLocation;
      for (const ds of named) {
        const dsLoc = datasets.get(ds)?.location ?? defaultLocation;
        if (dsLoc.toLowerCase() !== location.toLowerCase()) {
          throw new BqError(404, 'notFound', `Not found: Dataset ${projectId}:${ds} was not found in location ${location}`);
        }
      }

      const target = isWrite ? rw.refs[0] : undefined;
      const reads = isWrite ? rw.refs.slice(1) : rw.refs;
      if (fake.deny.write && isWrite) {
        if (statementType === 'CREATE_SCHEMA' || (statementType.startsWith('DROP_SCHEMA') && rw.datasetRefs[0])) {
          throw new BqError(403, 'accessDenied', `Access Denied: Project ${projectId}: User does not have bigquery.datasets.${statementType === 'CREATE_SCHEMA' ? 'create' : 'delete'} permission in project ${projectId}.`);
        }
        const ds = target?.dataset ?? req.defaultDataset ?? rw.datasetRefs[0] ?? '';
        const table = target?.table ?? '';
        if (statementType.startsWith('CREATE_')) throw denyDataset(ds, 'bigquery.tables.create');
        if (statementType.startsWith('DROP_')) throw denyTable(ds, table, 'bigquery.tables.delete');
        if (statementType.startsWith('ALTER_')) throw denyTable(ds, table, 'bigquery.tables.update');
        throw denyTable(ds, table, 'bigquery.tables.updateData');
      }
      const firstRead = reads[0];
      if (fake.deny.read && firstRead) throw denyRead(firstRead);

      let sql = rw.sql;
      let destination: QueryResult['destination'];
      if (req.destination && statementType === 'SELECT') {
        const { datasetId, tableId } = req.destination;
        if (req.destination.projectId && req.destination.projectId !== projectId) throw new BqError(404, 'notFound', `Not found: Dataset ${req.destination.projectId}:${datasetId}`);
        if (!datasets.has(datasetId)) throw new BqError(404, 'notFound', `Not found: Dataset ${projectId}:${datasetId}`);
        const exists = tableExists(datasetId, tableId);
        if (fake.deny.write) throw exists ? denyTable(datasetId, tableId, 'bigquery.tables.updateData') : denyDataset(datasetId, 'bigquery.tables.create');
        const dest = `${quoteIdent(datasetId)}.${quoteIdent(tableId)}`;
        const body = rw.sql.trim().replace(/;\s*$/, '');
        const disposition = req.writeDisposition ?? 'WRITE_EMPTY';
        if (!exists) {
          if (req.createDisposition === 'CREATE_NEVER') throw new BqError(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
          sql = `CREATE TABLE ${dest} AS ${body}`;
        } else if (disposition === 'WRITE_TRUNCATE') sql = `CREATE OR REPLACE TABLE ${dest} AS ${body}`;
        else if (disposition === 'WRITE_APPEND') sql = `INSERT INTO ${dest} ${body}`;
        else {
          const count = await rowsOf(`SELECT count(*) AS n FROM ${dest}`);
          if (Number(count[0]?.n ?? 0) > 0) throw new BqError(409, 'duplicate', `Already Exists: Table ${projectId}:${datasetId}.${tableId}`);
          sql = `INSERT INTO ${dest} ${body}`;
        }
        destination = { datasetId, tableId };
      }

      const refsForErrors = req.destination ? [{ dataset: req.destination.datasetId, table: req.destination.tableId }, ...rw.refs] : rw.refs;
      try {
        if (req.defaultDataset) await conn.run(`SET schema = ${sqlString(req.defaultDataset)}`);
        const stmts = sql === rw.sql ? statements : await conn.extractStatements(sql);
        if (req.dryRun) {
          const prepared = await stmts.prepare(stmts.count - 1);
          const fields =
            statementType === 'SELECT'
              ? Array.from({ length: prepared.columnCount }, (_, i) => fieldForDuckType(duck, prepared.columnName(i), prepared.columnType(i)))
              : undefined;
          return { statementType, fields, location };
        }
        let last: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>> | undefined;
        for (let i = 0; i < stmts.count; i++) {
          const prepared = await stmts.prepare(i);
          last = await prepared.runAndReadAll();
        }
        if (!last) throw invalidQuery('Syntax error: Unexpected end of script');
        if (destination) {
          const r = await conn.runAndReadAll(`SELECT * FROM ${quoteIdent(destination.datasetId)}.${quoteIdent(destination.tableId)}`);
          const fields = await describeTable(destination.datasetId, destination.tableId);
          return { statementType, fields, rows: r.getRows(), location, destination };
        }
        if (statementType === 'SELECT' || (statementType === 'SCRIPT' && last.statementType === duck.StatementType.SELECT)) {
          const anon = { n: 0 };
          const fields = last.columnNames().map((name, i) => {
            // BigQuery names unaliased expressions f0_, f1_, ...; DuckDB uses their text.
            const bqName = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `f${anon.n++}_`;
            return fieldForDuckType(duck, bqName, last.columnType(i));
          });
          return { statementType, fields, rows: last.getRows(), location };
        }
        const dml = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(statementType) ? last.rowsChanged : undefined;
        return { statementType, numDml: dml, location };
      } catch (e) {
        throw mapDuckError(e, refsForErrors, req.defaultDataset, location);
      } finally {
        if (req.defaultDataset) await conn.run(`SET schema = 'main'`).catch(() => undefined);
        if (isWrite || destination) await sync();
      }
    });

  const queryParams = (body: Record<string, unknown>): QueryParameter[] => (Array.isArray(body.queryParameters) ? (body.queryParameters as QueryParameter[]) : []);

  const tsFormat = (useInt64: unknown, outputFormat: unknown): TimestampFormat => {
    if (outputFormat === 'ISO8601_STRING') return 'iso';
    if (outputFormat === 'INT64' || useInt64 === true || useInt64 === 'true') return 'int64';
    return 'float';
  };

  const pageOf = (
    result: QueryResult,
    startIndex: number,
    maxResults: number | undefined,
    ts: TimestampFormat,
  ): { rows?: unknown[]; pageToken?: string; totalRows: string } => {
    const all = result.rows ?? [];
    const end = maxResults === undefined ? all.length : Math.min(all.length, startIndex + maxResults);
    const fields = result.fields ?? [];
    const rows = all.slice(startIndex, end).map((r) => formatRow(fields, r, ts));
    return {
      totalRows: String(all.length),
      ...(rows.length > 0 ? { rows } : {}),
      ...(end < all.length ? { pageToken: Buffer.from(String(end)).toString('base64url') } : {}),
    };
  };

  const startIndexOf = (pageToken: unknown, startIndex: unknown): number => {
    if (typeof pageToken === 'string' && pageToken) {
      const n = Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(n) || n < 0) throw new BqError(400, 'invalid', `Invalid page token: ${pageToken}`);
      return n;
    }
    const n = Number(startIndex ?? 0);
    return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
  };

  const optionalInt = (v: unknown): number | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
  };

  const jobReference = (job: JobRecord): Record<string, string> => ({ projectId, jobId: job.jobId, location: job.location });

  const jobResource = (job: JobRecord): Record<string, unknown> => {
    const r = job.result;
    const queryStats: Record<string, unknown> = {
      totalBytesProcessed: '0',
      totalBytesBilled: '0',
      billingTier: 1,
      cacheHit: false,
      totalSlotMs: '0',
      statementType: r?.statementType ?? statementTypeOf(String((job.configuration.query as { query?: unknown } | undefined)?.query ?? '')),
      ...(r?.fields ? { schema: { fields: r.fields } } : {}),
      ...(r?.numDml !== undefined ? { numDmlAffectedRows: String(r.numDml) } : {}),
    };
    const status: Record<string, unknown> = { state: 'DONE' };
    if (job.error) {
      const e = { reason: job.error.reason, message: job.error.message, ...job.error.extra };
      status.errorResult = e;
      status.errors = [e];
    }
    return {
      kind: 'bigquery#job',
      etag: etag(),
      id: `${projectId}:${job.location}.${job.jobId}`,
      selfLink: `${fake.url}/bigquery/v2/projects/${projectId}/jobs/${job.jobId}?location=${job.location}`,
      user_email: job.email,
      configuration: job.configuration,
      jobReference: jobReference(job),
      statistics: {
        creationTime: String(job.creationTime),
        startTime: String(job.creationTime),
        endTime: String(job.endTime),
        totalBytesProcessed: '0',
        query: queryStats,
      },
      status,
      principal_subject: `serviceAccount:${job.email}`,
      jobCreationReason: { code: 'REQUESTED' },
    };
  };

  const newJobId = (): string => `job_${b64url(randomBytes(21))}`;

  const findJob = (jobId: string, location: unknown): JobRecord => {
    const job = jobs.get(jobId);
    const loc = typeof location === 'string' && location ? location : undefined;
    if (!job || (loc && loc.toLowerCase() !== job.location.toLowerCase())) {
      throw new BqError(404, 'notFound', `Not found: Job ${projectId}:${loc ?? job?.location ?? defaultLocation}.${jobId}`);
    }
    return job;
  };

  const queryResponseFields = (job: JobRecord, startIndex: number, maxResults: number | undefined, ts: TimestampFormat): Record<string, unknown> => {
    const r = job.result as QueryResult;
    const isRows = r.fields !== undefined && r.rows !== undefined;
    return {
      ...(r.fields ? { schema: { fields: r.fields } } : {}),
      jobReference: jobReference(job),
      ...(isRows ? pageOf(r, startIndex, maxResults, ts) : { totalRows: '0' }),
      totalBytesProcessed: '0',
      jobComplete: true,
      cacheHit: false,
      ...(r.numDml !== undefined ? { numDmlAffectedRows: String(r.numDml), dmlStats: dmlStats(r) } : {}),
    };
  };

  const dmlStats = (r: QueryResult): Record<string, string> => {
    const n = String(r.numDml ?? 0);
    if (r.statementType === 'INSERT') return { insertedRowCount: n };
    if (r.statementType === 'UPDATE') return { updatedRowCount: n };
    if (r.statementType === 'DELETE') return { deletedRowCount: n };
    return {};
  };

  // ---------------------------------------------------------------------------------------------
  // Resources

  const datasetResource = (ds: string, meta: DatasetMeta, email: string): Record<string, unknown> => ({
    kind: 'bigquery#dataset',
    etag: meta.etag,
    id: `${projectId}:${ds}`,
    selfLink: `${fake.url}/bigquery/v2/projects/${projectId}/datasets/${ds}`,
    datasetReference: { datasetId: ds, projectId },
    ...(meta.friendlyName !== undefined ? { friendlyName: meta.friendlyName } : {}),
    ...(meta.description !== undefined ? { description: meta.description } : {}),
    ...(meta.labels ? { labels: meta.labels } : {}),
    access: [
      { role: 'WRITER', specialGroup: 'projectWriters' },
      { role: 'OWNER', specialGroup: 'projectOwners' },
      { role: 'OWNER', userByEmail: email },
      { role: 'READER', specialGroup: 'projectReaders' },
    ],
    creationTime: String(meta.creationTime),
    lastModifiedTime: String(meta.lastModifiedTime),
    location: meta.location,
    type: 'DEFAULT',
    maxTimeTravelHours: '168',
  });

  const tableResource = async (ds: string, t: string, meta: TableMeta): Promise<Record<string, unknown>> => {
    const fields = await describeTable(ds, t);
    const numRows = meta.type === 'TABLE' ? Number((await rowsOf(`SELECT count(*) AS n FROM ${quoteIdent(ds)}.${quoteIdent(t)}`))[0]?.n ?? 0) : undefined;
    const viewSql =
      meta.type === 'VIEW'
        ? (meta.viewQuery ??
          String((await rowsOf(`SELECT sql FROM duckdb_views() WHERE schema_name = ${sqlString(ds)} AND view_name = ${sqlString(t)}`))[0]?.sql ?? ''))
        : undefined;
    return {
      kind: 'bigquery#table',
      etag: meta.etag,
      id: `${projectId}:${ds}.${t}`,
      selfLink: `${fake.url}/bigquery/v2/projects/${projectId}/datasets/${ds}/tables/${t}`,
      tableReference: { projectId, datasetId: ds, tableId: t },
      ...(meta.friendlyName !== undefined ? { friendlyName: meta.friendlyName } : {}),
      ...(meta.description !== undefined ? { description: meta.description } : {}),
      ...(meta.labels ? { labels: meta.labels } : {}),
      schema: { fields },
      ...(numRows !== undefined ? { numBytes: '0', numLongTermBytes: '0', numRows: String(numRows), numTotalLogicalBytes: '0', numActiveLogicalBytes: '0', numLongTermLogicalBytes: '0' } : {}),
      creationTime: String(meta.creationTime),
      lastModifiedTime: String(meta.lastModifiedTime),
      ...(meta.expirationTime !== undefined ? { expirationTime: meta.expirationTime } : {}),
      type: meta.type,
      ...(viewSql !== undefined ? { view: { query: viewSql, useLegacySql: false } } : {}),
      location: datasets.get(ds)?.location ?? defaultLocation,
    };
  };

  const requireDataset = (p: string, ds: string): DatasetMeta => {
    const meta = p === projectId ? datasets.get(ds) : undefined;
    if (!meta) throw new BqError(404, 'notFound', `Not found: Dataset ${p}:${ds}`);
    return meta;
  };

  const requireTable = (ds: string, t: string): TableMeta => {
    const meta = tableExists(ds, t);
    if (!meta) throw new BqError(404, 'notFound', `Not found: Table ${projectId}:${ds}.${t}`);
    return meta;
  };

  const validateFields = (fields: unknown): BqField[] => {
    if (!Array.isArray(fields)) throw new BqError(400, 'invalid', 'Invalid value for schema: fields must be an array');
    const seen = new Set<string>();
    return fields.map((raw) => {
      const f = raw as BqField;
      if (!f || typeof f.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,299}$/.test(f.name)) {
        throw new BqError(400, 'invalid', `Invalid field name "${String(f?.name)}". Fields must contain only letters, numbers, and underscores, start with a letter or underscore, and be at most 300 characters long.`);
      }
      if (seen.has(f.name.toLowerCase())) throw new BqError(400, 'invalid', `Field ${f.name} already exists in schema`);
      seen.add(f.name.toLowerCase());
      const type = String(f.type ?? 'STRING').toUpperCase();
      const out: BqField = { ...f, type: type === 'STRUCT' ? 'RECORD' : type, mode: String(f.mode ?? 'NULLABLE').toUpperCase() };
      if (out.type === 'RECORD') out.fields = validateFields(f.fields ?? []);
      duckTypeForField(out); // rejects unknown types
      return out;
    });
  };

  // ---------------------------------------------------------------------------------------------
  // Auth

  const authenticate = (req: IncomingMessage): Principal => {
    const header = req.headers.authorization;
    if (!header) {
      throw new BqError(
        401,
        'required',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        { message: 'Login Required.', location: 'Authorization', locationType: 'header' },
      );
    }
    const invalid = new BqError(
      401,
      'authError',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      { message: 'Invalid Credentials', location: 'Authorization', locationType: 'header' },
    );
    const m = header.match(/^Bearer\s+(\S+)$/i);
    if (!m) throw invalid;
    const token = m[1] as string;
    const issued = tokens.get(token);
    let scope: string;
    let email: string;
    if (issued) {
      if (issued.expiresAt <= Date.now()) throw invalid;
      scope = issued.scope;
      email = issued.email;
    } else {
      // A self-signed JWT (service account without scopes) is also a valid bearer credential.
      const jwt = decodeJwt(token);
      const iss = typeof jwt?.payload.iss === 'string' ? jwt.payload.iss : '';
      const key = trusted.get(iss);
      if (!jwt || !key || !verify('RSA-SHA256', Buffer.from(jwt.signed), key, jwt.signature)) throw invalid;
      if (typeof jwt.payload.exp !== 'number' || jwt.payload.exp * 1000 < Date.now()) throw invalid;
      scope = typeof jwt.payload.scope === 'string' ? jwt.payload.scope : 'https://www.googleapis.com/auth/bigquery';
      email = iss;
    }
    if (!/auth\/(bigquery|cloud-platform)/.test(scope)) {
      throw new BqError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    }
    return { email };
  };

  const issueToken = (form: URLSearchParams): HttpReply => {
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER) {
      return new HttpReply(400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${grantType ?? ''}` });
    }
    const jwt = decodeJwt(form.get('assertion') ?? '');
    if (!jwt || jwt.header.alg !== 'RS256') return new HttpReply(400, { error: 'invalid_grant', error_description: 'Invalid JWT: Invalid JWT format.' });
    const iss = typeof jwt.payload.iss === 'string' ? jwt.payload.iss : '';
    const key = trusted.get(iss);
    if (!key) return new HttpReply(400, { error: 'invalid_grant', error_description: 'Invalid grant: account not found' });
    if (!verify('RSA-SHA256', Buffer.from(jwt.signed), key, jwt.signature)) {
      return new HttpReply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    const now = Math.floor(Date.now() / 1000);
    const { exp, iat, aud } = jwt.payload;
    // Loose like Google's: a few minutes of clock skew, at most an hour of validity.
    if (typeof exp !== 'number' || typeof iat !== 'number' || exp < now - 300 || iat > now + 300 || exp - iat > 3600) {
      return new HttpReply(400, {
        error: 'invalid_grant',
        error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      });
    }
    if (aud !== GOOGLE_TOKEN_URL && aud !== fake.tokenUri && aud !== 'https://www.googleapis.com/oauth2/v4/token') {
      return new HttpReply(400, { error: 'invalid_grant', error_description: 'Invalid JWT: Failed audience check.' });
    }
    const scope = typeof jwt.payload.scope === 'string' ? jwt.payload.scope : '';
    if (!scope) return new HttpReply(400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' });
    const accessToken = `ya29.${b64url(randomBytes(48))}`;
    tokens.set(accessToken, { email: iss, scope, expiresAt: Date.now() + TOKEN_TTL_S * 1000 });
    return new HttpReply(200, { access_token: accessToken, expires_in: TOKEN_TTL_S, token_type: 'Bearer' });
  };

  // ---------------------------------------------------------------------------------------------
  // Routes

  const createTableFromBody = async (ds: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const ref = (body.tableReference ?? {}) as { tableId?: unknown; datasetId?: unknown };
    const t = typeof ref.tableId === 'string' ? ref.tableId : '';
    if (!/^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd} ]{1,1024}$/u.test(t)) {
      throw new BqError(400, 'invalid', `Invalid table ID "${t}". Table IDs must be alphanumeric (plus underscores and dashes) and must be at most 1024 characters long. Also, Table decorators cannot be used.`);
    }
    if (fake.deny.write) throw denyDataset(ds, 'bigquery.tables.create');
    return exclusive(async () => {
      await sync();
      if (tableExists(ds, t)) throw new BqError(409, 'duplicate', `Already Exists: Table ${projectId}:${ds}.${t}`);
      const view = body.view as { query?: unknown; useLegacySql?: unknown } | undefined;
      const now = Date.now();
      let fields: BqField[] | undefined;
      if (view && typeof view.query === 'string') {
        if (view.useLegacySql === true) throw new BqError(400, 'invalid', 'Legacy SQL views are not supported by the fake BigQuery server');
        const rw = rewriteSql(view.query, { projectId, location: datasets.get(ds)?.location ?? defaultLocation, datasets: new Set(datasets.keys()), infoSchema: (v, d) => infoSchemaSql(undefined, v, d) });
        try {
          await conn.run(`CREATE VIEW ${quoteIdent(ds)}.${quoteIdent(t)} AS ${rw.sql}`);
        } catch (e) {
          throw mapDuckError(e, rw.refs, undefined, defaultLocation);
        }
      } else {
        const schema = body.schema as { fields?: unknown } | undefined;
        fields = schema?.fields !== undefined ? validateFields(schema.fields) : [];
        const cols = fields.length
          ? fields.map((f) => `${quoteIdent(f.name)} ${duckTypeForField(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`)
          : [`${quoteIdent(PLACEHOLDER_COLUMN)} BOOLEAN`]; // DuckDB needs a column; BigQuery allows none
        await conn.run(`CREATE TABLE ${quoteIdent(ds)}.${quoteIdent(t)} (${cols.join(', ')})`);
      }
      const meta: TableMeta = {
        type: view ? 'VIEW' : 'TABLE',
        creationTime: now,
        lastModifiedTime: now,
        schema: fields,
        description: typeof body.description === 'string' ? body.description : undefined,
        friendlyName: typeof body.friendlyName === 'string' ? body.friendlyName : undefined,
        labels: body.labels as Record<string, string> | undefined,
        expirationTime: typeof body.expirationTime === 'string' ? body.expirationTime : undefined,
        viewQuery: view && typeof view.query === 'string' ? view.query : undefined,
        insertIds: new Set(),
        etag: etag(),
      };
      tables.set(tkey(ds, t), meta);
      return tableResource(ds, t, meta);
    });
  };

  const patchTable = (ds: string, t: string, body: Record<string, unknown>): Promise<Record<string, unknown>> =>
    exclusive(async () => {
      await sync();
      const meta = requireTable(ds, t);
      if (fake.deny.write) throw denyTable(ds, t, 'bigquery.tables.update');
      if (typeof body.description === 'string' || body.description === null) meta.description = (body.description as string | null) ?? undefined;
      if (typeof body.friendlyName === 'string') meta.friendlyName = body.friendlyName;
      if (body.labels && typeof body.labels === 'object') meta.labels = body.labels as Record<string, string>;
      if (typeof body.expirationTime === 'string') meta.expirationTime = body.expirationTime;
      const schema = body.schema as { fields?: unknown } | undefined;
      if (schema?.fields !== undefined && meta.type === 'TABLE') {
        const wanted = validateFields(schema.fields);
        const current = await describeTable(ds, t);
        for (const f of wanted) {
          if (!current.some((c) => c.name.toLowerCase() === f.name.toLowerCase())) {
            if (f.mode === 'REQUIRED') throw new BqError(400, 'invalid', `Provided Schema does not match Table ${projectId}:${ds}.${t}. Cannot add required fields to an existing schema. (field: ${f.name})`);
            await conn.run(`ALTER TABLE ${quoteIdent(ds)}.${quoteIdent(t)} ADD COLUMN ${quoteIdent(f.name)} ${duckTypeForField(f)}`);
          }
        }
        const missing = current.find((c) => !wanted.some((f) => f.name.toLowerCase() === c.name.toLowerCase()));
        if (missing) throw new BqError(400, 'invalid', `Provided Schema does not match Table ${projectId}:${ds}.${t}. Field ${missing.name} is missing in new schema`);
        meta.schema = wanted;
      }
      meta.lastModifiedTime = Date.now();
      meta.etag = etag();
      return tableResource(ds, t, meta);
    });

  const insertAll = (ds: string, t: string, body: Record<string, unknown>): Promise<Record<string, unknown>> =>
    exclusive(async () => {
      await sync();
      const meta = requireTable(ds, t);
      if (fake.deny.write) throw denyTable(ds, t, 'bigquery.tables.updateData');
      if (meta.type !== 'TABLE') throw new BqError(400, 'invalid', `Cannot add rows to a table of type VIEW.`);
      const rows = Array.isArray(body.rows) ? (body.rows as { insertId?: unknown; json?: unknown }[]) : [];
      if (rows.length === 0) throw new BqError(400, 'invalid', 'No rows present in the request.');
      const skipInvalid = body.skipInvalidRows === true;
      const ignoreUnknown = body.ignoreUnknownValues === true;
      const fields = await describeTable(ds, t);
      const known = new Set(fields.map((f) => f.name.toLowerCase()));
      const errors: { index: number; errors: Record<string, string>[] }[] = [];
      const valid: { index: number; values: string[] }[] = [];
      rows.forEach((row, index) => {
        const json = row && typeof row.json === 'object' && row.json !== null ? (row.json as Record<string, unknown>) : {};
        try {
          if (!ignoreUnknown) {
            const extra = Object.keys(json).find((k) => !known.has(k.toLowerCase()));
            if (extra !== undefined) throw new RowError(`no such field: ${extra}.`, extra);
          }
          const values = fields.map((f) => {
            const key = Object.keys(json).find((k) => k.toLowerCase() === f.name.toLowerCase());
            return jsonToSql(f, key === undefined ? undefined : json[key], ignoreUnknown);
          });
          valid.push({ index, values });
        } catch (e) {
          if (!(e instanceof RowError)) throw e;
          errors.push({ index, errors: [{ reason: e.reason, location: e.location, debugInfo: '', message: e.message }] });
        }
      });
      if (errors.length > 0 && !skipInvalid) {
        // Without skipInvalidRows the whole request is rejected; the valid rows are reported as stopped.
        for (const v of valid) errors.push({ index: v.index, errors: [{ reason: 'stopped', location: '', debugInfo: '', message: '' }] });
        errors.sort((a, b) => a.index - b.index);
        return { kind: 'bigquery#tableDataInsertAllResponse', insertErrors: errors };
      }
      const fresh = valid.filter((v) => {
        const id = rows[v.index]?.insertId;
        if (typeof id !== 'string' || !id) return true;
        if (meta.insertIds.has(id)) return false;
        meta.insertIds.add(id);
        return true;
      });
      if (fresh.length > 0 && fields.length > 0) {
        const cols = fields.map((f) => quoteIdent(f.name)).join(', ');
        try {
          await conn.run(`INSERT INTO ${quoteIdent(ds)}.${quoteIdent(t)} (${cols}) VALUES ${fresh.map((v) => `(${v.values.join(', ')})`).join(', ')}`);
        } catch (e) {
          for (const v of fresh) {
            const id = rows[v.index]?.insertId;
            if (typeof id === 'string') meta.insertIds.delete(id);
          }
          const message = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
          return {
            kind: 'bigquery#tableDataInsertAllResponse',
            insertErrors: rows.map((_, index) => ({ index, errors: [{ reason: 'invalid', location: '', debugInfo: '', message }] })),
          };
        }
        meta.lastModifiedTime = Date.now();
      }
      return { kind: 'bigquery#tableDataInsertAllResponse', ...(errors.length ? { insertErrors: errors } : {}) };
    });

  const listTableData = (ds: string, t: string, qs: URLSearchParams): Promise<Record<string, unknown>> =>
    exclusive(async () => {
      await sync();
      const meta = requireTable(ds, t);
      if (meta.type !== 'TABLE') throw new BqError(400, 'invalid', `Cannot list a table of type VIEW.`);
      if (fake.deny.read) throw denyRead({ dataset: ds, table: t });
      let fields = await describeTable(ds, t);
      const selected = qs.get('selectedFields');
      if (selected) {
        const names = new Set(selected.split(',').map((s) => s.trim().split('.')[0]?.toLowerCase()));
        fields = fields.filter((f) => names.has(f.name.toLowerCase()));
      }
      const cols = fields.length ? fields.map((f) => quoteIdent(f.name)).join(', ') : 'NULL';
      const r = await conn.runAndReadAll(`SELECT ${cols} FROM ${quoteIdent(ds)}.${quoteIdent(t)} ORDER BY rowid`);
      const result: QueryResult = { statementType: 'SELECT', fields, rows: fields.length ? r.getRows() : [], location: defaultLocation };
      const start = startIndexOf(qs.get('pageToken'), qs.get('startIndex'));
      const page = pageOf(result, start, optionalInt(qs.get('maxResults')), tsFormat(qs.get('formatOptions.useInt64Timestamp'), qs.get('formatOptions.timestampOutputFormat')));
      return { kind: 'bigquery#tableDataList', etag: etag(), ...page };
    });

  const runJob = async (principal: Principal, jobId: string, configuration: Record<string, unknown>, location: string | undefined): Promise<JobRecord> => {
    const q = (configuration.query ?? {}) as Record<string, unknown>;
    const now = Date.now();
    const job: JobRecord = { jobId, location: location ?? defaultLocation, email: principal.email, configuration, creationTime: now, endTime: now };
    const dd = q.defaultDataset as { datasetId?: string; projectId?: string } | undefined;
    try {
      if (q.useLegacySql === true || q.useLegacySql === undefined) {
        // jobs.insert defaults to legacy SQL; the fake only speaks GoogleSQL.
        throw invalidQuery('Legacy SQL is not supported by the fake BigQuery server; set useLegacySql: false.');
      }
      if (typeof q.query !== 'string' || !q.query.trim()) throw new BqError(400, 'invalid', 'Query text is required.');
      job.result = await runQuery({
        query: q.query,
        params: queryParams(q),
        defaultDataset: dd?.datasetId,
        location,
        dryRun: configuration.dryRun === true,
        destination: q.destinationTable as QueryRequest['destination'],
        writeDisposition: typeof q.writeDisposition === 'string' ? q.writeDisposition : undefined,
        createDisposition: typeof q.createDisposition === 'string' ? q.createDisposition : undefined,
      });
      job.location = location ?? job.result.location;
    } catch (e) {
      if (!(e instanceof BqError)) throw e;
      job.error = e;
    }
    job.endTime = Date.now();
    return job;
  };

  const route = async (req: IncomingMessage, url: URL, body: unknown): Promise<HttpReply> => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/token' && method === 'POST') {
      const text = typeof body === 'string' ? body : '';
      return issueToken(new URLSearchParams(text));
    }
    const m = path.match(/^\/bigquery\/v2\/projects\/([^/]+)(\/.*)?$/);
    if (!m) throw new BqError(404, 'notFound', `Not found: URL ${path}`);
    const principal = authenticate(req);
    const p = decodeURIComponent(m[1] as string);
    const rest = (m[2] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
    const json = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const qs = url.searchParams;
    const [a, b, c, d, e] = rest;
    const projectDenied = (perm: string): BqError =>
      new BqError(403, 'accessDenied', `Access Denied: Project ${p}: User does not have ${perm} permission in project ${p}.`);

    // datasets
    if (a === 'datasets') {
      if (b === undefined) {
        if (method === 'GET') {
          if (p !== projectId) throw projectDenied('bigquery.datasets.list');
          await exclusive(sync);
          const list = [...datasets.entries()].sort(([x], [y]) => x.localeCompare(y));
          return new HttpReply(200, {
            kind: 'bigquery#datasetList',
            etag: etag(),
            ...(list.length
              ? { datasets: list.map(([ds, meta]) => ({ kind: 'bigquery#dataset', id: `${projectId}:${ds}`, datasetReference: { datasetId: ds, projectId }, location: meta.location, type: 'DEFAULT', ...(meta.labels ? { labels: meta.labels } : {}) })) }
              : {}),
          });
        }
        if (method === 'POST') {
          if (p !== projectId) throw projectDenied('bigquery.datasets.create');
          const ref = (json.datasetReference ?? {}) as { datasetId?: unknown };
          const ds = typeof ref.datasetId === 'string' ? ref.datasetId : '';
          if (!/^[A-Za-z0-9_]{1,1024}$/.test(ds)) {
            throw new BqError(400, 'invalid', `Invalid dataset ID "${ds}". Dataset IDs must be alphanumeric (plus underscores) and must be at most 1024 characters long.`);
          }
          if (fake.deny.write) throw projectDenied('bigquery.datasets.create');
          return exclusive(async () => {
            await sync();
            if (datasets.has(ds)) throw new BqError(409, 'duplicate', `Already Exists: Dataset ${projectId}:${ds}`);
            await conn.run(`CREATE SCHEMA ${quoteIdent(ds)}`);
            const now = Date.now();
            const meta: DatasetMeta = {
              creationTime: now,
              lastModifiedTime: now,
              location: typeof json.location === 'string' && json.location ? json.location : defaultLocation,
              description: typeof json.description === 'string' ? json.description : undefined,
              friendlyName: typeof json.friendlyName === 'string' ? json.friendlyName : undefined,
              labels: json.labels as Record<string, string> | undefined,
              etag: etag(),
            };
            datasets.set(ds, meta);
            return new HttpReply(200, datasetResource(ds, meta, principal.email));
          });
        }
      } else if (c === undefined) {
        const ds = b;
        if (method === 'GET') {
          await exclusive(sync);
          return new HttpReply(200, datasetResource(ds, requireDataset(p, ds), principal.email));
        }
        if (method === 'PATCH' || method === 'PUT') {
          await exclusive(sync);
          const meta = requireDataset(p, ds);
          if (fake.deny.write) throw denyDataset(ds, 'bigquery.datasets.update');
          if (typeof json.description === 'string') meta.description = json.description;
          if (typeof json.friendlyName === 'string') meta.friendlyName = json.friendlyName;
          if (json.labels && typeof json.labels === 'object') meta.labels = json.labels as Record<string, string>;
          meta.lastModifiedTime = Date.now();
          meta.etag = etag();
          return new HttpReply(200, datasetResource(ds, meta, principal.email));
        }
        if (method === 'DELETE') {
          return exclusive(async () => {
            await sync();
            requireDataset(p, ds);
            if (fake.deny.write) throw denyDataset(ds, 'bigquery.datasets.delete');
            const hasTables = [...tables.keys()].some((k) => k.startsWith(ds + '\u0000'));
            if (hasTables && qs.get('deleteContents') !== 'true') {
              throw new BqError(400, 'resourceInUse', `Dataset ${projectId}:${ds} is still in use`);
            }
            await conn.run(`DROP SCHEMA ${quoteIdent(ds)} CASCADE`);
            await sync();
            return new HttpReply(204, undefined);
          });
        }
      } else if (c === 'tables') {
        const ds = b;
        await exclusive(sync);
        requireDataset(p, ds);
        if (d === undefined) {
          if (method === 'POST') return new HttpReply(200, await createTableFromBody(ds, json));
          if (method === 'GET') {
            const names = [...tables.entries()].filter(([k]) => k.startsWith(ds + '\u0000')).sort(([x], [y]) => x.localeCompare(y));
            const start = startIndexOf(qs.get('pageToken'), 0);
            const max = optionalInt(qs.get('maxResults'));
            const end = max === undefined ? names.length : Math.min(names.length, start + max);
            const page = names.slice(start, end).map(([k, meta]) => {
              const t = k.split('\u0000')[1] as string;
              return {
                kind: 'bigquery#table',
                id: `${projectId}:${ds}.${t}`,
                tableReference: { projectId, datasetId: ds, tableId: t },
                type: meta.type,
                creationTime: String(meta.creationTime),
                ...(meta.labels ? { labels: meta.labels } : {}),
                ...(meta.type === 'VIEW' ? { view: { useLegacySql: false } } : {}),
              };
            });
            return new HttpReply(200, {
              kind: 'bigquery#tableList',
              etag: etag(),
              ...(page.length ? { tables: page } : {}),
              totalItems: names.length,
              ...(end < names.length ? { nextPageToken: Buffer.from(String(end)).toString('base64url') } : {}),
            });
          }
        } else if (e === undefined) {
          const t = d;
          if (method === 'GET') return new HttpReply(200, await exclusive(() => tableResource(ds, t, requireTable(ds, t))));
          if (method === 'PATCH' || method === 'PUT') return new HttpReply(200, await patchTable(ds, t, json));
          if (method === 'DELETE') {
            return exclusive(async () => {
              await sync();
              const meta = requireTable(ds, t);
              if (fake.deny.write) throw denyTable(ds, t, 'bigquery.tables.delete');
              await conn.run(`DROP ${meta.type === 'VIEW' ? 'VIEW' : 'TABLE'} ${quoteIdent(ds)}.${quoteIdent(t)}`);
              tables.delete(tkey(ds, t));
              return new HttpReply(204, undefined);
            });
          }
        } else if (e === 'insertAll' && method === 'POST') {
          return new HttpReply(200, await insertAll(ds, d, json));
        } else if (e === 'data' && method === 'GET') {
          return new HttpReply(200, await listTableData(ds, d, qs));
        }
      }
    }

    // queries (jobs.query / jobs.getQueryResults)
    if (a === 'queries') {
      if (p !== projectId) throw projectDenied('bigquery.jobs.create');
      if (b === undefined && method === 'POST') {
        if (json.useLegacySql === true) throw invalidQuery('Legacy SQL is not supported by the fake BigQuery server; set useLegacySql: false.');
        if (typeof json.query !== 'string' || !json.query.trim()) throw new BqError(400, 'invalid', 'Query text is required.');
        const dd = json.defaultDataset as { datasetId?: string } | undefined;
        const location = typeof json.location === 'string' && json.location ? json.location : undefined;
        const format = (json.formatOptions ?? {}) as { useInt64Timestamp?: unknown; timestampOutputFormat?: unknown };
        const ts = tsFormat(format.useInt64Timestamp, format.timestampOutputFormat);
        const now = Date.now();
        // jobs.query surfaces query errors as HTTP errors (unlike jobs.insert, which records them on the job).
        const result = await runQuery({ query: json.query, params: queryParams(json), defaultDataset: dd?.datasetId, location, dryRun: json.dryRun === true });
        if (json.dryRun === true) {
          return new HttpReply(200, {
            kind: 'bigquery#queryResponse',
            ...(result.fields ? { schema: { fields: result.fields } } : {}),
            jobReference: { projectId, location: result.location },
            totalBytesProcessed: '0',
            jobComplete: true,
            cacheHit: false,
          });
        }
        const job: JobRecord = {
          jobId: newJobId(),
          location: location ?? result.location,
          email: principal.email,
          configuration: { query: { query: json.query, useLegacySql: false, ...(dd ? { defaultDataset: dd } : {}) }, jobType: 'QUERY' },
          creationTime: now,
          endTime: Date.now(),
          result,
        };
        jobs.set(job.jobId, job);
        return new HttpReply(200, {
          kind: 'bigquery#queryResponse',
          ...queryResponseFields(job, 0, optionalInt(json.maxResults), ts),
          creationTime: String(job.creationTime),
          startTime: String(job.creationTime),
          endTime: String(job.endTime),
          totalSlotMs: '0',
          location: job.location,
          jobCreationReason: { code: 'REQUESTED' },
        });
      }
      if (b !== undefined && c === undefined && method === 'GET') {
        const job = findJob(b, qs.get('location'));
        if (job.error) throw job.error;
        if (job.cancelled || !job.result) throw new BqError(400, 'stopped', 'Job execution was cancelled: User requested cancellation');
        const ts = tsFormat(qs.get('formatOptions.useInt64Timestamp'), qs.get('formatOptions.timestampOutputFormat'));
        const start = startIndexOf(qs.get('pageToken'), qs.get('startIndex'));
        return new HttpReply(200, { kind: 'bigquery#getQueryResultsResponse', etag: etag(), ...queryResponseFields(job, start, optionalInt(qs.get('maxResults')), ts) });
      }
    }

    // jobs
    if (a === 'jobs') {
      if (p !== projectId) throw projectDenied('bigquery.jobs.create');
      if (b === undefined && method === 'POST') {
        const ref = (json.jobReference ?? {}) as { jobId?: unknown; location?: unknown };
        const jobId = typeof ref.jobId === 'string' && ref.jobId ? ref.jobId : newJobId();
        if (!/^[A-Za-z0-9_-]{1,1024}$/.test(jobId)) throw new BqError(400, 'invalid', `Invalid job ID "${jobId}". Job IDs must be alphanumeric (plus underscores and dashes) and must be at most 1024 characters long.`);
        if (jobs.has(jobId)) throw new BqError(409, 'duplicate', `Already Exists: Job ${projectId}:${jobs.get(jobId)?.location}.${jobId}`);
        const configuration = (json.configuration ?? {}) as Record<string, unknown>;
        if (!configuration.query) throw new BqError(501, 'notImplemented', 'Only query jobs are supported by the fake BigQuery server');
        const location = typeof ref.location === 'string' && ref.location ? ref.location : undefined;
        const job = await runJob(principal, jobId, { ...configuration, jobType: 'QUERY' }, location);
        if (configuration.dryRun !== true) jobs.set(jobId, job);
        const resource = jobResource(job);
        if (configuration.dryRun === true) resource.jobReference = { projectId, location: job.location };
        return new HttpReply(200, resource);
      }
      if (b === undefined && method === 'GET') {
        const list = [...jobs.values()].sort((x, y) => y.creationTime - x.creationTime);
        return new HttpReply(200, {
          kind: 'bigquery#jobList',
          etag: etag(),
          jobs: list.map((j) => {
            const r = jobResource(j);
            return { id: r.id, kind: r.kind, jobReference: r.jobReference, state: 'DONE', configuration: r.configuration, status: r.status, statistics: r.statistics, user_email: r.user_email };
          }),
        });
      }
      if (b !== undefined && c === undefined && method === 'GET') return new HttpReply(200, jobResource(findJob(b, qs.get('location'))));
      if (b !== undefined && c === 'cancel' && method === 'POST') {
        const job = findJob(b, qs.get('location'));
        return new HttpReply(200, { kind: 'bigquery#jobCancelResponse', job: jobResource(job) });
      }
      if (b !== undefined && c === 'delete' && method === 'DELETE') {
        findJob(b, qs.get('location'));
        jobs.delete(b);
        return new HttpReply(204, undefined);
      }
    }
    throw new BqError(404, 'notFound', `Not found: URL ${path}`);
  };

  // ---------------------------------------------------------------------------------------------
  // HTTP plumbing

  const send = (res: ServerResponse, reply: HttpReply): void => {
    const write = (): void => {
      if (res.destroyed || res.writableEnded) return;
      if (reply.status === 204) {
        res.writeHead(204);
        res.end();
        return;
      }
      const text = JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (fake.delayMs > 0 && !closed) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        write();
      }, fake.delayMs);
      timers.add(timer);
    } else write();
  };

  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const type = String(req.headers['content-type'] ?? '');
        if (text && (type.includes('json') || /^\s*[{[]/.test(text))) {
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new BqError(400, 'parseError', 'Parse Error'));
          }
        } else resolve(text);
      });
    });

  const server = createServer((req, res) => {
    // A request through an HTTP proxy carries an absolute URL; a direct one a path.
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    readBody(req)
      .then((body) => route(req, url, body))
      .then(
        (reply) => send(res, reply),
        (err: unknown) => {
          const e = err instanceof BqError ? err : new BqError(500, 'internalError', err instanceof Error ? err.message : String(err));
          send(res, new HttpReply(e.httpStatus, errorBody(e)));
        },
      );
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  fake.port = port;
  fake.url = `http://127.0.0.1:${port}`;
  fake.tokenUri = `${fake.url}/token`;

  const email = `quarry@${projectId}.iam.gserviceaccount.com`;
  const [good, bad] = await Promise.all([makeServiceAccount(projectId, email, fake.tokenUri), makeServiceAccount(projectId, email, fake.tokenUri)]);
  trusted.set(email, good.publicKey);
  fake.serviceAccount = good.account;
  // Same account, a key Google never issued (or one since deleted): the token endpoint rejects its signature.
  fake.untrustedServiceAccount = bad.account;

  for (const ds of opts.datasets ?? ['analytics']) await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(ds)}`);
  await exclusive(sync);

  fake.close = async () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of sockets) s.destroy();
    await done;
    await chain.catch(() => undefined);
    conn.closeSync();
    instance.closeSync();
  };
  return fake;
}
