/**
 * Which parts of a config are secret is read from its JSON Schema: a property marked
 * `writeOnly: true` (the JSON Schema annotation for "accepted, never returned") is a secret.
 * Paths are dotted (`auth.token`), so nested connector configs work the same way.
 */
export const MASK = '********';

type JsonObject = Record<string, unknown>;
type Schema = {
  properties?: Record<string, Schema>;
  writeOnly?: boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

export function secretPaths(schema: unknown, prefix = ''): string[] {
  const out = new Set<string>();
  const s = schema as Schema;
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const p = prefix ? `${prefix}.${key}` : key;
    if (prop.writeOnly) out.add(p);
    for (const nested of secretPaths(prop, p)) out.add(nested);
  }
  for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) {
    for (const nested of secretPaths(branch, prefix)) out.add(nested);
  }
  return [...out];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function getPath(obj: JsonObject, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function setPath(obj: JsonObject, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(cur[part])) return; // parent absent: nothing to place the value in
    cur = cur[part] as JsonObject;
  }
  cur[parts[parts.length - 1]!] = value;
}

function deletePath(obj: JsonObject, path: string): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(cur[part])) return;
    cur = cur[part] as JsonObject;
  }
  delete cur[parts[parts.length - 1]!];
}

/** Splits a config into its public part (safe to store as JSON) and its secrets by path. */
export function splitSecrets(config: JsonObject, paths: readonly string[]): { plain: JsonObject; secrets: Record<string, unknown> } {
  const plain = structuredClone(config);
  const secrets: Record<string, unknown> = {};
  for (const p of paths) {
    const value = getPath(plain, p);
    if (value === undefined || value === null) continue;
    secrets[p] = value;
    deletePath(plain, p);
  }
  return { plain, secrets };
}

export function joinSecrets(plain: JsonObject, secrets: Record<string, unknown>): JsonObject {
  const full = structuredClone(plain);
  for (const [p, value] of Object.entries(secrets)) setPath(full, p, value);
  return full;
}

/** The public part with every stored secret shown as the mask. */
export function maskConfig(plain: JsonObject, storedSecretPaths: readonly string[]): JsonObject {
  const out = structuredClone(plain);
  for (const p of storedSecretPaths) setPath(out, p, MASK);
  return out;
}

/** Paths where `config` carries the mask instead of a value. */
export function maskedPaths(config: JsonObject, paths: readonly string[]): string[] {
  return paths.filter((p) => getPath(config, p) === MASK);
}

/**
 * Puts the stored secret back wherever `config` carries the mask. Returns the masked paths
 * that have no stored value (the client sent the mask for a secret that was never set).
 */
export function restoreMasked(config: JsonObject, stored: JsonObject, paths: readonly string[]): string[] {
  const missing: string[] = [];
  for (const p of maskedPaths(config, paths)) {
    const value = getPath(stored, p);
    if (value === undefined) missing.push(p);
    else setPath(config, p, structuredClone(value));
  }
  return missing;
}
