/**
 * Snowflake metadata surfaces for the fake, computed from DuckDB's catalog:
 * INFORMATION_SCHEMA views (as SQL subqueries), SHOW ... and DESCRIBE TABLE.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { column, STATEMENT_TYPE, tableResult, type SfColumn, type SfResult } from './results.js';
import { isIdent, quoteString, readName, SfError, type Token } from './sql.js';

export interface CatalogContext {
  conn: DuckDBConnection;
  /** Canonical names of the fake's databases. */
  databases: string[];
  warehouses: string[];
  roles: string[];
  database: string | null;
  schema: string | null;
  warehouse: string | null;
  role: string;
  /** Epoch seconds reported as created_on. */
  createdOn: number;
  resolveDatabase(name: string): string | null;
}

interface DuckColumn {
  database_name: string;
  schema_name: string;
  table_name: string;
  column_name: string;
  column_index: number;
  column_default: string | null;
  is_nullable: boolean;
  data_type: string;
  numeric_precision: number | null;
  numeric_scale: number | null;
  comment: string | null;
}

const INTEGER_TYPES = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT', 'BIGNUM'];

/** Snowflake's name for a DuckDB column type, as in INFORMATION_SCHEMA.COLUMNS.DATA_TYPE. */
export function snowflakeTypeName(dt: string): string {
  if (INTEGER_TYPES.includes(dt) || dt.startsWith('DECIMAL')) return 'NUMBER';
  if (dt === 'FLOAT' || dt === 'DOUBLE') return 'FLOAT';
  if (dt === 'BOOLEAN') return 'BOOLEAN';
  if (dt === 'DATE') return 'DATE';
  if (dt.startsWith('TIME') && !dt.startsWith('TIMESTAMP')) return 'TIME';
  if (dt === 'TIMESTAMP WITH TIME ZONE') return 'TIMESTAMP_LTZ';
  if (dt.startsWith('TIMESTAMP')) return 'TIMESTAMP_NTZ';
  if (dt === 'BLOB') return 'BINARY';
  if (dt === 'JSON') return 'VARIANT';
  if (dt.endsWith(']')) return 'ARRAY';
  if (dt.startsWith('STRUCT') || dt.startsWith('MAP')) return 'OBJECT';
  return 'TEXT';
}

/** The same mapping in SQL, for the INFORMATION_SCHEMA.COLUMNS view. */
const SQL_TYPE_NAME = `CASE
  WHEN c.data_type IN (${INTEGER_TYPES.map(quoteString).join(', ')}) OR c.data_type LIKE 'DECIMAL%' THEN 'NUMBER'
  WHEN c.data_type IN ('FLOAT', 'DOUBLE') THEN 'FLOAT'
  WHEN c.data_type = 'BOOLEAN' THEN 'BOOLEAN'
  WHEN c.data_type = 'DATE' THEN 'DATE'
  WHEN c.data_type LIKE 'TIME%' AND c.data_type NOT LIKE 'TIMESTAMP%' THEN 'TIME'
  WHEN c.data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ'
  WHEN c.data_type LIKE 'TIMESTAMP%' THEN 'TIMESTAMP_NTZ'
  WHEN c.data_type = 'BLOB' THEN 'BINARY'
  WHEN c.data_type = 'JSON' THEN 'VARIANT'
  WHEN c.data_type LIKE '%]' THEN 'ARRAY'
  WHEN c.data_type LIKE 'STRUCT%' OR c.data_type LIKE 'MAP%' THEN 'OBJECT'
  ELSE 'TEXT' END`;

/** Full Snowflake type text (DESCRIBE TABLE) and SHOW COLUMNS' JSON type. */
function describeType(c: Pick<DuckColumn, 'data_type' | 'numeric_precision' | 'numeric_scale' | 'is_nullable'>): { text: string; json: string } {
  const name = snowflakeTypeName(c.data_type);
  const nullable = c.is_nullable;
  switch (name) {
    case 'NUMBER': {
      const dec = c.data_type.startsWith('DECIMAL');
      const p = dec ? (c.numeric_precision ?? 38) : 38;
      const s = dec ? (c.numeric_scale ?? 0) : 0;
      return { text: `NUMBER(${p},${s})`, json: JSON.stringify({ type: 'FIXED', precision: p, scale: s, nullable }) };
    }
    case 'TEXT':
      return { text: 'VARCHAR(16777216)', json: JSON.stringify({ type: 'TEXT', length: 16777216, byteLength: 16777216, nullable, fixed: false }) };
    case 'BINARY':
      return { text: 'BINARY(8388608)', json: JSON.stringify({ type: 'BINARY', length: 8388608, byteLength: 8388608, nullable, fixed: true }) };
    case 'FLOAT':
      return { text: 'FLOAT', json: JSON.stringify({ type: 'REAL', nullable }) };
    case 'TIME':
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP_LTZ':
      return { text: `${name}(9)`, json: JSON.stringify({ type: name, precision: 0, scale: 9, nullable }) };
    default:
      return { text: name, json: JSON.stringify({ type: name, nullable }) };
  }
}

const createdSql = (ctx: CatalogContext): string => `to_timestamp(${ctx.createdOn})`;

/** SQL for <db>.INFORMATION_SCHEMA.<view>, or null when the view isn't emulated. */
export function infoSchemaView(ctx: CatalogContext, db: string, view: string): string | null {
  const dbLit = quoteString(db);
  const created = createdSql(ctx);
  switch (view.toUpperCase()) {
    case 'TABLES':
      return `SELECT t.database_name AS "TABLE_CATALOG", t.schema_name AS "TABLE_SCHEMA", t.table_name AS "TABLE_NAME",
  'ACCOUNTADMIN' AS "TABLE_OWNER", 'BASE TABLE' AS "TABLE_TYPE", 'NO' AS "IS_TRANSIENT", CAST(NULL AS VARCHAR) AS "CLUSTERING_KEY",
  CAST(t.estimated_size AS BIGINT) AS "ROW_COUNT", CAST(NULL AS BIGINT) AS "BYTES", 1 AS "RETENTION_TIME",
  ${created} AS "CREATED", ${created} AS "LAST_ALTERED", t.comment AS "COMMENT"
FROM duckdb_tables() t WHERE t.database_name = ${dbLit} AND t.schema_name <> 'main' AND NOT t.temporary
UNION ALL
SELECT v.database_name, v.schema_name, v.view_name, 'ACCOUNTADMIN', 'VIEW', 'NO', NULL, NULL, NULL, 1, ${created}, ${created}, v.comment
FROM duckdb_views() v WHERE v.database_name = ${dbLit} AND v.schema_name <> 'main' AND NOT v.internal AND NOT v.temporary`;
    case 'COLUMNS':
      return `SELECT c.database_name AS "TABLE_CATALOG", c.schema_name AS "TABLE_SCHEMA", c.table_name AS "TABLE_NAME",
  c.column_name AS "COLUMN_NAME", c.column_index AS "ORDINAL_POSITION", c.column_default AS "COLUMN_DEFAULT",
  CASE WHEN c.is_nullable THEN 'YES' ELSE 'NO' END AS "IS_NULLABLE", ${SQL_TYPE_NAME} AS "DATA_TYPE",
  CASE WHEN (${SQL_TYPE_NAME}) = 'TEXT' THEN 16777216 WHEN (${SQL_TYPE_NAME}) = 'BINARY' THEN 8388608 END AS "CHARACTER_MAXIMUM_LENGTH",
  CASE WHEN (${SQL_TYPE_NAME}) = 'TEXT' THEN 16777216 WHEN (${SQL_TYPE_NAME}) = 'BINARY' THEN 8388608 END AS "CHARACTER_OCTET_LENGTH",
  CASE WHEN c.data_type LIKE 'DECIMAL%' THEN c.numeric_precision WHEN (${SQL_TYPE_NAME}) = 'NUMBER' THEN 38 END AS "NUMERIC_PRECISION",
  CASE WHEN (${SQL_TYPE_NAME}) = 'NUMBER' THEN 10 END AS "NUMERIC_PRECISION_RADIX",
  CASE WHEN c.data_type LIKE 'DECIMAL%' THEN c.numeric_scale WHEN (${SQL_TYPE_NAME}) = 'NUMBER' THEN 0 END AS "NUMERIC_SCALE",
  CASE WHEN (${SQL_TYPE_NAME}) IN ('TIME', 'TIMESTAMP_NTZ', 'TIMESTAMP_LTZ') THEN 9 END AS "DATETIME_PRECISION",
  'NO' AS "IS_IDENTITY", c.comment AS "COMMENT"
FROM duckdb_columns() c WHERE c.database_name = ${dbLit} AND c.schema_name <> 'main' AND NOT c.internal`;
    case 'SCHEMATA':
      return `SELECT s.database_name AS "CATALOG_NAME", s.schema_name AS "SCHEMA_NAME", 'ACCOUNTADMIN' AS "SCHEMA_OWNER",
  'NO' AS "IS_TRANSIENT", 'NO' AS "IS_MANAGED_ACCESS", 1 AS "RETENTION_TIME", ${created} AS "CREATED", ${created} AS "LAST_ALTERED", s.comment AS "COMMENT"
FROM duckdb_schemas() s WHERE s.database_name = ${dbLit} AND s.schema_name <> 'main'
UNION ALL SELECT ${dbLit}, 'INFORMATION_SCHEMA', '', 'NO', 'NO', 1, ${created}, ${created}, 'Views describing the contents of schemas in this database'`;
    case 'VIEWS':
      return `SELECT v.database_name AS "TABLE_CATALOG", v.schema_name AS "TABLE_SCHEMA", v.view_name AS "TABLE_NAME",
  'ACCOUNTADMIN' AS "TABLE_OWNER", v.sql AS "VIEW_DEFINITION", 'NONE' AS "CHECK_OPTION", 'NO' AS "IS_UPDATABLE",
  'NO' AS "INSERTABLE_INTO", 'NO' AS "IS_SECURE", ${created} AS "CREATED", ${created} AS "LAST_ALTERED", v.comment AS "COMMENT"
FROM duckdb_views() v WHERE v.database_name = ${dbLit} AND v.schema_name <> 'main' AND NOT v.internal AND NOT v.temporary`;
    case 'DATABASES':
      return `SELECT * FROM (VALUES ${ctx.databases
        .map((d) => `(${quoteString(d)}, 'ACCOUNTADMIN', 'NO', CAST(NULL AS VARCHAR), ${created}, ${created}, 1)`)
        .join(', ')}) AS d("DATABASE_NAME", "DATABASE_OWNER", "IS_TRANSIENT", "COMMENT", "CREATED", "LAST_ALTERED", "RETENTION_TIME")`;
    default:
      return null;
  }
}

async function query<T>(conn: DuckDBConnection, sql: string): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as unknown as T[];
}

/** Snowflake LIKE patterns in SHOW are case-insensitive. */
function likeToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.*+^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, 'is');
}

const objectMissing = (what: string): SfError =>
  new SfError('002003', '02000', `SQL compilation error:\n${what} does not exist or not authorized.`);

/** Scope of SHOW ... IN ...; the schema may be null for database scope. */
interface ShowScope {
  database: string | null;
  schema: string | null;
  account: boolean;
}

export interface ShowRequest {
  what: string;
  like: RegExp | null;
  startsWith: string | null;
  limit: number | null;
  scope: ShowScope;
  /** SHOW COLUMNS IN TABLE x */
  table: string[] | null;
}

/** Parses SHOW [TERSE] <what> [LIKE '..'] [IN ...] [STARTS WITH '..'] [LIMIT n]. */
export function parseShow(sig: Token[], ctx: CatalogContext): ShowRequest {
  let i = 1;
  if (sig[i]?.value === 'TERSE') i++;
  const whatTok = sig[i];
  if (!whatTok || whatTok.kind !== 'word') throw new SfError('001003', '42000', 'SQL compilation error:\nsyntax error line 1 at position 5 unexpected \'<EOF>\'.');
  const what = whatTok.value;
  i++;
  const req: ShowRequest = { what, like: null, startsWith: null, limit: null, scope: { database: ctx.database, schema: ctx.schema, account: false }, table: null };
  // Without IN, Snowflake lists the current schema for schema objects and the current database for SHOW SCHEMAS.
  if (what === 'SCHEMAS') req.scope.schema = null;
  while (i < sig.length) {
    const t = sig[i] as Token;
    if (t.value === 'LIKE' && sig[i + 1]?.kind === 'string') {
      req.like = likeToRegExp((sig[i + 1] as Token).value);
      i += 2;
    } else if (t.value === 'STARTS' && sig[i + 1]?.value === 'WITH' && sig[i + 2]?.kind === 'string') {
      req.startsWith = (sig[i + 2] as Token).value;
      i += 3;
    } else if (t.value === 'LIMIT' && sig[i + 1]?.kind === 'number') {
      req.limit = Number((sig[i + 1] as Token).text);
      i += 2;
    } else if (t.value === 'IN') {
      i++;
      const kindWord = sig[i]?.kind === 'word' ? (sig[i] as Token).value : '';
      if (kindWord === 'ACCOUNT') {
        req.scope = { database: null, schema: null, account: true };
        i++;
        continue;
      }
      let kind = '';
      if (['DATABASE', 'SCHEMA', 'TABLE', 'VIEW'].includes(kindWord) && (isIdent(sig[i + 1]) || sig[i + 1] === undefined)) {
        kind = kindWord;
        i++;
      }
      const ref = readName(sig, i);
      const parts = ref?.parts ?? [];
      if (ref) i = ref.end;
      if (kind === '') kind = what === 'SCHEMAS' ? 'DATABASE' : what === 'COLUMNS' ? 'TABLE' : 'SCHEMA';
      if (kind === 'DATABASE') {
        const db = parts[0] !== undefined ? ctx.resolveDatabase(parts[0]) : ctx.database;
        if (!db) throw objectMissing(`Database '${parts[0] ?? ''}'`);
        req.scope = { database: db, schema: null, account: false };
      } else if (kind === 'SCHEMA') {
        const dbName = parts.length >= 2 ? (parts[0] as string) : ctx.database;
        const db = dbName ? ctx.resolveDatabase(dbName) : null;
        const schema = parts.at(-1) ?? ctx.schema;
        if (!db || !schema) throw objectMissing(`Schema '${[dbName, schema].filter(Boolean).join('.')}'`);
        req.scope = { database: db, schema, account: false };
      } else {
        req.table = parts;
      }
    } else {
      i++;
    }
  }
  return req;
}

const yn = (b: boolean): string => (b ? 'Y' : 'N');

function finish(req: ShowRequest, columns: SfColumn[], rows: (string | number | boolean | null)[][], nameIndex: number): SfResult {
  let out = rows.filter((r) => {
    const name = String(r[nameIndex] ?? '');
    return (!req.like || req.like.test(name)) && (req.startsWith === null || name.startsWith(req.startsWith));
  });
  if (req.limit !== null) out = out.slice(0, req.limit);
  return tableResult(columns, out, STATEMENT_TYPE.SHOW);
}

/** Answers SHOW DATABASES/SCHEMAS/TABLES/VIEWS/OBJECTS/COLUMNS/WAREHOUSES/ROLES. */
export async function show(ctx: CatalogContext, req: ShowRequest): Promise<SfResult> {
  const created = String(ctx.createdOn);
  const ts = column('created_on', 'timestamp_ltz');
  const text = (name: string): SfColumn => column(name, 'text');
  const inScopeDbs = req.scope.account || !req.scope.database ? ctx.databases : [req.scope.database];
  const dbList = inScopeDbs.map(quoteString).join(', ') || "''";
  switch (req.what) {
    case 'DATABASES':
      return finish(
        req,
        [ts, text('name'), text('is_default'), text('is_current'), text('origin'), text('owner'), text('comment'), text('options'), text('retention_time'), text('kind')],
        ctx.databases.map((d) => [created, d, 'N', yn(d === ctx.database), '', 'ACCOUNTADMIN', '', '', '1', 'STANDARD']),
        1,
      );
    case 'SCHEMAS': {
      const rows = await query<{ database_name: string; schema_name: string }>(
        ctx.conn,
        `SELECT database_name, schema_name FROM duckdb_schemas() WHERE database_name IN (${dbList}) AND schema_name <> 'main' ORDER BY database_name, schema_name`,
      );
      const all = [
        ...rows.map((r) => [r.database_name, r.schema_name, 'ACCOUNTADMIN']),
        ...inScopeDbs.map((d) => [d, 'INFORMATION_SCHEMA', '']),
      ].sort((a, b) => `${a[0]}.${a[1]}`.localeCompare(`${b[0]}.${b[1]}`));
      return finish(
        req,
        [ts, text('name'), text('is_default'), text('is_current'), text('database_name'), text('owner'), text('comment'), text('options'), text('retention_time')],
        all.map(([db, s, owner]) => [created, s ?? '', 'N', yn(db === ctx.database && s === ctx.schema), db ?? '', owner ?? '', '', '', '1']),
        1,
      );
    }
    case 'TABLES':
    case 'VIEWS':
    case 'OBJECTS': {
      const schemaFilter = req.scope.schema ? ` AND schema_name = ${quoteString(req.scope.schema)}` : '';
      const tables =
        req.what === 'VIEWS'
          ? []
          : await query<{ database_name: string; schema_name: string; table_name: string; estimated_size: bigint; comment: string | null }>(
              ctx.conn,
              `SELECT database_name, schema_name, table_name, estimated_size, comment FROM duckdb_tables() WHERE database_name IN (${dbList}) AND schema_name <> 'main' AND NOT temporary${schemaFilter}`,
            );
      const views =
        req.what === 'TABLES'
          ? []
          : await query<{ database_name: string; schema_name: string; view_name: string; sql: string; comment: string | null }>(
              ctx.conn,
              `SELECT database_name, schema_name, view_name, sql, comment FROM duckdb_views() WHERE database_name IN (${dbList}) AND schema_name <> 'main' AND NOT internal AND NOT temporary${schemaFilter}`,
            );
      const rows = [
        ...tables.map((t) => [created, t.table_name, t.database_name, t.schema_name, 'TABLE', t.comment ?? '', '', Number(t.estimated_size), 0, 'ACCOUNTADMIN', '1']),
        ...views.map((v) => [created, v.view_name, v.database_name, v.schema_name, 'VIEW', v.comment ?? '', '', null, null, 'ACCOUNTADMIN', '1']),
      ].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
      return finish(
        req,
        [ts, text('name'), text('database_name'), text('schema_name'), text('kind'), text('comment'), text('cluster_by'), column('rows', 'fixed'), column('bytes', 'fixed'), text('owner'), text('retention_time')],
        rows,
        1,
      );
    }
    case 'COLUMNS': {
      let filter: string;
      if (req.table) {
        const [db, schema, table] = resolveParts(ctx, req.table);
        filter = `database_name = ${quoteString(db)} AND schema_name = ${quoteString(schema)} AND table_name = ${quoteString(table)}`;
      } else {
        filter = `database_name IN (${dbList})${req.scope.schema ? ` AND schema_name = ${quoteString(req.scope.schema)}` : ''}`;
      }
      const cols = await query<DuckColumn>(ctx.conn, `SELECT * FROM duckdb_columns() WHERE ${filter} AND schema_name <> 'main' AND NOT internal ORDER BY table_name, column_index`);
      return finish(
        req,
        [text('table_name'), text('schema_name'), text('column_name'), text('data_type'), text('null?'), text('default'), text('kind'), text('expression'), text('comment'), text('database_name'), text('autoincrement')],
        cols.map((c) => [c.table_name, c.schema_name, c.column_name, describeType(c).json, c.is_nullable ? 'true' : 'false', c.column_default ?? '', 'COLUMN', '', c.comment ?? '', c.database_name, '']),
        2,
      );
    }
    case 'WAREHOUSES':
      return finish(
        req,
        [text('name'), text('state'), text('type'), text('size'), text('is_default'), text('is_current'), ts, text('owner'), text('comment')],
        ctx.warehouses.map((w) => [w, 'STARTED', 'STANDARD', 'X-Small', 'N', yn(w === ctx.warehouse), created, 'ACCOUNTADMIN', '']),
        0,
      );
    case 'ROLES':
      return finish(
        req,
        [ts, text('name'), text('is_default'), text('is_current'), text('is_inherited'), column('assigned_to_users', 'fixed'), column('granted_to_roles', 'fixed'), column('granted_roles', 'fixed'), text('owner'), text('comment')],
        ctx.roles.map((r) => [created, r, 'N', yn(r === ctx.role), 'N', 0, 0, 0, '', '']),
        1,
      );
    default:
      throw new SfError('001003', '42000', `SQL compilation error:\nSHOW ${req.what} is not supported by the fake Snowflake server.`);
  }
}

/** Resolves 1-3 part names against the session's current database and schema. */
export function resolveParts(ctx: Pick<CatalogContext, 'database' | 'schema' | 'resolveDatabase'>, parts: string[]): [string, string, string] {
  const n = parts.length;
  const name = parts[n - 1] ?? '';
  const schema = n >= 2 ? (parts[n - 2] as string) : ctx.schema;
  const dbRaw = n >= 3 ? (parts[n - 3] as string) : ctx.database;
  if (!dbRaw) {
    throw new SfError('090105', '22000', "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.");
  }
  if (!schema) {
    throw new SfError('090106', '22000', "Cannot perform operation. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.");
  }
  return [ctx.resolveDatabase(dbRaw) ?? dbRaw, schema, name];
}

/** DESCRIBE TABLE in Snowflake's output shape. */
export async function describeTable(ctx: CatalogContext, parts: string[]): Promise<SfResult> {
  const [db, schema, table] = resolveParts(ctx, parts);
  const cols = await query<DuckColumn>(
    ctx.conn,
    `SELECT * FROM duckdb_columns() WHERE database_name = ${quoteString(db)} AND schema_name ILIKE ${quoteString(schema)} AND table_name ILIKE ${quoteString(table)} ORDER BY column_index`,
  );
  if (cols.length === 0) throw objectMissing(`Table '${db}.${schema}.${table}'`);
  const text = (name: string): SfColumn => column(name, 'text');
  return tableResult(
    ['name', 'type', 'kind', 'null?', 'default', 'primary key', 'unique key', 'check', 'expression', 'comment', 'policy name', 'privacy domain'].map(text),
    cols.map((c) => [c.column_name, describeType(c).text, 'COLUMN', yn(c.is_nullable), c.column_default, 'N', 'N', null, null, c.comment, null, null]),
    STATEMENT_TYPE.DESCRIBE,
  );
}
