import type { ValidateFunction } from 'ajv';
import type { TSchema } from 'typebox';
import { type FieldError, ValidationError } from '../lib/errors.js';
import { compile, toFieldErrors } from '../lib/json-schema.js';
import type { SecretBox } from './secret-box.js';
import { MASK, joinSecrets, maskConfig, maskedPaths, restoreMasked, secretPaths, splitSecrets } from './secret-fields.js';

export type Config = Record<string, unknown>;

/** Anything with a config JSON Schema: a warehouse (source) type or a connector (loader) type. */
export interface ConfigType {
  configSchema: TSchema;
  /** Checks JSON Schema cannot express. Messages must not echo values. */
  validateConfig?(config: Config): FieldError[];
}

/** How a config is stored: the public part as JSON, the secrets sealed, and which secrets are set. */
export interface StoredConfig {
  config: Config;
  secret_config: string | null;
  secret_keys: string[];
}

/** Key names inside a secret JSON blob (a service-account key) whose values are secret too. */
const NESTED_SECRET_KEYS = new Set(['private_key', 'private_key_id', 'client_secret', 'refresh_token']);

/**
 * Everything about one type's configs that involves secrets: validation, the PUT merge with
 * masked values, sealing for storage, masking for responses. Sources and loaders share it.
 */
export class ConfigCodec {
  readonly secrets: string[];
  private readonly validator: ValidateFunction;

  constructor(
    readonly type: ConfigType,
    private readonly field = 'config',
  ) {
    this.secrets = secretPaths(type.configSchema);
    this.validator = compile(type.configSchema);
  }

  /** A new config must carry real secrets, not the mask a response showed. */
  rejectMasked(config: Config, hint = 'send the real value'): void {
    const masked = maskedPaths(config, this.secrets);
    if (masked.length) {
      throw new ValidationError(masked.map((p) => ({ field: `${this.field}.${p}`, message: `is the mask "${MASK}" shown in responses; ${hint}` })));
    }
  }

  /** Schema and semantic checks; fills the schema's defaults into `config`. */
  validate(config: Config): void {
    if (!this.validator(config)) throw new ValidationError(toFieldErrors(this.validator.errors, this.field));
    const semantic = this.type.validateConfig?.(config) ?? [];
    if (semantic.length) throw new ValidationError(semantic);
  }

  /**
   * PUT semantics: fields sent replace the stored ones, fields left out keep their value,
   * `null` removes a field, and a secret sent back as the mask keeps the stored secret. So a
   * client can GET, edit and PUT back without ever seeing a secret.
   */
  merge(stored: Config, incoming: Config): Config {
    const merged: Config = { ...stored };
    for (const [key, value] of Object.entries(incoming)) {
      if (value === null) delete merged[key];
      else merged[key] = structuredClone(value);
    }
    const missing = restoreMasked(merged, stored, this.secrets);
    if (missing.length) {
      throw new ValidationError(missing.map((p) => ({ field: `${this.field}.${p}`, message: `is the mask "${MASK}" but no value is stored; send the real value` })));
    }
    return merged;
  }

  /** Splits and seals a full config for storage; `aad` binds the ciphertext to its row. */
  seal(box: SecretBox, aad: string, config: Config): StoredConfig {
    const { plain, secrets } = splitSecrets(config, this.secrets);
    const keys = Object.keys(secrets);
    return { config: plain, secret_config: keys.length ? box.seal(JSON.stringify(secrets), aad) : null, secret_keys: keys };
  }

  /** The full config with its secrets: for drivers and connectors only, never for a response. */
  open(box: SecretBox, aad: string, stored: StoredConfig): Config {
    const secrets = stored.secret_config ? (JSON.parse(box.open(stored.secret_config, aad)) as Record<string, unknown>) : {};
    return joinSecrets(stored.config, secrets);
  }

  /** What responses show: the public part, each stored secret as the mask. */
  static mask(stored: Pick<StoredConfig, 'config' | 'secret_keys'>): Config {
    return maskConfig(stored.config, stored.secret_keys);
  }

  /** The secret values in a config, so no message can echo one. */
  secretValues(config: Config): string[] {
    const { secrets } = splitSecrets(config, this.secrets);
    return Object.values(secrets).flatMap((v) => {
      if (typeof v !== 'string') return [];
      try {
        const inner = JSON.parse(v) as unknown;
        if (inner && typeof inner === 'object') {
          return [v, ...Object.entries(inner).flatMap(([k, x]) => (NESTED_SECRET_KEYS.has(k) && typeof x === 'string' ? [x] : []))];
        }
      } catch {
        // not JSON: the value itself is the secret
      }
      return [v];
    });
  }
}
