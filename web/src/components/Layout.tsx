import { Suspense, useEffect } from 'react';
import { Link, NavLink, Outlet, useNavigate, useParams } from 'react-router';
import { api, session } from '../lib/api';
import { useResource } from '../lib/hooks';
import type { Workspace } from '../lib/types';
import { Loading } from './ui';

export function Layout() {
  const { ws } = useParams() as { ws: string };
  const navigate = useNavigate();
  const workspaces = useResource('workspaces', (signal) => api.all<Workspace>('/workspaces', signal));
  useEffect(() => session.rememberWorkspace(ws), [ws]);
  const list = workspaces.data ?? [];
  const known = list.some((w) => w.id === ws);

  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={`/w/${ws}/sources`} className="brand">
          Quarry
        </Link>
        <nav aria-label="Main">
          <NavLink to={`/w/${ws}/sources`}>Sources</NavLink>
          <NavLink to={`/w/${ws}/loaders`}>Loaders</NavLink>
          <a href="/docs">API reference</a>
        </nav>
        <div className="topbar-end">
          <label htmlFor="workspace-switcher">Workspace</label>
          <select id="workspace-switcher" value={ws} onChange={(e) => navigate(`/w/${e.target.value}/sources`)} disabled={list.length === 0}>
            {!known && <option value={ws}>{workspaces.loading ? 'Loading…' : 'Unknown workspace'}</option>}
            {list.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
          <button type="button" className="button ghost" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          <Outlet />
        </Suspense>
      </main>
    </>
  );
}
