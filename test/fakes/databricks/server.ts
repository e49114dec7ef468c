// Fake Databricks SQL warehouse: HiveServer2 Thrift (TBinaryProtocol) over HTTPS POST, the
// way the warehouse endpoint serves @databricks/sql, with DuckDB doing the SQL.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import {
  Engine,
  type Cell,
  type ColumnSpec,
  type ResultSet,
  type Session,
  TTypeId,
} from './engine.js';
import { SqlError } from './sql-dialect.js';
import {
  SPARK_CLI_SERVICE_PROTOCOL_V1,
  SPARK_CLI_SERVICE_PROTOCOL_V8,
  TFetchOrientation,
  TGetInfoType,
  TOperationState,
  TOperationType,
  TSparkRowSetType,
  TStatusCode,
  createProcessor,
  peekMethod,
  processCall,
  struct,
  toNumber,
  type ExecuteStatementReq,
  type Int64Like,
  type FetchResultsReq,
  type MetadataReq,
  type OpenSessionReq,
  type OperationHandleIn,
  type SessionHandleIn,
} from './thrift.js';
import { selfSignedCert } from './tls.js';

export { selfSignedCert } from './tls.js';

export interface FakeDatabricksOptions {
  /** Personal access token the client must send as `Authorization: Bearer <token>`. Default 'dapi-test-token'. */
  token?: string;
  /** What current_user() returns. Default 'quarry@example.com'. */
  user?: string;
  /** Warehouse HTTP path. Default '/sql/1.0/warehouses/abc123'. */
  path?: string;
  /** Unity Catalog catalogs and their schemas. Default { main: ['default'] }. */
  catalogs?: Record<string, string[]>;
  /**
   * Serve this key/certificate instead of a fresh self-signed one. Needed when the client goes
   * through `proxy`: @databricks/sql 2.1.0 does not apply `customCaCert` to proxied connections,
   * so the certificate has to be trusted process-wide (NODE_EXTRA_CA_CERTS, read at Node start-up).
   */
  tls?: { key: string; cert: string };
}

export interface FakeDatabricksRequest {
  method: string;
  /** Request path (without query string). */
  path: string;
  /** Decoded Thrift method name (OpenSession, ExecuteStatement, ...), when the body is a Thrift call. */
  thriftMethod?: string;
  /** HTTP status the fake answered with (set once answered). */
  status?: number;
}

export interface FakeDatabricks {
  host: string;
  port: number;
  path: string;
  token: string;
  /** PEM of the self-signed certificate, for the client's `customCaCert`. */
  caCert: string;
  deny: { read: boolean; write: boolean };
  /** Every HTTP response waits this long first. */
  delayMs: number;
  requests: FakeDatabricksRequest[];
  /** Runs Databricks SQL directly (same dialect translation, no permission simulation, `;`-separated statements allowed). */
  sql(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

interface SessionState {
  session: Session;
  handle: object;
  ops: Set<string>;
}

interface OperationState {
  sessionKey: string;
  handle: object;
  state: number;
  result?: ResultSet;
  error?: SqlError;
  cursor: number;
  started: number;
  completed: number;
}

const key = (id: { guid: Buffer } | undefined | null): string => (id?.guid ? Buffer.from(id.guid).toString('hex') : '');

function toSqlError(e: unknown): SqlError {
  if (e instanceof SqlError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new SqlError(`[INTERNAL_ERROR] ${msg} SQLSTATE: XX000`, 'XX000');
}

const ok = (): object => struct('TStatus', { statusCode: TStatusCode.SUCCESS });

function errorStatus(e: SqlError): object {
  return struct('TStatus', {
    statusCode: TStatusCode.ERROR,
    sqlState: e.sqlState,
    errorCode: 0,
    errorMessage: e.message,
    displayMessage: e.message,
  });
}

function invalidHandle(kind: 'SessionHandle' | 'OperationHandle', id: string): object {
  return struct('TStatus', {
    statusCode: TStatusCode.INVALID_HANDLE,
    sqlState: 'HY000',
    errorMessage: `Invalid ${kind}: ${kind} [${id || 'unknown'}]`,
  });
}

function int64(v: bigint): { buffer: Buffer } {
  // TBinaryProtocol.writeI64 accepts anything with an 8-byte big-endian `buffer`.
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt.asIntN(64, v));
  return { buffer };
}

function columnDesc(c: ColumnSpec, i: number): object {
  const entry: Record<string, unknown> = { type: c.typeId };
  if (c.typeId === TTypeId.DECIMAL) {
    entry.typeQualifiers = struct('TTypeQualifiers', {
      qualifiers: {
        precision: struct('TTypeQualifierValue', { i32Value: c.precision ?? 38 }),
        scale: struct('TTypeQualifierValue', { i32Value: c.scale ?? 0 }),
      },
    });
  }
  return struct('TColumnDesc', {
    columnName: c.name,
    typeDesc: struct('TTypeDesc', { types: [struct('TTypeEntry', { primitiveEntry: struct('TPrimitiveTypeEntry', entry) })] }),
    position: i + 1,
    comment: '',
  });
}

/** One TColumn with values plus the Hive null bitmap (bit i of byte i/8 set = row i is NULL). */
function buildColumn(c: ColumnSpec, cells: Cell[]): object {
  const nulls = Buffer.alloc(Math.ceil(cells.length / 8));
  const values = cells.map((v, i) => {
    if (v === null) nulls[i >> 3] = (nulls[i >> 3] ?? 0) | (1 << (i & 7));
    switch (c.kind) {
      case 'bool':
        return v === null ? false : Boolean(v);
      case 'i64':
        return int64(v === null ? 0n : BigInt(v as bigint | number));
      case 'string':
        return v === null ? '' : String(v);
      case 'binary':
        return v === null ? Buffer.alloc(0) : Buffer.isBuffer(v) ? v : Buffer.from(String(v));
      default:
        return v === null ? 0 : Number(v);
    }
  });
  const member = {
    bool: ['boolVal', 'TBoolColumn'],
    byte: ['byteVal', 'TByteColumn'],
    i16: ['i16Val', 'TI16Column'],
    i32: ['i32Val', 'TI32Column'],
    i64: ['i64Val', 'TI64Column'],
    double: ['doubleVal', 'TDoubleColumn'],
    string: ['stringVal', 'TStringColumn'],
    binary: ['binaryVal', 'TBinaryColumn'],
  } as const;
  const [field, ctor] = member[c.kind];
  return struct('TColumn', { [field]: struct(ctor, { values, nulls }) });
}

function plainRows(rs: ResultSet): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let r = 0; r < rs.rowCount; r++) {
    const row: Record<string, unknown> = {};
    rs.columns.forEach((c, i) => {
      row[c.name] = rs.data[i]?.[r] ?? null;
    });
    rows.push(row);
  }
  return rows;
}

export async function startFakeDatabricks(opts: FakeDatabricksOptions = {}): Promise<FakeDatabricks> {
  const token = opts.token ?? 'dapi-test-token';
  const user = opts.user ?? 'quarry@example.com';
  const path = (opts.path ?? '/sql/1.0/warehouses/abc123').replace(/\/$/, '');
  const engine = await Engine.create({ user, catalogs: opts.catalogs ?? { main: ['default'] } });
  const tls = opts.tls ?? (await selfSignedCert());

  const sessions = new Map<string, SessionState>();
  const operations = new Map<string, OperationState>();
  let adminSession: Session | undefined;

  // The client formats guids with uuid.stringify, which insists on a valid (v4) UUID.
  const newId = () =>
    struct('THandleIdentifier', { guid: Buffer.from(randomUUID().replace(/-/g, ''), 'hex'), secret: randomBytes(16) });

  const registerOperation = (sessionKey: string, type: number, result?: ResultSet, error?: SqlError): [string, OperationState] => {
    const operationId = newId() as { guid: Buffer };
    const handleArgs: Record<string, unknown> = { operationId, operationType: type, hasResultSet: true };
    if (result?.modifiedRows !== undefined) handleArgs.modifiedRowCount = result.modifiedRows;
    const now = Date.now();
    const op: OperationState = {
      sessionKey,
      handle: struct('TOperationHandle', handleArgs),
      state: error ? TOperationState.ERROR : TOperationState.FINISHED,
      cursor: 0,
      started: now,
      completed: now,
    };
    if (result) op.result = result;
    if (error) op.error = error;
    const k = key(operationId);
    operations.set(k, op);
    sessions.get(sessionKey)?.ops.add(k);
    return [k, op];
  };

  const dropOperation = (k: string): void => {
    const op = operations.get(k);
    if (!op) return;
    operations.delete(k);
    sessions.get(op.sessionKey)?.ops.delete(k);
  };

  const statusResponse = (op: OperationState): object => {
    const args: Record<string, unknown> = {
      status: ok(),
      operationState: op.state,
      hasResultSet: true,
      operationStarted: op.started,
      operationCompleted: op.completed,
    };
    if (op.result?.modifiedRows !== undefined) args.numModifiedRows = op.result.modifiedRows;
    if (op.error) {
      // Spark's thrift server wraps the message; clients show displayMessage.
      args.sqlState = op.error.sqlState;
      args.errorCode = 0;
      args.errorMessage = `org.apache.hive.service.cli.HiveSQLException: Error running query: ${op.error.message}`;
      args.displayMessage = op.error.message;
      args.diagnosticInfo = '';
    }
    return struct('TGetOperationStatusResp', args);
  };

  const metadataResponse = (rs: ResultSet): object =>
    struct('TGetResultSetMetadataResp', {
      status: ok(),
      schema: struct('TTableSchema', { columns: rs.columns.map(columnDesc) }),
      resultFormat: TSparkRowSetType.COLUMN_BASED_SET,
      lz4Compressed: false,
      isStagingOperation: false,
    });

  const fetchResponse = (op: OperationState, rs: ResultSet, maxRows: number, orientation: number): object => {
    if (orientation === TFetchOrientation.FETCH_FIRST) op.cursor = 0;
    const start = op.cursor;
    const end = Math.min(rs.rowCount, start + Math.max(0, maxRows));
    op.cursor = end;
    return struct('TFetchResultsResp', {
      status: ok(),
      hasMoreRows: end < rs.rowCount,
      results: struct('TRowSet', {
        startRowOffset: start,
        rows: [],
        columns: rs.columns.map((c, i) => buildColumn(c, (rs.data[i] ?? []).slice(start, end))),
      }),
    });
  };

  // Databricks inlines status, metadata and the first rows, and closes small results server-side.
  const directResults = (k: string, op: OperationState, maxRows: number): object => {
    const args: Record<string, unknown> = { operationStatus: statusResponse(op) };
    if (op.result) {
      args.resultSetMetadata = metadataResponse(op.result);
      args.resultSet = fetchResponse(op, op.result, maxRows, TFetchOrientation.FETCH_NEXT);
      if (op.cursor >= op.result.rowCount) {
        args.closeOperation = struct('TCloseOperationResp', { status: ok() });
        dropOperation(k);
      }
    }
    return struct('TSparkDirectResults', args);
  };

  const operationResponse = (
    respName: Parameters<typeof struct>[0],
    sessionKey: string,
    type: number,
    req: { runAsync?: boolean | null; getDirectResults?: { maxRows: Int64Like | number } | null },
    result: ResultSet | undefined,
    error: SqlError | undefined,
  ): object => {
    // A synchronous call reports the failure in the call itself; async ones through the operation.
    if (error && req.runAsync === false) return struct(respName, { status: errorStatus(error) });
    const [k, op] = registerOperation(sessionKey, type, result, error);
    const args: Record<string, unknown> = { status: ok(), operationHandle: op.handle };
    if (req.getDirectResults) {
      args.directResults = directResults(k, op, toNumber(req.getDirectResults.maxRows, 100_000));
    }
    return struct(respName, args);
  };

  const findSession = (h: SessionHandleIn | null | undefined): [string, SessionState | undefined] => {
    const k = key(h?.sessionId);
    return [k, sessions.get(k)];
  };
  const findOperation = (h: OperationHandleIn | null | undefined): [string, OperationState | undefined] => {
    const k = key(h?.operationId);
    return [k, operations.get(k)];
  };

  const metadataOperation = (name: string, respName: Parameters<typeof struct>[0], type: number) => async (req: MetadataReq) => {
    const [k, s] = findSession(req.sessionHandle);
    if (!s) return struct(respName, { status: invalidHandle('SessionHandle', k) });
    try {
      return operationResponse(respName, k, type, req, await engine.metadata(name, req), undefined);
    } catch (e) {
      return operationResponse(respName, k, type, req, undefined, toSqlError(e));
    }
  };

  const handler = {
    OpenSession: async (req: OpenSessionReq) => {
      const requested = req.client_protocol_i64 ? toNumber(req.client_protocol_i64, 0) : (req.client_protocol ?? 0);
      const serverProtocolVersion =
        requested >= SPARK_CLI_SERVICE_PROTOCOL_V1 ? Math.min(requested, SPARK_CLI_SERVICE_PROTOCOL_V8) : SPARK_CLI_SERVICE_PROTOCOL_V8;
      const conf = req.configuration ?? {};
      const catalog = req.initialNamespace?.catalogName ?? conf['use:catalog'] ?? null;
      const schema = req.initialNamespace?.schemaName ?? conf['use:database'] ?? null;
      let session: Session;
      try {
        session = await engine.openSession(catalog, schema);
      } catch (e) {
        return struct('TOpenSessionResp', { status: errorStatus(toSqlError(e)), serverProtocolVersion });
      }
      const sessionId = newId() as { guid: Buffer };
      const handle = struct('TSessionHandle', { sessionId });
      sessions.set(key(sessionId), { session, handle, ops: new Set() });
      return struct('TOpenSessionResp', {
        status: ok(),
        serverProtocolVersion,
        sessionHandle: handle,
        configuration: {},
        initialNamespace: struct('TNamespace', { catalogName: session.catalog, schemaName: session.schema }),
        canUseMultipleCatalogs: true,
      });
    },

    CloseSession: async (req: { sessionHandle: SessionHandleIn }) => {
      const [k, s] = findSession(req.sessionHandle);
      if (!s) return struct('TCloseSessionResp', { status: invalidHandle('SessionHandle', k) });
      for (const op of s.ops) operations.delete(op);
      sessions.delete(k);
      engine.closeSession(s.session);
      return struct('TCloseSessionResp', { status: ok() });
    },

    GetInfo: async (req: { sessionHandle: SessionHandleIn; infoType: number }) => {
      const [k, s] = findSession(req.sessionHandle);
      if (!s) return struct('TGetInfoResp', { status: invalidHandle('SessionHandle', k), infoValue: struct('TGetInfoValue', {}) });
      const values: Record<number, string> = {
        [TGetInfoType.CLI_SERVER_NAME]: 'Spark SQL',
        [TGetInfoType.CLI_DBMS_NAME]: 'Spark SQL',
        [TGetInfoType.CLI_DBMS_VER]: '3.5.0',
        [TGetInfoType.CLI_USER_NAME]: user,
      };
      const value = values[req.infoType];
      if (value === undefined) {
        const e = new SqlError(`Unrecognized GetInfoType value: ${req.infoType}`, 'HY000');
        return struct('TGetInfoResp', { status: errorStatus(e), infoValue: struct('TGetInfoValue', {}) });
      }
      return struct('TGetInfoResp', { status: ok(), infoValue: struct('TGetInfoValue', { stringValue: value }) });
    },

    ExecuteStatement: async (req: ExecuteStatementReq) => {
      const [k, s] = findSession(req.sessionHandle);
      if (!s) return struct('TExecuteStatementResp', { status: invalidHandle('SessionHandle', k) });
      let result: ResultSet | undefined;
      let error: SqlError | undefined;
      try {
        result = await engine.execute(s.session, req.statement, req.parameters ?? [], fake.deny);
      } catch (e) {
        error = toSqlError(e);
      }
      return operationResponse('TExecuteStatementResp', k, TOperationType.EXECUTE_STATEMENT, req, result, error);
    },

    GetTypeInfo: metadataOperation('GetTypeInfo', 'TGetTypeInfoResp', TOperationType.GET_TYPE_INFO),
    GetCatalogs: metadataOperation('GetCatalogs', 'TGetCatalogsResp', TOperationType.GET_CATALOGS),
    GetSchemas: metadataOperation('GetSchemas', 'TGetSchemasResp', TOperationType.GET_SCHEMAS),
    GetTables: metadataOperation('GetTables', 'TGetTablesResp', TOperationType.GET_TABLES),
    GetTableTypes: metadataOperation('GetTableTypes', 'TGetTableTypesResp', TOperationType.GET_TABLE_TYPES),
    GetColumns: metadataOperation('GetColumns', 'TGetColumnsResp', TOperationType.GET_COLUMNS),
    GetFunctions: metadataOperation('GetFunctions', 'TGetFunctionsResp', TOperationType.GET_FUNCTIONS),
    GetPrimaryKeys: metadataOperation('GetPrimaryKeys', 'TGetPrimaryKeysResp', TOperationType.UNKNOWN),
    GetCrossReference: metadataOperation('GetCrossReference', 'TGetCrossReferenceResp', TOperationType.UNKNOWN),

    GetOperationStatus: async (req: { operationHandle: OperationHandleIn }) => {
      const [k, op] = findOperation(req.operationHandle);
      if (!op) return struct('TGetOperationStatusResp', { status: invalidHandle('OperationHandle', k) });
      return statusResponse(op);
    },

    CancelOperation: async (req: { operationHandle: OperationHandleIn }) => {
      const [k, op] = findOperation(req.operationHandle);
      if (!op) return struct('TCancelOperationResp', { status: invalidHandle('OperationHandle', k) });
      if (op.state === TOperationState.RUNNING || op.state === TOperationState.PENDING) op.state = TOperationState.CANCELED;
      return struct('TCancelOperationResp', { status: ok() });
    },

    CloseOperation: async (req: { operationHandle: OperationHandleIn }) => {
      const [k, op] = findOperation(req.operationHandle);
      if (!op) return struct('TCloseOperationResp', { status: invalidHandle('OperationHandle', k) });
      dropOperation(k);
      return struct('TCloseOperationResp', { status: ok() });
    },

    GetResultSetMetadata: async (req: { operationHandle: OperationHandleIn }) => {
      const [k, op] = findOperation(req.operationHandle);
      if (!op) return struct('TGetResultSetMetadataResp', { status: invalidHandle('OperationHandle', k) });
      if (op.error || !op.result) return struct('TGetResultSetMetadataResp', { status: errorStatus(op.error ?? toSqlError('no result')) });
      return metadataResponse(op.result);
    },

    FetchResults: async (req: FetchResultsReq) => {
      const [k, op] = findOperation(req.operationHandle);
      if (!op) return struct('TFetchResultsResp', { status: invalidHandle('OperationHandle', k) });
      if (op.error || !op.result) return struct('TFetchResultsResp', { status: errorStatus(op.error ?? toSqlError('no result')) });
      if (req.fetchType === 1) {
        // Operation logs: the fake keeps none.
        return struct('TFetchResultsResp', {
          status: ok(),
          hasMoreRows: false,
          results: struct('TRowSet', { startRowOffset: 0, rows: [], columns: [] }),
        });
      }
      const resp = fetchResponse(op, op.result, toNumber(req.maxRows, 100_000), req.orientation ?? TFetchOrientation.FETCH_NEXT);
      if (req.includeResultSetMetadata) (resp as Record<string, unknown>).resultSetMetadata = metadataResponse(op.result);
      return resp;
    },

    GetDelegationToken: async () =>
      struct('TGetDelegationTokenResp', { status: errorStatus(new SqlError('Delegation tokens are not supported.', 'HY000')) }),
    CancelDelegationToken: async () =>
      struct('TCancelDelegationTokenResp', { status: errorStatus(new SqlError('Delegation tokens are not supported.', 'HY000')) }),
    RenewDelegationToken: async () =>
      struct('TRenewDelegationTokenResp', { status: errorStatus(new SqlError('Delegation tokens are not supported.', 'HY000')) }),
  };
  const processor = createProcessor(handler);

  // --- HTTP layer -----------------------------------------------------------

  let closed = false;
  const sockets = new Set<Socket>();
  const pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const inflight = new Set<Promise<void>>();

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve();
      const entry = {
        timer: setTimeout(() => {
          pendingDelays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      pendingDelays.add(entry);
    });

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const reply = (res: ServerResponse, entry: FakeDatabricksRequest, status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
    entry.status = status;
    res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const reqPath = new URL(req.url ?? '/', 'https://fake').pathname.replace(/\/$/, '');
    const entry: FakeDatabricksRequest = { method: req.method ?? '', path: reqPath };
    const thriftMethod = body.length > 0 ? peekMethod(body) : undefined;
    if (thriftMethod) entry.thriftMethod = thriftMethod;
    fake.requests.push(entry);
    await wait(fake.delayMs);
    if (closed) {
      res.destroy();
      return;
    }
    const text = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (reqPath !== path) return reply(res, entry, 404, 'Not Found', text);
    if (req.method !== 'POST') return reply(res, entry, 405, 'Method Not Allowed', { ...text, Allow: 'POST' });
    const auth = req.headers.authorization;
    if (!auth) {
      return reply(res, entry, 401, 'Credential was not sent or was of an unsupported type for this API.', text);
    }
    if (auth !== `Bearer ${token}`) {
      // What a warehouse answers for a bad or revoked PAT (the client does not retry 4xx).
      return reply(res, entry, 403, 'Invalid access token.', { ...text, 'x-databricks-reason-phrase': 'Invalid access token.' });
    }
    if (!thriftMethod) return reply(res, entry, 400, 'Bad Request: not a Thrift call', text);
    const out = await processCall(processor, body);
    reply(res, entry, 200, out, { 'Content-Type': 'application/x-thrift' });
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const p = handle(req, res)
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake databricks: no TCP address');

  const fake: FakeDatabricks = {
    host: '127.0.0.1',
    port: address.port,
    path,
    token,
    caCert: tls.cert,
    deny: { read: false, write: false },
    delayMs: 0,
    requests: [],
    async sql(text: string) {
      adminSession ??= await engine.openSession();
      return plainRows(await engine.script(adminSession, text));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const d of pendingDelays) {
        clearTimeout(d.timer);
        d.resolve();
      }
      pendingDelays.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await stopped;
      await Promise.allSettled([...inflight]);
      engine.close();
    },
  };
  return fake;
}
