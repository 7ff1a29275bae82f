/**
 * Between the stream and smbta-top's model: applies the filter typed live, paces archives
 * to `--speed`, keeps the clock rates are measured by, and ticks the model. It never
 * touches the screen, so aggregation costs the same whatever is drawn.
 */
import { compileFilter, type BatchFilter } from '../filter/compile.js';
import { LanguageError } from '../language/errors.js';
import { parseFilter } from '../filter/parser.js';
import { rowRange, type RecordBatch } from '../stream/batch.js';
import { TopModel } from './model.js';

export interface FeedOptions {
  /**
   * How archives are replayed: this many times faster than recorded, or 0 for as fast as
   * they can be read. Undefined for live sources, whose clock is the wall clock.
   */
  replaySpeed: number | undefined;
  filter: BatchFilter | undefined;
  signal: AbortSignal;
}

export class TopFeed {
  readonly model = new TopModel();
  private filter: BatchFilter | undefined;
  private scratch = new Uint32Array(0);
  /** Record time and wall time of the first replayed record. */
  private t0 = NaN;
  private w0 = NaN;
  private ended = false;

  constructor(private readonly opts: FeedOptions) {
    this.filter = opts.filter;
    if (opts.replaySpeed === undefined) this.model.tick(Date.now());
  }

  /** The archive is read to its end: the replay clock stops at its last record. */
  end(): void {
    this.ended = true;
  }

  /** The time rates are measured by: now live, the replay's time for archives (stopped at their end). */
  clock(): number {
    const speed = this.opts.replaySpeed;
    if (speed === undefined) return Date.now();
    if (speed === 0 || Number.isNaN(this.t0) || this.ended) return this.model.latest;
    return this.t0 + (Date.now() - this.w0) * speed;
  }

  tick(): void {
    const now = this.clock();
    if (Number.isFinite(now)) this.model.tick(now);
  }

  clear(): void {
    this.model.clear();
  }

  /** Applies a filter typed live; a mistake leaves the old one and comes back with its column. */
  trySetFilter(text: string): { message: string; column: number } | undefined {
    try {
      const expr = parseFilter(text);
      this.filter = expr.kind === 'all' ? undefined : compileFilter(expr, text);
    } catch (err) {
      if (err instanceof LanguageError) return { message: err.hint ? `${err.message}; ${err.hint}` : err.message, column: err.column };
      throw err;
    }
    this.model.clear();
    return undefined;
  }

  /** Takes the selected rows of a batch, waiting while a replay is ahead of its clock. */
  async add(b: RecordBatch, rows: Uint32Array | null, count: number): Promise<void> {
    if (this.filter) [rows, count] = this.select(b, rows, count, this.filter);
    if (count === 0) return;
    const time = b.nums('time');
    const at = (k: number): number => time[rows ? rows[k]! : k]!;
    if (Number.isNaN(this.t0)) this.startReplay(at(0));
    const speed = this.opts.replaySpeed;
    if (!speed) return this.take(b, rows, 0, count);
    for (let k = 0; k < count && !this.opts.signal.aborted;) {
      const now = this.clock();
      let j = k;
      while (j < count && at(j) <= now) j++;
      if (j > k) {
        this.take(b, rows, k, j - k);
        k = j;
      } else await sleep(Math.min(200, (at(k) - now) / speed));
    }
  }

  private startReplay(t: number): void {
    this.t0 = t;
    this.w0 = Date.now();
    if (this.opts.replaySpeed !== undefined) this.model.tick(t);
  }

  private take(b: RecordBatch, rows: Uint32Array | null, from: number, n: number): void {
    this.model.add(b, rows ? rows.subarray(from, from + n) : from === 0 && n === b.length ? null : rowRange(from, n), n);
  }

  private select(b: RecordBatch, rows: Uint32Array | null, count: number, filter: BatchFilter): [Uint32Array, number] {
    if (this.scratch.length < count) this.scratch = new Uint32Array(b.length);
    const kept = filter(b);
    let n = 0;
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      if (kept[i] === 1) this.scratch[n++] = i;
    }
    return [this.scratch.subarray(0, n), n];
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(1, ms)));
