import { Navigate } from 'react-router';
import { api, session } from '../lib/api';
import { useResource, useTitle } from '../lib/hooks';
import type { Workspace } from '../lib/types';
import { EmptyState, Loading, ProblemAlert } from '../components/ui';

/** `/`: on to the workspace used last in this tab, or the first one. */
export function Home() {
  useTitle('Quarry');
  const workspaces = useResource('workspaces', (signal) => api.all<Workspace>('/workspaces', signal));
  if (workspaces.error) return <ProblemAlert error={workspaces.error} />;
  if (!workspaces.data) return <Loading what="workspaces" />;
  const last = session.lastWorkspace();
  const target = workspaces.data.find((w) => w.id === last) ?? workspaces.data[0];
  if (target) return <Navigate to={`/w/${target.id}/sources`} replace />;
  return (
    <main id="main">
      <EmptyState title="No workspace">
        <p>
          This token reaches no workspace. An admin can create one with <code>quarry workspace create "Name"</code> and add your account to it.
        </p>
      </EmptyState>
    </main>
  );
}
