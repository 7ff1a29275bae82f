/**
 * Collects records into columns with an interned string table, and encodes them as one
 * records block. One builder serves every producer: records arriving one at a time
 * (a receiver) and rows copied out of decoded batches (a filter).
 */
import type { SmbRecord } from '../record/fields.js';
import { RecordBatch, type Column, type StringTable } from './batch.js';
import { ByteWriter } from './bytes.js';
import { COLUMN_INDEX as COL, COLUMNS, END, TIME } from './columns.js';
import { BlockKind, ColumnEncoding, frameBlock, type BlockNumber } from './format.js';

/** Records per block when nothing else decides: big enough to amortise the string table. */
export const DEFAULT_BLOCK_RECORDS = 8192;

export class BatchBuilder {
  length = 0;
  private capacity: number;
  private cols: Column[];
  private strings: string[] = [''];
  private index = new Map<string, number>([['', 0]]);
  private lastText: (string | undefined)[] = [];
  private lastRef: number[] = [];
  /** Builder references of the strings of `remapOf`, -1 where not yet interned (see addRows). */
  private remapOf: StringTable | undefined;
  private remap = new Int32Array(0);

  constructor(capacity = DEFAULT_BLOCK_RECORDS) {
    this.capacity = capacity;
    this.cols = COLUMNS.map((c) => (c.isString ? new Uint32Array(capacity) : new Float64Array(capacity)));
  }

  private intern(s: string): number {
    let ref = this.index.get(s);
    if (ref === undefined) {
      ref = this.strings.length;
      this.strings.push(s);
      this.index.set(s, ref);
    }
    return ref;
  }

  private grow(): void {
    this.capacity *= 2;
    this.cols = this.cols.map((c) => {
      const next = c instanceof Uint32Array ? new Uint32Array(this.capacity) : new Float64Array(this.capacity);
      next.set(c);
      return next;
    });
  }

  /** Adds one record; written out field by field because it is every producer's hot path. */
  add(r: SmbRecord): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    const c = this.cols;
    c[COL.time]![i] = cleanNumber('delta', r.time);
    c[COL.end]![i] = cleanNumber('delta', r.end);
    c[COL.op]![i] = cleanNumber('uvarint', r.op);
    c[COL.user]![i] = this.ref(COL.user, r.user);
    c[COL.sid]![i] = this.ref(COL.sid, r.sid);
    c[COL.domain]![i] = this.ref(COL.domain, r.domain);
    c[COL.share]![i] = this.ref(COL.share, r.share);
    c[COL.path]![i] = this.ref(COL.path, r.path);
    c[COL.path2]![i] = this.ref(COL.path2, r.path2);
    c[COL.client]![i] = this.ref(COL.client, r.client);
    c[COL.server]![i] = this.ref(COL.server, r.server);
    c[COL.bytes]![i] = cleanNumber('uvarint', r.bytes);
    c[COL.count]![i] = cleanNumber('uvarint', r.count);
    c[COL.mode]![i] = cleanNumber('svarint', r.mode);
    c[COL.result]![i] = cleanNumber('svarint', r.result);
    c[COL.latency]![i] = cleanNumber('uvarint', r.latency);
    c[COL.latency_max]![i] = cleanNumber('uvarint', r.latency_max);
  }

  /** The string-table reference of `v` in column `k`; producers repeat a column's last string often. */
  private ref(k: number, v: unknown): number {
    const s = typeof v === 'string' ? v : '';
    if (s !== this.lastText[k]) {
      this.lastText[k] = s;
      this.lastRef[k] = this.intern(s);
    }
    return this.lastRef[k]!;
  }

  /**
   * Copies the given rows of `batch` (all `count` rows when `rows` is null), column by
   * column, re-interning each distinct string once.
   */
  addRows(batch: RecordBatch, rows: Uint32Array | null, count: number): void {
    while (this.length + count > this.capacity) this.grow();
    const remap = this.remapFor(batch.strings);
    const at = this.length;
    // A few rows of a block: gather just their values rather than decoding whole columns.
    const sparse = rows !== null && count * 8 < batch.length;
    for (const spec of COLUMNS) {
      const src = sparse ? batch.gather(spec.index, rows, count) : batch.column(spec.index);
      const dst = this.cols[spec.index]!;
      if (spec.isString) {
        for (let k = 0; k < count; k++) {
          const v = src[rows && !sparse ? rows[k]! : k]!;
          let ref = remap[v]!;
          if (ref < 0) ref = remap[v] = this.intern(batch.strings.get(v));
          dst[at + k] = ref;
        }
      } else if (sparse) {
        dst.set(src.subarray(0, count), at);
      } else if (rows) {
        for (let k = 0; k < count; k++) dst[at + k] = src[rows[k]!]!;
      } else {
        dst.set(src.subarray(0, count), at);
      }
    }
    this.length += count;
  }

  /**
   * The reference table for a batch's strings, kept while the same table keeps coming
   * (a merger emits from one growing table many times per block) and this block lasts.
   */
  private remapFor(strings: StringTable): Int32Array {
    if (strings !== this.remapOf) {
      this.remapOf = strings;
      this.remap = new Int32Array(strings.size).fill(-1);
    } else if (this.remap.length < strings.size) {
      const next = new Int32Array(Math.max(strings.size, this.remap.length * 2)).fill(-1);
      next.set(this.remap);
      this.remap = next;
    }
    return this.remap;
  }

  /** The collected records as an in-memory batch (shares nothing with later additions). */
  toBatch(): RecordBatch {
    const n = this.length;
    const cols = this.cols.map((c) => c.slice(0, n));
    const strings = this.strings.slice();
    const [tmin, tmax] = this.timeRange();
    return new RecordBatch(n, { size: strings.length, get: (ref) => strings[ref] ?? '' }, (k) => cols[k]!, tmin, tmax);
  }

  private timeRange(): [number, number] {
    const time = this.cols[TIME]!;
    const end = this.cols[END]!;
    let tmin = Infinity;
    let tmax = -Infinity;
    for (let i = 0; i < this.length; i++) {
      if (time[i]! < tmin) tmin = time[i]!;
      if (end[i]! > tmax) tmax = end[i]!;
    }
    return this.length ? [tmin, Math.max(tmin, tmax)] : [0, 0];
  }

  /** Encodes the collected records as one block and empties the builder. */
  encode(num?: BlockNumber): Buffer {
    const n = this.length;
    const [tmin, tmax] = this.timeRange();
    const w = new ByteWriter(64 + n * 24 + this.strings.length * 16);
    w.uvarint(this.strings.length - 1);
    for (let k = 1; k < this.strings.length; k++) w.string(this.strings[k]!);
    w.uvarint(COLUMNS.length);
    const data = new ByteWriter(n * 4 + 16);
    const time = this.cols[TIME]!;
    for (const spec of COLUMNS) {
      const col = this.cols[spec.index]!;
      data.pos = 0;
      const constant = isConstant(col, n, spec.index === END ? time : undefined);
      const count = constant ? Math.min(n, 1) : n;
      let prev = tmin;
      for (let i = 0; i < count; i++) {
        const v = col[i]!;
        switch (spec.coding) {
          case 'delta':
            data.svarint(v - prev);
            prev = v;
            break;
          case 'svarint':
            data.svarint(spec.index === END ? v - time[i]! : v);
            break;
          default:
            data.uvarint(v);
        }
      }
      w.uvarint(spec.wireId);
      w.byte(constant ? ColumnEncoding.Constant : ColumnEncoding.Each);
      w.uvarint(data.pos);
      w.bytes(data.result());
    }
    const block = frameBlock(BlockKind.Records, w.result(), n, tmin, tmax, num);
    this.reset();
    return block;
  }

  reset(): void {
    this.length = 0;
    this.strings = [''];
    this.index = new Map([['', 0]]);
    this.lastText = [];
    this.remapOf = undefined;
  }
}

/** True when every value is the same (for `end`: the same distance from `time`). */
function isConstant(col: Column, n: number, time: Column | undefined): boolean {
  if (n === 0) return true;
  if (time) {
    const d = col[0]! - time[0]!;
    for (let i = 1; i < n; i++) if (col[i]! - time[i]! !== d) return false;
    return true;
  }
  const first = col[0];
  for (let i = 1; i < n; i++) if (col[i] !== first) return false;
  return true;
}

/** Numbers as the format holds them: integers, unsigned ones clamped to [0, 2^53). */
function cleanNumber(coding: 'delta' | 'uvarint' | 'svarint', v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 0;
  const n = Number.isInteger(v) ? v : Math.trunc(v);
  return coding === 'uvarint' ? (n < 0 ? 0 : n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n) : n;
}

/** Encodes records as a whole stream of blocks of `perBlock` records (fixtures, tests, benchmarks). */
export function encodeRecords(records: Iterable<SmbRecord>, perBlock = DEFAULT_BLOCK_RECORDS): Buffer {
  const b = new BatchBuilder(Math.min(perBlock, DEFAULT_BLOCK_RECORDS));
  const blocks: Buffer[] = [];
  for (const r of records) {
    b.add(r);
    if (b.length === perBlock) blocks.push(b.encode());
  }
  if (b.length) blocks.push(b.encode());
  return Buffer.concat(blocks);
}
