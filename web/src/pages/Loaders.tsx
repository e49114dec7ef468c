import { Link, useParams } from 'react-router';
import { api, ws } from '../lib/api';
import { scheduleInWords } from '../lib/format';
import { useResource } from '../lib/hooks';
import { ACTIVE_RUN, type Loader, type LoaderType, type Run, type Source } from '../lib/types';
import { EmptyState, Loading, Page, ProblemAlert, StatusBadge, Time } from '../components/ui';

interface Row {
  loader: Loader;
  lastRun: Run | undefined;
}

export function LoadersPage() {
  const { ws: workspaceId } = useParams() as { ws: string };
  const base = ws(workspaceId);
  // The loader object names its last run; its status is one more call per loader.
  const loaders = useResource(
    `loaders ${workspaceId}`,
    async (signal): Promise<Row[]> => {
      const list = await api.all<Loader>(`${base}/loaders`, signal);
      return Promise.all(
        list.map(async (loader) => ({
          loader,
          lastRun: loader.last_run_id ? await api.get<Run>(`${base}/loaders/${loader.id}/runs/${loader.last_run_id}`, signal).catch(() => undefined) : undefined,
        })),
      );
    },
    (rows) => (rows.some((r) => r.lastRun && ACTIVE_RUN.includes(r.lastRun.status)) ? 2000 : 30_000),
  );
  const sources = useResource(`sources ${workspaceId}`, (signal) => api.all<Source>(`${base}/sources`, signal));
  const types = useResource(`loader-types ${workspaceId}`, (signal) => api.get<LoaderType[]>(`${base}/loader-types`, signal));
  const sourceName = (id: string) => sources.data?.find((s) => s.id === id)?.name ?? 'unknown source';
  const typeLabel = (t: string) => types.data?.find((x) => x.loader_type === t)?.label ?? t;
  const noSources = sources.data?.length === 0;

  return (
    <Page
      title="Loaders"
      actions={
        noSources ? undefined : (
          <Link className="button primary" to="new">
            Create a loader
          </Link>
        )
      }
    >
      <p className="lede">Loaders copy tables from databases into a warehouse source, on demand or on a schedule.</p>
      <ProblemAlert error={loaders.error ?? sources.error} />
      {!loaders.data && !loaders.error && <Loading what="loaders" />}
      {loaders.data?.length === 0 &&
        (noSources ? (
          <EmptyState title="Add a warehouse first">
            <p>A loader fills a warehouse source, and this workspace has none yet. Add one (an embedded DuckDB file works with nothing else installed), then come back to create a loader.</p>
            <Link className="button primary" to={`/w/${workspaceId}/sources/new`}>
              Add a source
            </Link>
          </EmptyState>
        ) : (
          <EmptyState title="No loaders yet">
            <p>
              A loader reads tables from a database (PostgreSQL, MySQL…) and loads them into one of your sources. You pick the tables, how each is synced (a full
              copy, or only new and changed rows), and when it runs.
            </p>
            <Link className="button primary" to="new">
              Create your first loader
            </Link>
          </EmptyState>
        ))}
      {loaders.data && loaders.data.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Loaders</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Target</th>
              <th scope="col">Schedule</th>
              <th scope="col">Next run</th>
              <th scope="col">Last run</th>
            </tr>
          </thead>
          <tbody>
            {loaders.data.map(({ loader: l, lastRun }) => (
              <tr key={l.id}>
                <th scope="row">
                  <Link to={l.id}>{l.name}</Link> {l.status !== 'active' && <StatusBadge status={l.status} title={l.status_error} />}
                </th>
                <td>{typeLabel(l.loader_type)}</td>
                <td>
                  {sourceName(l.source_id)} <span className="hint">/</span> <code>{l.target_schema}</code>
                </td>
                <td>{scheduleInWords(l.schedule)}</td>
                <td>{l.next_run_at ? <Time iso={l.next_run_at} /> : <span className="hint">{l.status === 'active' ? '–' : l.status}</span>}</td>
                <td>
                  {lastRun ? (
                    <Link to={`${l.id}/runs/${lastRun.id}`} className="run-link">
                      <StatusBadge status={lastRun.status} /> <Time iso={lastRun.started_at ?? lastRun.created_at} />
                    </Link>
                  ) : (
                    <span className="hint">never run</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
