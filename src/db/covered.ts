/**
 * Which records a store already holds, by their writer's run and number: every block an
 * smbta writer lets go carries both, so loading an archive twice (or a file and then the
 * directory holding it) stores each record once. This is the loader's own view, read at its
 * start, which spares sending rows the store would drop; the store decides (claim.ts). An unnumbered block (version 1, older
 * files) counts as a run of its own, named by its checksum, times and length.
 */
import type { RecordBatch } from '../stream/batch.js';
import { addRange, holds } from '../store/ranges.js';
import type { Ranges } from '../store/types.js';

/** A block's run and first number; undefined when nothing identifies it. */
export function blockIdentity(b: RecordBatch): { run: string; seq: number } | undefined {
  if (b.run !== undefined) return { run: b.run, seq: b.seq! };
  if (!b.raw) return undefined;
  return { run: `v1:${b.raw.readUInt32LE(32).toString(16)}:${b.tmin}:${b.tmax}:${b.length}`, seq: 0 };
}

export class CoveredRuns {
  private readonly runs = new Map<string, Ranges>();

  constructor(rows: readonly Record<string, unknown>[]) {
    for (const r of rows) this.mark(String(r.run), Number(r.first), Number(r.next));
  }

  /** `rows` (indexes into a block numbered from `seq`) without those already stored. */
  fresh(run: string, seq: number, rows: Uint32Array): Uint32Array {
    const ranges = this.runs.get(run);
    if (!ranges || rows.length === 0) return rows;
    const lo = seq + rows[0]!;
    const hi = seq + rows[rows.length - 1]! + 1;
    if (!ranges.some(([first, next]) => first < hi && next > lo)) return rows;
    return rows.filter((i) => !holds(ranges, seq + i));
  }

  /** Notes `rows` of a block numbered from `seq` as stored. */
  add(run: string, seq: number, rows: Uint32Array): void {
    let start = -1;
    let prev = -2;
    for (const i of rows) {
      if (i !== prev + 1) {
        if (start >= 0) this.mark(run, seq + start, seq + prev + 1);
        start = i;
      }
      prev = i;
    }
    if (start >= 0) this.mark(run, seq + start, seq + prev + 1);
  }

  private mark(run: string, first: number, next: number): void {
    addRange(this.runs.get(run) ?? this.runs.set(run, []).get(run)!, first, next);
  }
}
