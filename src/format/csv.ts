/**
 * RFC 4180 CSV. csv-stringify decides how a value is quoted; since a block's strings
 * repeat, each distinct string is escaped once and rows are joined from those pieces.
 */
import { stringify } from 'csv-stringify/sync';
import type { FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { bindCells, forRows, type CellStyle } from './cells.js';
import { createIsoFormatter } from './time.js';

/** Characters that may need quoting; anything without them is written as it is. */
const NEEDS_QUOTING = /[",\r\n]|^\s|\s$/;

export function csvEscape(s: string): string {
  if (!NEEDS_QUOTING.test(s)) return s;
  return stringify([[s]], { quoted_match: NEEDS_QUOTING, record_delimiter: '' });
}

export function createCsvFormatter(fields: readonly FieldName[], opts: { numeric: boolean; header: boolean }) {
  const raw = String;
  const style: CellStyle = {
    text: csvEscape,
    time: opts.numeric ? raw : createIsoFormatter(),
    bytes: raw,
    latency: raw,
    number: raw,
    op: (name) => name,
  };
  return {
    header: (): string => (opts.header ? stringify([fields as string[]], { record_delimiter: '\r\n' }) : ''),
    batch(b: RecordBatch, rows: Uint32Array | null, count: number): string {
      const cells = bindCells(b, fields, style);
      const last = cells.length - 1;
      let out = '';
      forRows(rows, count, (i) => {
        for (let k = 0; k < last; k++) out += cells[k]!(i) + ',';
        out += cells[last]!(i) + '\r\n';
      });
      return out;
    },
  };
}
