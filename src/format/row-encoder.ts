/**
 * The fast path behind smbta-csv and smbta-json: rows written straight into bytes.
 * Each distinct string of a block is escaped and encoded once into a dictionary; a row
 * is then byte copies, integers written digit by digit and times from a per-second
 * cache, with no strings built per row.
 */
import { fieldDef, opName, type FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { COLUMN_INDEX } from '../stream/columns.js';
import { utf8Write } from '../stream/bytes.js';

export interface RowStyle {
  /** Escapes a text value (quoting included). */
  text(s: string): string;
  /** Bytes before each field (e.g. `{"user":`); the separator between fields is included here. */
  prefix: readonly string[];
  /** Bytes after the last field: the line end. */
  suffix: string;
  /** Times as ISO 8601 text (wrapped in `quote`), or as integers. */
  isoTime: boolean;
  quote: string;
}

const enum Kind {
  Text,
  Op,
  Time,
  Number,
}

export function createRowEncoder(fields: readonly FieldName[], style: RowStyle) {
  const kinds = fields.map((f) => {
    const k = fieldDef(f)!.kind;
    return k === 'string' ? Kind.Text : k === 'op' ? Kind.Op : k === 'time' ? Kind.Time : Kind.Number;
  });
  const prefixes = style.prefix.map((p) => Buffer.from(p));
  // Runs of adjacent text fields (user, sid, domain, share, path, ...): when a row repeats the
  // previous row's strings for a whole run, as records of one session do, the run's bytes are
  // copied from the previous row in one go. runEnd[f] is one past the run starting at f, or 0.
  const runEnd = kinds.map((k, f) => {
    if (k !== Kind.Text || (f > 0 && kinds[f - 1] === Kind.Text)) return 0;
    let e = f;
    while (e < kinds.length && kinds[e] === Kind.Text) e++;
    return e - f >= 2 ? e : 0;
  });
  const suffix = Buffer.from(style.suffix);
  const quote = style.quote.length ? style.quote.charCodeAt(0) : -1;
  const ops = Array.from({ length: 256 }, (_, id) => Buffer.from(style.text(opName(id))));
  let lastSec = NaN;
  let secText: Buffer = Buffer.alloc(0);
  let out: Buffer = Buffer.allocUnsafe(1 << 21);
  /** Escaped, encoded text of the current block's strings; kept (and grown) from block to block. */
  let dict: Buffer = Buffer.allocUnsafe(1 << 20);
  const widened: Float64Array[] = fields.map(() => new Float64Array(0));

  /** Doubles `out` until `need` more bytes fit after `used`. */
  const grow = (used: number, need: number): Buffer => {
    const next = Buffer.allocUnsafe(Math.max(out.length * 2, used + need));
    out.copy(next, 0, 0, used);
    return (out = next);
  };

  /** The text of a second (without milliseconds) as bytes, cached while records stay in it. */
  const secondText = (sec: number): Buffer => {
    if (sec !== lastSec) {
      lastSec = sec;
      secText = Buffer.from(new Date(sec * 1000).toISOString().slice(0, 19));
    }
    return secText;
  };

  return {
    /**
     * Encodes the given rows of a batch (all `count` rows when `rows` is null). The result
     * is a view of a reused buffer, valid until the next call: write it out first.
     */
    encode(b: RecordBatch, rows: Uint32Array | null, count: number): Buffer {
      // One array type for every column keeps the inner loop's loads monomorphic: string
      // references are widened into arrays kept from block to block.
      const cols = fields.map((f, k) => {
        const c = b.column(COLUMN_INDEX[f]);
        if (c instanceof Float64Array) return c;
        if (!(widened[k]!.length >= c.length)) widened[k] = new Float64Array(Math.max(c.length, 8192));
        widened[k]!.set(c);
        return widened[k]!;
      });
      // Per block: escaped, encoded text of each string reference, filled on first use.
      const offset = new Int32Array(b.strings.size).fill(-1);
      const length = new Int32Array(b.strings.size);
      // Long strings are copied with TypedArray#set from a view made once per string.
      const views = new Array<Uint8Array | undefined>(b.strings.size);
      let used = 0;
      const F = fields.length;
      // Locals, not closure variables, so the hot loop keeps them in registers.
      let o: Buffer = out;
      let q = 0;
      const runFrom = new Int32Array(F).fill(-1);
      const runTo = new Int32Array(F);
      let prev = -1;
      let openRun = -1;
      for (let k = 0; k < count; k++) {
        const i = rows ? rows[k]! : k;
        if (q + 4096 > o.length) o = grow(q, 4096);
        for (let f = 0; f < F; f++) {
          const e = runEnd[f]!;
          if (e !== 0) {
            let same = prev >= 0 && runFrom[f]! >= 0;
            for (let g = f; same && g < e; g++) same = cols[g]![i] === cols[g]![prev];
            if (same) {
              const len = runTo[f]! - runFrom[f]!;
              if (q + len + 4096 > o.length) o = grow(q, len + 4096);
              o.copyWithin(q, runFrom[f]!, runTo[f]);
              runFrom[f] = q;
              q += len;
              runTo[f] = q;
              f = e - 1;
              continue;
            }
            runFrom[f] = q;
            openRun = f;
          }
          const pre = prefixes[f]!;
          for (let c = 0; c < pre.length; c++) o[q++] = pre[c]!;
          const v = cols[f]![i]!;
          const kind = kinds[f];
          if (kind === Kind.Text) {
            const r = v | 0;
            let off = offset[r]!;
            if (off < 0) {
              const text = style.text(b.strings.get(r));
              if (used + text.length * 3 > dict.length) {
                const next = Buffer.allocUnsafe(Math.max(dict.length * 2, used + text.length * 3));
                dict.copy(next, 0, 0, used);
                dict = next;
              }
              off = offset[r] = used;
              used += length[r] = utf8Write.call(dict, text, used, text.length * 3);
            }
            const len = length[r]!;
            if (q + len + 4096 > o.length) o = grow(q, len + 4096);
            if (len < 16) {
              for (let c = off, e = off + len; c < e; c++) o[q++] = dict[c]!;
            } else {
              o.set((views[r] ??= dict.subarray(off, off + len)), q);
              q += len;
            }
          } else if (kind === Kind.Op) {
            const name = ops[v | 0] ?? Buffer.from(style.text(opName(v)));
            for (let c = 0; c < name.length; c++) o[q++] = name[c]!;
          } else if (kind === Kind.Time && style.isoTime && Math.abs(v) <= 8.64e15) {
            const sec = Math.floor(v / 1000);
            const st = secondText(sec);
            const m = (v - sec * 1000) | 0; // an int: % on doubles is a slow library call
            if (quote >= 0) o[q++] = quote;
            o.set(st, q);
            q += st.length;
            o[q++] = 46;
            o[q++] = 48 + ((m / 100) | 0);
            o[q++] = 48 + (((m / 10) | 0) % 10);
            o[q++] = 48 + (m % 10);
            o[q++] = 90;
            if (quote >= 0) o[q++] = quote;
          } else if (v >= 0 && v <= 0x7fffffff && v === Math.floor(v)) {
            let x = v | 0;
            let digits = 1;
            while (x >= 10) {
              x = (x / 10) | 0;
              digits++;
            }
            x = v | 0;
            for (let c = q + digits - 1; c >= q; c--) {
              o[c] = 48 + (x % 10);
              x = (x / 10) | 0;
            }
            q += digits;
          } else {
            const t = String(v);
            for (let c = 0; c < t.length; c++) o[q++] = t.charCodeAt(c);
          }
          if (openRun >= 0 && f + 1 === runEnd[openRun]) {
            runTo[openRun] = q;
            openRun = -1;
          }
        }
        for (let c = 0; c < suffix.length; c++) o[q++] = suffix[c]!;
        prev = i;
      }
      return o.subarray(0, q);
    },
  };
}
