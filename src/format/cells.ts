/**
 * Binds the fields to print to one batch as per-row text functions. Strings are
 * rendered once per distinct string of the block; every output format supplies only
 * its style (how text, times and numbers look).
 */
import { fieldDef, opName, type FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { COLUMN_INDEX } from '../stream/columns.js';

export type Cell = (i: number) => string;

export interface CellStyle {
  text: (s: string) => string;
  time: (ms: number) => string;
  bytes: (n: number) => string;
  latency: (us: number) => string;
  number: (n: number) => string;
  op: (name: string) => string;
}

export function bindCells(batch: RecordBatch, fields: readonly FieldName[], style: CellStyle): Cell[] {
  return fields.map((field) => {
    const col = batch.column(COLUMN_INDEX[field]);
    switch (fieldDef(field)!.kind) {
      case 'string': {
        const memo = new Array<string | undefined>(batch.strings.size);
        return (i) => {
          const r = col[i]!;
          return (memo[r] ??= style.text(batch.strings.get(r)));
        };
      }
      case 'op': {
        const memo = new Array<string | undefined>(256);
        return (i) => {
          const id = col[i]!;
          return (memo[id] ??= style.op(opName(id)));
        };
      }
      case 'time':
        return (i) => style.time(col[i]!);
      default: {
        const fmt = field === 'bytes' ? style.bytes : field.startsWith('latency') ? style.latency : style.number;
        return (i) => fmt(col[i]!);
      }
    }
  });
}

/** Row indices to visit: the selection, or 0..count-1. */
export function forRows(rows: Uint32Array | null, count: number, visit: (i: number) => void): void {
  if (rows) for (let k = 0; k < count; k++) visit(rows[k]!);
  else for (let i = 0; i < count; i++) visit(i);
}
