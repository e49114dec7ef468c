import { Bar, CartesianGrid, Cell, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber, runDurationMs } from '../lib/format';
import type { Run } from '../lib/types';

const minutes = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const seconds = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * Rows loaded (bars) and duration (line) of the finished runs, oldest to newest. Loaded
 * lazily: the chart library is the heaviest part of the console.
 */
export default function RunsChart({ runs, current }: { runs: Run[]; current?: string }) {
  const finished = runs.filter((r) => r.started_at && r.completed_at).reverse();
  // Runs within the same minute get their seconds, so each point has a distinct label.
  const byMinute = finished.map((r) => minutes.format(new Date(r.started_at!)));
  const time = new Set(byMinute).size === byMinute.length ? minutes : seconds;
  const data = finished
    .map((r) => ({
      id: r.id,
      when: time.format(new Date(r.started_at!)),
      rows: r.rows_loaded,
      seconds: Math.round((runDurationMs(r) ?? 0) / 100) / 10,
      status: r.status,
    }));
  if (data.length === 0) return <p className="hint">The chart appears once a run has finished.</p>;
  const total = data.reduce((n, d) => n + d.rows, 0);
  return (
    <figure className="chart">
      <div className="chart-box" role="img" aria-label={`Chart of ${data.length} finished runs: ${formatNumber(total)} rows loaded in all; the runs table has the figures.`}>
        <ResponsiveContainer width="100%" height={240}>
          <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="when" tick={{ fontSize: 12 }} />
            <YAxis yAxisId="rows" tickFormatter={(v: number) => formatNumber(v)} tick={{ fontSize: 12 }} width={64} />
            <YAxis yAxisId="seconds" orientation="right" unit=" s" tick={{ fontSize: 12 }} width={56} />
            <Tooltip formatter={(value, name) => (name === 'Rows loaded' ? formatNumber(Number(value)) : `${String(value)} s`)} />
            <Legend />
            <Bar yAxisId="rows" dataKey="rows" name="Rows loaded" fill="#3565c4" maxBarSize={56} isAnimationActive={false}>
              {data.map((d) => (
                <Cell key={d.id} fill={current && d.id !== current ? '#9db8e8' : '#3565c4'} />
              ))}
            </Bar>
            <Line yAxisId="seconds" dataKey="seconds" name="Duration" stroke="#c2410c" strokeWidth={2} dot isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <figcaption>Rows loaded and duration per run, over time{current ? ' (this run in dark blue)' : ''}.</figcaption>
    </figure>
  );
}
