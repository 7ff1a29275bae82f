/**
 * Writes records as blocks to a byte sink. A live writer flushes a block at most
 * `flushMs` after its first waiting record, so live views lag by no more than that.
 * Every records block is numbered (run, first record's number), so a reader across a
 * network can count what it missed; and the writer knows, for each numbered upstream, how
 * far the blocks it has let go cover: what a program saving --state keeps.
 */
import { randomBytes } from 'node:crypto';
import type { SmbRecord } from '../record/fields.js';
import type { ByteSink } from '../io/byte-sink.js';
import { rowRange, type RecordBatch } from './batch.js';
import { BatchBuilder, DEFAULT_BLOCK_RECORDS } from './builder.js';
import { BlockKind, frameBlock, renumberBlock } from './format.js';
import { positionThrough, type Position } from './sequence.js';

export interface WriterOptions {
  /** Records per block at most. */
  blockRecords?: number;
  /** Flush waiting records after this many ms (live writers: 100); 0 waits for full blocks. */
  flushMs?: number;
  /** Go on with a run saved in --state (and with its sources' positions); a new run otherwise. */
  resume?: { run: string; next: number; covered?: ReadonlyMap<string, Position> };
  /**
   * Called when blocks are about to leave, after `next` and `covered` say where they end:
   * the moment to save --state, before the block can be lost.
   */
  onCommit?: (w: StreamWriter) => void;
}

export class StreamWriter {
  private readonly builder: BatchBuilder;
  private readonly blockRecords: number;
  private timer: NodeJS.Timeout | undefined;
  records = 0;
  bytes = 0;
  readonly run: Buffer;
  /** The number the next record will have. */
  next: number;
  /** For each numbered upstream (by source label): where the records let go so far end. */
  readonly covered = new Map<string, Position>();
  /** Upstream positions of records waiting in the builder, covered once their block leaves. */
  private readonly waiting = new Map<string, Position>();

  constructor(
    private readonly sink: ByteSink,
    private readonly opts: WriterOptions = {},
  ) {
    this.blockRecords = opts.blockRecords ?? DEFAULT_BLOCK_RECORDS;
    this.builder = new BatchBuilder(Math.min(this.blockRecords, DEFAULT_BLOCK_RECORDS));
    this.run = opts.resume ? Buffer.from(opts.resume.run, 'hex') : randomBytes(8);
    this.next = opts.resume?.next ?? 0;
    // A source not heard from yet this run keeps its saved position in every state saved.
    for (const [from, p] of opts.resume?.covered ?? []) this.covered.set(from, p);
  }

  get runId(): string {
    return this.run.toString('hex');
  }

  add(r: SmbRecord): void {
    this.builder.add(r);
    this.added(1);
  }

  /**
   * Copies rows of a decoded batch (all `count` when `rows` is null), in blocks of at most
   * blockRecords. A batch that fits in a block is never split across two, so the block that
   * holds its rows also covers its upstream position (`from`: the source it came from).
   */
  addRows(batch: RecordBatch, rows: Uint32Array | null, count: number, from?: string): void {
    if (this.builder.length && this.builder.length + count > this.blockRecords) this.flush();
    for (let done = 0; done < count;) {
      const n = Math.min(count - done, this.blockRecords - this.builder.length);
      const part = rows ? rows.subarray(done, done + n) : done === 0 && n === count ? null : rowRange(done, n);
      this.builder.addRows(batch, part, n);
      done += n;
      // Only a batch larger than a block is split: each block covers the part of it it holds.
      this.expect(positionThrough(batch, rows, done, count), from);
      this.added(n);
    }
  }

  /** A live source's batch none of whose rows are written (filtered out): covered with what waits, or now. */
  pass(batch: RecordBatch, from: string): void {
    this.expect(batch.position, from);
    if (!this.builder.length) this.commit();
  }

  private expect(at: Position | undefined, from: string | undefined): void {
    if (from !== undefined && at) this.waiting.set(from, at);
  }

  private added(n: number): void {
    this.records += n;
    if (this.builder.length >= this.blockRecords) this.flush();
    else if (this.opts.flushMs && !this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
      this.timer.unref();
    }
  }

  /** Writes an already encoded records block with this stream's numbering, after anything waiting. */
  writeBlock(block: Buffer, batch: RecordBatch, from?: string): void {
    this.flush();
    this.expect(batch.position, from);
    this.records += batch.length;
    this.out(renumberBlock(block, this.number(batch.length)));
  }

  /** Writes a status, gap, info or alert block, dated `time` (now, but an alert's is its record time). */
  writeSide(kind: BlockKind, body: Record<string, unknown>, time = Date.now()): void {
    this.flush();
    this.out(frameBlock(kind, Buffer.from(JSON.stringify(body)), 0, time, time));
  }

  /** Passes an upstream status, gap, info or alert block on unchanged. */
  writeRaw(block: Buffer): void {
    this.flush();
    this.out(block);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.builder.length) {
      const num = this.number(this.builder.length);
      this.out(this.builder.encode(num));
    }
  }

  /** Numbers a block of `n` records and commits what it covers. */
  private number(n: number): { run: Buffer; seq: number } {
    const seq = this.next;
    this.next += n;
    this.commit();
    return { run: this.run, seq };
  }

  private commit(): void {
    for (const [from, p] of this.waiting) this.covered.set(from, p);
    this.waiting.clear();
    this.opts.onCommit?.(this);
  }

  private out(block: Buffer): void {
    this.bytes += block.length;
    this.sink.write(block);
  }

  /** Bytes written but not yet taken by the destination. */
  backlog(): number {
    return this.sink.backlog();
  }

  ready(): Promise<void> {
    return this.sink.ready();
  }

  async close(): Promise<void> {
    this.flush();
    await this.sink.close();
  }
}
