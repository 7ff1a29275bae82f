/**
 * How each record field travels as a column of a records block, shared by the
 * encoder and the decoder so the two cannot disagree.
 */
import { FIELDS, type FieldName } from '../record/fields.js';
import { COLUMN_IDS } from './format.js';

/** `delta`: signed difference from the previous record (the first from the block's tmin). */
export type ValueCoding = 'delta' | 'uvarint' | 'svarint' | 'ref';

export interface ColumnSpec {
  readonly field: FieldName;
  /** Position in FIELDS, and so in a batch's column array. */
  readonly index: number;
  readonly wireId: number;
  readonly coding: ValueCoding;
  readonly isString: boolean;
}

function codingOf(field: FieldName, kind: string): ValueCoding {
  if (field === 'time') return 'delta';
  if (field === 'end') return 'svarint'; // stored as end - time
  if (kind === 'string') return 'ref';
  if (kind === 'int') return 'svarint';
  return 'uvarint';
}

export const COLUMNS: readonly ColumnSpec[] = FIELDS.map((f, index) => ({
  field: f.name,
  index,
  wireId: f.name === 'end' ? COLUMN_IDS.duration : COLUMN_IDS[f.name],
  coding: codingOf(f.name, f.kind),
  isString: f.kind === 'string',
}));

export const COLUMN_BY_WIRE_ID = new Map<number, ColumnSpec>(COLUMNS.map((c) => [c.wireId, c]));
export const COLUMN_INDEX = Object.fromEntries(COLUMNS.map((c) => [c.field, c.index])) as Record<FieldName, number>;
export const TIME = COLUMN_INDEX.time;
export const END = COLUMN_INDEX.end;
export const COUNT = COLUMN_INDEX.count;
