import type { ConnectorDefinition } from './types.js';
import { postgresql } from './postgresql/definition.js';
import { mysql } from './mysql/definition.js';
import { restApi } from './rest_api/definition.js';

/** The one list of loader types. */
export const connectors: readonly ConnectorDefinition[] = [postgresql, mysql, restApi];

const byType = new Map(connectors.map((c) => [c.type, c]));

export function findConnector(type: string): ConnectorDefinition | undefined {
  return byType.get(type);
}
