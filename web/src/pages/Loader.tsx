import { lazy, Suspense, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, call, ws } from '../lib/api';
import { scheduleInWords } from '../lib/format';
import { useResource } from '../lib/hooks';
import { ACTIVE_RUN, type Loader, type LoaderType, type Run, type Source } from '../lib/types';
import { Loading, Page, ProblemAlert, StatusBadge, Time } from '../components/ui';
import { RunsTable } from '../components/RunsTable';

const RunsChart = lazy(() => import('../components/RunsChart'));
const PAGE = 50;

export function LoaderPage() {
  const { ws: workspaceId, loaderId } = useParams() as { ws: string; loaderId: string };
  const navigate = useNavigate();
  const base = ws(workspaceId);
  const path = `${base}/loaders/${loaderId}`;
  const loader = useResource(`loader ${loaderId}`, (signal) => api.get<Loader>(path, signal));
  const [pages, setPages] = useState(1);
  const runs = useResource(
    `runs ${loaderId} ${pages}`,
    async (signal) => {
      const page = await call<Run[]>('GET', `${path}/runs?limit=${PAGE * pages}`, undefined, { signal });
      return { items: page.items, more: page.next !== null };
    },
    (r) => (r.items.some((x) => ACTIVE_RUN.includes(x.status)) ? 2000 : null),
  );
  const sources = useResource(`sources ${workspaceId}`, (signal) => api.all<Source>(`${base}/sources`, signal));
  const types = useResource(`loader-types ${workspaceId}`, (signal) => api.get<LoaderType[]>(`${base}/loader-types`, signal));
  const [actionError, setActionError] = useState<ApiError>();
  const [busy, setBusy] = useState<string>();
  const [confirming, setConfirming] = useState(false);

  if (loader.error && !loader.data) {
    return (
      <Page title="Loader">
        <ProblemAlert error={loader.error} />
        <Link to={`/w/${workspaceId}/loaders`}>Back to loaders</Link>
      </Page>
    );
  }
  const l = loader.data;
  if (!l) return <Loading what="the loader" />;
  const source = sources.data?.find((s) => s.id === l.source_id);
  const type = types.data?.find((t) => t.loader_type === l.loader_type);

  async function act(name: string, fn: () => Promise<void>) {
    setBusy(name);
    setActionError(undefined);
    try {
      await fn();
    } catch (err) {
      setActionError(err as ApiError);
    } finally {
      setBusy(undefined);
    }
  }

  const trigger = () =>
    act('trigger', async () => {
      const run = await api.post<Run>(`${path}/trigger`);
      navigate(`runs/${run.id}`);
    });
  const setStatus = (status: 'active' | 'paused') =>
    act(status, async () => {
      await api.put<Loader>(path, { status });
      loader.reload();
    });
  const remove = () =>
    act('delete', async () => {
      await api.del(path);
      navigate(`/w/${workspaceId}/loaders`, { replace: true });
    });

  return (
    <Page
      title={l.name}
      badge={<StatusBadge status={l.status} title={l.status_error} />}
      actions={
        <>
          <button type="button" className="button primary" onClick={() => void trigger()} disabled={busy !== undefined}>
            {busy === 'trigger' ? 'Starting…' : 'Run now'}
          </button>
          {l.status === 'active' ? (
            <button type="button" className="button" onClick={() => void setStatus('paused')} disabled={busy !== undefined}>
              Pause
            </button>
          ) : (
            <button type="button" className="button" onClick={() => void setStatus('active')} disabled={busy !== undefined}>
              {l.status === 'error' ? 'Resume (clears the error)' : 'Resume'}
            </button>
          )}
          <button type="button" className="button danger" onClick={() => setConfirming(true)} aria-expanded={confirming} aria-controls="delete-confirm">
            Delete
          </button>
        </>
      }
    >
      <p className="breadcrumb">
        <Link to={`/w/${workspaceId}/loaders`}>Loaders</Link> / {l.name}
      </p>
      {confirming && (
        <div className="confirm" id="delete-confirm" role="group" aria-label="Confirm deletion">
          <p>
            Delete the loader <strong>{l.name}</strong> and its run history? The tables it loaded stay in the warehouse.
          </p>
          <button type="button" className="button danger" onClick={() => void remove()}>
            Delete loader
          </button>
          <button type="button" className="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ProblemAlert error={actionError} loaderId={loaderId} />
      {l.status === 'error' && l.status_error && (
        <p className="alert alert-error">
          <strong>Stopped after repeated failures:</strong> {l.status_error}
        </p>
      )}

      <section className="card" aria-labelledby="summary-heading">
        <h2 id="summary-heading" className="visually-hidden">
          Summary
        </h2>
        <dl className="details">
          <div>
            <dt>Type</dt>
            <dd>{type?.label ?? l.loader_type}</dd>
          </div>
          <div>
            <dt>Target</dt>
            <dd>
              {source ? <Link to={`/w/${workspaceId}/sources/${source.id}`}>{source.name}</Link> : 'a source'}, schema <code>{l.target_schema}</code>
            </dd>
          </div>
          <div>
            <dt>Schedule</dt>
            <dd>
              {scheduleInWords(l.schedule)}
              {l.schedule && (
                <>
                  {' '}
                  <code className="hint">{l.schedule}</code>
                </>
              )}
            </dd>
          </div>
          <div>
            <dt>Next run</dt>
            <dd>{l.next_run_at ? <Time iso={l.next_run_at} /> : l.status === 'active' ? 'none scheduled' : `none while ${l.status}`}</dd>
          </div>
          <div>
            <dt>Streams</dt>
            <dd>
              {l.selected_streams.map((s, i) => (
                <span key={s.name}>
                  {i > 0 && ', '}
                  <code>{s.name}</code> <span className="hint">({s.sync_mode === 'incremental' ? 'incremental' : 'full refresh'})</span>
                </span>
              ))}
            </dd>
          </div>
        </dl>
      </section>

      <section aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs</h2>
        <ProblemAlert error={runs.error} />
        {!runs.data && !runs.error && <Loading what="runs" />}
        {runs.data?.items.length === 0 && (
          <p className="empty-inline">
            No runs yet. <strong>Run now</strong> starts one at once; {l.schedule && l.status === 'active' ? <>otherwise the schedule starts the next one <Time iso={l.next_run_at} />.</> : 'this loader has no active schedule.'}
          </p>
        )}
        {runs.data && runs.data.items.length > 0 && (
          <>
            <Suspense fallback={<Loading what="the chart" />}>
              <RunsChart runs={runs.data.items} />
            </Suspense>
            <RunsTable runs={runs.data.items} loaderPath={`/w/${workspaceId}/loaders/${loaderId}`} />
            {runs.data.more && (
              <button type="button" className="button" onClick={() => setPages((p) => p + 1)}>
                Show older runs
              </button>
            )}
          </>
        )}
      </section>
    </Page>
  );
}
