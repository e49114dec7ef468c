import { type FormEvent, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, ws } from '../lib/api';
import { useResource } from '../lib/hooks';
import type { Source, SourceType } from '../lib/types';
import ConfigForm, { MASK } from '../components/ConfigForm';
import { Loading, Page, ProblemAlert, TextField, errorsFor, fieldUnder, useFocusOnError } from '../components/ui';
import { TestOutcome, TestSteps, useConnectionTest } from '../components/TestSteps';

type Obj = Record<string, unknown>;

/** Create (`sources/new`) or edit (`sources/:id/edit`) a source. */
export default function SourceFormPage() {
  const { ws: workspaceId, sourceId } = useParams() as { ws: string; sourceId?: string };
  const editing = sourceId !== undefined;
  const navigate = useNavigate();
  const base = `${ws(workspaceId)}/sources`;
  const types = useResource(`source-types ${workspaceId}`, (signal) => api.get<SourceType[]>(`${ws(workspaceId)}/source-types`, signal));
  const existing = useResource(editing ? `source ${sourceId}` : null, (signal) => api.get<Source>(`${base}/${sourceId}`, signal));
  const [edits, setEdits] = useState<{ type?: string; name?: string; config?: Obj }>({});
  const [error, setError] = useState<ApiError>();
  const [saving, setSaving] = useState(false);
  const { test, start, clear } = useConnectionTest();

  const sourceType = edits.type ?? existing.data?.source_type;
  const typeDef = types.data?.find((t) => t.source_type === sourceType);
  const name = edits.name ?? existing.data?.name ?? '';
  const config = edits.config ?? (existing.data?.config as Obj | undefined) ?? {};
  const storedSecrets = useMemo(() => {
    const stored = (existing.data?.config as Obj | undefined) ?? {};
    const at = (path: string) => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Obj)[k] : undefined), stored);
    return new Set((typeDef?.secret_fields ?? []).filter((p) => at(p) === MASK));
  }, [existing.data, typeDef]);
  // A 422 from the unsaved-config test names fields too: they show in the same places.
  const shownError = error ?? (test?.error?.problem.errors ? test.error : undefined);
  const configErrors = (shownError?.problem.errors ?? []).filter((e) => fieldUnder(e.field, 'config'));
  useFocusOnError(shownError, 'source-form-error');

  if ((editing && existing.error) || types.error) return <ProblemAlert error={existing.error ?? types.error} />;
  if (!types.data || (editing && !existing.data)) return <Loading what="the form" />;
  const creatable = types.data.filter((t) => t.creatable_via_api);

  function refused(err: unknown) {
    const e = err instanceof ApiError ? err : new ApiError({ title: 'Unexpected error', status: 0, detail: String(err) });
    setError(e);
  }

  /** The config to send: on edit, fields cleared in the form are removed (null), secrets left alone are kept (the mask). */
  function configToSend(): Obj {
    if (!editing) return config;
    const out: Obj = { ...config };
    for (const k of Object.keys(existing.data!.config)) if (out[k] === undefined) out[k] = null;
    return out;
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaving(true);
    setError(undefined);
    clear();
    try {
      const saved = editing
        ? await api.put<Source>(`${base}/${sourceId}`, { name, config: configToSend() })
        : await api.post<Source>(base, { name, source_type: sourceType ?? '', config });
      navigate(`/w/${workspaceId}/sources/${saved.id}`, { state: { saved: true } });
    } catch (err) {
      setSaving(false);
      refused(err);
    }
  }

  function testUnsaved() {
    setError(undefined);
    void start(`${base}/test`, { source_type: sourceType ?? '', config });
  }

  return (
    <Page title={editing ? `Edit ${existing.data!.name}` : 'Add a source'}>
      <p className="breadcrumb">
        <Link to={`/w/${workspaceId}/sources`}>Sources</Link> / {editing ? existing.data!.name : 'New'}
      </p>
      <form onSubmit={save} noValidate className="form" aria-label={editing ? 'Edit source' : 'New source'}>
        {!editing && (
          <fieldset className="choices">
            <legend>Warehouse type</legend>
            {creatable.map((t) => (
              <div className="choice" key={t.source_type}>
                <input
                  type="radio"
                  id={`type-${t.source_type}`}
                  name="source_type"
                  value={t.source_type}
                  checked={sourceType === t.source_type}
                  onChange={() => {
                    setEdits((s) => ({ ...s, type: t.source_type, config: {} }));
                    setError(undefined);
                    clear();
                  }}
                  aria-describedby={`type-${t.source_type}-desc`}
                />
                <label htmlFor={`type-${t.source_type}`}>{t.label}</label>
                <p className="hint" id={`type-${t.source_type}-desc`}>
                  {t.description}
                </p>
              </div>
            ))}
            {errorsFor(shownError, 'source_type').map((m) => (
              <p className="error-text" key={m}>
                Type {m}
              </p>
            ))}
          </fieldset>
        )}
        {typeDef && (
          <>
            <TextField id="source-name" label="Name" required value={name} onChange={(v) => setEdits((s) => ({ ...s, name: v }))} errors={errorsFor(shownError, 'name')} hint="How the source shows in lists, e.g. “Production Snowflake”." />
            <fieldset className="config">
              <legend>{typeDef.label} settings</legend>
              <ConfigForm
                schema={typeDef.config_schema}
                secretFields={typeDef.secret_fields}
                storedSecrets={storedSecrets}
                formData={config}
                onChange={(c) => setEdits((s) => ({ ...s, config: c }))}
                errors={configErrors}
              />
            </fieldset>
          </>
        )}
        <ProblemAlert error={shownError} shown={['name', 'config', 'source_type']} id="source-form-error" />
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={saving || !typeDef}>
            {saving ? 'Saving…' : editing ? 'Save changes' : 'Save source'}
          </button>
          {!editing && (
            <button type="button" className="button" disabled={!typeDef || test?.running} onClick={testUnsaved}>
              Test connection
            </button>
          )}
          <Link to={editing ? `/w/${workspaceId}/sources/${sourceId}` : `/w/${workspaceId}/sources`}>Cancel</Link>
        </div>
        {editing && <p className="hint">Changing the settings sets the status back to pending: test the source again from its page after saving.</p>}
      </form>
      {test && !test.error?.problem.errors && (
        <section aria-labelledby="form-test-heading" className="card">
          <h2 id="form-test-heading">Connection test (not saved)</h2>
          <TestSteps steps={test.steps} running={test.running} />
          <TestOutcome test={test} />
        </section>
      )}
    </Page>
  );
}
