/** One JSON object per line, keys in field order; each distinct string is escaped once per block. */
import type { FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { bindCells, forRows, type CellStyle } from './cells.js';
import { createIsoFormatter } from './time.js';

export function createJsonFormatter(fields: readonly FieldName[], opts: { numeric: boolean }) {
  const iso = createIsoFormatter();
  const style: CellStyle = {
    text: (s) => JSON.stringify(s),
    time: opts.numeric ? String : (ms) => `"${iso(ms)}"`,
    bytes: String,
    latency: String,
    number: String,
    op: (name) => `"${name}"`,
  };
  const keys = fields.map((f, k) => `${k === 0 ? '{' : ','}"${f}":`);
  return {
    header: (): string => '',
    batch(b: RecordBatch, rows: Uint32Array | null, count: number): string {
      const cells = bindCells(b, fields, style);
      let out = '';
      forRows(rows, count, (i) => {
        for (let k = 0; k < cells.length; k++) out += keys[k]! + cells[k]!(i);
        out += '}\n';
      });
      return out;
    },
  };
}
