/**
 * Writes records as blocks to a byte sink. A live writer flushes a block at most
 * `flushMs` after its first waiting record, so live views lag by no more than that.
 */
import type { SmbRecord } from '../record/fields.js';
import type { ByteSink } from '../io/byte-sink.js';
import { rowRange, type RecordBatch } from './batch.js';
import { BatchBuilder, DEFAULT_BLOCK_RECORDS } from './builder.js';
import { BlockKind, frameBlock } from './format.js';

export interface WriterOptions {
  /** Records per block at most. */
  blockRecords?: number;
  /** Flush waiting records after this many ms (live writers: 100); 0 waits for full blocks. */
  flushMs?: number;
}

export class StreamWriter {
  private readonly builder: BatchBuilder;
  private readonly blockRecords: number;
  private timer: NodeJS.Timeout | undefined;
  records = 0;
  bytes = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly opts: WriterOptions = {},
  ) {
    this.blockRecords = opts.blockRecords ?? DEFAULT_BLOCK_RECORDS;
    this.builder = new BatchBuilder(Math.min(this.blockRecords, DEFAULT_BLOCK_RECORDS));
  }

  add(r: SmbRecord): void {
    this.builder.add(r);
    this.added(1);
  }

  /** Copies rows of a decoded batch (all `count` when `rows` is null), in blocks of at most blockRecords. */
  addRows(batch: RecordBatch, rows: Uint32Array | null, count: number): void {
    for (let done = 0; done < count; ) {
      const n = Math.min(count - done, this.blockRecords - this.builder.length);
      const part = rows ? rows.subarray(done, done + n) : done === 0 && n === count ? null : rowRange(done, n);
      this.builder.addRows(batch, part, n);
      done += n;
      this.added(n);
    }
  }

  private added(n: number): void {
    this.records += n;
    if (this.builder.length >= this.blockRecords) this.flush();
    else if (this.opts.flushMs && !this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
      this.timer.unref();
    }
  }

  /** Writes an already encoded block unchanged, after anything waiting. */
  writeBlock(block: Buffer, records: number): void {
    this.flush();
    this.records += records;
    this.out(block);
  }

  /** Writes a status, gap or info block. */
  writeSide(kind: BlockKind, body: Record<string, unknown>): void {
    this.flush();
    const now = Date.now();
    this.out(frameBlock(kind, Buffer.from(JSON.stringify(body)), 0, now, now));
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.builder.length) this.out(this.builder.encode());
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
