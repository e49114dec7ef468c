import cronParser from 'cron-parser';
import type { FieldError } from './errors.js';

/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), plus the usual
 * @hourly/@daily/@weekly/@monthly/@yearly. Validation names the field that is wrong, which
 * cron-parser's own messages do not.
 */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

export function normalizeCron(expr: string): string {
  return MACROS[expr.trim().toLowerCase()] ?? expr.trim().replace(/\s+/g, ' ');
}

function value(token: string, f: (typeof FIELDS)[number]): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const names = 'names' in f ? (f.names as readonly string[]) : undefined;
  const i = names?.indexOf(token.toUpperCase()) ?? -1;
  return i >= 0 ? i + f.min : undefined;
}

/** A message naming the wrong part, or undefined when the expression is valid. */
export function cronError(expr: string): string | undefined {
  const parts = normalizeCron(expr).split(' ');
  if (parts.length !== 5) {
    return `must have 5 fields (minute hour day-of-month month day-of-week) or be one of ${Object.keys(MACROS).join(', ')}; got ${parts.length} field(s)`;
  }
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i]!;
    for (const item of parts[i]!.split(',')) {
      const m = /^(\*|[^/-]+(?:-[^/-]+)?)(?:\/(\d+))?$/.exec(item);
      if (!m) return `the ${f.name} field "${parts[i]}" is not valid cron syntax`;
      if (m[2] !== undefined && Number(m[2]) < 1) return `the ${f.name} field "${parts[i]}" has a step of 0`;
      if (m[1] === '*') continue;
      for (const bound of m[1]!.split('-')) {
        const v = value(bound, f);
        if (v === undefined) return `the ${f.name} field "${parts[i]}" has "${bound}", which is not a number${'names' in f ? ' or a name' : ''}`;
        if (v < f.min || v > f.max) return `the ${f.name} field "${parts[i]}" is out of range ${f.min}-${f.max}`;
      }
    }
  }
  try {
    cronParser.parseExpression(normalizeCron(expr), { tz: 'UTC' });
  } catch (err) {
    return `is not a valid cron expression: ${(err as Error).message}`;
  }
  return undefined;
}

export function validateSchedule(schedule: string | null | undefined, field = 'schedule'): FieldError | undefined {
  if (schedule === null || schedule === undefined) return undefined;
  const message = cronError(schedule);
  return message ? { field, message } : undefined;
}

/** The next occurrence after `from` (UTC). */
export function nextOccurrence(expr: string, from = new Date()): Date {
  return cronParser.parseExpression(normalizeCron(expr), { tz: 'UTC', currentDate: from }).next().toDate();
}

/** The latest occurrence at or before `at` (UTC). */
export function previousOccurrence(expr: string, at = new Date()): Date {
  // cron-parser's prev() is strictly before currentDate; a moment later includes `at` itself
  return cronParser.parseExpression(normalizeCron(expr), { tz: 'UTC', currentDate: new Date(at.getTime() + 1) }).prev().toDate();
}
