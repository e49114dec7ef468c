import { lazy, Suspense, useSyncExternalStore } from 'react';
import { Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { session } from './lib/api';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import { SignIn } from './pages/SignIn';
import { Home } from './pages/Home';
import { NotFound } from './pages/NotFound';
import { SourcesPage } from './pages/Sources';
import { SourcePage } from './pages/Source';
import { LoadersPage } from './pages/Loaders';
import { LoaderPage } from './pages/Loader';
import { RunPage } from './pages/Run';

// The form pages carry the JSON-Schema form library: loaded when first opened.
const SourceFormPage = lazy(() => import('./pages/SourceForm'));
const LoaderCreatePage = lazy(() => import('./pages/LoaderCreate'));

function RequireAuth() {
  const token = useSyncExternalStore(session.subscribe, session.token);
  const location = useLocation();
  if (!token) return <Navigate to="/sign-in" replace state={location.pathname === '/' ? null : { from: location.pathname + location.search }} />;
  return <Outlet />;
}

export function App() {
  return (
    <Suspense fallback={<Loading what="the page" />}>
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route element={<RequireAuth />}>
          <Route path="/" element={<Home />} />
          <Route path="/w/:ws" element={<Layout />}>
            <Route index element={<Navigate to="sources" replace />} />
            <Route path="sources" element={<SourcesPage />} />
            <Route path="sources/new" element={<SourceFormPage />} />
            <Route path="sources/:sourceId" element={<SourcePage />} />
            <Route path="sources/:sourceId/edit" element={<SourceFormPage />} />
            <Route path="loaders" element={<LoadersPage />} />
            <Route path="loaders/new" element={<LoaderCreatePage />} />
            <Route path="loaders/:loaderId" element={<LoaderPage />} />
            <Route path="loaders/:loaderId/runs/:runId" element={<RunPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
