/**
 * Storing each record once when several loaders load the same records at once: inside the
 * transaction that stores a batch (with its runs locked, or the database's one writer), the
 * ranges already stored for the batch's runs are read, the rows they hold are dropped, and
 * the ranges stored become those merged with the rows kept. A loader's own view of what is
 * stored (db/covered.ts) only saves the work of sending rows that would be dropped here.
 */
import type { PendingRows, Ranges } from './types.js';
import { STORED_COLUMNS } from './schema.js';

const WIDTH = STORED_COLUMNS.length;

export interface Claimed {
  rows: PendingRows;
  /** Rows another load had stored already. */
  skipped: number;
  /** Every stored range of each run the batch touched, with its rows. */
  covered: Map<string, Ranges>;
}

/** The distinct runs a batch's rows belong to, sorted (locks are taken in this order). */
export function runsOf(rows: PendingRows): string[] {
  return [...new Set(rows.runs.filter((r) => r !== ''))].sort();
}

/** `rows` less those `stored` holds; `stored` is every range of each of their runs (run, first, next). */
export function claim(rows: PendingRows, stored: readonly Record<string, unknown>[]): Claimed {
  const covered = new Map<string, Ranges>();
  for (const r of stored) (covered.get(String(r.run)) ?? covered.set(String(r.run), []).get(String(r.run))!).push([Number(r.first), Number(r.next)]);
  for (const ranges of covered.values()) merge(ranges);
  const keep: number[] = [];
  for (let i = 0; i < rows.n; i++) if (!rows.runs[i] || !holds(covered.get(rows.runs[i]!), rows.nums[i]!)) keep.push(i);
  const out = keep.length === rows.n ? rows : pick(rows, keep);
  for (let i = 0; i < out.n; i++) {
    const run = out.runs[i]!;
    if (run) (covered.get(run) ?? covered.set(run, []).get(run)!).push([out.nums[i]!, out.nums[i]! + 1]);
  }
  for (const ranges of covered.values()) merge(ranges);
  return { rows: out, skipped: rows.n - out.n, covered };
}

function pick(rows: PendingRows, keep: readonly number[]): PendingRows {
  const values: (string | number)[] = [];
  for (const i of keep) for (let c = 0; c < WIDTH; c++) values.push(rows.values[i * WIDTH + c]!);
  return { values, n: keep.length, runs: keep.map((i) => rows.runs[i]!), nums: keep.map((i) => rows.nums[i]!) };
}

/** Sorts and merges ranges in place. */
function merge(ranges: Ranges): void {
  ranges.sort((a, b) => a[0] - b[0]);
  let w = 0;
  for (const r of ranges) {
    const last = ranges[w - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else ranges[w++] = [r[0], r[1]];
  }
  ranges.length = w;
}

/** Whether sorted, merged `ranges` hold `n`. */
export function holds(ranges: Ranges | undefined, n: number): boolean {
  if (!ranges) return false;
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, next] = ranges[mid]!;
    if (n < first) hi = mid - 1;
    else if (n >= next) lo = mid + 1;
    else return true;
  }
  return false;
}
