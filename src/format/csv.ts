/**
 * RFC 4180 CSV. csv-stringify decides how a value is quoted; since a block's strings
 * repeat, each distinct string is escaped once and rows are assembled from those bytes.
 */
import { stringify } from 'csv-stringify/sync';
import type { FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { createRowEncoder } from './row-encoder.js';

/** Values that may need quoting; anything without these characters is written as it is. */
const NEEDS_QUOTING = /[",\r\n]|^\s|\s$/;

export function csvEscape(s: string): string {
  if (!NEEDS_QUOTING.test(s)) return s;
  return stringify([[s]], { quoted_match: NEEDS_QUOTING, record_delimiter: 'unix' }).slice(0, -1);
}

export function createCsvFormatter(fields: readonly FieldName[], opts: { numeric: boolean; header: boolean }) {
  const rows = createRowEncoder(fields, {
    text: csvEscape,
    prefix: fields.map((_, k) => (k === 0 ? '' : ',')),
    suffix: '\r\n',
    isoTime: !opts.numeric,
    quote: '',
  });
  return {
    header: (): string => (opts.header ? stringify([fields], { record_delimiter: 'windows' }) : ''),
    batch: (b: RecordBatch, sel: Uint32Array | null, count: number): Buffer => rows.encode(b, sel, count),
  };
}
