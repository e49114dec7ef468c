import { type FormEvent, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, call, session } from '../lib/api';
import { useTitle } from '../lib/hooks';
import type { Workspace } from '../lib/types';
import { ProblemAlert, TextField } from '../components/ui';

export function SignIn() {
  useTitle('Sign in');
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  if (session.token() && !busy) return <Navigate to={from ?? '/'} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError(new ApiError({ title: 'Enter a token', status: 0, errors: [{ field: 'token', message: 'is required' }] }));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // The workspace list is the cheapest call any valid token may make.
      const { items } = await call<Workspace[]>('GET', '/workspaces?limit=100', undefined, { token: value });
      session.signIn(value);
      const last = session.lastWorkspace();
      const target = items.find((w) => w.id === last) ?? items[0];
      navigate(from ?? (target ? `/w/${target.id}/sources` : '/'), { replace: true });
    } catch (err) {
      setBusy(false);
      setError(
        err instanceof ApiError && err.status === 401
          ? new ApiError({ ...err.problem, title: 'This token was not accepted', detail: 'it is unknown, revoked or mistyped', errors: [{ field: 'token', message: 'was not accepted: it is unknown, revoked or mistyped' }] })
          : (err as ApiError),
      );
    }
  }

  const fieldErrors = (error?.problem.errors ?? []).filter((e) => e.field === 'token').map((e) => e.message);
  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Quarry</h1>
      {session.endedBecause() && !error && (
        <p className="alert alert-info" role="status">
          {session.endedBecause()}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <TextField
          id="token"
          label="API token"
          type="password"
          value={token}
          onChange={setToken}
          errors={fieldErrors}
          autoComplete="current-password"
          spellCheck={false}
          required
          hint={
            <>
              <code>quarry serve</code> prints an admin token on its first start; more with <code>quarry token create</code>. The token is kept in this tab only (session storage).
            </>
          }
        />
        {error && fieldErrors.length === 0 && <ProblemAlert error={error} />}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
