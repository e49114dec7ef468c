import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, ws } from '../lib/api';
import { humanize } from '../lib/format';
import { useResource } from '../lib/hooks';
import type { Source, SourceType } from '../lib/types';
import { Loading, Page, ProblemAlert, StatusBadge, Time } from '../components/ui';
import { TestOutcome, TestSteps, useConnectionTest } from '../components/TestSteps';

export function ConfigList({ config, secretFields }: { config: Record<string, unknown>; secretFields: string[] }) {
  const entries = Object.entries(config);
  if (entries.length === 0) return <p className="hint">No settings.</p>;
  return (
    <dl className="config-list">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{humanize(k)}</dt>
          <dd>{secretFields.includes(k) ? <span className="hint">stored secret</span> : <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>}</dd>
        </div>
      ))}
    </dl>
  );
}

export function SourcePage() {
  const { ws: workspaceId, sourceId } = useParams() as { ws: string; sourceId: string };
  const navigate = useNavigate();
  const path = `${ws(workspaceId)}/sources/${sourceId}`;
  const source = useResource(`source ${sourceId}`, (signal) => api.get<Source>(path, signal));
  const types = useResource(`source-types ${workspaceId}`, (signal) => api.get<SourceType[]>(`${ws(workspaceId)}/source-types`, signal));
  const { test, start } = useConnectionTest(() => source.reload());
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<ApiError>();

  if (source.error && !source.data) {
    return (
      <Page title="Source">
        <ProblemAlert error={source.error} />
        <Link to="..">Back to sources</Link>
      </Page>
    );
  }
  const s = source.data;
  if (!s) return <Loading what="the source" />;
  const type = types.data?.find((t) => t.source_type === s.source_type);
  const lastSteps = s.last_test_results?.steps ?? [];

  async function remove() {
    setDeleteError(undefined);
    try {
      await api.del(path);
      navigate(`/w/${workspaceId}/sources`, { replace: true });
    } catch (err) {
      setConfirming(false);
      setDeleteError(err as ApiError);
    }
  }

  return (
    <Page
      title={s.name}
      badge={<StatusBadge status={s.status} />}
      actions={
        <>
          <button type="button" className="button primary" onClick={() => void start(`${path}/test`)} disabled={test?.running}>
            {test?.running ? 'Testing…' : 'Test connection'}
          </button>
          <Link className="button" to="edit">
            Edit
          </Link>
          <button type="button" className="button danger" onClick={() => setConfirming(true)} aria-expanded={confirming} aria-controls="delete-confirm">
            Delete
          </button>
        </>
      }
    >
      <p className="breadcrumb">
        <Link to={`/w/${workspaceId}/sources`}>Sources</Link> / {s.name}
      </p>
      {confirming && (
        <div className="confirm" id="delete-confirm" role="group" aria-label="Confirm deletion">
          <p>
            Delete the source <strong>{s.name}</strong>? Its settings and stored secrets are removed; the warehouse itself is not touched.
          </p>
          <button type="button" className="button danger" onClick={() => void remove()}>
            Delete source
          </button>
          <button type="button" className="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ProblemAlert error={deleteError} />
      {deleteError?.status === 409 && <p className="hint">Delete those loaders, or point them at another source, then try again.</p>}

      <section aria-labelledby="test-heading" className="card">
        <h2 id="test-heading">Connection test</h2>
        {test ? (
          <>
            <TestSteps steps={test.steps} running={test.running} />
            <TestOutcome test={test} />
          </>
        ) : lastSteps.length > 0 ? (
          <>
            <p className="hint">
              Last test <Time iso={s.last_tested_at} />: {s.last_test_succeeded ? 'passed' : 'failed'}.
            </p>
            <TestSteps steps={lastSteps} running={false} label="Last connection test steps" />
          </>
        ) : (
          <p>
            Not tested yet. <strong>Test connection</strong> checks the network path, logs in and checks the grants loaders need; each step shows here as it
            ends.
          </p>
        )}
      </section>

      <section aria-labelledby="details-heading" className="card">
        <h2 id="details-heading">Details</h2>
        <dl className="details">
          <div>
            <dt>Type</dt>
            <dd>{type?.label ?? s.source_type}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>{s.status}</dd>
          </div>
          <div>
            <dt>Last tested</dt>
            <dd>
              <Time iso={s.last_tested_at} fallback="never" />
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <Time iso={s.created_at} />
            </dd>
          </div>
        </dl>
        {s.status_error && (
          <p className="error-text">
            <strong>Last error:</strong> {s.status_error}
          </p>
        )}
        <h3>Settings</h3>
        <ConfigList config={s.config} secretFields={type?.secret_fields ?? []} />
      </section>
    </Page>
  );
}
