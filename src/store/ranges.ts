/** Record numbers of a run as sorted, merged half-open ranges [first, next): what a store holds of it. */
import type { Ranges } from './types.js';

/** Adds [first, next); numbers nearly always come in order, so that is an extension or an append, without sorting. */
export function addRange(ranges: Ranges, first: number, next: number): void {
  const last = ranges[ranges.length - 1];
  if (!last || first > last[1]) ranges.push([first, next]);
  else if (first >= last[0]) last[1] = Math.max(last[1], next);
  else {
    ranges.push([first, next]);
    mergeRanges(ranges);
  }
}

/** Sorts and merges ranges in place. */
export function mergeRanges(ranges: Ranges): void {
  ranges.sort((a, b) => a[0] - b[0]);
  let w = 0;
  for (const r of ranges) {
    const last = ranges[w - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else ranges[w++] = [r[0], r[1]];
  }
  ranges.length = w;
}

/** Whether `ranges` hold `n`. */
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
