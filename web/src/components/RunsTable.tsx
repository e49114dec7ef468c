import { Link } from 'react-router';
import { formatDuration, formatNumber, runDurationMs } from '../lib/format';
import type { Run } from '../lib/types';
import { StatusBadge, Time } from './ui';

export function RunsTable({ runs, loaderPath, current }: { runs: Run[]; loaderPath: string; current?: string }) {
  return (
    <table className="table">
      <caption className="visually-hidden">Runs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          <th scope="col" className="num">
            Duration
          </th>
          <th scope="col" className="num">
            Rows
          </th>
          <th scope="col" className="num">
            Streams failed
          </th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id} aria-current={r.id === current ? 'true' : undefined}>
            <th scope="row">
              <Link to={`${loaderPath}/runs/${r.id}`} aria-label={`Run of ${new Date(r.created_at).toLocaleString()}`}>
                <Time iso={r.started_at ?? r.created_at} />
              </Link>
              {r.scheduled_for ? <span className="hint"> scheduled</span> : null}
            </th>
            <td>
              <StatusBadge status={r.status} />
            </td>
            <td className="num">{formatDuration(runDurationMs(r))}</td>
            <td className="num">{formatNumber(r.rows_loaded)}</td>
            <td className="num">{r.streams_total ? `${r.streams_failed} of ${r.streams_total}` : '–'}</td>
            <td className="error-cell">{r.error_message || <span className="hint">–</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
