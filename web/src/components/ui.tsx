import { type ReactNode, useEffect, useId, useRef } from 'react';
import { Link, useParams } from 'react-router';
import type { ApiError } from '../lib/api';
import { formatDateTime, formatRelative } from '../lib/format';
import { useTitle } from '../lib/hooks';

/**
 * A page: its title, and an h1 that takes the focus when the page opens, so screen readers
 * announce where a link led (a single-page app does not reload).
 */
export function Page({ title, heading, actions, children, badge }: { title: string; heading?: ReactNode; actions?: ReactNode; badge?: ReactNode; children: ReactNode }) {
  useTitle(title);
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Not on the first page of a visit: the browser starts at the top of the document then.
    if (history.state && (history.state as { idx?: number }).idx) h1.current?.focus({ preventScroll: false });
  }, [title]);
  return (
    <>
      <div className="page-header">
        <div className="page-title">
          <h1 ref={h1} tabIndex={-1}>
            {heading ?? title}
          </h1>
          {badge}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {children}
    </>
  );
}

const BADGE: Record<string, string> = {
  connected: 'ok',
  completed: 'ok',
  active: 'ok',
  passed: 'ok',
  error: 'bad',
  failed: 'bad',
  pending: 'wait',
  running: 'busy',
  paused: 'muted',
  draft: 'muted',
  cancelled: 'muted',
  skipped: 'muted',
};

/** A status as a word in a coloured pill: the colour is never the only signal. */
export function StatusBadge({ status, title }: { status: string; title?: string }) {
  return (
    <span className={`badge badge-${BADGE[status] ?? 'muted'}`} title={title || undefined}>
      {status === 'running' && <Spinner />}
      {status}
    </span>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <>
      <span className="spinner" aria-hidden="true" />
      {label && <span className="visually-hidden">{label}</span>}
    </>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      <Spinner /> Loading {what}…
    </p>
  );
}

export function Time({ iso, fallback = '–' }: { iso: string | null | undefined; fallback?: string }) {
  if (!iso) return <>{fallback}</>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="empty" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Does an API field path (`config.port`, `selected_streams[2].sync_mode`) fall under `prefix`? */
export function fieldUnder(field: string, prefix: string): boolean {
  return field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`);
}

export function errorsFor(error: ApiError | undefined, field: string): string[] {
  return (error?.problem.errors ?? []).filter((e) => e.field === field).map((e) => e.message);
}

/**
 * An API error: title and detail, the field errors no form field shows (`shown` lists the
 * field paths that the form displays next to their inputs), and the dependents of a 409.
 */
export function ProblemAlert({ error, shown = [], id, loaderId }: { error: ApiError | undefined; shown?: string[]; id?: string; loaderId?: string }) {
  const { ws } = useParams();
  if (!error) return null;
  const p = error.problem;
  const fieldErrors = p.errors ?? [];
  const rest = fieldErrors.filter((e) => !shown.some((s) => fieldUnder(e.field, s)));
  const inFields = fieldErrors.length - rest.length;
  return (
    <div className="alert alert-error" role="alert" id={id} tabIndex={-1}>
      <p>
        <strong>{p.title}</strong>
        {fieldErrors.length === 0 && p.detail ? `: ${p.detail}` : ''}
      </p>
      {inFields > 0 && <p>{inFields === 1 ? 'One field needs' : `${inFields} fields need`} a change: see the message next to it.</p>}
      {rest.length > 0 && (
        <ul>
          {rest.map((e) => (
            <li key={`${e.field} ${e.message}`}>
              <code>{e.field}</code> {e.message}
            </li>
          ))}
        </ul>
      )}
      {p.dependents && p.dependents.length > 0 && (
        <>
          <p>{p.status === 409 && p.dependents.every((d) => d.kind === 'run') ? 'The active run:' : 'Used by:'}</p>
          <ul>
            {p.dependents.map((d) => (
              <li key={d.id}>
                {d.kind === 'loader' && ws ? (
                  <Link to={`/w/${ws}/loaders/${d.id}`}>{d.name}</Link>
                ) : d.kind === 'run' && ws && loaderId ? (
                  <Link to={`/w/${ws}/loaders/${loaderId}/runs/${d.id}`}>run {d.id.slice(0, 8)} ({d.name})</Link>
                ) : (
                  d.name
                )}
                {d.kind !== 'run' && ` (${d.kind})`}
              </li>
            ))}
          </ul>
        </>
      )}
      {p.status >= 500 && p.request_id && (
        <p className="hint">
          Request id <code>{p.request_id}</code> finds the details in the server log.
        </p>
      )}
    </div>
  );
}

interface FieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  errors?: string[];
  hint?: ReactNode;
  required?: boolean;
  type?: 'text' | 'password';
  autoComplete?: string;
  placeholder?: string;
  id?: string;
  inputMode?: 'text';
  spellCheck?: boolean;
}

/** A labelled input whose hint and errors are tied to it for screen readers. */
export function TextField({ label, value, onChange, errors = [], hint, required, type = 'text', autoComplete, placeholder, id: givenId, spellCheck }: FieldProps) {
  const auto = useId();
  const id = givenId ?? auto;
  const describedBy = [hint ? `${id}-hint` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${errors.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required && <span className="required" aria-hidden="true"> *</span>}
      </label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input
        id={id}
        type={type}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-required={required || undefined}
        aria-invalid={errors.length > 0 || undefined}
        aria-describedby={describedBy || undefined}
        autoComplete={autoComplete}
        placeholder={placeholder}
        spellCheck={spellCheck}
      />
      {errors.length > 0 && (
        <ul className="field-errors" id={`${id}-error`}>
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** After a refused submit: focus the first field the API named, or else the alert. */
export function useFocusOnError(error: ApiError | undefined, alertId: string): void {
  useEffect(() => {
    if (!error) return;
    const invalid = document.querySelector<HTMLElement>('main [aria-invalid="true"]');
    (invalid ?? document.getElementById(alertId))?.focus();
  }, [error, alertId]);
}
