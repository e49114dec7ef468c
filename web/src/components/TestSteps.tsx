import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type Problem } from '../lib/api';
import { formatDuration, humanize } from '../lib/format';
import { postEventStream } from '../lib/sse';
import type { Source, TestStep } from '../lib/types';
import { Spinner } from './ui';

/** The steps every warehouse test runs, in order (docs/connection-tests.md). */
const EXPECTED = ['connectivity', 'authentication', 'permissions'];
const ICON: Record<string, string> = { passed: '✓', failed: '✗', skipped: '–' };

export interface LiveTest {
  steps: TestStep[];
  running: boolean;
  success?: boolean;
  error?: ApiError;
}

/**
 * Runs a connection test over SSE: each step is shown the moment its event arrives.
 * Leaving the page aborts the request, which cancels the test on the server.
 */
export function useConnectionTest(onDone?: (source: Source | undefined) => void) {
  const [test, setTest] = useState<LiveTest | null>(null);
  const controller = useRef<AbortController | null>(null);
  const done = useRef(onDone);
  useEffect(() => {
    done.current = onDone;
  });
  useEffect(() => () => controller.current?.abort(), []);

  const start = useCallback(async (path: string, body?: unknown) => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setTest({ steps: [], running: true });
    let finished = false;
    try {
      await postEventStream(
        path,
        body,
        (event, data) => {
          if (event === 'step') setTest((t) => t && { ...t, steps: [...t.steps, data as TestStep] });
          else if (event === 'done') {
            finished = true;
            const d = data as { success: boolean; steps: TestStep[]; source?: Source };
            setTest({ steps: d.steps, running: false, success: d.success });
            done.current?.(d.source);
          } else if (event === 'error') {
            finished = true;
            setTest((t) => t && { ...t, running: false, error: new ApiError(data as Problem) });
          }
        },
        c.signal,
      );
      if (!finished) setTest((t) => t && { ...t, running: false, error: new ApiError({ title: 'The test stopped', status: 0, detail: 'the connection closed before the test ended' }) });
    } catch (err) {
      if (c.signal.aborted) return;
      const error = err instanceof ApiError ? err : new ApiError({ title: 'The test stopped', status: 0, detail: String(err) });
      setTest((t) => ({ steps: t?.steps ?? [], running: false, error }));
    }
  }, []);

  return { test, start, clear: () => setTest(null) };
}

/** The steps of a connection test: a spinner while one runs, then passed, failed or skipped. */
export function TestSteps({ steps, running, label = 'Connection test steps' }: { steps: TestStep[]; running: boolean; label?: string }) {
  const names = [...steps.map((s) => s.name), ...(running ? EXPECTED.filter((n) => !steps.some((s) => s.name === n)) : [])];
  let firstPending = true;
  return (
    <ol className="steps" aria-label={label} aria-live="polite" aria-busy={running}>
      {names.map((name) => {
        const s = steps.find((x) => x.name === name);
        const isRunning = !s && firstPending;
        if (!s) firstPending = false;
        const state = s ? s.status : isRunning ? 'running' : 'waiting';
        return (
          <li key={name} className={`step step-${state}`}>
            <div className="step-line">
              <span className="step-icon" aria-hidden="true">
                {s ? ICON[s.status] : isRunning ? <Spinner /> : '·'}
              </span>
              <span className="step-name">{humanize(name)}</span>
              <span className="step-status">{state === 'running' ? 'running…' : state}</span>
              {s && <span className="step-duration">{formatDuration(s.duration_ms)}</span>}
            </div>
            {s?.message && <p className="step-message">{s.message}</p>}
            {s?.fix && (
              <div className="step-fix">
                <p>To fix it, an administrator can run:</p>
                <pre>
                  <code>{s.fix}</code>
                </pre>
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function TestOutcome({ test }: { test: LiveTest }) {
  if (test.running) return null;
  if (test.error) {
    return (
      <p className="alert alert-error" role="alert">
        <strong>{test.error.problem.title}</strong>: {test.error.problem.detail}
      </p>
    );
  }
  return (
    <p className={`alert ${test.success ? 'alert-ok' : 'alert-error'}`} role="status">
      {test.success ? 'All steps passed: the connection works.' : 'The test failed: see the failed step above.'}
    </p>
  );
}
