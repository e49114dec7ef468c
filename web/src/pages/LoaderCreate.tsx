import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, ws } from '../lib/api';
import { scheduleInWords } from '../lib/format';
import { useResource } from '../lib/hooks';
import type { Loader, LoaderType, Source, Stream, SyncMode } from '../lib/types';
import ConfigForm from '../components/ConfigForm';
import { Loading, Page, ProblemAlert, TextField, errorsFor, fieldUnder, useFocusOnError } from '../components/ui';

type Obj = Record<string, unknown>;
const STEPS = ['Type', 'Connection', 'Streams', 'Destination and schedule'] as const;

const SCHEDULES = [
  { id: 'manual', label: 'Manual only', cron: null },
  { id: 'hourly', label: 'Every hour', cron: '0 * * * *' },
  { id: '6h', label: 'Every 6 hours', cron: '0 */6 * * *' },
  { id: 'daily', label: 'Every day at 00:00 UTC', cron: '0 0 * * *' },
  { id: 'custom', label: 'Custom (cron expression)', cron: '' },
] as const;
type ScheduleId = (typeof SCHEDULES)[number]['id'];

interface Choice {
  selected: boolean;
  sync_mode: SyncMode;
  cursor_field: string;
}

/** A schema name from the origin's database name: what target_schema accepts. */
function identifierFrom(s: unknown): string {
  const id = String(s ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 63);
  return /^[a-z_]/.test(id) ? id : id ? `_${id}` : '';
}

const canIncremental = (s: Stream) => s.supported_sync_modes.includes('incremental') && s.primary_key.length > 0 && (s.cursor_field !== null || s.cursor_candidates.length > 0);

/** type → config → check and discover → streams and sync modes → target schema and schedule. */
export default function LoaderCreatePage() {
  const { ws: workspaceId } = useParams() as { ws: string };
  const navigate = useNavigate();
  const base = ws(workspaceId);
  const types = useResource(`loader-types ${workspaceId}`, (signal) => api.get<LoaderType[]>(`${base}/loader-types`, signal));
  const sources = useResource(`sources ${workspaceId}`, (signal) => api.all<Source>(`${base}/sources`, signal));

  const [step, setStep] = useState(0);
  const [loaderType, setLoaderType] = useState<string>();
  const [config, setConfig] = useState<Obj>({});
  const [discovered, setDiscovered] = useState<{ check: string; streams: Stream[] }>();
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [name, setName] = useState('');
  const [sourceId, setSourceId] = useState('');
  const [targetSchema, setTargetSchema] = useState('');
  const [schedule, setSchedule] = useState<ScheduleId>('6h');
  const [customCron, setCustomCron] = useState('');
  const [active, setActive] = useState(true);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [streamsError, setStreamsError] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const ids = useId();
  useFocusOnError(error, 'loader-form-error');

  // Each step's heading takes the focus, so keyboard and screen-reader users start at its top.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  if (types.error) return <ProblemAlert error={types.error} />;
  if (!types.data || !sources.data) return <Loading what="the form" />;
  const typeDef = types.data.find((t) => t.loader_type === loaderType);
  const creatable = types.data.filter((t) => t.creatable_via_api);
  const warehouses = sources.data;

  function go(to: number) {
    setError(undefined);
    setStep(to);
  }

  async function discover(e: FormEvent) {
    e.preventDefault();
    if (!typeDef) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.post<{ check: string; streams: Stream[] }>(`${base}/loaders/discover`, { loader_type: typeDef.loader_type, config });
      setDiscovered(result);
      setChoices((prev) =>
        Object.fromEntries(
          result.streams.map((s) => [s.name, prev[s.name] ?? { selected: result.streams.length === 1, sync_mode: 'full_refresh' as SyncMode, cursor_field: s.cursor_field ?? '' }]),
        ),
      );
      if (!targetSchema) setTargetSchema(identifierFrom(config.database));
      if (!name) setName(`${typeDef.label} ${String(config.database ?? '')}`.trim());
      if (!sourceId && warehouses[0]) setSourceId(warehouses[0].id);
      setStep(2);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }

  function streamsNext(e: FormEvent) {
    e.preventDefault();
    const chosen = discovered?.streams.filter((s) => choices[s.name]?.selected) ?? [];
    if (chosen.length === 0) {
      setStreamsError('Pick at least one stream.');
      return;
    }
    const noCursor = chosen.find((s) => choices[s.name]!.sync_mode === 'incremental' && !choices[s.name]!.cursor_field);
    if (noCursor) {
      setStreamsError(`Pick a cursor column for ${noCursor.name}, or sync it as a full refresh.`);
      return;
    }
    setStreamsError('');
    go(3);
  }

  async function create(e: FormEvent) {
    e.preventDefault();
    if (!typeDef || !discovered) return;
    setBusy(true);
    setError(undefined);
    const selected = discovered.streams
      .filter((s) => choices[s.name]?.selected)
      .map((s) => {
        const c = choices[s.name]!;
        const custom = c.sync_mode === 'incremental' && c.cursor_field && c.cursor_field !== s.cursor_field;
        return { name: s.name, sync_mode: c.sync_mode, ...(custom ? { cursor_field: c.cursor_field } : {}) };
      });
    const cron = schedule === 'custom' ? customCron.trim() : SCHEDULES.find((s) => s.id === schedule)!.cron;
    try {
      const loader = await api.post<Loader>(`${base}/loaders`, {
        name,
        loader_type: typeDef.loader_type,
        source_id: sourceId,
        config,
        target_schema: targetSchema,
        selected_streams: selected,
        // The default for streams without a mode of their own; each stream here has one.
        sync_mode: selected.every((s) => s.sync_mode === 'incremental') ? 'incremental' : 'full_refresh',
        schedule: cron,
        status: active ? 'active' : 'paused',
      });
      navigate(`/w/${workspaceId}/loaders/${loader.id}`, { replace: true });
    } catch (err) {
      setBusy(false);
      setError(err as ApiError);
    }
  }

  const configErrors = (error?.problem.errors ?? []).filter((e) => fieldUnder(e.field, 'config'));
  const cronWords = schedule === 'custom' && customCron.trim() ? scheduleInWords(customCron) : '';

  return (
    <Page title="Create a loader">
      <p className="breadcrumb">
        <Link to={`/w/${workspaceId}/loaders`}>Loaders</Link> / New
      </p>
      <ol className="wizard-steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? 'step' : undefined} className={i < step ? 'done' : i === step ? 'current' : ''}>
            <span className="visually-hidden">{i < step ? 'Done: ' : i === step ? 'Current: ' : ''}</span>
            {i + 1}. {s}
          </li>
        ))}
      </ol>

      {step === 0 && (
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (loaderType) go(1);
          }}
          aria-labelledby={`${ids}-h0`}
        >
          <h2 id={`${ids}-h0`} ref={heading} tabIndex={-1}>
            What should it load from?
          </h2>
          <fieldset className="choices">
            <legend>Loader type</legend>
            {creatable.map((t) => (
              <div className="choice" key={t.loader_type}>
                <input
                  type="radio"
                  id={`ltype-${t.loader_type}`}
                  name="loader_type"
                  checked={loaderType === t.loader_type}
                  onChange={() => {
                    if (loaderType !== t.loader_type) {
                      setConfig({});
                      setDiscovered(undefined);
                      setChoices({});
                    }
                    setLoaderType(t.loader_type);
                  }}
                  aria-describedby={`ltype-${t.loader_type}-desc`}
                />
                <label htmlFor={`ltype-${t.loader_type}`}>{t.label}</label>
                <p className="hint" id={`ltype-${t.loader_type}-desc`}>
                  {t.description}
                </p>
              </div>
            ))}
          </fieldset>
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={!loaderType}>
              Next
            </button>
            <Link to={`/w/${workspaceId}/loaders`}>Cancel</Link>
          </div>
        </form>
      )}

      {step === 1 && typeDef && (
        <form className="form" noValidate onSubmit={discover} aria-labelledby={`${ids}-h1`}>
          <h2 id={`${ids}-h1`} ref={heading} tabIndex={-1}>
            Connect to {typeDef.label}
          </h2>
          <p className="hint">Quarry connects with these settings, checks it can read, and lists the tables and views it finds. Nothing is saved yet.</p>
          <fieldset className="config">
            <legend>{typeDef.label} settings</legend>
            <ConfigForm schema={typeDef.config_schema} secretFields={typeDef.secret_fields} formData={config} onChange={setConfig} errors={configErrors} idPrefix="config" disabled={busy} />
          </fieldset>
          <ProblemAlert error={error} shown={['config']} id="loader-form-error" />
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Checking…' : 'Check and discover streams'}
            </button>
            <button type="button" className="button" onClick={() => go(0)}>
              Back
            </button>
          </div>
        </form>
      )}

      {step === 2 && discovered && (
        <form className="form" noValidate onSubmit={streamsNext} aria-labelledby={`${ids}-h2`}>
          <h2 id={`${ids}-h2`} ref={heading} tabIndex={-1}>
            Pick streams
          </h2>
          <p className="alert alert-ok" role="status">
            ✓ {discovered.check}
          </p>
          {discovered.streams.length === 0 ? (
            <p className="empty-inline">The connection works but reaches no table or view. Check the database and schemas in the settings, or the user's grants.</p>
          ) : (
            <table className="table streams-table">
              <caption>
                {discovered.streams.length} stream{discovered.streams.length === 1 ? '' : 's'} found. A full refresh copies the whole table each run; incremental
                reads only rows whose cursor column grew, and merges them on the primary key.
              </caption>
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select all streams"
                      checked={discovered.streams.every((s) => choices[s.name]?.selected)}
                      onChange={(e) => setChoices((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, { ...v, selected: e.target.checked }])))}
                    />
                  </th>
                  <th scope="col">Stream</th>
                  <th scope="col">Sync mode</th>
                  <th scope="col">Cursor</th>
                  <th scope="col">Primary key</th>
                  <th scope="col">Columns</th>
                </tr>
              </thead>
              <tbody>
                {discovered.streams.map((s) => {
                  const c = choices[s.name]!;
                  const set = (patch: Partial<Choice>) => setChoices((all) => ({ ...all, [s.name]: { ...all[s.name]!, ...patch } }));
                  const incremental = canIncremental(s);
                  return (
                    <tr key={s.name}>
                      <td>
                        <input type="checkbox" id={`stream-${s.name}`} checked={c.selected} onChange={(e) => set({ selected: e.target.checked })} aria-label={`Load ${s.name}`} />
                      </td>
                      <th scope="row">
                        <label htmlFor={`stream-${s.name}`}>
                          <code>{s.name}</code>
                        </label>
                      </th>
                      <td>
                        <select aria-label={`Sync mode for ${s.name}`} value={c.sync_mode} onChange={(e) => set({ sync_mode: e.target.value as SyncMode, selected: true })}>
                          <option value="full_refresh">Full refresh</option>
                          <option value="incremental" disabled={!incremental}>
                            Incremental{incremental ? '' : ' (needs a primary key and a cursor)'}
                          </option>
                        </select>
                      </td>
                      <td>
                        {c.sync_mode === 'incremental' ? (
                          <select aria-label={`Cursor for ${s.name}`} value={c.cursor_field} onChange={(e) => set({ cursor_field: e.target.value })}>
                            {!s.cursor_field && <option value="">Pick a column</option>}
                            {[...new Set([...(s.cursor_field ? [s.cursor_field] : []), ...s.cursor_candidates])].map((col) => (
                              <option key={col} value={col}>
                                {col}
                                {col === s.cursor_field ? ' (proposed)' : ''}
                              </option>
                            ))}
                          </select>
                        ) : (
                          <span className="hint">{s.cursor_field ?? '–'}</span>
                        )}
                      </td>
                      <td>{s.primary_key.length ? s.primary_key.join(', ') : <span className="hint">none</span>}</td>
                      <td>
                        <details>
                          <summary>{s.columns.length} columns</summary>
                          <ul className="columns">
                            {s.columns.map((col) => (
                              <li key={col.name}>
                                <code>{col.name}</code> <span className="hint">{col.source_type ?? col.type}</span>
                              </li>
                            ))}
                          </ul>
                        </details>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {streamsError && (
            <p className="alert alert-error" role="alert">
              {streamsError}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={discovered.streams.length === 0}>
              Next
            </button>
            <button type="button" className="button" onClick={() => go(1)}>
              Back
            </button>
          </div>
        </form>
      )}

      {step === 3 && discovered && (
        <form className="form" noValidate onSubmit={create} aria-labelledby={`${ids}-h3`}>
          <h2 id={`${ids}-h3`} ref={heading} tabIndex={-1}>
            Where and when
          </h2>
          <TextField id="loader-name" label="Name" required value={name} onChange={setName} errors={errorsFor(error, 'name')} />
          {warehouses.length === 0 ? (
            <p className="alert alert-error">
              There is no warehouse to load into. <Link to={`/w/${workspaceId}/sources/new`}>Add a source</Link> first (your choices here are lost).
            </p>
          ) : (
            <div className={`field${errorsFor(error, 'source_id').length ? ' field-invalid' : ''}`}>
              <label htmlFor="loader-source">Warehouse</label>
              <p className="hint" id="loader-source-hint">
                The source the tables are loaded into.
              </p>
              <select
                id="loader-source"
                value={sourceId}
                onChange={(e) => setSourceId(e.target.value)}
                aria-describedby={errorsFor(error, 'source_id').length ? 'loader-source-hint loader-source-error' : 'loader-source-hint'}
                aria-invalid={errorsFor(error, 'source_id').length > 0 || undefined}
              >
                {warehouses.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name} ({s.source_type}){s.status === 'error' ? ' — last test failed' : ''}
                  </option>
                ))}
              </select>
              {errorsFor(error, 'source_id').length > 0 && (
                <ul className="field-errors" id="loader-source-error">
                  {errorsFor(error, 'source_id').map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <TextField
            id="loader-target-schema"
            label="Target schema"
            required
            value={targetSchema}
            onChange={setTargetSchema}
            errors={errorsFor(error, 'target_schema')}
            hint="The schema in the warehouse that gets one table per stream (created if missing): letters, digits and _."
            spellCheck={false}
          />
          <fieldset className="choices compact">
            <legend>Schedule</legend>
            {SCHEDULES.map((s) => (
              <div className="choice" key={s.id}>
                <input type="radio" id={`schedule-${s.id}`} name="schedule" checked={schedule === s.id} onChange={() => setSchedule(s.id)} />
                <label htmlFor={`schedule-${s.id}`}>{s.label}</label>
              </div>
            ))}
          </fieldset>
          {schedule === 'custom' && (
            <TextField
              id="loader-cron"
              label="Cron expression (UTC)"
              value={customCron}
              onChange={setCustomCron}
              errors={errorsFor(error, 'schedule')}
              hint={cronWords ? `Runs ${cronWords}.` : 'Five fields: minute hour day-of-month month day-of-week, e.g. 30 2 * * 1-5.'}
              spellCheck={false}
            />
          )}
          {schedule !== 'custom' && errorsFor(error, 'schedule').length > 0 && <p className="error-text">Schedule {errorsFor(error, 'schedule').join('; ')}</p>}
          <div className="field checkbox">
            <input type="checkbox" id="loader-active" checked={active} onChange={(e) => setActive(e.target.checked)} aria-describedby="loader-active-hint" />
            <label htmlFor="loader-active">Active</label>
            <p className="hint" id="loader-active-hint">
              An active loader runs on its schedule; a paused one only when you start it.
            </p>
          </div>
          <ProblemAlert error={error} shown={['name', 'source_id', 'target_schema', 'schedule']} id="loader-form-error" />
          {error && (error.problem.errors ?? []).some((e) => fieldUnder(e.field, 'config') || fieldUnder(e.field, 'selected_streams')) && (
            <p className="hint">Some of these are about earlier steps: use Back to change them.</p>
          )}
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={busy || warehouses.length === 0}>
              {busy ? 'Creating…' : 'Create loader'}
            </button>
            <button type="button" className="button" onClick={() => go(2)}>
              Back
            </button>
          </div>
        </form>
      )}
    </Page>
  );
}
