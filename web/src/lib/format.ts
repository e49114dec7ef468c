import cronstrue from 'cronstrue';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: number) => String(n).padStart(2, '0');
const int = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
const step = (s: string | undefined): number | null => {
  const m = s ? /^\*\/(\d+)$/.exec(s) : null;
  return m ? Number(m[1]) : null;
};

/**
 * A schedule (five-field cron, UTC) in words: short phrases for the common shapes
 * ("every 6 hours", "every day at 02:30 UTC"), cronstrue for the rest.
 */
export function scheduleInWords(cron: string | null): string {
  if (cron === null || cron.trim() === '') return 'manual only';
  const macro: Record<string, string> = {
    '@hourly': 'every hour',
    '@daily': 'every day at 00:00 UTC',
    '@midnight': 'every day at 00:00 UTC',
    '@weekly': 'every Sunday at 00:00 UTC',
    '@monthly': 'on day 1 of every month at 00:00 UTC',
    '@yearly': 'every year on January 1 at 00:00 UTC',
    '@annually': 'every year on January 1 at 00:00 UTC',
  };
  const c = cron.trim();
  if (macro[c]) return macro[c];
  const f = c.split(/\s+/);
  if (f.length === 5) {
    const [m, h, dom, mon, dow] = f;
    const restAny = dom === '*' && mon === '*';
    const minute = int(m);
    if (restAny && dow === '*') {
      if (m === '*' && h === '*') return 'every minute';
      const everyMin = step(m);
      if (everyMin !== null && h === '*') return everyMin === 1 ? 'every minute' : `every ${everyMin} minutes`;
      if (minute !== null && h === '*') return minute === 0 ? 'every hour' : `every hour at minute ${minute}`;
      const everyHour = step(h);
      if (minute !== null && everyHour !== null) {
        const base = everyHour === 1 ? 'every hour' : `every ${everyHour} hours`;
        return minute === 0 ? base : `${base} at minute ${minute}`;
      }
      const hour = int(h);
      if (minute !== null && hour !== null) return `every day at ${pad(hour)}:${pad(minute)} UTC`;
    }
    const hour = int(h);
    const day = int(dow);
    if (restAny && minute !== null && hour !== null && day !== null && day <= 7) return `every ${DAYS[day % 7]} at ${pad(hour)}:${pad(minute)} UTC`;
  }
  try {
    const words = cronstrue.toString(c, { use24HourTimeFormat: true, verbose: false });
    return `${words.charAt(0).toLowerCase()}${words.slice(1)} (UTC)`;
  } catch {
    return c;
  }
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${Math.round(s % 60)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** How long a run took, or has taken so far. */
export function runDurationMs(run: { started_at: string | null; completed_at: string | null }, now = Date.now()): number | null {
  if (!run.started_at) return null;
  return (run.completed_at ? Date.parse(run.completed_at) : now) - Date.parse(run.started_at);
}

const numberFormat = new Intl.NumberFormat('en-US');
export const formatNumber = (n: number) => numberFormat.format(n);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatDateTime = (iso: string) => dateTime.format(new Date(iso));

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
/** "3 minutes ago", "in 2 hours". */
export function formatRelative(iso: string, now = Date.now()): string {
  const diff = (Date.parse(iso) - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return diff < 0 ? 'just now' : 'in a few seconds';
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
    ['month', 2592000],
    ['year', 31536000],
  ];
  let unit: [Intl.RelativeTimeFormatUnit, number] = units[0]!;
  for (const u of units) if (abs >= u[1] * 0.9) unit = u;
  return relative.format(Math.round(diff / unit[1]), unit[0]);
}

/** A config field name as a label: "http_path" -> "HTTP path". */
export function humanize(key: string): string {
  const acronyms: Record<string, string> = { ssl: 'SSL', tls: 'TLS', http: 'HTTP', url: 'URL', id: 'ID', json: 'JSON', ca: 'CA', api: 'API', sslmode: 'SSL mode' };
  const words = key.split('_').map((w, i) => acronyms[w] ?? (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w));
  return words.join(' ');
}
