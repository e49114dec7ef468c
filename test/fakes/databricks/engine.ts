// DuckDB-backed execution of Databricks SQL for the fake warehouse: Unity Catalog
// catalogs become attached DuckDB databases, results become typed columns.
import type { DuckDBConnection, DuckDBInstance, DuckDBResultReader, DuckDBType, DuckDBValue, Json } from '@duckdb/node-api';
import {
  SqlError,
  type Analysis,
  type SparkParam,
  type Tok,
  analyze,
  backticks,
  bindParams,
  isOp,
  isWord,
  likePattern,
  quoteIdent,
  quoteString,
  readChain,
  sig,
  splitStatements,
  syntaxError,
  tokenize,
  translate,
} from './sql-dialect.js';

type DuckModule = typeof import('@duckdb/node-api');

/** Hive TTypeId values (TCLIService.thrift). */
export const TTypeId = {
  BOOLEAN: 0, TINYINT: 1, SMALLINT: 2, INT: 3, BIGINT: 4, FLOAT: 5, DOUBLE: 6, STRING: 7, TIMESTAMP: 8,
  BINARY: 9, ARRAY: 10, MAP: 11, STRUCT: 12, DECIMAL: 15, NULL: 16, DATE: 17,
} as const;

/** Which TColumn member carries the values on the wire. */
export type CellKind = 'bool' | 'byte' | 'i16' | 'i32' | 'i64' | 'double' | 'string' | 'binary';
export type Cell = boolean | number | bigint | string | Buffer | null;

export interface ColumnSpec {
  name: string;
  typeId: number;
  kind: CellKind;
  precision?: number;
  scale?: number;
}

export interface ResultSet {
  columns: ColumnSpec[];
  /** Column-major values. */
  data: Cell[][];
  rowCount: number;
  modifiedRows?: number;
}

export interface Session {
  catalog: string;
  schema: string;
  conn: DuckDBConnection;
  /** Statements of one session run one at a time on its DuckDB connection. */
  queue: Promise<unknown>;
}

export interface DenyFlags {
  read: boolean;
  write: boolean;
}

export interface EngineOptions {
  user: string;
  catalogs: Record<string, string[]>;
}

const INTERNAL_PREFIX = 'uc_';
const SYS = 'dbx_sys';

// DuckDB type name -> Databricks type name (lower case, as DESCRIBE / information_schema show it).
const DBX_SCALAR: Record<string, string> = {
  BOOLEAN: 'boolean', TINYINT: 'tinyint', SMALLINT: 'smallint', INTEGER: 'int', BIGINT: 'bigint',
  UTINYINT: 'smallint', USMALLINT: 'int', UINTEGER: 'bigint', UBIGINT: 'decimal(20,0)', HUGEINT: 'decimal(38,0)',
  UHUGEINT: 'decimal(38,0)', FLOAT: 'float', DOUBLE: 'double', VARCHAR: 'string', BLOB: 'binary', DATE: 'date',
  TIMESTAMP: 'timestamp', 'TIMESTAMP WITH TIME ZONE': 'timestamp', TIMESTAMP_NS: 'timestamp', TIMESTAMP_MS: 'timestamp',
  TIMESTAMP_S: 'timestamp', TIME: 'string', INTERVAL: 'interval', UUID: 'string', JSON: 'string',
};

/** Databricks spelling of a DuckDB type, e.g. INTEGER[] -> array<int>. */
export function databricksType(duck: string): string {
  const t = duck.trim();
  if (t.endsWith('[]')) return `array<${databricksType(t.slice(0, -2))}>`;
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(t);
  if (dec) return `decimal(${dec[1]},${dec[2]})`;
  const map = /^MAP\((.*)\)$/i.exec(t);
  if (map?.[1]) {
    const [k, v] = splitTopLevel(map[1]);
    return `map<${databricksType(k ?? '')},${databricksType(v ?? '')}>`;
  }
  const struct = /^STRUCT\((.*)\)$/i.exec(t);
  if (struct?.[1]) {
    const fields = splitTopLevel(struct[1]).map((f) => {
      const m = /^("(?:[^"]|"")*"|\S+)\s+(.*)$/.exec(f.trim());
      const name = (m?.[1] ?? f).replace(/^"|"$/g, '').replace(/""/g, '"');
      return `${name}:${databricksType(m?.[2] ?? '')}`;
    });
    return `struct<${fields.join(',')}>`;
  }
  return DBX_SCALAR[t.toUpperCase()] ?? t.toLowerCase();
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (!quoted && c === '(') depth++;
    if (!quoted && c === ')') depth--;
    if (!quoted && depth === 0 && c === ',') {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

// The same mapping as DuckDB macros, for the information_schema views (one level of arrays).
const SQL_SCALAR_TYPE = `CASE ${Object.entries(DBX_SCALAR)
  .map(([k, v]) => `WHEN t = ${quoteString(k)} THEN ${quoteString(v)}`)
  .join(' ')} WHEN t LIKE 'DECIMAL(%' THEN lower(replace(t, ' ', '')) WHEN t LIKE 'STRUCT(%' THEN 'struct' WHEN t LIKE 'MAP(%' THEN 'map' ELSE lower(t) END`;

/** JDBC java.sql.Types codes, as Spark's GetColumns reports them. */
function jdbcType(dbx: string): number {
  const base = dbx.replace(/[<(].*$/, '');
  const codes: Record<string, number> = {
    boolean: 16, tinyint: -6, smallint: 5, int: 4, bigint: -5, float: 6, double: 8, string: 12, binary: -2,
    date: 91, timestamp: 93, decimal: 3, array: 2003, map: 2000, struct: 2002,
  };
  return codes[base] ?? 1111;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Engine {
  private readonly catalogs = new Map<string, { showMain: boolean }>();
  private readonly sessions = new Set<Session>();
  private adminQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly duck: DuckModule,
    private readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    readonly user: string,
  ) {}

  static async create(opts: EngineOptions): Promise<Engine> {
    const duck = await import('@duckdb/node-api');
    const instance = await duck.DuckDBInstance.create(':memory:');
    const admin = await instance.connect();
    // Databricks SQL sessions default to UTC; the setting is instance-wide in DuckDB.
    await admin.run(`SET TimeZone = 'UTC'`);
    await admin.run(`ATTACH ':memory:' AS ${SYS}`);
    await admin.run(`CREATE MACRO ${SYS}.main.dbx_scalar_type(t) AS ${SQL_SCALAR_TYPE}`);
    await admin.run(
      `CREATE MACRO ${SYS}.main.dbx_full_type(t) AS CASE WHEN t LIKE '%[]' THEN 'array<' || ${SYS}.main.dbx_scalar_type(t[:-3]) || '>' ELSE ${SYS}.main.dbx_scalar_type(t) END`,
    );
    const engine = new Engine(duck, instance, admin, opts.user);
    for (const [catalog, schemas] of Object.entries(opts.catalogs)) {
      await engine.addCatalog(catalog, schemas);
    }
    return engine;
  }

  internalCatalog(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.catalogs.has(key) ? INTERNAL_PREFIX + key : undefined;
  }

  private informationSchema(catalog: string): string {
    return `${SYS}.${quoteIdent(`is_${catalog.toLowerCase()}`)}`;
  }

  private async addCatalog(name: string, schemas: string[]): Promise<void> {
    const key = name.toLowerCase();
    const db = quoteIdent(INTERNAL_PREFIX + key);
    const showMain = schemas.some((s) => s.toLowerCase() === 'main');
    await this.adminRun(`ATTACH ':memory:' AS ${db}`);
    for (const schema of schemas) {
      await this.adminRun(`CREATE SCHEMA IF NOT EXISTS ${db}.${quoteIdent(schema.toLowerCase())}`);
    }
    this.catalogs.set(key, { showMain });
    await this.createInformationSchema(key, showMain);
  }

  // UC information_schema views, scoped to one catalog and spelled the Databricks way.
  private async createInformationSchema(catalog: string, showMain: boolean): Promise<void> {
    const is = this.informationSchema(catalog);
    const internal = quoteString(INTERNAL_PREFIX + catalog);
    const pub = quoteString(catalog);
    const owner = quoteString(this.user);
    const hide = (col: string): string => (showMain ? 'TRUE' : `${col} <> 'main'`);
    await this.adminRun(`CREATE SCHEMA ${is}`);
    await this.adminRun(`CREATE VIEW ${is}.tables AS
      SELECT ${pub} AS table_catalog, table_schema, table_name,
        CASE table_type WHEN 'VIEW' THEN 'VIEW' ELSE 'MANAGED' END AS table_type,
        'YES' AS is_insertable_into, NULL::VARCHAR AS commit_action, ${owner} AS table_owner, NULL::VARCHAR AS comment,
        NULL::TIMESTAMP AS created, ${owner} AS created_by, NULL::TIMESTAMP AS last_altered, ${owner} AS last_altered_by,
        CASE table_type WHEN 'VIEW' THEN NULL ELSE 'DELTA' END AS data_source_format
      FROM information_schema.tables WHERE table_catalog = ${internal} AND ${hide('table_schema')}`);
    await this.adminRun(`CREATE VIEW ${is}.columns AS
      SELECT ${pub} AS table_catalog, table_schema, table_name, column_name, ordinal_position, column_default, is_nullable,
        upper(regexp_replace(${SYS}.main.dbx_full_type(data_type), '[<(].*$', '')) AS data_type,
        ${SYS}.main.dbx_full_type(data_type) AS full_data_type,
        NULL::INTEGER AS character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale,
        NULL::VARCHAR AS comment, NULL::INTEGER AS partition_index
      FROM information_schema.columns WHERE table_catalog = ${internal} AND ${hide('table_schema')}`);
    await this.adminRun(`CREATE VIEW ${is}.schemata AS
      SELECT ${pub} AS catalog_name, schema_name, ${owner} AS schema_owner, NULL::VARCHAR AS comment,
        NULL::TIMESTAMP AS created, ${owner} AS created_by, NULL::TIMESTAMP AS last_altered, ${owner} AS last_altered_by
      FROM information_schema.schemata WHERE catalog_name = ${internal} AND ${hide('schema_name')}
      UNION ALL SELECT ${pub}, 'information_schema', 'System user', NULL, NULL, NULL, NULL, NULL`);
    await this.adminRun(`CREATE VIEW ${is}.catalogs AS
      SELECT substr(database_name, ${INTERNAL_PREFIX.length + 1}) AS catalog_name, ${owner} AS catalog_owner,
        NULL::VARCHAR AS comment, NULL::TIMESTAMP AS created, ${owner} AS created_by
      FROM duckdb_databases() WHERE database_name LIKE '${INTERNAL_PREFIX}%'`);
  }

  async openSession(catalog?: string | null, schema?: string | null): Promise<Session> {
    const cat = (catalog || this.catalogs.keys().next().value || 'main').toLowerCase();
    const sch = (schema || 'default').toLowerCase();
    if (!this.catalogs.has(cat)) throw noSuchCatalog(cat);
    const conn = await this.instance.connect();
    try {
      await conn.run(`USE ${quoteIdent(INTERNAL_PREFIX + cat)}.${quoteIdent(sch)}`);
    } catch {
      conn.closeSync();
      throw schemaNotFound(cat, sch);
    }
    const session: Session = { catalog: cat, schema: sch, conn, queue: Promise.resolve() };
    this.sessions.add(session);
    return session;
  }

  closeSession(session: Session): void {
    if (this.sessions.delete(session)) session.conn.closeSync();
  }

  close(): void {
    for (const s of this.sessions) s.conn.closeSync();
    this.sessions.clear();
    this.admin.closeSync();
    this.instance.closeSync();
  }

  private serialize<T>(session: Session, fn: () => Promise<T>): Promise<T> {
    const run = session.queue.then(fn, fn);
    session.queue = run.catch(() => undefined);
    return run;
  }

  /** One Databricks statement, as ExecuteStatement runs it (single statement, permission checks). */
  execute(session: Session, sql: string, params: SparkParam[], deny: DenyFlags): Promise<ResultSet> {
    return this.serialize(session, async () => {
      const statements = splitStatements(tokenize(sql));
      if (statements.length === 0) throw syntaxError('end of input');
      if (statements.length > 1) {
        const first = (statements[1] as Tok[]).find(sig);
        throw syntaxError(first ? `'${first.text}'` : 'end of input');
      }
      const toks = bindParams(statements[0] as Tok[], params);
      const analysis = analyze(toks);
      checkPermissions(session, analysis, deny);
      return this.dispatch(session, toks, analysis);
    });
  }

  /** Test seeding: several statements, no permission simulation; returns the last result. */
  script(session: Session, sql: string): Promise<ResultSet> {
    return this.serialize(session, async () => {
      let last: ResultSet = emptyResult();
      for (const toks of splitStatements(tokenize(sql))) {
        last = await this.dispatch(session, toks, analyze(toks));
      }
      return last;
    });
  }

  private context(session: Session) {
    return {
      internalCatalog: (n: string) => this.internalCatalog(n),
      informationSchema: (c: string) => this.informationSchema(c),
      currentCatalog: session.catalog,
      currentSchema: session.schema,
      user: this.user,
    };
  }

  private async dispatch(session: Session, toks: Tok[], a: Analysis): Promise<ResultSet> {
    const s = toks.filter(sig);
    try {
      switch (a.verb) {
        case 'USE':
          return await this.use(session, s);
        case 'SHOW':
          if (a.object === 'CATALOGS') return this.showCatalogs(s);
          if (a.object === 'SCHEMAS' || a.object === 'DATABASES') return await this.showSchemas(session, s);
          if (a.object === 'TABLES') return await this.showTables(session, s);
          break;
        case 'DESCRIBE':
        case 'DESC':
          if (a.object !== 'SCHEMA' && a.object !== 'DATABASE' && a.object !== 'CATALOG' && a.object !== 'QUERY') {
            return await this.describe(session, s);
          }
          break;
        case 'SET':
        case 'RESET':
          return setStatement(s);
        case 'CREATE':
        case 'DROP':
          if (a.object === 'CATALOG') return await this.catalogDdl(a.verb, s);
          if (a.object === 'SCHEMA' || a.object === 'DATABASE' || a.object === 'NAMESPACE') {
            return await this.schemaDdl(session, a.verb, s);
          }
          break;
        case 'INSERT':
          if (isWord(s[1], 'OVERWRITE')) return await this.insertOverwrite(session, toks, a);
          break;
        default:
          break;
      }
      return await this.run(session, translate(toks, this.context(session), a));
    } catch (e) {
      if (e instanceof SqlError) throw e;
      throw this.mapError(errorText(e), session, a);
    }
  }

  private async run(session: Session, duckSql: string): Promise<ResultSet> {
    const reader = await session.conn.runAndReadAll(duckSql);
    return this.toResultSet(reader);
  }

  private toResultSet(reader: DuckDBResultReader): ResultSet {
    const { ResultReturnType, StatementType } = this.duck;
    if (reader.returnType === ResultReturnType.CHANGED_ROWS) {
      const n = BigInt(reader.rowsChanged);
      // Delta DML reports affected (and inserted) row counts as a one-row result.
      const cols: [string, Cell][] = [['num_affected_rows', n]];
      if (reader.statementType === StatementType.INSERT) cols.push(['num_inserted_rows', n]);
      const rs = synthetic(cols.map(([name]) => [name, 'BIGINT']), [cols.map(([, v]) => v)]);
      rs.modifiedRows = Number(n);
      return rs;
    }
    // Databricks answers DDL with an empty one-column `Result` set (databricks-sql-nodejs#309);
    // a zero-column schema would also make the client's fetchAll() loop forever.
    if (reader.returnType !== ResultReturnType.QUERY_RESULT) return emptyResult();
    const names = reader.columnNames();
    const raw = reader.getColumns();
    let json: Json[][] | undefined;
    const jsonColumns = (): Json[][] => (json ??= reader.getColumnsJson());
    const columns: ColumnSpec[] = [];
    const data: Cell[][] = [];
    names.forEach((name, i) => {
      const { spec, cells } = this.convertColumn(name, reader.columnType(i), raw[i] ?? [], () => jsonColumns()[i] ?? []);
      columns.push(spec);
      data.push(cells);
    });
    return { columns, data, rowCount: reader.currentRowCount };
  }

  private convertColumn(name: string, type: DuckDBType, values: DuckDBValue[], json: () => Json[]): { spec: ColumnSpec; cells: Cell[] } {
    const id = this.duck.DuckDBTypeId[type.typeId];
    const str = (v: DuckDBValue): Cell => (v === null ? null : String(v));
    const col = (typeId: number, kind: CellKind, cells: Cell[], extra: Partial<ColumnSpec> = {}) => ({
      spec: { name, typeId, kind, ...extra },
      cells,
    });
    switch (id) {
      case 'BOOLEAN':
        return col(TTypeId.BOOLEAN, 'bool', values as Cell[]);
      case 'TINYINT':
        return col(TTypeId.TINYINT, 'byte', values as Cell[]);
      case 'SMALLINT':
      case 'UTINYINT':
        return col(TTypeId.SMALLINT, 'i16', values as Cell[]);
      case 'INTEGER':
      case 'USMALLINT':
        return col(TTypeId.INT, 'i32', values as Cell[]);
      case 'BIGINT':
      case 'UINTEGER':
        return col(TTypeId.BIGINT, 'i64', values.map((v) => (v === null ? null : BigInt(v as number | bigint))));
      case 'UBIGINT':
      case 'HUGEINT':
      case 'UHUGEINT':
      case 'BIGNUM':
        return col(TTypeId.DECIMAL, 'string', values.map(str), { precision: 38, scale: 0 });
      case 'FLOAT':
        return col(TTypeId.FLOAT, 'double', values as Cell[]);
      case 'DOUBLE':
        return col(TTypeId.DOUBLE, 'double', values as Cell[]);
      case 'DECIMAL': {
        const d = type as unknown as { width: number; scale: number };
        return col(TTypeId.DECIMAL, 'string', values.map(str), { precision: d.width, scale: d.scale });
      }
      case 'DATE':
        return col(TTypeId.DATE, 'string', values.map(str));
      case 'TIMESTAMP':
      case 'TIMESTAMP_S':
      case 'TIMESTAMP_MS':
      case 'TIMESTAMP_NS':
        return col(TTypeId.TIMESTAMP, 'string', values.map(str));
      case 'TIMESTAMP_TZ':
        // Databricks renders timestamps in the session time zone (UTC) without an offset.
        return col(TTypeId.TIMESTAMP, 'string', values.map((v) => (v === null ? null : String(v).replace(/[+-]\d{2}(:?\d{2})?$/, ''))));
      case 'BLOB':
        return col(TTypeId.BINARY, 'binary', values.map((v) => (v === null ? null : Buffer.from((v as { bytes: Uint8Array }).bytes))));
      case 'LIST':
      case 'ARRAY':
        return col(TTypeId.ARRAY, 'string', json().map((v) => (v === null ? null : JSON.stringify(v))));
      case 'STRUCT':
        return col(TTypeId.STRUCT, 'string', json().map((v) => (v === null ? null : JSON.stringify(v))));
      case 'MAP':
        return col(TTypeId.MAP, 'string', json().map((v) => (v === null ? null : JSON.stringify(mapEntries(v)))));
      case 'SQLNULL':
        return col(TTypeId.NULL, 'string', values.map(() => null));
      default:
        // VARCHAR, ENUM, UUID, TIME, INTERVAL, ... are strings to a Spark client.
        return col(TTypeId.STRING, 'string', values.map(str));
    }
  }

  // ---------------------------------------------------------------------------
  // Statements that need more than a token rewrite

  private async use(session: Session, s: Tok[]): Promise<ResultSet> {
    let i = 1;
    const kind = isWord(s[i], 'CATALOG', 'SCHEMA', 'DATABASE', 'NAMESPACE') ? (s[i++] as Tok).text.toUpperCase() : '';
    const chain = readChain(s, i);
    if (!chain) throw syntaxError(s[i] ? `'${(s[i] as Tok).text}'` : 'end of input');
    const parts = chain.parts.map((p) => p.toLowerCase());
    let catalog = session.catalog;
    let schema: string;
    if (kind === 'CATALOG') {
      catalog = parts[0] as string;
      schema = 'default';
    } else if (parts.length >= 2) {
      catalog = parts[0] as string;
      schema = parts[1] as string;
    } else {
      schema = parts[0] as string;
    }
    const internal = this.internalCatalog(catalog);
    if (!internal) throw noSuchCatalog(catalog);
    try {
      await session.conn.run(`USE ${quoteIdent(internal)}.${quoteIdent(schema)}`);
    } catch {
      if (kind !== 'CATALOG') throw schemaNotFound(catalog, schema);
      await session.conn.run(`USE ${quoteIdent(internal)}`);
    }
    session.catalog = catalog;
    session.schema = schema;
    return emptyResult();
  }

  private showCatalogs(s: Tok[]): ResultSet {
    const pattern = patternAt(s, 2);
    const names = [...this.catalogs.keys()].filter((c) => !pattern || pattern.test(c)).sort();
    return synthetic([['catalog', 'STRING']], names.map((n) => [n]));
  }

  private async showSchemas(session: Session, s: Tok[]): Promise<ResultSet> {
    let i = 2;
    let catalog = session.catalog;
    if (isWord(s[i], 'FROM', 'IN')) {
      catalog = ((s[i + 1] as Tok | undefined)?.value ?? catalog).toLowerCase();
      i += 2;
    }
    if (!this.internalCatalog(catalog)) throw noSuchCatalog(catalog);
    const pattern = patternAt(s, i);
    const rows = await this.query(`SELECT schema_name FROM ${this.informationSchema(catalog)}.schemata ORDER BY 1`);
    const names = rows.map((r) => String(r[0])).filter((n) => !pattern || pattern.test(n));
    return synthetic([['databaseName', 'STRING']], names.map((n) => [n]));
  }

  private async showTables(session: Session, s: Tok[]): Promise<ResultSet> {
    let i = 2;
    let catalog = session.catalog;
    let schema = session.schema;
    if (isWord(s[i], 'FROM', 'IN')) {
      const chain = readChain(s, i + 1);
      if (!chain) throw syntaxError('end of input');
      const parts = chain.parts.map((p) => p.toLowerCase());
      if (parts.length >= 2) [catalog, schema] = [parts[0] as string, parts[1] as string];
      else schema = parts[0] as string;
      i = chain.end;
    }
    if (!this.internalCatalog(catalog)) throw noSuchCatalog(catalog);
    const pattern = patternAt(s, i);
    const schemas = await this.query(
      `SELECT 1 FROM ${this.informationSchema(catalog)}.schemata WHERE schema_name = ${quoteString(schema)}`,
    );
    if (schemas.length === 0) throw schemaNotFound(catalog, schema);
    const rows = await this.query(
      `SELECT table_name FROM ${this.informationSchema(catalog)}.tables WHERE table_schema = ${quoteString(schema)} ORDER BY 1`,
    );
    const names = rows.map((r) => String(r[0])).filter((n) => !pattern || pattern.test(n));
    return synthetic(
      [['database', 'STRING'], ['tableName', 'STRING'], ['isTemporary', 'BOOLEAN']],
      names.map((n) => [schema, n, false]),
    );
  }

  private async describe(session: Session, s: Tok[]): Promise<ResultSet> {
    let i = 1;
    while (isWord(s[i], 'TABLE', 'EXTENDED', 'FORMATTED')) i++;
    const chain = readChain(s, i);
    if (!chain) throw syntaxError(s[i] ? `'${(s[i] as Tok).text}'` : 'end of input');
    const relation = chain.parts;
    const name = this.duckName(session, relation);
    let rows: unknown[][];
    try {
      rows = (await session.conn.runAndReadAll(`DESCRIBE ${name}`)).getRowsJS();
    } catch {
      throw tableNotFound(relation);
    }
    return synthetic(
      [['col_name', 'STRING'], ['data_type', 'STRING'], ['comment', 'STRING']],
      rows.map((r) => [String(r[0]), databricksType(String(r[1])), null]),
    );
  }

  private async catalogDdl(verb: string, s: Tok[]): Promise<ResultSet> {
    let i = 2;
    let guarded = false;
    while (isWord(s[i], 'IF', 'NOT', 'EXISTS')) {
      guarded = true;
      i++;
    }
    const name = s[i]?.value.toLowerCase();
    if (!name) throw syntaxError('end of input');
    const exists = this.catalogs.has(name);
    if (verb === 'CREATE') {
      if (exists) {
        if (guarded) return emptyResult();
        throw new SqlError(
          `[CATALOG_ALREADY_EXISTS] Cannot create catalog \`${name}\` because it already exists. Choose a different name, drop the existing catalog, or add the IF NOT EXISTS clause to tolerate pre-existing catalog. SQLSTATE: 42P04`,
          '42P04',
        );
      }
      await this.addCatalog(name, ['default']);
      return emptyResult();
    }
    if (!exists) {
      if (guarded) return emptyResult();
      throw noSuchCatalog(name);
    }
    for (const session of this.sessions) {
      if (session.catalog === name) throw new SqlError(`Cannot drop the current catalog \`${name}\`. SQLSTATE: 42000`, '42000');
    }
    await this.adminRun(`DETACH ${quoteIdent(INTERNAL_PREFIX + name)}`);
    await this.adminRun(`DROP SCHEMA ${this.informationSchema(name)} CASCADE`);
    this.catalogs.delete(name);
    return emptyResult();
  }

  private async schemaDdl(session: Session, verb: string, s: Tok[]): Promise<ResultSet> {
    let i = 2;
    const guards: string[] = [];
    while (isWord(s[i], 'IF', 'NOT', 'EXISTS')) guards.push((s[i++] as Tok).text.toUpperCase());
    const chain = readChain(s, i);
    if (!chain) throw syntaxError(s[i] ? `'${(s[i] as Tok).text}'` : 'end of input');
    const parts = chain.parts.map((p) => p.toLowerCase());
    const catalog = parts.length >= 2 ? (parts[0] as string) : session.catalog;
    const schema = parts[parts.length - 1] as string;
    const internal = this.internalCatalog(catalog);
    if (!internal) throw noSuchCatalog(catalog);
    const target = `${quoteIdent(internal)}.${quoteIdent(schema)}`;
    const guard = guards.length ? ` ${guards.join(' ')}` : '';
    if (verb === 'CREATE') {
      try {
        await session.conn.run(`CREATE SCHEMA${guard} ${target}`);
      } catch {
        throw new SqlError(
          `[SCHEMA_ALREADY_EXISTS] Cannot create schema \`${schema}\` because it already exists.\nChoose a different name, drop the existing schema, or add the IF NOT EXISTS clause to tolerate pre-existing schema. SQLSTATE: 42P06`,
          '42P06',
        );
      }
      return emptyResult();
    }
    const cascade = s.slice(chain.end).some((t) => isWord(t, 'CASCADE'));
    try {
      await session.conn.run(`DROP SCHEMA${guard} ${target}${cascade ? ' CASCADE' : ''}`);
    } catch (e) {
      if (/does not exist/i.test(errorText(e))) throw schemaNotFound(catalog, schema);
      throw new SqlError(
        `[SCHEMA_NOT_EMPTY] Cannot drop a schema \`${schema}\` because it contains objects.\nUse DROP SCHEMA ... CASCADE to drop the schema and all its objects. SQLSTATE: 2BP01`,
        '2BP01',
      );
    }
    return emptyResult();
  }

  // INSERT OVERWRITE [TABLE] t ... = replace the table contents atomically.
  private async insertOverwrite(session: Session, toks: Tok[], a: Analysis): Promise<ResultSet> {
    const rewritten: Tok[] = [];
    let seen = false;
    for (const t of toks) {
      if (!seen && isWord(t, 'OVERWRITE')) {
        seen = true;
        rewritten.push({ kind: 'ident', text: 'INTO', value: 'INTO' });
        continue;
      }
      rewritten.push(t);
    }
    const target = a.relations[0];
    if (!target) throw syntaxError("'OVERWRITE'");
    await session.conn.run('BEGIN TRANSACTION');
    try {
      await session.conn.run(`DELETE FROM ${this.duckName(session, target)}`);
      const result = await this.run(session, translate(rewritten, this.context(session), analyze(rewritten)));
      await session.conn.run('COMMIT');
      return result;
    } catch (e) {
      await session.conn.run('ROLLBACK');
      throw e;
    }
  }

  private duckName(session: Session, parts: string[]): string {
    const mapped = [...parts];
    if (mapped.length >= 3) mapped[0] = this.internalCatalog(mapped[0] as string) ?? (mapped[0] as string);
    else if (mapped.length === 2) mapped.unshift(INTERNAL_PREFIX + session.catalog);
    return mapped.map(quoteIdent).join('.');
  }

  // The admin connection is shared by catalog DDL and metadata lookups of all sessions;
  // one statement at a time on it.
  private withAdmin<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.adminQueue.then(fn, fn);
    this.adminQueue = run.catch(() => undefined);
    return run;
  }

  private async adminRun(sql: string): Promise<void> {
    await this.withAdmin(() => this.admin.run(sql));
  }

  private async query(sql: string): Promise<unknown[][]> {
    return this.withAdmin(async () => (await this.admin.runAndReadAll(sql)).getRowsJS());
  }

  // ---------------------------------------------------------------------------
  // Thrift metadata operations (GetCatalogs, GetSchemas, GetTables, GetColumns, ...)

  async metadata(kind: string, req: Record<string, unknown>): Promise<ResultSet> {
    const pat = (key: string): RegExp | undefined => {
      const v = req[key];
      if (typeof v !== 'string' || v === '' || v === '%' || v === '*') return undefined;
      const re = v.replace(/[.+?^${}()[\]\\|]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
      return new RegExp(`^${re}$`, 'i');
    };
    const catalogPattern = pat('catalogName');
    const catalogs = [...this.catalogs.keys()].filter((c) => !catalogPattern || catalogPattern.test(c));
    switch (kind) {
      case 'GetCatalogs':
        return synthetic([['TABLE_CAT', 'STRING']], [...this.catalogs.keys()].sort().map((c) => [c]));
      case 'GetSchemas': {
        const rows: Cell[][] = [];
        for (const c of catalogs) {
          for (const r of await this.query(`SELECT schema_name FROM ${this.informationSchema(c)}.schemata ORDER BY 1`)) {
            if (!pat('schemaName') || pat('schemaName')?.test(String(r[0]))) rows.push([String(r[0]), c]);
          }
        }
        return synthetic([['TABLE_SCHEM', 'STRING'], ['TABLE_CATALOG', 'STRING']], rows);
      }
      case 'GetTables': {
        const types = Array.isArray(req.tableTypes) ? (req.tableTypes as string[]).map((t) => t.toUpperCase()) : undefined;
        const rows: Cell[][] = [];
        for (const c of catalogs) {
          for (const r of await this.query(
            `SELECT table_schema, table_name, table_type FROM ${this.informationSchema(c)}.tables ORDER BY 1, 2`,
          )) {
            const type = r[2] === 'VIEW' ? 'VIEW' : 'TABLE';
            if (pat('schemaName') && !pat('schemaName')?.test(String(r[0]))) continue;
            if (pat('tableName') && !pat('tableName')?.test(String(r[1]))) continue;
            if (types && !types.includes(type)) continue;
            rows.push([c, String(r[0]), String(r[1]), type, '']);
          }
        }
        return synthetic(
          [['TABLE_CAT', 'STRING'], ['TABLE_SCHEM', 'STRING'], ['TABLE_NAME', 'STRING'], ['TABLE_TYPE', 'STRING'], ['REMARKS', 'STRING']],
          rows,
        );
      }
      case 'GetColumns': {
        const rows: Cell[][] = [];
        for (const c of catalogs) {
          for (const r of await this.query(
            `SELECT table_schema, table_name, column_name, full_data_type, ordinal_position, is_nullable
             FROM ${this.informationSchema(c)}.columns ORDER BY 1, 2, 5`,
          )) {
            if (pat('schemaName') && !pat('schemaName')?.test(String(r[0]))) continue;
            if (pat('tableName') && !pat('tableName')?.test(String(r[1]))) continue;
            if (pat('columnName') && !pat('columnName')?.test(String(r[2]))) continue;
            const type = String(r[3]);
            rows.push([c, String(r[0]), String(r[1]), String(r[2]), jdbcType(type), type.toUpperCase(), Number(r[4]), String(r[5])]);
          }
        }
        return synthetic(
          [
            ['TABLE_CAT', 'STRING'], ['TABLE_SCHEM', 'STRING'], ['TABLE_NAME', 'STRING'], ['COLUMN_NAME', 'STRING'],
            ['DATA_TYPE', 'INT'], ['TYPE_NAME', 'STRING'], ['ORDINAL_POSITION', 'INT'], ['IS_NULLABLE', 'STRING'],
          ],
          rows,
        );
      }
      case 'GetTableTypes':
        return synthetic([['TABLE_TYPE', 'STRING']], [['TABLE'], ['VIEW']]);
      case 'GetFunctions':
        return synthetic([['FUNCTION_CAT', 'STRING'], ['FUNCTION_SCHEM', 'STRING'], ['FUNCTION_NAME', 'STRING'], ['REMARKS', 'STRING']], []);
      case 'GetPrimaryKeys':
        return synthetic([['TABLE_CAT', 'STRING'], ['TABLE_SCHEM', 'STRING'], ['TABLE_NAME', 'STRING'], ['COLUMN_NAME', 'STRING'], ['KEY_SEQ', 'INT'], ['PK_NAME', 'STRING']], []);
      case 'GetCrossReference':
        return synthetic([['PKTABLE_CAT', 'STRING'], ['PKTABLE_SCHEM', 'STRING'], ['PKTABLE_NAME', 'STRING'], ['PKCOLUMN_NAME', 'STRING'], ['FKTABLE_CAT', 'STRING'], ['FKTABLE_SCHEM', 'STRING'], ['FKTABLE_NAME', 'STRING'], ['FKCOLUMN_NAME', 'STRING']], []);
      default:
        return synthetic([['TYPE_NAME', 'STRING'], ['DATA_TYPE', 'INT']], Object.entries({ BOOLEAN: 16, TINYINT: -6, SMALLINT: 5, INT: 4, BIGINT: -5, FLOAT: 6, DOUBLE: 8, STRING: 12, BINARY: -2, DATE: 91, TIMESTAMP: 93, DECIMAL: 3 }));
    }
  }

  // ---------------------------------------------------------------------------
  // DuckDB error text -> Databricks error classes

  private mapError(raw: string, session: Session, a: Analysis): SqlError {
    const line = publicNames((raw.split('\n')[0] ?? raw).trim());
    const nameFrom = (quoted: string): string[] => quoted.replace(/"/g, '').split('.');
    let m: RegExpExecArray | null;
    // Databricks names the missing relation the way the statement spelled it.
    if ((m = /Table with name (.+?) does not exist/.exec(line))) {
      const last = nameFrom(m[1] ?? '').pop()?.toLowerCase();
      return tableNotFound(a.relations.find((r) => r[r.length - 1]?.toLowerCase() === last) ?? nameFrom(m[1] ?? '?'));
    }
    if ((m = /Catalog (?:with name )?"?([^"\s!]+)"? does not exist/.exec(line))) {
      const catalog = (m[1] ?? '').toLowerCase();
      return tableNotFound(a.relations.find((r) => r.length >= 3 && r[0]?.toLowerCase() === catalog) ?? [catalog, '?']);
    }
    if (/(?:Table|View) with name .+ already exists/.test(line)) {
      const rel = a.relations[0] ?? [];
      const full = rel.length >= 3 ? rel : rel.length === 2 ? [session.catalog, ...rel] : [session.catalog, session.schema, ...rel];
      return new SqlError(
        `[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view ${backticks(full.map((p) => p.toLowerCase()))} because it already exists.\nChoose a different name, drop the existing object, add the IF NOT EXISTS clause to tolerate pre-existing objects, add the OR REPLACE clause to replace the existing materialized view, or add the OR REFRESH clause to refresh the existing streaming table. SQLSTATE: 42P07`,
        '42P07',
      );
    }
    if ((m = /Schema with name (.+?) does not exist/.exec(line))) {
      return schemaNotFound(session.catalog, (m[1] ?? '').replace(/"/g, ''));
    }
    if ((m = /syntax error at or near "(.*)"/.exec(line))) return syntaxError(`'${m[1]}'`);
    if (/syntax error at end of input/.test(line)) return syntaxError('end of input');
    if ((m = /Referenced column "?([^"\s]+)"? not found/.exec(line)) || (m = /does not have a column named "([^"]+)"/.exec(line))) {
      return new SqlError(
        `[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column, variable, or function parameter with name \`${m[1]}\` cannot be resolved.  SQLSTATE: 42703`,
        '42703',
      );
    }
    if ((m = /(?:Scalar|Table|Aggregate) Function with name (\S+) does not exist/.exec(line))) {
      return new SqlError(
        `[UNRESOLVED_ROUTINE] Cannot resolve routine \`${m[1]}\` on search path [\`system\`.\`builtin\`, \`system\`.\`session\`, \`${session.catalog}\`.\`${session.schema}\`]. SQLSTATE: 42883`,
        '42883',
      );
    }
    if ((m = /Could not convert string '(.*)' to (\w+)/.exec(line))) {
      return new SqlError(
        `[CAST_INVALID_INPUT] The value '${m[1]}' of the type "STRING" cannot be cast to "${databricksType(duckIntName(m[2] ?? '')).toUpperCase()}" because it is malformed. Correct the value as per the syntax, or change its target type. Use \`try_cast\` to tolerate malformed input and return NULL instead. SQLSTATE: 22018`,
        '22018',
      );
    }
    if ((m = /NOT NULL constraint failed: (\S+)/.exec(line))) {
      return new SqlError(`[DELTA_NOT_NULL_CONSTRAINT_VIOLATED] NOT NULL constraint violated for column: ${m[1]?.split('.').pop()}. SQLSTATE: 23502`, '23502');
    }
    if (/columns but \d+ values were supplied/.test(line)) {
      return new SqlError(`[INSERT_COLUMN_ARITY_MISMATCH] Cannot write to ${backticks(a.relations[0] ?? ['?'])}: ${line}. SQLSTATE: 21S01`, '21S01');
    }
    return new SqlError(`${line} SQLSTATE: 42000`, '42000');
  }
}

function duckIntName(n: string): string {
  const map: Record<string, string> = { INT8: 'TINYINT', INT16: 'SMALLINT', INT32: 'INTEGER', INT64: 'BIGINT' };
  return map[n] ?? n;
}

/** Internal DuckDB names in messages -> the Databricks names the client used. */
function publicNames(text: string): string {
  return text
    .replace(new RegExp(`"?${SYS}"?\\."?is_([\\w]+)"?`, 'g'), '$1.information_schema')
    .replace(new RegExp(`\\b${INTERNAL_PREFIX}([\\w]+)`, 'g'), '$1');
}

function mapEntries(v: Json): Json {
  if (!Array.isArray(v)) return v;
  const out: Record<string, Json> = {};
  for (const e of v) {
    if (e && typeof e === 'object' && !Array.isArray(e)) out[String(e.key)] = e.value ?? null;
  }
  return out;
}

function patternAt(s: Tok[], i: number): RegExp | undefined {
  const t = isWord(s[i], 'LIKE') ? s[i + 1] : s[i];
  return t?.kind === 'str' ? likePattern(t.value) : undefined;
}

function setStatement(s: Tok[]): ResultSet {
  // SET key = value answers with the pair; the fake does not interpret Spark confs.
  const eq = s.findIndex((t) => isOp(t, '='));
  if (isWord(s[0], 'SET') && eq > 1) {
    const key = s.slice(1, eq).map((t) => t.text).join('');
    const value = s.slice(eq + 1).map((t) => (t.kind === 'str' ? t.value : t.text)).join(' ');
    return synthetic([['key', 'STRING'], ['value', 'STRING']], [[key, value]]);
  }
  return emptyResult();
}

/** What DDL and other row-less statements return: zero rows of a single STRING column `Result`. */
export function emptyResult(): ResultSet {
  return { columns: [{ name: 'Result', typeId: TTypeId.STRING, kind: 'string' }], data: [[]], rowCount: 0 };
}

const SYNTHETIC_TYPES = {
  STRING: { typeId: TTypeId.STRING, kind: 'string' },
  BOOLEAN: { typeId: TTypeId.BOOLEAN, kind: 'bool' },
  INT: { typeId: TTypeId.INT, kind: 'i32' },
  BIGINT: { typeId: TTypeId.BIGINT, kind: 'i64' },
} as const;

export function synthetic(cols: [string, keyof typeof SYNTHETIC_TYPES][], rows: Cell[][]): ResultSet {
  return {
    columns: cols.map(([name, t]) => ({ name, ...SYNTHETIC_TYPES[t] })),
    data: cols.map((_, c) => rows.map((r) => r[c] ?? null)),
    rowCount: rows.length,
  };
}

// ---------------------------------------------------------------------------
// Unity Catalog errors

export function noSuchCatalog(name: string): SqlError {
  return new SqlError(
    `[NO_SUCH_CATALOG_EXCEPTION] Catalog '${name}' was not found. Please verify the catalog name and then retry the query or command again. SQLSTATE: 42704`,
    '42704',
  );
}

export function schemaNotFound(catalog: string, schema: string): SqlError {
  return new SqlError(
    `[SCHEMA_NOT_FOUND] The schema ${backticks([catalog, schema])} cannot be found. Verify the spelling and correctness of the schema and catalog.\nIf you did not qualify the name with a catalog, verify the current_schema() output, or qualify the name with the correct catalog.\nTo tolerate the error on drop use DROP SCHEMA IF EXISTS. SQLSTATE: 42704`,
    '42704',
  );
}

function tableNotFound(parts: string[]): SqlError {
  return new SqlError(
    `[TABLE_OR_VIEW_NOT_FOUND] The table or view ${backticks(parts)} cannot be found. Verify the spelling and correctness of the schema and catalog.\nIf you did not qualify the name with a schema, verify the current_schema() output, or qualify the name with the correct schema and catalog.\nTo tolerate the error on drop use DROP VIEW IF EXISTS or DROP TABLE IF EXISTS. SQLSTATE: 42P01`,
    '42P01',
  );
}

function insufficient(privilege: string, securable: string): SqlError {
  return new SqlError(
    `[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\nUser does not have ${privilege} on ${securable}. SQLSTATE: 42501`,
    '42501',
  );
}

/** The schema a statement is about, for permission messages ("catalog.schema"). */
function targetSchema(session: Session, a: Analysis): string {
  const rel = a.relations[0]?.map((p) => p.toLowerCase());
  const literalSchema = (a.schemaLiteral ?? session.schema).toLowerCase();
  if (!rel) return `${session.catalog}.${session.schema}`;
  if (rel.includes('information_schema')) {
    return `${rel.length >= 3 && rel[1] === 'information_schema' ? rel[0] : session.catalog}.${literalSchema}`;
  }
  if (rel.length >= 3) return `${rel[0]}.${rel[1]}`;
  if (rel.length === 2) return `${session.catalog}.${rel[0]}`;
  return `${session.catalog}.${session.schema}`;
}

// Unity Catalog needs USE SCHEMA for anything touching a schema's objects (reads and
// writes), and CREATE TABLE (or MODIFY) on top of it for writes.
function checkPermissions(session: Session, a: Analysis, deny: DenyFlags): void {
  if (!deny.read && !deny.write) return;
  const schemaLevel = ['SCHEMA', 'DATABASE', 'NAMESPACE', 'CATALOG'].includes(a.object) && (a.verb === 'CREATE' || a.verb === 'DROP');
  const touches = a.relations.length > 0 || a.isWrite || (a.verb === 'SHOW' && a.object === 'TABLES');
  if (deny.read && touches && !schemaLevel) throw insufficient('USE SCHEMA', `Schema '${targetSchema(session, a)}'`);
  if (deny.write && a.isWrite) {
    if (schemaLevel) throw insufficient('CREATE SCHEMA', `Catalog '${session.catalog}'`);
    throw insufficient('CREATE TABLE', `Schema '${targetSchema(session, a)}'`);
  }
}
