import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { didYouMean } from './did-you-mean.js';
import type { FieldError } from './errors.js';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * The one JSON Schema validator of the project (route bodies, query strings and connector
 * configs alike). Bodies are validated as sent: no coercion and no silent removal of unknown
 * fields, so a typo is reported instead of ignored. Query strings arrive as text and are
 * coerced to the declared types.
 */
export function createAjv(opts: { coerce: boolean }): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    coerceTypes: opts.coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  // Annotations used by our schemas and by OpenAPI; they carry no validation meaning.
  ajv.addKeyword({ keyword: 'x-label' });
  ajv.addKeyword({ keyword: 'x-order' });
  return ajv;
}

const bodyAjv = createAjv({ coerce: false });

export function compile<T = unknown>(schema: object): ValidateFunction<T> {
  return bodyAjv.compile<T>(schema);
}

function joinField(prefix: string, instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  const rest = parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
  if (!prefix) return rest || '(body)';
  return rest ? (rest.startsWith('[') ? `${prefix}${rest}` : `${prefix}.${rest}`) : prefix;
}

/**
 * Schemas phrase the `description` of a patterned field as what it must be ("a dataset
 * name (letters, digits and underscores)"), so it doubles as the error message.
 */
function describedAs(schema: unknown): string | undefined {
  const d = (schema as { description?: unknown } | undefined)?.description;
  return typeof d === 'string' && /^(a|an|the) /.test(d) ? d : undefined;
}

function typeName(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => (x === 'integer' ? 'an integer' : x === 'object' || x === 'array' ? `an ${x}` : `a ${x}`)).join(' or ');
}

function messageFor(e: ErrorObject, prefix: string): FieldError {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { field: joinField(prefix, e.instancePath, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = didYouMean(name, known);
      return {
        field: joinField(prefix, e.instancePath, name),
        message: hint ? `is not a known field; did you mean "${hint}"?` : `is not a known field${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      };
    }
    case 'type':
      return { field: joinField(prefix, e.instancePath), message: `must be ${typeName(params.type)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const hint = typeof e.data === 'string' ? didYouMean(e.data, allowed) : undefined;
      return {
        field: joinField(prefix, e.instancePath),
        message: `must be one of: ${allowed.join(', ')}${hint ? `; did you mean "${hint}"?` : ''}`,
      };
    }
    case 'const':
      return { field: joinField(prefix, e.instancePath), message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'format':
    case 'pattern': {
      const expected = describedAs(e.parentSchema);
      const fallback = e.keyword === 'format' ? `must be a valid ${String(params.format)}` : `must match ${String(params.pattern)}`;
      return { field: joinField(prefix, e.instancePath), message: expected ? `must be ${expected}` : fallback };
    }
    case 'minLength':
      return {
        field: joinField(prefix, e.instancePath),
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`,
      };
    case 'maxLength':
      return { field: joinField(prefix, e.instancePath), message: `must be at most ${String(params.limit)} characters` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { field: joinField(prefix, e.instancePath), message: `must be ${String(params.comparison)} ${String(params.limit)}` };
    case 'minItems':
      return { field: joinField(prefix, e.instancePath), message: `must have at least ${String(params.limit)} item(s)` };
    case 'maxItems':
      return { field: joinField(prefix, e.instancePath), message: `must have at most ${String(params.limit)} item(s)` };
    case 'uniqueItems':
      return { field: joinField(prefix, e.instancePath), message: 'must not contain duplicates' };
    default:
      return { field: joinField(prefix, e.instancePath), message: e.message ?? 'is invalid' };
  }
}

/**
 * Ajv's errors as one readable entry per field. An `anyOf` whose branches only differ by
 * which field is required ("password or private_key") becomes one "one of ... is required".
 */
export function toFieldErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  if (!errors) return [];
  const anyOfRequired = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const branches = (e.schema as { required?: string[] }[] | undefined) ?? [];
    if (branches.length > 0 && branches.every((b) => Array.isArray(b.required) && Object.keys(b).length === 1)) {
      anyOfRequired.set(e.schemaPath, branches.flatMap((b) => b.required ?? []));
    }
  }
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const owner = [...anyOfRequired.keys()].find((p) => e.schemaPath.startsWith(`${p}/`));
    if (owner) continue;
    let fe: FieldError;
    if (anyOfRequired.has(e.schemaPath)) {
      const names = anyOfRequired.get(e.schemaPath)!;
      fe = { field: joinField(prefix, e.instancePath, names[0]), message: `is required (or one of: ${names.join(', ')})` };
    } else if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') {
      continue; // the branch errors already say what is wrong
    } else {
      fe = messageFor(e, prefix);
    }
    const key = `${fe.field}\u0000${fe.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(fe);
    }
  }
  return out;
}
