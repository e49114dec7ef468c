import { type ChangeEvent, useMemo, useRef, useState } from 'react';
import Form, { getDefaultRegistry } from '@rjsf/core';
import { type BaseInputTemplateProps, type ErrorSchema, type FieldProps, type IconButtonProps, type RJSFSchema, type UiSchema, type WidgetProps, ariaDescribedByIds, descriptionId } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import type { FieldError } from '../lib/api';
import { humanize } from '../lib/format';
import type { JsonSchema } from '../lib/types';

/** What the API sends back in place of a stored secret (docs/api.md, "Secrets in configs"). */
export const MASK = '********';

const CoreInput = getDefaultRegistry().templates.BaseInputTemplate;

/** The core input, marked invalid while it has errors, so the focus can go to the first one. */
function BaseInputTemplate(props: BaseInputTemplateProps) {
  return <CoreInput {...props} aria-invalid={props.rawErrors && props.rawErrors.length > 0 ? true : undefined} />;
}

/**
 * A secret field: a password input. On edit, the stored secret comes back masked; the input
 * then shows empty with an "unchanged" placeholder, and leaving it empty sends the mask back,
 * which keeps the stored secret. Multi-line secrets (PEM keys, JSON key files) can be loaded
 * from a file, since a password input drops line breaks.
 */
function SecretWidget(props: WidgetProps) {
  const { id, value, onChange, onBlur, onFocus, options, disabled, readonly, rawErrors, label, htmlName, autofocus } = props;
  const stored = options.stored === true;
  const file = useRef<HTMLInputElement>(null);
  const shown = value === MASK ? '' : ((value as string | undefined) ?? '');
  const set = (v: string) => onChange(v === '' ? (stored ? MASK : undefined) : v);
  return (
    <>
      <input
        id={id}
        name={htmlName || id}
        type="password"
        className="form-control"
        value={shown}
        placeholder={stored ? 'unchanged' : undefined}
        autoComplete="new-password"
        disabled={disabled}
        readOnly={readonly}
        autoFocus={autofocus}
        aria-invalid={rawErrors && rawErrors.length > 0 ? true : undefined}
        aria-describedby={ariaDescribedByIds(id)}
        onChange={(e: ChangeEvent<HTMLInputElement>) => set(e.target.value)}
        onBlur={(e) => onBlur(id, e.target.value)}
        onFocus={(e) => onFocus(id, e.target.value)}
      />
      {options.multiline === true && (
        <>
          <label className="file-load">
            <span className="button small">Load {label.toLowerCase()} from a file</span>
            <input
              ref={file}
              type="file"
              className="visually-hidden"
              disabled={disabled || readonly}
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (f) set(await f.text());
                if (file.current) file.current.value = '';
              }}
            />
          </label>
          {shown.includes('\n') && <span className="hint"> loaded ({shown.length} characters)</span>}
        </>
      )}
    </>
  );
}

/**
 * A field whose schema allows any JSON value (no type): typed as JSON text, sent parsed. Text
 * that does not parse is sent as it is, for the API to name the field.
 */
function JsonField({ fieldPathId, formData, onChange, disabled, readonly, rawErrors, schema, name, required }: FieldProps) {
  const [text, setText] = useState(() => (formData === undefined ? '' : JSON.stringify(formData, null, 2)));
  const id = fieldPathId.$id;
  // A custom field gets no label from the field template: it brings its own.
  return (
    <>
      <label htmlFor={id} className="control-label">
        {schema.title ?? name}
        {required && <span className="required">*</span>}
      </label>
      {schema.description && (
        <p id={descriptionId(id)} className="field-description">
          {schema.description} (JSON)
        </p>
      )}
      <textarea
      id={id}
      className="form-control"
      rows={4}
      value={text}
      disabled={disabled}
      readOnly={readonly}
      spellCheck={false}
      placeholder="JSON"
      aria-invalid={rawErrors && rawErrors.length > 0 ? true : undefined}
      aria-describedby={ariaDescribedByIds(id)}
      onChange={(e) => {
        const value = e.target.value;
        setText(value);
        let parsed: unknown = value;
        try {
          parsed = value.trim() === '' ? undefined : JSON.parse(value);
        } catch {
          // left as text
        }
        onChange(parsed, fieldPathId.path);
      }}
      />
    </>
  );
}

function TextButton({ children, ...props }: IconButtonProps & { children: string }) {
  const { iconType: _i, icon: _icon, uiSchema: _u, registry: _r, className, ...rest } = props;
  return (
    <button type="button" className={`button small ${className ?? ''}`} {...rest}>
      {children}
    </button>
  );
}

const buttons = {
  AddButton: (p: IconButtonProps) => <TextButton {...p}>Add</TextButton>,
  RemoveButton: (p: IconButtonProps) => <TextButton {...p} aria-label={p.title ?? 'Remove'}>Remove</TextButton>,
  MoveUpButton: (p: IconButtonProps) => <TextButton {...p} aria-label="Move up">↑</TextButton>,
  MoveDownButton: (p: IconButtonProps) => <TextButton {...p} aria-label="Move down">↓</TextButton>,
  CopyButton: (p: IconButtonProps) => <TextButton {...p}>Copy</TextButton>,
  ClearButton: (p: IconButtonProps) => <TextButton {...p}>Clear</TextButton>,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Labels from the field names, at every level ("http_path" -> "HTTP path"). */
function titled(schema: Obj): Obj {
  const out: Obj = { ...schema };
  if (isObj(schema.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, p]) => {
        if (!isObj(p)) return [key, p];
        const field: Obj = { title: humanize(key), ...titled(p) };
        // Items of a list are labelled by the singular ("Schema"), not "Schemas-1".
        if (isObj(p.items)) field.items = { ...(p.items.title ? {} : { title: humanize(key).replace(/s$/, '') }), ...titled(p.items) };
        return [key, field];
      }),
    );
  }
  return out;
}

/**
 * The type's schema as the form shows it: labels from the field names, and the
 * "one of these is required" branches (Snowflake's password or private key) turned into a
 * sentence, since a form library renders such branches as a confusing option picker. The API
 * still checks them.
 */
export function formSchema(schema: JsonSchema): RJSFSchema {
  const out = titled(schema);
  const notes: string[] = [];
  for (const k of ['anyOf', 'oneOf'] as const) {
    const branches = schema[k];
    if (Array.isArray(branches) && branches.every((b) => isObj(b) && Object.keys(b).every((key) => key === 'required'))) {
      delete out[k];
      const names = branches.flatMap((b) => ((b as Obj).required as string[]).map((n) => humanize(n)));
      notes.push(`${k === 'anyOf' ? 'At least one' : 'Exactly one'} of ${names.join(' or ')} is required.`);
    }
  }
  if (notes.length) out.description = [schema.description, ...notes].filter(Boolean).join(' ');
  return out as RJSFSchema;
}

const isAnyJson = (p: Obj) => !['type', 'enum', 'const', 'properties', 'items', 'oneOf', 'anyOf', 'allOf', '$ref'].some((k) => k in p);

/** Widgets by field: secrets (dotted paths, as `secret_fields` lists them), PEM text, lists. */
function uiSchemaFor(schema: Obj, secretFields: string[], storedSecrets: Set<string>, path: string[] = []): UiSchema {
  const ui: UiSchema = path.length ? {} : { 'ui:submitButtonOptions': { norender: true } };
  const props = (isObj(schema.properties) ? schema.properties : {}) as Record<string, Obj>;
  for (const [key, p] of Object.entries(props)) {
    const at = [...path, key].join('.');
    const description = typeof p.description === 'string' ? p.description : '';
    if (secretFields.includes(at)) {
      const stored = storedSecrets.has(at);
      ui[key] = {
        'ui:widget': 'SecretWidget',
        'ui:options': { stored, multiline: /PEM|JSON|key file/i.test(description) },
        ...(stored ? { 'ui:help': 'A value is stored: leave this empty to keep it, or type a new one.' } : {}),
      };
    } else if (p.type === 'string' && /PEM/.test(description)) {
      ui[key] = { 'ui:widget': 'textarea', 'ui:options': { rows: 4 } };
    } else if (p.type === 'array') {
      const items = isObj(p.items) && isObj(p.items.properties) ? uiSchemaFor(p.items, secretFields, storedSecrets, [...path, key, '[]']) : {};
      ui[key] = { 'ui:options': { orderable: false, copyable: false }, ...(Object.keys(items).length ? { items } : {}) };
    } else if (isAnyJson(p)) {
      ui[key] = { 'ui:field': 'JsonField' };
    } else if (isObj(p.properties)) {
      const nested = uiSchemaFor(p, secretFields, storedSecrets, [...path, key]);
      if (Object.keys(nested).length) ui[key] = nested;
    }
  }
  return ui;
}

/** API field errors (`config.port`, `config.schemas[1]`, `config`) as the form's error tree. */
export function errorSchemaFrom(errors: FieldError[], prefix = 'config'): ErrorSchema {
  const root: Obj = {};
  for (const e of errors) {
    if (e.field !== prefix && !e.field.startsWith(`${prefix}.`) && !e.field.startsWith(`${prefix}[`)) continue;
    const path = e.field
      .slice(prefix.length)
      .split(/\.|\[(\d+)\]/)
      .filter((s) => s !== undefined && s !== '');
    let node = root;
    for (const seg of path) node = (node[seg] ??= {}) as Obj;
    ((node.__errors ??= []) as string[]).push(e.message);
  }
  return root as ErrorSchema;
}

interface Props {
  schema: JsonSchema;
  secretFields: string[];
  /** Secret fields that have a stored value (edit). */
  storedSecrets?: Set<string>;
  formData: Obj;
  onChange: (data: Obj) => void;
  errors: FieldError[];
  idPrefix?: string;
  disabled?: boolean;
}

/**
 * A config form generated from the type's JSON Schema. The API validates (its messages are
 * shown next to the field they name), so the form does no validation of its own.
 */
export default function ConfigForm({ schema, secretFields, storedSecrets, formData, onChange, errors, idPrefix = 'config', disabled }: Props) {
  const shown = useMemo(() => formSchema(schema), [schema]);
  const stored = useMemo(() => storedSecrets ?? new Set<string>(), [storedSecrets]);
  const ui = useMemo(() => uiSchemaFor(shown, secretFields, stored), [shown, secretFields, stored]);
  const extraErrors = useMemo(() => errorSchemaFrom(errors), [errors]);
  return (
    <Form
      tagName="div"
      className="config-form"
      schema={shown}
      uiSchema={ui}
      formData={formData}
      onChange={(e) => onChange((e.formData ?? {}) as Obj)}
      validator={validator}
      noValidate
      noHtml5Validate
      showErrorList={false}
      extraErrors={extraErrors}
      idPrefix={idPrefix}
      disabled={disabled}
      widgets={{ SecretWidget }}
      fields={{ JsonField }}
      templates={{ BaseInputTemplate, ButtonTemplates: buttons }}
    />
  );
}
