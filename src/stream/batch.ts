/**
 * A block's records held as columns. Strings are references into the block's string
 * table, so a predicate or formatter can work once per distinct string instead of once
 * per record. Columns decoded from bytes are decoded lazily, on first use.
 */
import { type FieldName, type NumberFieldName, type SmbRecord, type StringFieldName } from '../record/fields.js';
import { COLUMNS, COLUMN_INDEX } from './columns.js';
import type { Position } from './sequence.js';

export type Column = Float64Array | Uint32Array;

export interface StringTable {
  /** Number of strings; index 0 is always ''. */
  readonly size: number;
  get(ref: number): string;
}

export class RecordBatch {
  /** The encoded block this batch was decoded from, for unchanged pass-through. */
  raw: Buffer | undefined;
  /** The writer's run and this block's first record number, when the block was numbered. */
  run: string | undefined;
  seq: number | undefined;
  /** From a live source: where its run stands once this batch is passed on (what --state keeps). */
  position: Position | undefined;
  /** Decodes a column's values at the given rows only (set by the block decoder). */
  gatherer: ((index: number, rows: Uint32Array, count: number) => Column | undefined) | undefined;
  private readonly cache = new Array<Column | undefined>(COLUMNS.length);

  constructor(
    readonly length: number,
    readonly strings: StringTable,
    private readonly load: (index: number) => Column,
    readonly tmin: number,
    readonly tmax: number,
  ) {}

  column(index: number): Column {
    return (this.cache[index] ??= this.load(index));
  }

  /**
   * Says the batch will not be read again, so its decoded columns may be reused for the next
   * block (allocating ~1 MB of fresh arrays per block otherwise dominates reading).
   * Only the code that owns the batch's lifetime (the reader loop) calls this.
   */
  release(): void {
    for (let k = 0; k < this.cache.length; k++) {
      const c = this.cache[k];
      if (c) recycle(c);
      this.cache[k] = undefined;
    }
  }

  /**
   * A column's values at `rows` only, in that order: for a few rows of a block this skips
   * over the others' bytes instead of decoding every value.
   */
  gather(index: number, rows: Uint32Array, count: number): Column {
    const decoded = this.cache[index];
    const sparse = decoded === undefined && this.gatherer?.(index, rows, count);
    if (sparse) return sparse;
    const col = this.column(index);
    const out = col instanceof Uint32Array ? new Uint32Array(count) : new Float64Array(count);
    for (let k = 0; k < count; k++) out[k] = col[rows[k]!]!;
    return out;
  }

  /** String-table references of a string field. */
  refs(field: StringFieldName): Uint32Array {
    return this.column(COLUMN_INDEX[field]) as Uint32Array;
  }

  nums(field: NumberFieldName): Float64Array {
    return this.column(COLUMN_INDEX[field]) as Float64Array;
  }

  value(field: FieldName, i: number): string | number {
    const spec = COLUMNS[COLUMN_INDEX[field]]!;
    const v = this.column(spec.index)[i]!;
    return spec.isString ? this.strings.get(v) : v;
  }

  /** Row `i` as an object; written out field by field, since mergers call it per record. */
  record(i: number): SmbRecord {
    const s = this.strings;
    const n = (f: NumberFieldName): number => this.nums(f)[i]!;
    const t = (f: StringFieldName): string => s.get(this.refs(f)[i]!);
    return {
      time: n('time'),
      end: n('end'),
      op: n('op'),
      user: t('user'),
      sid: t('sid'),
      domain: t('domain'),
      share: t('share'),
      path: t('path'),
      path2: t('path2'),
      client: t('client'),
      server: t('server'),
      bytes: n('bytes'),
      count: n('count'),
      mode: n('mode'),
      result: n('result'),
      latency: n('latency'),
      latency_max: n('latency_max'),
    };
  }
}

/** Row numbers `from`, `from + 1`, ... `from + n - 1`: a row list for part of a batch. */
export function rowRange(from: number, n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let k = 0; k < n; k++) a[k] = from + k;
  return a;
}

const spareNumbers: Float64Array[] = [];
const spareRefs: Uint32Array[] = [];
/** A few spare arrays are enough: one batch's worth is in use at a time. */
const MAX_SPARE = 24;

function recycle(c: Column): void {
  const spare = c instanceof Float64Array ? spareNumbers : spareRefs;
  if (spare.length < MAX_SPARE) spare.push(c as never);
}

/** A column array of `n` elements, reused when one is spare (its contents are garbage). */
export function allocateColumn(isString: boolean, n: number): Column {
  const spare = isString ? spareRefs : spareNumbers;
  for (let k = spare.length - 1; k >= 0; k--) {
    const c = spare[k]!;
    if (c.length >= n) {
      spare.splice(k, 1);
      return c.length === n ? c : c.subarray(0, n);
    }
  }
  return isString ? new Uint32Array(n) : new Float64Array(n);
}
