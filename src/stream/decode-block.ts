/**
 * Turns the payload of a records block into a lazily decoded RecordBatch.
 * The string table and column directory are indexed at once (so a damaged
 * layout is found here); column values are decoded on first use.
 */
import { allocateColumn, RecordBatch, type Column, type StringTable } from './batch.js';
import { ByteReader, FormatError } from './bytes.js';
import { COLUMNS, COLUMN_BY_WIRE_ID, END, TIME, COUNT } from './columns.js';
import { ColumnEncoding } from './format.js';

/** Upper bound on strings in one block, so a hostile count cannot allocate without limit. */
const MAX_STRINGS = 1 << 22;

class BlockStrings implements StringTable {
  private readonly cache: (string | undefined)[];
  constructor(
    private readonly buf: Buffer,
    private readonly offsets: Uint32Array,
  ) {
    this.cache = new Array<string | undefined>(offsets.length / 2);
    this.cache[0] = '';
  }
  get size(): number {
    return this.offsets.length / 2;
  }
  get(ref: number): string {
    let s = this.cache[ref];
    if (s === undefined) {
      if (ref >= this.size) throw new FormatError(`string reference ${ref} outside the table`);
      s = this.cache[ref] = this.buf.toString('utf8', this.offsets[ref * 2], this.offsets[ref * 2 + 1]);
    }
    return s;
  }
}

interface ColumnRef {
  encoding: number;
  start: number;
  end: number;
}

export function decodeRecordsPayload(payload: Buffer, count: number, tmin: number, tmax: number): RecordBatch {
  const r = new ByteReader(payload, 0, payload.length);
  const nStrings = r.uvarint() + 1;
  if (nStrings > MAX_STRINGS || nStrings > payload.length + 1) throw new FormatError('absurd string count');
  const offsets = new Uint32Array(nStrings * 2);
  // Inlined: every reader indexes every block's strings, thousands of them.
  let p = r.pos;
  const end = payload.length;
  for (let k = 1; k < nStrings; k++) {
    let c = payload[p++]!;
    let len = c & 0x7f;
    for (let shift = 7; c >= 0x80; shift += 7) {
      if (shift > 28 || p >= end) throw new FormatError('bad string length');
      c = payload[p++]!;
      len |= (c & 0x7f) << shift;
    }
    offsets[k * 2] = p;
    p += len >>> 0;
    if (p > end) throw new FormatError('string runs past the end of its block');
    offsets[k * 2 + 1] = p;
  }
  r.pos = p;
  const strings = new BlockStrings(payload, offsets);
  const dir = new Array<ColumnRef | undefined>(COLUMNS.length);
  const nCols = r.uvarint();
  for (let k = 0; k < nCols; k++) {
    const wireId = r.uvarint();
    const encoding = r.byte();
    const len = r.uvarint();
    const start = r.pos;
    r.skip(len);
    // Columns this reader does not know come from newer writers: skipped by design.
    const spec = COLUMN_BY_WIRE_ID.get(wireId);
    if (spec && (encoding === ColumnEncoding.Each || encoding === ColumnEncoding.Constant)) {
      dir[spec.index] = { encoding, start, end: r.pos };
    }
  }
  const batch = new RecordBatch(count, strings, (index) => decodeColumn(index), tmin, tmax);
  batch.gatherer = (index, rows, n) => {
    const ref = dir[index];
    const spec = COLUMNS[index]!;
    // Deltas need every value before a row, and `end` needs `time`: those decode whole.
    if (!ref || ref.encoding !== ColumnEncoding.Each || spec.coding === 'delta' || index === END) return undefined;
    const out = spec.isString ? new Uint32Array(n) : new Float64Array(n);
    gatherValues(payload, ref.start, ref.end, rows, n, out, spec.coding === 'svarint');
    if (spec.isString) checkRefs(out, n, nStrings);
    return out;
  };

  function decodeColumn(index: number): Column {
    const spec = COLUMNS[index]!;
    const out = allocateColumn(spec.isString, count);
    const ref = dir[index];
    if (!ref) {
      if (index === END) out.set(batch.column(TIME));
      else out.fill(index === COUNT ? 1 : 0);
      return out;
    }
    const n = ref.encoding === ColumnEncoding.Constant ? Math.min(count, 1) : count;
    decodeValues(payload, ref.start, ref.end, n, out, spec.coding, tmin);
    if (spec.coding === 'ref') checkRefs(out, n, nStrings);
    if (n < count) out.fill(out[0]!, 1);
    if (index === END) {
      const time = batch.column(TIME);
      for (let i = 0; i < count; i++) out[i]! += time[i]!;
    }
    return out;
  }
  return batch;
}

/**
 * Decodes `n` LEB128 values from buf[pos..end) into `out`: the hot loop of every reader.
 * Inlined with the one-byte case first and one bounds check per value; kept in two
 * monomorphic copies (numbers, string references) because V8 slows down when one loop
 * stores into two kinds of typed array.
 */
function decodeValues(buf: Uint8Array, pos: number, end: number, n: number, out: Column, coding: string, tmin: number): void {
  if (out instanceof Uint32Array) decodeRefs(buf, pos, end, n, out);
  else decodeNumbers(buf, pos, end, n, out, coding !== 'uvarint', coding === 'delta', tmin);
}

function decodeNumbers(buf: Uint8Array, pos: number, end: number, n: number, out: Float64Array, zigzag: boolean, delta: boolean, tmin: number): void {
  let p = pos;
  let prev = tmin;
  for (let i = 0; i < n; i++) {
    let c = buf[p++]!;
    let v: number;
    if (c < 0x80) v = c;
    else {
      v = c & 0x7f;
      let mul = 0x80;
      do {
        c = buf[p++]!;
        v += (c & 0x7f) * mul;
        mul *= 0x80;
      } while (c >= 0x80 && mul <= 2 ** 56);
      if (c >= 0x80) throw new FormatError('varint too long');
    }
    if (p > end) throw new FormatError('column runs past its end');
    if (zigzag) v = unzigzag(v);
    if (delta) v = prev += v;
    out[i] = v;
  }
}

function decodeRefs(buf: Uint8Array, pos: number, end: number, n: number, out: Uint32Array): void {
  let p = pos;
  for (let i = 0; i < n; i++) {
    let c = buf[p++]!;
    let v = c & 0x7f;
    for (let shift = 7; c >= 0x80; shift += 7) {
      if (shift > 28) throw new FormatError('string reference too long');
      c = buf[p++]!;
      v |= (c & 0x7f) << shift;
    }
    if (p > end) throw new FormatError('column runs past its end');
    out[i] = v >>> 0;
  }
}

/**
 * Decodes the values at `rows` (ascending) of a column of LEB128 values, skipping over the
 * bytes of the rows in between without decoding them.
 */
function gatherValues(buf: Uint8Array, pos: number, end: number, rows: Uint32Array, n: number, out: Column, zigzag: boolean): void {
  const words = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = pos;
  let row = 0;
  for (let k = 0; k < n; k++) {
    const want = rows[k]!;
    // Four bytes at a time while four or more values are to be skipped (four bytes end at
    // most four values: a value ends at each byte below 0x80), then value by value.
    while (want - row >= 4 && p + 4 <= end) {
      row += 4 - (Math.imul((words.getUint32(p) & 0x80808080) >>> 7, 0x01010101) >>> 24);
      p += 4;
    }
    for (; row < want; row++) {
      while (buf[p++]! >= 0x80);
    }
    let c = buf[p++]!;
    let v = c & 0x7f;
    let mul = 0x80;
    while (c >= 0x80) {
      if (mul > 2 ** 56) throw new FormatError('varint too long');
      c = buf[p++]!;
      v += (c & 0x7f) * mul;
      mul *= 0x80;
    }
    row++;
    if (p > end) throw new FormatError('column runs past its end');
    out[k] = zigzag ? unzigzag(v) : v;
  }
}

/** Zigzag back to signed: 0, 1, 2, 3, ... is 0, -1, 1, -2, ... (arithmetic: values reach 2^53). */
function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Every string reference of a decoded column must point into the block's table. */
function checkRefs(out: Column, n: number, nStrings: number): void {
  for (let i = 0; i < n; i++) if (out[i]! >= nStrings) throw new FormatError(`string reference ${out[i]} outside the table`);
}
