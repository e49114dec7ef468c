import type { Column, LogicalType } from '../types.js';

/** PostgreSQL type (udt_name, as information_schema names it) -> logical type. */
const BY_UDT: Record<string, LogicalType> = {
  bool: 'boolean',
  int2: 'integer',
  int4: 'integer',
  int8: 'integer',
  oid: 'integer',
  float4: 'number',
  float8: 'number',
  numeric: 'decimal',
  money: 'string',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  name: 'string',
  citext: 'string',
  date: 'date',
  time: 'time',
  timetz: 'string', // a time with an offset has no portable type: kept as its text
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  json: 'json',
  jsonb: 'json',
  bytea: 'binary',
  uuid: 'uuid',
};

export function logicalType(udtName: string): LogicalType {
  if (udtName.startsWith('_')) return 'json'; // arrays travel as JSON arrays
  return BY_UDT[udtName] ?? 'string'; // enums, intervals, network types, ... as their text
}

/** The extraction expression for a column: arrays become JSON, everything else is copied as is. */
export function selectExpression(column: Column & { udt?: string }, quoted: string): string {
  return column.udt?.startsWith('_') ? `to_json(${quoted})` : quoted;
}
