import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, api, ws } from '../lib/api';
import { formatBytes, formatDateTime, formatDuration, formatNumber, runDurationMs } from '../lib/format';
import { useResource } from '../lib/hooks';
import { ACTIVE_RUN, type Loader, type Run, type RunDetail } from '../lib/types';
import { Loading, Page, ProblemAlert, StatusBadge, Time } from '../components/ui';

const RunsChart = lazy(() => import('../components/RunsChart'));

/** Ticks every second while `on`: the duration of a running run grows on screen. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

export function RunPage() {
  const { ws: workspaceId, loaderId, runId } = useParams() as { ws: string; loaderId: string; runId: string };
  const loaderPath = `${ws(workspaceId)}/loaders/${loaderId}`;
  const path = `${loaderPath}/runs/${runId}`;
  // Refreshed every second while the run is pending or running.
  const run = useResource(`run ${runId}`, (signal) => api.get<RunDetail>(path, signal), (r) => (ACTIVE_RUN.includes(r.status) ? 1000 : null));
  const loader = useResource(`loader ${loaderId}`, (signal) => api.get<Loader>(loaderPath, signal));
  const active = run.data ? ACTIVE_RUN.includes(run.data.status) : false;
  const history = useResource(`runs ${loaderId} for ${runId} ${active ? 'active' : run.data?.status}`, (signal) => api.get<Run[]>(`${loaderPath}/runs?limit=30`, signal));
  const now = useNow(active);
  const [cancelError, setCancelError] = useState<ApiError>();
  const [cancelling, setCancelling] = useState(false);

  if (run.error && !run.data) {
    return (
      <Page title="Run">
        <ProblemAlert error={run.error} />
        <Link to={`/w/${workspaceId}/loaders/${loaderId}`}>Back to the loader</Link>
      </Page>
    );
  }
  const r = run.data;
  if (!r) return <Loading what="the run" />;
  const name = loader.data?.name ?? 'Loader';

  async function cancel() {
    setCancelling(true);
    setCancelError(undefined);
    try {
      await api.post<RunDetail>(`${path}/cancel`);
    } catch (err) {
      setCancelError(err as ApiError);
    } finally {
      setCancelling(false);
      run.reload();
    }
  }

  return (
    <Page
      title={`Run of ${name}`}
      heading={
        <>
          Run of <Link to={`/w/${workspaceId}/loaders/${loaderId}`}>{name}</Link>
        </>
      }
      badge={<StatusBadge status={r.status} />}
      actions={
        active ? (
          <button type="button" className="button danger" onClick={() => void cancel()} disabled={cancelling || r.cancel_requested_at !== null}>
            {cancelling || r.cancel_requested_at ? 'Cancelling…' : 'Cancel run'}
          </button>
        ) : undefined
      }
    >
      <p className="breadcrumb">
        <Link to={`/w/${workspaceId}/loaders`}>Loaders</Link> / <Link to={`/w/${workspaceId}/loaders/${loaderId}`}>{name}</Link> / run {r.id.slice(0, 8)}
      </p>
      <ProblemAlert error={cancelError} />
      <p className="visually-hidden" role="status" aria-live="polite">
        The run is {r.status}.
      </p>
      {r.error_message && (
        <p className={`alert ${r.status === 'cancelled' ? 'alert-info' : 'alert-error'}`}>
          <strong>{r.status === 'cancelled' ? 'Cancelled' : 'Error'}:</strong> {r.error_message}
        </p>
      )}
      <section className="card" aria-labelledby="figures-heading">
        <h2 id="figures-heading" className="visually-hidden">
          Figures
        </h2>
        <dl className="figures">
          <div>
            <dt>Rows loaded</dt>
            <dd data-testid="rows-loaded">{formatNumber(r.rows_loaded)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(runDurationMs(r, now))}</dd>
          </div>
          <div>
            <dt>Streams</dt>
            <dd>
              {r.streams_total || r.streams.length}
              {r.streams_failed > 0 && <span className="error-text"> ({r.streams_failed} failed)</span>}
            </dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{r.started_at ? <span title={formatDateTime(r.started_at)}><Time iso={r.started_at} /></span> : r.status === 'pending' ? 'waiting for a worker' : '–'}</dd>
          </div>
          <div>
            <dt>Trigger</dt>
            <dd>{r.scheduled_for ? <>schedule ({formatDateTime(r.scheduled_for)})</> : 'by hand'}</dd>
          </div>
        </dl>
      </section>

      <section aria-labelledby="streams-heading">
        <h2 id="streams-heading">Streams</h2>
        {r.streams.length === 0 ? (
          <p className="empty-inline">{active ? 'Waiting for the first stream to start…' : 'No stream ran.'}</p>
        ) : (
          <table className="table">
            <caption className="visually-hidden">Per-stream figures</caption>
            <thead>
              <tr>
                <th scope="col">Stream</th>
                <th scope="col">Status</th>
                <th scope="col">Sync mode</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Cursor</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {r.streams.map((s) => (
                <tr key={s.stream}>
                  <th scope="row">
                    <code>{s.stream}</code>
                  </th>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                  <td>{s.sync_mode === 'incremental' ? 'incremental' : 'full refresh'}</td>
                  <td className="num">{formatNumber(s.rows_loaded)}</td>
                  <td className="num">{formatBytes(s.bytes)}</td>
                  <td className="num">{formatDuration(s.duration_ms)}</td>
                  <td>{s.cursor ? <code>{s.cursor}</code> : <span className="hint">–</span>}</td>
                  <td className="error-cell">{s.error_message || <span className="hint">–</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="history-heading">
        <h2 id="history-heading">Recent runs of this loader</h2>
        {history.data && (
          <Suspense fallback={<Loading what="the chart" />}>
            <RunsChart runs={history.data} current={r.id} />
          </Suspense>
        )}
      </section>
    </Page>
  );
}
