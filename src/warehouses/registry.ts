import type { WarehouseDefinition } from './types.js';
import { snowflake } from './snowflake/definition.js';
import { bigquery } from './bigquery/definition.js';
import { databricks } from './databricks/definition.js';
import { postgres } from './postgres/definition.js';
import { duckdb } from './duckdb/definition.js';

/** The one list of warehouse (source) types. */
export const warehouses: readonly WarehouseDefinition[] = [snowflake, bigquery, databricks, postgres, duckdb];

const byType = new Map(warehouses.map((w) => [w.type, w]));

export function findWarehouse(type: string): WarehouseDefinition | undefined {
  return byType.get(type);
}
