/**
 * A local fake of Snowflake's REST endpoints, enough for the official snowflake-sdk to log in
 * (password or key pair), run SQL (executed on DuckDB) and log out over plain HTTP.
 * Tests switch `deny`, `delayMs` to simulate missing grants and slow answers.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api';
import { verifySnowflakeJwt } from './auth.js';
import { describeTable, infoSchemaView, parseShow, resolveParts, show, type CatalogContext } from './catalog.js';
import {
  column,
  dmlResult,
  fromDuckDb,
  fromDuckDbError,
  returnsRows,
  STATEMENT_TYPE,
  statusResult,
  SUCCESS_STATUS,
  tableResult,
  type Qualifier,
  type SfResult,
} from './results.js';
import {
  analyze,
  blankToken,
  expandIdentifierCalls,
  isWriteKind,
  lex,
  quoteIdent,
  quoteString,
  render,
  replaceRef,
  rewriteTypes,
  SCHEMA_OBJECT_KINDS,
  SfError,
  splitStatements,
  substituteBinds,
  type Analysis,
  type Binding,
  type Token,
} from './sql.js';

export interface FakeSnowflakeOptions {
  account?: string;
  users?: Record<string, { password?: string; publicKeyPem?: string; defaultRole?: string }>;
  databases?: Record<string, string[]>;
  warehouses?: string[];
  roles?: string[];
}

export interface FakeSnowflake {
  url: string;
  port: number;
  /** Simulated missing grants, switchable at any time. */
  deny: { read: boolean; write: boolean };
  /** Every HTTP response is delayed this long (simulates a slow answer). */
  delayMs: number;
  /** Log of requests received: method + path (no query string) + parsed JSON body when present. */
  requests: { method: string; path: string; body?: unknown }[];
  /** Runs SQL directly on the backing DuckDB (for test setup/assertions). */
  sql(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type UserConfig = NonNullable<FakeSnowflakeOptions['users']>[string];

interface Session {
  id: number;
  token: string;
  masterToken: string;
  user: string;
  role: string;
  warehouse: string | null;
  database: string | null;
  schema: string | null;
  /** Session parameters (login SESSION_PARAMETERS and ALTER SESSION). */
  params: Record<string, unknown>;
  conn: DuckDBConnection;
  /** DuckDB connections run one statement at a time. */
  queue: Promise<unknown>;
}

const SERVER_VERSION = '9.20.0';

/** Parameters sent with every result; the SDK formats dates and numbers from them. */
const DEFAULT_PARAMS: Record<string, unknown> = {
  TIMEZONE: 'UTC',
  DATE_OUTPUT_FORMAT: 'YYYY-MM-DD',
  TIME_OUTPUT_FORMAT: 'HH24:MI:SS',
  TIMESTAMP_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM',
  TIMESTAMP_NTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3',
  TIMESTAMP_LTZ_OUTPUT_FORMAT: '',
  TIMESTAMP_TZ_OUTPUT_FORMAT: '',
  BINARY_OUTPUT_FORMAT: 'HEX',
  CLIENT_TIMESTAMP_TYPE_MAPPING: 'TIMESTAMP_LTZ',
  JS_TREAT_INTEGER_AS_BIGINT: false,
  CLIENT_SESSION_KEEP_ALIVE: false,
  CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY: 3600,
  QUERY_CONTEXT_CACHE_SIZE: 5,
  // The fake has no stages, so keep array binds inline whatever their size.
  CLIENT_STAGE_ARRAY_BINDING_THRESHOLD: 2147483647,
};

const asObject = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const stripQuotes = (s: string): string => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

function findName(list: readonly string[], raw: string | undefined | null): string | null {
  if (!raw) return null;
  const name = stripQuotes(raw);
  return list.find((x) => x === name) ?? list.find((x) => x.toUpperCase() === name.toUpperCase()) ?? null;
}

function parseBindings(v: unknown): Record<string, Binding> {
  const out: Record<string, Binding> = {};
  for (const [k, b] of Object.entries(asObject(v))) {
    const o = asObject(b);
    out[k] = { type: asString(o.type) ?? 'TEXT', value: o.value };
  }
  return out;
}

function parseSessionValue(t: Token | undefined): unknown {
  if (!t) return null;
  if (t.kind === 'number') return Number(t.text);
  if (t.kind === 'word' && (t.value === 'TRUE' || t.value === 'FALSE')) return t.value === 'TRUE';
  return t.value;
}

/** Opaque tokens shaped like Snowflake's. */
const newToken = (): string => `ver:1-hint:${randomBytes(6).toString('hex')}-${randomBytes(24).toString('base64url')}`;

function loginFailure(code: string, message: string, loginName: string): Json {
  return {
    data: { nextAction: 'RETRY_LOGIN', authnMethod: 'USERNAME_PASSWORD', loginName, requestId: randomUUID(), signInOptions: {}, errorCode: code },
    code,
    message,
    success: false,
    headers: null,
  };
}

export async function startFakeSnowflake(opts: FakeSnowflakeOptions = {}): Promise<FakeSnowflake> {
  const account = opts.account ?? 'xy12345';
  const users: Record<string, UserConfig> = opts.users ?? { cdp_user: { password: 'secure_password', defaultRole: 'CDP_ROLE' } };
  const warehouses = [...(opts.warehouses ?? ['COMPUTE_WH'])];
  const roles = [...(opts.roles ?? ['CDP_ROLE', 'PUBLIC'])];
  const databases: string[] = [];
  const createdOn = Math.floor(Date.now() / 1000);

  const instance = await DuckDBInstance.create(':memory:');
  const admin = await instance.connect();
  await admin.run("SET TimeZone = 'UTC'");
  for (const [db, schemas] of Object.entries(opts.databases ?? { ANALYTICS: ['PUBLIC'] })) {
    await admin.run(`ATTACH ':memory:' AS ${quoteIdent(db)}`);
    for (const s of schemas) await admin.run(`CREATE SCHEMA ${quoteIdent(db)}.${quoteIdent(s)}`);
    databases.push(db);
  }
  let adminQueue: Promise<unknown> = Promise.resolve();

  const sessionsByToken = new Map<string, Session>();
  const sessionsByMaster = new Map<string, Session>();
  const results = new Map<string, { body: Json; ok: boolean }>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let nextSessionId = 1_000_000_001;
  let closed = false;

  const resolveDatabase = (name: string): string | null => findName(databases, name);

  function enqueue<T>(s: Session, work: () => Promise<T>): Promise<T> {
    const run = s.queue.then(work, work);
    s.queue = run.catch(() => undefined);
    return run;
  }

  function wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  function catalogContext(s: Session): CatalogContext {
    return {
      conn: s.conn,
      databases,
      warehouses,
      roles,
      database: s.database,
      schema: s.schema,
      warehouse: s.warehouse,
      role: s.role,
      createdOn,
      resolveDatabase,
    };
  }

  async function schemasOf(conn: DuckDBConnection, db: string): Promise<string[]> {
    const reader = await conn.runAndReadAll(`SELECT schema_name FROM duckdb_schemas() WHERE database_name = ${quoteString(db)} AND schema_name <> 'main'`);
    return reader.getRows().map((r) => String(r[0]));
  }

  /** Points the session's DuckDB connection at its current database/schema and defines CURRENT_*(). */
  async function applySessionContext(s: Session): Promise<void> {
    const lit = (v: string | null): string => (v === null ? 'CAST(NULL AS VARCHAR)' : quoteString(v));
    const use = s.database ? `USE ${quoteIdent(s.database)}${s.schema ? `.${quoteIdent(s.schema)}` : ''}` : 'USE memory';
    const macros: Record<string, string> = {
      CURRENT_ROLE: lit(s.role),
      CURRENT_WAREHOUSE: lit(s.warehouse),
      CURRENT_USER: lit(s.user),
      CURRENT_DATABASE: lit(s.database),
      CURRENT_SCHEMA: lit(s.schema),
      CURRENT_ACCOUNT: lit(account.split('.')[0]?.toUpperCase() ?? account),
      CURRENT_ACCOUNT_NAME: lit(account.split('.')[0]?.toUpperCase() ?? account),
      CURRENT_REGION: lit('AWS_US_WEST_2'),
      CURRENT_SESSION: lit(String(s.id)),
      CURRENT_VERSION: lit(SERVER_VERSION),
      CURRENT_SECONDARY_ROLES: lit('{"roles":"","value":""}'),
    };
    const sql = [use, ...Object.entries(macros).map(([n, v]) => `CREATE OR REPLACE TEMP MACRO ${n}() AS ${v}`)].join(';\n');
    await s.conn.run(sql);
  }

  /** A few Snowflake functions DuckDB lacks. */
  const HELPER_MACROS = [
    'IFF(c_, a_, b_) AS CASE WHEN c_ THEN a_ ELSE b_ END',
    'NVL(a_, b_) AS COALESCE(a_, b_)',
    'NVL2(a_, b_, c_) AS CASE WHEN a_ IS NOT NULL THEN b_ ELSE c_ END',
    'ZEROIFNULL(a_) AS COALESCE(a_, 0)',
    'PARSE_JSON(a_) AS CAST(a_ AS JSON)',
    'TO_VARCHAR(a_) AS CAST(a_ AS VARCHAR)',
    "SYSDATE() AS CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)",
  ];

  async function createSession(user: string, role: string, warehouse: string | null, database: string | null, schema: string | null, params: Json): Promise<Session> {
    const conn = await instance.connect();
    await conn.run(["SET TimeZone = 'UTC'", ...HELPER_MACROS.map((m) => `CREATE OR REPLACE TEMP MACRO ${m}`)].join(';\n'));
    const s: Session = {
      id: nextSessionId++,
      token: newToken(),
      masterToken: newToken(),
      user,
      role,
      warehouse,
      database,
      schema,
      params,
      conn,
      queue: Promise.resolve(),
    };
    await applySessionContext(s);
    sessionsByToken.set(s.token, s);
    sessionsByMaster.set(s.masterToken, s);
    return s;
  }

  function parameterList(s: Session, stmtParams: Json = {}): { name: string; value: unknown }[] {
    return Object.entries({ ...DEFAULT_PARAMS, ...s.params, ...stmtParams }).map(([name, value]) => ({ name, value }));
  }

  // -------------------------------------------------------------------------
  // Login
  // -------------------------------------------------------------------------

  async function login(url: URL, body: Json): Promise<Json> {
    const data = asObject(body.data);
    const loginName = asString(data.LOGIN_NAME) ?? '';
    const userKey = Object.keys(users).find((u) => u.toUpperCase() === loginName.toUpperCase());
    const user = userKey === undefined ? undefined : users[userKey];
    const authenticator = (asString(data.AUTHENTICATOR) ?? 'SNOWFLAKE').toUpperCase();
    const badPassword = (): Json => loginFailure('390100', 'Incorrect username or password was specified.', loginName);

    if (authenticator === 'SNOWFLAKE_JWT') {
      const token = asString(data.TOKEN) ?? '';
      const accountName = account.split('.')[0] ?? account;
      if (!user?.publicKeyPem || !verifySnowflakeJwt(token, user.publicKeyPem, accountName, loginName)) {
        return loginFailure('390144', 'JWT token is invalid.', loginName);
      }
    } else if (authenticator === 'SNOWFLAKE' || authenticator === 'USERNAME_PASSWORD_MFA') {
      if (!user || user.password === undefined || user.password !== asString(data.PASSWORD)) return badPassword();
    } else {
      return loginFailure(
        '390139',
        'The specified authenticator is not accepted by your Snowflake account configuration.  Please contact your local system administrator to get the correct URL to use.',
        loginName,
      );
    }

    const requestedRole = url.searchParams.get('roleName');
    let role: string;
    if (requestedRole) {
      const found = findName(roles, requestedRole);
      if (!found) {
        const shown = stripQuotes(requestedRole).toUpperCase();
        return loginFailure(
          '390189',
          `Role '${shown}' specified in the connect string does not exist or not authorized. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.`,
          loginName,
        );
      }
      role = found;
    } else {
      role = findName(roles, user?.defaultRole) ?? 'PUBLIC';
    }
    // Unknown database/schema/warehouse don't fail a Snowflake login; they just stay unset.
    const warehouse = findName(warehouses, url.searchParams.get('warehouse'));
    const database = resolveDatabase(url.searchParams.get('databaseName') ?? '');
    let schema: string | null = null;
    if (database) {
      const schemas = await schemasOf(admin, database);
      schema = findName(schemas, url.searchParams.get('schemaName') ?? 'PUBLIC');
    }
    const params: Json = {};
    for (const [k, v] of Object.entries(asObject(data.SESSION_PARAMETERS))) params[k.toUpperCase()] = v;

    const s = await createSession(loginName.toUpperCase(), role, warehouse, database, schema, params);
    return {
      data: {
        masterToken: s.masterToken,
        token: s.token,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        displayUserName: s.user,
        serverVersion: SERVER_VERSION,
        firstLogin: false,
        remMeToken: null,
        remMeValidityInSeconds: 0,
        healthCheckInterval: 45,
        newClientForUpgrade: null,
        sessionId: s.id,
        parameters: parameterList(s),
        sessionInfo: { databaseName: s.database, schemaName: s.schema, warehouseName: s.warehouse, roleName: s.role },
        idToken: null,
        idTokenValidityInSeconds: 0,
        responseData: null,
        mfaToken: null,
        mfaTokenValidityInSeconds: 0,
      },
      code: null,
      message: null,
      success: true,
    };
  }

  // -------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------

  const readDenied = (db: string, schema: string): SfError =>
    new SfError('002003', '02000', `SQL compilation error:\nSchema '${db}.${schema}' does not exist or not authorized.`);
  const writeDenied = (what: string, name: string): SfError =>
    new SfError('003001', '42501', `SQL access control error:\nInsufficient privileges to operate on ${what} '${name}'`);

  /** Database and schema a 1-3 part object name lives in (null when the session has none). */
  function containerOf(s: Session, parts: string[]): { db: string | null; schema: string | null } {
    const n = parts.length;
    const dbRaw = n >= 3 ? (parts[n - 3] as string) : s.database;
    const schema = n >= 2 ? (parts[n - 2] as string) : s.schema;
    return { db: dbRaw ? resolveDatabase(dbRaw) : null, schema };
  }

  async function objectExists(s: Session, kind: string, parts: string[]): Promise<boolean> {
    if (kind === 'SCHEMA') {
      const db = parts.length >= 2 ? resolveDatabase(parts[0] as string) : s.database;
      return db !== null && findName(await schemasOf(s.conn, db), parts.at(-1)) !== null;
    }
    const { db, schema } = containerOf(s, parts);
    if (!db || !schema) return false;
    const where = `database_name = ${quoteString(db)} AND lower(schema_name) = lower(${quoteString(schema)})`;
    const name = quoteString(parts.at(-1) ?? '');
    const reader = await s.conn.runAndReadAll(
      `SELECT 1 FROM duckdb_tables() WHERE ${where} AND lower(table_name) = lower(${name}) UNION ALL SELECT 1 FROM duckdb_views() WHERE ${where} AND lower(view_name) = lower(${name})`,
    );
    return reader.getRows().length > 0;
  }

  async function enforceDeny(s: Session, a: Analysis): Promise<void> {
    if (fake.deny.write && isWriteKind(a.kind) && a.target && a.objectKind) {
      if (SCHEMA_OBJECT_KINDS.has(a.objectKind)) {
        const { db, schema } = containerOf(s, a.target.parts);
        if (db && schema) throw writeDenied('schema', schema);
      } else if (a.objectKind === 'SCHEMA') {
        const parts = a.target.parts;
        const db = parts.length >= 2 ? resolveDatabase(parts[0] as string) : s.database;
        if (db) throw writeDenied('database', db);
      }
    }
    if (!fake.deny.read) return;
    for (const ref of a.reads) {
      const { db, schema } = containerOf(s, ref.parts);
      if (db && schema) throw readDenied(db, schema);
    }
    const guessSchema = async (db: string): Promise<string> => {
      // The schema the statement is about: a literal naming one of the database's schemas.
      const schemas = await schemasOf(s.conn, db);
      for (const t of a.sig) {
        const hit = t.kind === 'string' ? findName(schemas, t.value) : null;
        if (hit) return hit;
      }
      return (s.database === db ? s.schema : null) ?? schemas[0] ?? 'PUBLIC';
    };
    for (const ref of a.infoSchema) {
      const db = ref.parts.length === 3 ? resolveDatabase(ref.parts[0] as string) : s.database;
      if (db) throw readDenied(db, await guessSchema(db));
    }
    if (a.kind === 'show') {
      const req = parseShow(a.sig, catalogContext(s));
      if (['TABLES', 'VIEWS', 'OBJECTS', 'COLUMNS', 'SCHEMAS'].includes(req.what)) {
        const db = req.table ? containerOf(s, req.table).db : (req.scope.database ?? (req.scope.account ? databases[0] : null) ?? null);
        const schema = req.table ? containerOf(s, req.table).schema : req.scope.schema;
        if (db) throw readDenied(db, schema ?? (await guessSchema(db)));
      }
    }
    if (a.kind === 'describe' && a.target) {
      const { db, schema } = containerOf(s, a.target.parts);
      if (db && schema) throw readDenied(db, schema);
    }
  }

  async function handleUse(s: Session, a: Analysis): Promise<SfResult> {
    const sig = a.sig;
    let kind = sig[1]?.kind === 'word' ? (sig[1] as Token).value : '';
    let i = 2;
    if (!['ROLE', 'WAREHOUSE', 'DATABASE', 'SCHEMA', 'SECONDARY'].includes(kind)) {
      kind = '';
      i = 1;
    }
    if (kind === 'SECONDARY') return statusResult(SUCCESS_STATUS, STATEMENT_TYPE.USE);
    const parts: string[] = [];
    for (let k = i; k < sig.length; k++) {
      const t = sig[k] as Token;
      if (t.kind === 'word' || t.kind === 'qident') parts.push(t.value);
    }
    const notFound = (): SfError => new SfError('002043', '02000', 'SQL compilation error:\nObject does not exist, or operation cannot be performed.');
    if (kind === 'ROLE') {
      const role = findName(roles, parts[0]);
      if (!role) {
        throw new SfError('003013', '42501', `Requested role '${parts[0] ?? ''}' is not assigned to the executing user. Specify another role to activate.`);
      }
      s.role = role;
    } else if (kind === 'WAREHOUSE') {
      const wh = findName(warehouses, parts[0]);
      if (!wh) throw notFound();
      s.warehouse = wh;
    } else if (kind === 'DATABASE' || (kind === '' && parts.length === 1)) {
      const db = resolveDatabase(parts[0] ?? '');
      if (!db) throw notFound();
      s.database = db;
      s.schema = findName(await schemasOf(s.conn, db), 'PUBLIC');
    } else {
      const db = parts.length >= 2 ? resolveDatabase(parts[0] as string) : s.database;
      if (!db) throw notFound();
      const schema = findName(await schemasOf(s.conn, db), parts.at(-1));
      if (!schema) throw notFound();
      s.database = db;
      s.schema = schema;
    }
    await applySessionContext(s);
    return statusResult(SUCCESS_STATUS, STATEMENT_TYPE.USE);
  }

  function handleAlterSession(s: Session, a: Analysis): SfResult {
    const sig = a.sig;
    const unset = sig[2]?.value === 'UNSET';
    for (let k = 3; k < sig.length; k++) {
      const t = sig[k] as Token;
      if (t.kind !== 'word') continue;
      if (unset) {
        delete s.params[t.value];
      } else if (sig[k + 1]?.text === '=') {
        s.params[t.value] = parseSessionValue(sig[k + 2]);
        k += 2;
      }
    }
    return statusResult(SUCCESS_STATUS);
  }

  async function createOrDropDatabase(s: Session, a: Analysis): Promise<SfResult> {
    const name = a.target?.parts.at(-1);
    if (!name) throw new SfError('001003', '42000', "SQL compilation error:\nsyntax error line 1 at position 0 unexpected '<EOF>'.");
    const existing = resolveDatabase(name);
    if (a.kind === 'drop') {
      if (!existing) {
        if (a.ifExists) return statusResult(`Drop statement executed successfully (${name} already dropped).`);
        throw new SfError('002003', '02000', `SQL compilation error:\nDatabase '${name}' does not exist or not authorized.`);
      }
      await dropDatabase(s, existing);
      return statusResult(`${existing} successfully dropped.`);
    }
    const orReplace = a.sig[1]?.value === 'OR' && a.sig[2]?.value === 'REPLACE';
    if (existing) {
      if (a.ifNotExists) return statusResult(`${existing} already exists, statement succeeded.`);
      if (!orReplace) throw new SfError('002002', '42710', `SQL compilation error:\nObject '${existing}' already exists.`);
      await dropDatabase(s, existing);
    }
    await s.conn.run(`ATTACH ':memory:' AS ${quoteIdent(name)}; CREATE SCHEMA ${quoteIdent(name)}."PUBLIC"`);
    databases.push(name);
    // Snowflake makes a new database (and its PUBLIC schema) current.
    s.database = name;
    s.schema = 'PUBLIC';
    await applySessionContext(s);
    return statusResult(`Database ${name} successfully created.`);
  }

  async function dropDatabase(s: Session, db: string): Promise<void> {
    for (const other of sessionsByToken.values()) {
      if (other.database !== db) continue;
      other.database = null;
      other.schema = null;
      await applySessionContext(other);
    }
    await s.conn.run(`DETACH ${quoteIdent(db)}`);
    databases.splice(databases.indexOf(db), 1);
  }

  function accountObject(a: Analysis, list: string[]): SfResult {
    const name = a.target?.parts.at(-1) ?? '';
    const existing = findName(list, name);
    if (a.kind === 'drop') {
      if (existing) list.splice(list.indexOf(existing), 1);
      else if (!a.ifExists) throw new SfError('002003', '02000', `SQL compilation error:\n${a.objectKind ?? 'Object'} '${name}' does not exist or not authorized.`);
      return statusResult(`${existing ?? name} successfully dropped.`);
    }
    if (!existing) list.push(name);
    return statusResult(`${a.objectKind === 'ROLE' ? 'Role' : 'Warehouse'} ${name} successfully created.`);
  }

  /** Names for DuckDB's "X does not exist" errors, qualified the way the statement referred to them. */
  function qualifier(s: Session, a: Analysis | null): Qualifier {
    const refs = a ? [...a.reads, ...(a.target ? [a.target] : [])] : [];
    const same = (x: string | undefined, y: string): boolean => (x ?? '').toUpperCase() === y.toUpperCase();
    return {
      table(name) {
        const parts = name.split('.');
        const ref = refs.find((r) => same(r.parts.at(-1), parts.at(-1) ?? name));
        const full = ref?.parts ?? parts;
        const { db, schema } = containerOf(s, full);
        return [db, schema, full.at(-1) ?? name].filter((p) => p !== null).join('.');
      },
      schema(name) {
        const ref = refs.find((r) => r.parts.length >= 2 && same(r.parts.at(-2), name));
        const db = ref && ref.parts.length >= 3 ? resolveDatabase(ref.parts[0] as string) : s.database;
        return [db, ref?.parts.at(-2) ?? name].filter((p) => p !== null).join('.');
      },
    };
  }

  async function runDuck(s: Session, a: Analysis, sql: string): Promise<DuckDBResultReader> {
    try {
      return await s.conn.runAndReadAll(sql);
    } catch (err) {
      const mapped = fromDuckDbError(err, qualifier(s, a));
      if (mapped.code !== '002003') throw mapped;
      // Like Snowflake, blame the first missing container (database, then schema) of what was referenced.
      for (const ref of [...a.reads, ...(a.target ? [a.target] : [])]) {
        const n = ref.parts.length;
        if (n >= 3 && !resolveDatabase(ref.parts[0] as string)) {
          throw new SfError('002003', '02000', `SQL compilation error:\nDatabase '${ref.parts[0] ?? ''}' does not exist or not authorized.`);
        }
        const { db, schema } = containerOf(s, ref.parts);
        if (n >= 2 && db && schema && !findName(await schemasOf(s.conn, db), schema)) {
          throw new SfError('002003', '02000', `SQL compilation error:\nSchema '${db}.${schema}' does not exist or not authorized.`);
        }
      }
      throw mapped;
    }
  }

  async function runOnDuckDb(s: Session, a: Analysis, tokens: Token[], describeOnly: boolean): Promise<SfResult> {
    const ctx = catalogContext(s);
    // Unqualified names need a current database/schema, as in Snowflake.
    const schemaTarget = a.target && a.objectKind && SCHEMA_OBJECT_KINDS.has(a.objectKind) ? [a.target] : [];
    for (const ref of [...schemaTarget, ...a.reads]) resolveParts(ctx, ref.parts);
    for (const ref of a.infoSchema) {
      const view = ref.parts.at(-1) ?? '';
      const db = ref.parts.length === 3 ? resolveDatabase(ref.parts[0] as string) : s.database;
      if (!db) {
        if (ref.parts.length === 3) throw new SfError('002003', '02000', `SQL compilation error:\nDatabase '${ref.parts[0] ?? ''}' does not exist or not authorized.`);
        resolveParts(ctx, ['x']);
        continue;
      }
      const sql = infoSchemaView(ctx, db, view);
      if (!sql) throw new SfError('002003', '42S02', `SQL compilation error:\nObject '${db}.INFORMATION_SCHEMA.${view}' does not exist or not authorized.`);
      replaceRef(a.sig, ref, sql, view);
    }
    const name = a.target?.parts.at(-1) ?? '';
    if (a.target && (a.objectKind === 'TABLE' || a.objectKind === 'VIEW' || a.objectKind === 'SCHEMA')) {
      if (a.kind === 'create' && a.ifNotExists && (await objectExists(s, a.objectKind, a.target.parts))) {
        return statusResult(`${name} already exists, statement succeeded.`);
      }
      if (a.kind === 'drop' && a.ifExists && !(await objectExists(s, a.objectKind, a.target.parts))) {
        return statusResult(`Drop statement executed successfully (${name} already dropped).`);
      }
    }
    rewriteTypes(a);
    if (a.kind === 'insert' && a.target && a.sig[1]?.value === 'OVERWRITE') {
      // DuckDB has no INSERT OVERWRITE: empty the table first.
      blankToken(a.sig[1]);
      await runDuck(s, a, `DELETE FROM ${a.target.parts.map(quoteIdent).join('.')}`);
    }
    let sql = render(tokens);
    if (describeOnly && a.kind === 'select') sql = `SELECT * FROM (${sql}) LIMIT 0`;
    const reader = await runDuck(s, a, sql);
    if (returnsRows(reader)) return fromDuckDb(reader);
    switch (a.kind) {
      case 'insert':
      case 'update':
      case 'delete':
      case 'merge':
        return dmlResult(a.kind, reader.rowsChanged);
      case 'create': {
        if (a.objectKind === 'SCHEMA' && a.target) {
          // Snowflake makes a new schema current.
          const parts = a.target.parts;
          const db = parts.length >= 2 ? resolveDatabase(parts[0] as string) : s.database;
          if (db) {
            s.database = db;
            s.schema = findName(await schemasOf(s.conn, db), name);
            await applySessionContext(s);
          }
        }
        const label: Record<string, string> = { TABLE: 'Table', VIEW: 'View', SCHEMA: 'Schema', SEQUENCE: 'Sequence' };
        const l = label[a.objectKind ?? ''];
        return statusResult(l ? `${l} ${name} successfully created.` : SUCCESS_STATUS);
      }
      case 'drop':
        if (a.objectKind === 'SCHEMA' && s.schema !== null && s.schema.toUpperCase() === name.toUpperCase()) {
          s.schema = null;
          await applySessionContext(s);
        }
        return statusResult(`${name} successfully dropped.`);
      default:
        return statusResult(SUCCESS_STATUS);
    }
  }

  async function runStatement(s: Session, tokens: Token[], describeOnly: boolean): Promise<SfResult> {
    const expanded = expandIdentifierCalls(tokens);
    const a = analyze(expanded);
    await enforceDeny(s, a);
    const ctx = catalogContext(s);
    switch (a.kind) {
      case 'use':
        return handleUse(s, a);
      case 'show':
        return show(ctx, parseShow(a.sig, ctx));
      case 'describe':
        if ((a.objectKind === 'TABLE' || a.objectKind === 'VIEW') && a.target) return describeTable(ctx, a.target.parts);
        break;
      case 'set':
      case 'grant':
        return statusResult(SUCCESS_STATUS);
      case 'alter':
        if (a.objectKind === 'SESSION') return handleAlterSession(s, a);
        if (['WAREHOUSE', 'USER', 'ACCOUNT', 'ROLE'].includes(a.objectKind ?? '')) return statusResult(SUCCESS_STATUS);
        break;
      case 'create':
      case 'drop':
        if (a.objectKind === 'DATABASE') return createOrDropDatabase(s, a);
        if (a.objectKind === 'WAREHOUSE') return accountObject(a, warehouses);
        if (a.objectKind === 'ROLE') return accountObject(a, roles);
        if (a.objectKind === 'USER') return statusResult(SUCCESS_STATUS);
        break;
      default:
        break;
    }
    return runOnDuckDb(s, a, expanded, describeOnly);
  }

  function storeResult(queryId: string, body: Json, ok: boolean): void {
    results.set(queryId, { body, ok });
    if (results.size > 500) {
      const oldest = results.keys().next().value;
      if (oldest !== undefined) results.delete(oldest);
    }
  }

  function successBody(s: Session, queryId: string, r: SfResult, stmtParams: Json, extra: Json = {}): Json {
    return {
      data: {
        parameters: parameterList(s, stmtParams),
        rowtype: r.rowtype,
        rowset: r.rowset,
        total: r.rowset.length,
        returned: r.rowset.length,
        queryId,
        databaseProvider: null,
        finalDatabaseName: s.database,
        finalSchemaName: s.schema,
        finalWarehouseName: s.warehouse,
        finalRoleName: s.role,
        numberOfBinds: 0,
        arrayBindSupported: false,
        statementTypeId: r.statementTypeId,
        version: 1,
        sendResultTime: Date.now(),
        queryResultFormat: 'json',
        queryContext: null,
        ...extra,
      },
      code: null,
      message: null,
      success: true,
    };
  }

  function failureBody(queryId: string, e: SfError): Json {
    return {
      data: { internalError: false, errorCode: e.code, age: 0, sqlState: e.sqlState, queryId, line: -1, pos: -1, type: 'COMPILATION' },
      code: e.code,
      message: e.message,
      success: false,
      headers: null,
    };
  }

  async function queryRequest(s: Session, body: Json): Promise<Json> {
    const queryId = randomUUID();
    const sqlText = asString(body.sqlText) ?? '';
    const bindings = parseBindings(body.bindings);
    const stmtParams: Json = {};
    for (const [k, v] of Object.entries(asObject(body.parameters))) stmtParams[k.toUpperCase()] = v;
    let response: Json;
    try {
      const stmts = splitStatements(lex(sqlText));
      if (stmts.length === 0) throw new SfError('000900', '42000', 'Empty SQL statement.');
      const desired = Number(stmtParams.MULTI_STATEMENT_COUNT ?? s.params.MULTI_STATEMENT_COUNT ?? 1);
      if (stmts.length > 1 && desired !== 0 && desired !== stmts.length) {
        throw new SfError('000008', '0A000', `Actual statement count ${stmts.length} did not match the desired statement count ${desired}.`);
      }
      const describeOnly = body.describeOnly === true;
      if (stmts.length === 1) {
        const stmt = stmts[0] as Token[];
        const arrayRows = Math.max(0, ...Object.values(bindings).map((b) => (Array.isArray(b.value) ? b.value.length : 0)));
        let result: SfResult;
        if (arrayRows > 0) {
          // Array binding: one execution per row, answered like one multi-row DML.
          let count = 0;
          let last: SfResult | null = null;
          for (let row = 0; row < arrayRows; row++) {
            last = await runStatement(s, substituteBinds(stmt, bindings, row, { n: 0 }), false);
            count += Number(last.rowset[0]?.[0] ?? 0);
          }
          const kind = analyze(stmt).kind;
          result = kind === 'insert' || kind === 'update' || kind === 'delete' || kind === 'merge' ? dmlResult(kind, count) : (last as SfResult);
        } else {
          result = await runStatement(s, substituteBinds(stmt, bindings, null, { n: 0 }), describeOnly);
        }
        response = successBody(s, queryId, result, stmtParams, { numberOfBinds: Object.keys(bindings).length });
      } else {
        const counter = { n: 0 };
        const ids: string[] = [];
        for (const stmt of stmts) {
          const childId = randomUUID();
          const r = await runStatement(s, substituteBinds(stmt, bindings, null, counter), false);
          storeResult(childId, successBody(s, childId, r, stmtParams), true);
          ids.push(childId);
        }
        const parent = tableResult([column('multiple statement execution', 'text', { nullable: false })], [['Multiple statements executed successfully.']], STATEMENT_TYPE.SELECT);
        response = successBody(s, queryId, parent, stmtParams, { resultIds: ids.join(','), resultTypes: ids.map(() => String(STATEMENT_TYPE.SELECT)).join(',') });
      }
      storeResult(queryId, response, true);
    } catch (err) {
      response = failureBody(queryId, fromDuckDbError(err, qualifier(s, null)));
      storeResult(queryId, response, false);
    }
    if (body.asyncExec === true) {
      // Executed already; answer like a detached query whose result is ready to fetch.
      return {
        data: { queryId, getResultUrl: `/queries/${queryId}/result`, queryAbortsAfterSecs: 300, progressDesc: null },
        code: '333334',
        message: 'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.',
        success: true,
      };
    }
    return response;
  }

  // -------------------------------------------------------------------------
  // HTTP
  // -------------------------------------------------------------------------

  function send(res: http.ServerResponse, status: number, body: Json): void {
    if (res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function readBody(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let buf = Buffer.concat(chunks);
    if (buf.length === 0) return undefined;
    // The SDK gzips bodies but may announce it inconsistently, so sniff the magic bytes.
    if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
    try {
      return JSON.parse(buf.toString('utf8')) as unknown;
    } catch {
      return buf.toString('utf8');
    }
  }

  const invalidToken: Json = { data: null, code: '390104', message: 'Invalid session token. Please login again.', success: false, headers: null };

  function sessionFor(req: http.IncomingMessage, byMaster = false): Session | undefined {
    const m = /Snowflake Token="([^"]*)"/.exec(req.headers.authorization ?? '');
    if (!m?.[1]) return undefined;
    return (byMaster ? sessionsByMaster : sessionsByToken).get(m[1]);
  }

  async function route(req: http.IncomingMessage, url: URL, body: unknown): Promise<[number, Json]> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const json = asObject(body);
    const ok = (data: unknown = null): [number, Json] => [200, { data, code: null, message: null, success: true }];

    if (method === 'POST' && path === '/session/v1/login-request') return [200, await login(url, json)];

    if (method === 'POST' && path === '/session/token-request') {
      const s = sessionFor(req, true);
      if (!s) return [200, { data: null, code: '390114', message: 'Authentication token has expired.  The user must authenticate again.', success: false }];
      sessionsByToken.delete(s.token);
      s.token = newToken();
      sessionsByToken.set(s.token, s);
      return ok({ sessionToken: s.token, validityInSecondsST: 3600, masterToken: s.masterToken, validityInSecondsMT: 14400, sessionId: s.id });
    }

    if (method === 'POST' && path === '/session' && url.searchParams.get('delete') === 'true') {
      const s = sessionFor(req);
      if (!s) return [200, { data: null, code: '390111', message: 'Session no longer exists.  New login required to access the service.', success: false }];
      sessionsByToken.delete(s.token);
      sessionsByMaster.delete(s.masterToken);
      await enqueue(s, async () => s.conn.closeSync());
      return ok();
    }

    const s = sessionFor(req);
    if (!s) return [401, invalidToken];

    if (method === 'POST' && (path === '/session/heartbeat' || path === '/telemetry/send')) return ok(path === '/telemetry/send' ? 'Log Received' : null);
    if (method === 'POST' && path === '/queries/v1/query-request') return [200, await enqueue(s, () => queryRequest(s, json))];
    if (method === 'POST' && (path === '/queries/v1/abort-request' || /^\/queries\/[^/]+\/abort-request$/.test(path))) return ok();

    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/queries\/([^/]+)\/result$/.exec(path))) {
      const stored = results.get(m[1] ?? '');
      if (stored) return [200, stored.body];
      return [200, failureBody(m[1] ?? '', new SfError('000709', '02000', `Statement ${m[1] ?? ''} not found`))];
    }
    if (method === 'GET' && (m = /^\/monitoring\/queries\/([^/]+)$/.exec(path))) {
      const id = m[1] ?? '';
      const stored = results.get(id);
      if (!stored) return ok({ queries: [] });
      const err = asObject(stored.body);
      return [
        200,
        {
          data: {
            queries: [{ id, status: stored.ok ? 'SUCCESS' : 'FAILED_WITH_ERROR', errorCode: stored.ok ? null : err.code, errorMessage: stored.ok ? null : err.message }],
            sqlState: stored.ok ? null : asObject(err.data).sqlState,
          },
          code: stored.ok ? null : err.code,
          message: null,
          success: true,
        },
      ];
    }
    return [404, { data: null, code: '390404', message: `Unknown endpoint ${method} ${path}`, success: false }];
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname, ...(body !== undefined ? { body } : {}) });
    await wait(fake.delayMs);
    if (closed) return;
    const [status, json] = await route(req, url, body);
    send(res, status, json);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { data: null, code: '390400', message: err instanceof Error ? err.message : String(err), success: false });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const fake: FakeSnowflake = {
    url: `http://127.0.0.1:${port}`,
    port,
    deny: { read: false, write: false },
    delayMs: 0,
    requests: [],
    sql(text: string): Promise<Record<string, unknown>[]> {
      const run = adminQueue.then(async () => {
        const reader = await admin.runAndReadAll(text);
        // Plain numbers are easier to assert on than BigInts.
        return reader.getRowObjectsJS().map((row) =>
          Object.fromEntries(
            Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v]),
          ),
        );
      });
      adminQueue = run.catch(() => undefined);
      return run;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await stopped;
      const sessions = [...new Set(sessionsByToken.values())];
      await Promise.allSettled([adminQueue, ...sessions.map((s) => s.queue)]);
      for (const s of sessions) s.conn.closeSync();
      admin.closeSync();
      instance.closeSync();
    },
  };
  return fake;
}
