/** One JSON object per line, keys in field order; each distinct string is escaped once per block. */
import type { FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { createRowEncoder } from './row-encoder.js';

export function createJsonFormatter(fields: readonly FieldName[], opts: { numeric: boolean }) {
  const rows = createRowEncoder(fields, {
    text: (s) => JSON.stringify(s),
    prefix: fields.map((f, k) => `${k === 0 ? '{' : ','}"${f}":`),
    suffix: '}\n',
    isoTime: !opts.numeric,
    quote: '"',
  });
  return {
    header: (): string => '',
    batch: (b: RecordBatch, sel: Uint32Array | null, count: number): Buffer => rows.encode(b, sel, count),
  };
}
