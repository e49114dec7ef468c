import type { TSchema } from 'typebox';
import type { FieldError } from '../lib/errors.js';

export type WarehouseConfig = Record<string, unknown>;

/**
 * One warehouse type. Adding a type means one folder exporting one of these and one line
 * in registry.ts; nothing else in the code switches on the type.
 */
export interface WarehouseDefinition {
  type: string;
  label: string;
  description: string;
  /** JSON Schema of `config`; secret fields are marked `writeOnly: true`. */
  configSchema: TSchema;
  /** Whether sources of this type can be created through the API (the idea of Census' source types). */
  creatableViaApi: boolean;
  /** Checks JSON Schema cannot express (e.g. that a credentials blob parses). Never echo values. */
  validateConfig?(config: WarehouseConfig): FieldError[];
}
