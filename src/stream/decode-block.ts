/**
 * Turns the payload of a records block into a lazily decoded RecordBatch.
 * The string table and column directory are indexed at once (so a damaged
 * layout is found here); column values are decoded on first use.
 */
import { RecordBatch, type Column, type StringTable } from './batch.js';
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
    this.cache = new Array(offsets.length / 2);
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
  for (let k = 1; k < nStrings; k++) {
    const len = r.uvarint();
    offsets[k * 2] = r.pos;
    r.skip(len);
    offsets[k * 2 + 1] = r.pos;
  }
  const strings = new BlockStrings(payload, offsets);
  const dir: (ColumnRef | undefined)[] = new Array(COLUMNS.length);
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

  function decodeColumn(index: number): Column {
    const spec = COLUMNS[index]!;
    const out: Column = spec.isString ? new Uint32Array(count) : new Float64Array(count);
    const ref = dir[index];
    if (!ref) {
      if (index === END) out.set(batch.column(TIME));
      else if (index === COUNT) out.fill(1);
      return out;
    }
    const cr = new ByteReader(payload, ref.start, ref.end);
    const n = ref.encoding === ColumnEncoding.Constant ? Math.min(count, 1) : count;
    let prev = tmin;
    for (let i = 0; i < n; i++) {
      switch (spec.coding) {
        case 'delta':
          prev += cr.svarint();
          out[i] = prev;
          break;
        case 'svarint':
          out[i] = cr.svarint();
          break;
        case 'ref': {
          const v = cr.uvarint();
          if (v >= nStrings) throw new FormatError(`string reference ${v} outside the table`);
          out[i] = v;
          break;
        }
        default:
          out[i] = cr.uvarint();
      }
    }
    if (n < count) out.fill(out[0]!, 1);
    if (index === END) {
      const time = batch.column(TIME);
      for (let i = 0; i < count; i++) out[i]! += time[i]!;
    }
    return out;
  }
  return batch;
}
