import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads something from the API whenever `key` changes; `refreshMs(data)` > 0 polls again
 * after that long (runs that are still going), null stops polling.
 */
export function useResource<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, refreshMs?: (data: T) => number | null): Resource<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: ApiError }>({ key });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  const refreshRef = useRef(refreshMs);
  useEffect(() => {
    loadRef.current = load;
    refreshRef.current = refreshMs;
  });

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    loadRef.current(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        setState({ key, data });
        const again = refreshRef.current?.(data);
        if (again) timer = setTimeout(() => setTick((t) => t + 1), again);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError({ title: 'Unexpected error', status: 0, detail: String((err as Error)?.message ?? err) });
        setState((s) => ({ key, data: s.key === key ? s.data : undefined, error }));
      },
    );
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = state.key === key;
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, loading: !current || (state.data === undefined && state.error === undefined), reload };
}

/** The document title, "<page> · Quarry". */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Quarry`;
  }, [title]);
}
