/**
 * Times as users write them, turned into half-open intervals [start, end) in ms UTC.
 * An absolute time covers its own precision (`2026-11-23` is that whole local day);
 * a relative one (`-1h`, `now`) is an instant.
 */
import { parseDuration } from '../format/units.js';

export interface Interval {
  start: number;
  end: number;
}

/** Month, day and hour may go without a leading zero, as the original smbtaquery took them (`2026-11-4 9:15`). */
const ABSOLUTE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const DAY = 86_400_000;

/** Parses one time; undefined when `text` is not a time. `now` is fixed by the caller, once. */
export function parseTime(text: string, now: number): Interval | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'now') return { start: now, end: now + 1 };
  if (t === 'today' || t === 'yesterday') {
    const d = new Date(now);
    const start = new Date(d.getFullYear(), d.getMonth(), d.getDate() - (t === 'yesterday' ? 1 : 0)).getTime();
    return { start, end: localDayAfter(start) };
  }
  if (t.startsWith('-') || t.startsWith('+')) {
    const ms = parseDuration(t.slice(1));
    if (ms === undefined) return undefined;
    const at = now + (t[0] === '-' ? -ms : ms);
    return { start: at, end: at + 1 };
  }
  if (/^\d{11,16}$/.test(t)) return { start: Number(t), end: Number(t) + 1 }; // epoch ms, as -n prints
  const a = ABSOLUTE.exec(text.trim());
  if (a) return absolute(a);
  const c = CLOCK.exec(t);
  if (c) {
    const d = new Date(now);
    const start = new Date(d.getFullYear(), d.getMonth(), d.getDate(), +c[1]!, +c[2]!, +(c[3] ?? 0), msOf(c[4])).getTime();
    if (+c[1]! > 23 || +c[2]! > 59 || +(c[3] ?? 0) > 59) return undefined;
    return { start, end: start + precision(c[3], c[4], 60_000) };
  }
  return undefined;
}

function msOf(frac: string | undefined): number {
  return frac ? Number(frac.padEnd(3, '0')) : 0;
}

function precision(sec: string | undefined, frac: string | undefined, unit: number): number {
  if (frac) return 10 ** (3 - frac.length);
  return sec ? 1000 : unit;
}

function localDayAfter(start: number): number {
  const d = new Date(start);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

function absolute(a: RegExpExecArray): Interval | undefined {
  const [, y, mo, d, h, mi, s, frac, zone] = a;
  const parts = [+y!, +mo! - 1, +d!, +(h ?? 0), +(mi ?? 0), +(s ?? 0), msOf(frac)] as const;
  if (parts[1] > 11 || parts[2] < 1 || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) return undefined;
  // A day the month does not have (2026-11-31, 2026-02-29) is an error, not the 1st of the next month.
  if (new Date(Date.UTC(parts[0], parts[1], parts[2])).getUTCDate() !== parts[2]) return undefined;
  let start: number;
  if (zone) {
    const off = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +zone.slice(-2)) * 60_000;
    start = Date.UTC(...parts) - off;
  } else {
    start = new Date(...parts).getTime();
  }
  if (h === undefined) return { start, end: zone ? start + DAY : localDayAfter(start) };
  return { start, end: start + precision(s, frac, 60_000) };
}

/**
 * Parses a `-t` range: one time (its own interval), `A..B`, or `A-B` where both sides are times.
 * `-1h` alone means from an hour ago onwards. The end of `A-B` is B's start (exclusive).
 */
export function parseTimeRange(text: string, now: number): Interval | undefined {
  const single = parseTime(text, now);
  if (single) {
    const relative = /^\s*[-+]/.test(text) || text.trim().toLowerCase() === 'now';
    return relative ? { start: single.start, end: Infinity } : single;
  }
  const dots = text.indexOf('..');
  const cuts = dots >= 0 ? [[dots, dots + 2]] : [...text.matchAll(/-/g)].map((m) => [m.index, m.index + 1]);
  for (const [a, b] of cuts) {
    const left = text.slice(0, a);
    const right = text.slice(b);
    const from = left === '' ? { start: -Infinity, end: -Infinity } : parseTime(left, now);
    const to = right === '' ? { start: Infinity, end: Infinity } : parseTime(right, now);
    if (from && to && from.start <= to.start) return { start: from.start, end: to.start };
  }
  return undefined;
}
