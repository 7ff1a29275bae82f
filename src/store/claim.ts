/**
 * Storing each record once when several loaders load the same records at once: inside the
 * transaction that stores a batch (with its runs locked, or the database's one writer), the
 * ranges already stored for the batch's runs are read, the rows they hold are dropped, and
 * the ranges stored become those merged with the rows kept. A loader's own view of what is
 * stored (db/covered.ts) only saves the work of sending rows that would be dropped here.
 */
import { addRange, holds, mergeRanges } from './ranges.js';
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
  const of = (run: string): Ranges => covered.get(run) ?? covered.set(run, []).get(run)!;
  for (const r of stored) of(String(r.run)).push([Number(r.first), Number(r.next)]);
  for (const ranges of covered.values()) mergeRanges(ranges);
  // Every record passes here: a binary search in a few ranges, and an extended range; nothing stored of its runs keeps the batch as it is.
  let out = rows;
  if (stored.length) {
    const keep: number[] = [];
    for (let i = 0; i < rows.n; i++) if (!holds(covered.get(rows.runs[i]!), rows.nums[i]!)) keep.push(i);
    if (keep.length < rows.n) out = pick(rows, keep);
  }
  for (let i = 0; i < out.n; i++) if (out.runs[i]) addRange(of(out.runs[i]!), out.nums[i]!, out.nums[i]! + 1);
  return { rows: out, skipped: rows.n - out.n, covered };
}

function pick(rows: PendingRows, keep: readonly number[]): PendingRows {
  const values: (string | number)[] = [];
  for (const i of keep) for (let c = 0; c < WIDTH; c++) values.push(rows.values[i * WIDTH + c]!);
  return { values, n: keep.length, runs: keep.map((i) => rows.runs[i]!), nums: keep.map((i) => rows.nums[i]!) };
}
