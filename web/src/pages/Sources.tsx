import { Link, useParams } from 'react-router';
import { api, ws } from '../lib/api';
import { useResource } from '../lib/hooks';
import type { Source, SourceType } from '../lib/types';
import { EmptyState, Loading, Page, ProblemAlert, StatusBadge, Time } from '../components/ui';

export function SourcesPage() {
  const { ws: workspaceId } = useParams() as { ws: string };
  const sources = useResource(`sources ${workspaceId}`, (signal) => api.all<Source>(`${ws(workspaceId)}/sources`, signal));
  const types = useResource(`source-types ${workspaceId}`, (signal) => api.get<SourceType[]>(`${ws(workspaceId)}/source-types`, signal));
  const label = (t: string) => types.data?.find((x) => x.source_type === t)?.label ?? t;

  return (
    <Page
      title="Sources"
      actions={
        <Link className="button primary" to="new">
          Add a source
        </Link>
      }
    >
      <p className="lede">The warehouses Quarry connects to and loads data into.</p>
      <ProblemAlert error={sources.error} />
      {!sources.data && !sources.error && <Loading what="sources" />}
      {sources.data?.length === 0 && (
        <EmptyState title="No sources yet">
          <p>
            A source is a warehouse: Snowflake, BigQuery, Databricks, PostgreSQL or Redshift, or an embedded DuckDB file. Start with DuckDB if you just want
            to try Quarry: it needs nothing else installed.
          </p>
          <ol>
            <li>Add the source and test its connection.</li>
            <li>Create a loader that copies tables from a database into it.</li>
            <li>Run the loader, now or on a schedule.</li>
          </ol>
          <Link className="button primary" to="new">
            Add your first source
          </Link>
        </EmptyState>
      )}
      {sources.data && sources.data.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Sources</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Last test</th>
            </tr>
          </thead>
          <tbody>
            {sources.data.map((s) => (
              <tr key={s.id}>
                <th scope="row">
                  <Link to={s.id}>{s.name}</Link>
                </th>
                <td>{label(s.source_type)}</td>
                <td>
                  <StatusBadge status={s.status} title={s.status_error} />
                </td>
                <td>
                  <Time iso={s.last_tested_at} fallback="never" />
                  {s.last_test_succeeded === false && <span className="hint"> (failed)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
