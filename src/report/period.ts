/**
 * The period a report covers, and the one before it to compare with: a local day, a week
 * from Monday, a month, or any -t range (then the range of the same length before it).
 */
import { parseTime, parseTimeRange } from '../filter/time-spec.js';
import { UsageError } from '../language/errors.js';
import { formatLocalMinute } from '../format/time.js';
import { nextPeriod, periodStart } from '../format/period.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;

export interface Period {
  from: number;
  to: number;
  /** What it is called in the title: 'Monday 7 December 2026', 'week of ...', 'December 2026'. */
  label: string;
}

export interface Periods {
  period: Period;
  previous: Period;
}

export interface PeriodArgs {
  day?: string;
  week?: string;
  month?: string;
  time?: string;
}

const dayName = (t: number): string => new Date(t).toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const shortDay = (t: number): string => new Date(t).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });

/** The day, week, month or range asked for (yesterday when none is), at `now`. */
export function reportPeriods(a: PeriodArgs, now: number): Periods {
  const given = (['day', 'week', 'month', 'time'] as const).filter((k) => a[k] !== undefined);
  if (given.length > 1)
    throw new UsageError(`give one of --day, --week, --month and -t, not ${given.map((k) => (k === 'time' ? '-t' : `--${k}`)).join(' and ')}`);
  if (a.week !== undefined) return weekPeriods(a.week, now);
  if (a.month !== undefined) return monthPeriods(a.month, now);
  if (a.time !== undefined) return rangePeriods(a.time, now);
  return dayPeriods(a.day ?? 'yesterday', now);
}

function dayPeriods(text: string, now: number): Periods {
  const day = /^\d{4}-\d\d-\d\d$|^(today|yesterday)$/i.test(text.trim()) ? parseTime(text, now) : undefined;
  if (!day) throw new UsageError(`--day ${text}: expected yesterday, today or a date (2026-12-07)`);
  const before = periodStart(day.start - 1, DAY);
  return { period: { from: day.start, to: day.end, label: dayName(day.start) }, previous: { from: before, to: day.start, label: dayName(before) } };
}

/** A week from Monday 00:00 local time. */
function weekPeriods(text: string, now: number): Periods {
  const t = text.trim().toLowerCase();
  const at = t === 'last' ? now - WEEK : t === 'this' ? now : /^\d{4}-\d\d-\d\d$/.test(t) ? parseTime(t, now)?.start : undefined;
  if (at === undefined) throw new UsageError(`--week ${text}: expected last, this or a date in the week (2026-12-07)`);
  const from = periodStart(at, WEEK);
  const [to, before] = [nextPeriod(from, WEEK), periodStart(from - 1, WEEK)];
  return {
    period: { from, to, label: `week of ${shortDay(from)}` },
    previous: { from: before, to: from, label: `week of ${shortDay(before)}` },
  };
}

function monthPeriods(text: string, now: number): Periods {
  const t = text.trim().toLowerCase();
  const n = new Date(now);
  const ym = /^(\d{4})-(\d\d)$/.exec(t);
  const [y, m]: number[] =
    t === 'last' ? [n.getFullYear(), n.getMonth() - 1] : t === 'this' ? [n.getFullYear(), n.getMonth()] : ym ? [+ym[1]!, +ym[2]! - 1] : [NaN, NaN];
  if (y === undefined || m === undefined || Number.isNaN(y) || m < -1 || m > 11)
    throw new UsageError(`--month ${text}: expected last, this or a month (2026-11)`);
  // Date counts month -1 as December of the year before, and 12 as January after.
  const start = (k: number): number => new Date(y, m + k, 1).getTime();
  const name = (t0: number): string => new Date(t0).toLocaleDateString('en-GB', { month: 'long', year: 'numeric' });
  return {
    period: { from: start(0), to: start(1), label: name(start(0)) },
    previous: { from: start(-1), to: start(0), label: name(start(-1)) },
  };
}

function rangePeriods(text: string, now: number): Periods {
  const r = parseTimeRange(text, now);
  if (!r || !Number.isFinite(r.start) || !Number.isFinite(r.end))
    throw new UsageError(`-t ${text}: a report needs a range with both ends (2026-12-01..2026-12-07)`);
  const iso = formatLocalMinute;
  const before = r.start - (r.end - r.start);
  return {
    period: { from: r.start, to: r.end, label: `${iso(r.start)} to ${iso(r.end)}` },
    previous: { from: before, to: r.start, label: `${iso(before)} to ${iso(r.start)}` },
  };
}
