// Typed access to the TCLIService code generated for (and shipped with) @databricks/sql,
// so the fake speaks exactly the IDL the client was built against.
import { createRequire } from 'node:module';
import thrift from 'thrift';

const require = createRequire(import.meta.url);

type StructCtor = new (args?: object) => object;

interface ServiceModule {
  Processor: new (handler: object) => { process(input: thrift.TProtocol, output: thrift.TProtocol): void };
}

const types = require('@databricks/sql/thrift/TCLIService_types.js') as Record<string, unknown>;
const service = require('@databricks/sql/thrift/TCLIService.js') as ServiceModule;

export type StructName =
  | 'TStatus' | 'TOpenSessionResp' | 'TSessionHandle' | 'THandleIdentifier' | 'TNamespace' | 'TCloseSessionResp'
  | 'TGetInfoResp' | 'TGetInfoValue' | 'TExecuteStatementResp' | 'TOperationHandle' | 'TSparkDirectResults'
  | 'TGetOperationStatusResp' | 'TGetResultSetMetadataResp' | 'TTableSchema' | 'TColumnDesc' | 'TTypeDesc'
  | 'TTypeEntry' | 'TPrimitiveTypeEntry' | 'TTypeQualifiers' | 'TTypeQualifierValue' | 'TFetchResultsResp' | 'TRowSet'
  | 'TColumn' | 'TBoolColumn' | 'TByteColumn' | 'TI16Column' | 'TI32Column' | 'TI64Column' | 'TDoubleColumn'
  | 'TStringColumn' | 'TBinaryColumn' | 'TCloseOperationResp' | 'TCancelOperationResp' | 'TGetCatalogsResp'
  | 'TGetSchemasResp' | 'TGetTablesResp' | 'TGetColumnsResp' | 'TGetTableTypesResp' | 'TGetTypeInfoResp'
  | 'TGetFunctionsResp' | 'TGetPrimaryKeysResp' | 'TGetCrossReferenceResp' | 'TGetDelegationTokenResp'
  | 'TCancelDelegationTokenResp' | 'TRenewDelegationTokenResp';

/** Instantiates a generated struct; responses must be real instances because the processor calls `.write()`. */
export function struct(name: StructName, args: object): object {
  const ctor = types[name];
  if (typeof ctor !== 'function') throw new Error(`TCLIService_types has no ${name}`);
  return new (ctor as StructCtor)(args);
}

export const TStatusCode = { SUCCESS: 0, SUCCESS_WITH_INFO: 1, STILL_EXECUTING: 2, ERROR: 3, INVALID_HANDLE: 4 } as const;
export const TOperationState = {
  INITIALIZED: 0, RUNNING: 1, FINISHED: 2, CANCELED: 3, CLOSED: 4, ERROR: 5, UNKNOWN: 6, PENDING: 7, TIMEDOUT: 8,
} as const;
export const TOperationType = {
  EXECUTE_STATEMENT: 0, GET_TYPE_INFO: 1, GET_CATALOGS: 2, GET_SCHEMAS: 3, GET_TABLES: 4, GET_TABLE_TYPES: 5,
  GET_COLUMNS: 6, GET_FUNCTIONS: 7, UNKNOWN: 8,
} as const;
export const TSparkRowSetType = { ARROW_BASED_SET: 0, COLUMN_BASED_SET: 1, ROW_BASED_SET: 2, URL_BASED_SET: 3 } as const;
export const TFetchOrientation = { FETCH_NEXT: 0, FETCH_FIRST: 4 } as const;
export const TGetInfoType = { CLI_SERVER_NAME: 13, CLI_DBMS_NAME: 17, CLI_DBMS_VER: 18, CLI_USER_NAME: 47 } as const;
/** Newest protocol the fake claims; V8 is what the 2.x client asks for and the first with query parameters. */
export const SPARK_CLI_SERVICE_PROTOCOL_V8 = 42248;
export const SPARK_CLI_SERVICE_PROTOCOL_V1 = 42241;

// Shapes of the requests as the generated readers produce them (absent fields are null).
export interface Int64Like {
  toNumber(allowImprecise?: boolean): number;
}
export interface HandleIdentifier {
  guid: Buffer;
  secret: Buffer;
}
export interface SessionHandleIn {
  sessionId: HandleIdentifier;
}
export interface OperationHandleIn {
  operationId: HandleIdentifier;
  operationType: number;
  hasResultSet: boolean;
}
export interface OpenSessionReq {
  client_protocol?: number | null;
  client_protocol_i64?: Int64Like | null;
  configuration?: Record<string, string> | null;
  initialNamespace?: { catalogName?: string | null; schemaName?: string | null } | null;
  canUseMultipleCatalogs?: boolean | null;
}
export interface ExecuteStatementReq {
  sessionHandle: SessionHandleIn;
  statement: string;
  runAsync?: boolean | null;
  getDirectResults?: { maxRows: Int64Like | number } | null;
  parameters?: { name?: string | null; ordinal?: number | null; type?: string | null; value?: { stringValue?: string | null; doubleValue?: number | null; booleanValue?: boolean | null } | null }[] | null;
}
export interface MetadataReq {
  sessionHandle: SessionHandleIn;
  runAsync?: boolean | null;
  getDirectResults?: { maxRows: Int64Like | number } | null;
  [key: string]: unknown;
}
export interface FetchResultsReq {
  operationHandle: OperationHandleIn;
  orientation?: number | null;
  maxRows: Int64Like | number;
  fetchType?: number | null;
  includeResultSetMetadata?: boolean | null;
}

export function toNumber(v: Int64Like | number | null | undefined, fallback: number): number {
  if (v === null || v === undefined) return fallback;
  return typeof v === 'number' ? v : v.toNumber(true);
}

export function createProcessor(handler: object) {
  return new service.Processor(handler);
}

/** Reads only the message header of a Thrift call, to log which method was invoked. */
export function peekMethod(body: Buffer): string | undefined {
  let name: string | undefined;
  try {
    thrift.TBufferedTransport.receiver((trans) => {
      name = new thrift.TBinaryProtocol(trans).readMessageBegin().fname;
    }, 0)(body);
  } catch {
    name = undefined;
  }
  return name;
}

/** Runs one Thrift call through the processor and resolves with the serialized reply. */
export function processCall(processor: ReturnType<typeof createProcessor>, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const output = new thrift.TBinaryProtocol(new thrift.TBufferedTransport(undefined, (buf) => {
      if (buf) resolve(buf);
    }));
    try {
      thrift.TBufferedTransport.receiver((trans) => {
        processor.process(new thrift.TBinaryProtocol(trans), output);
      }, 0)(body);
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
