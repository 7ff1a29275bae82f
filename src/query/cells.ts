/** One cell of an answer as people read it: sizes in binary units, rates per second, percentages. */
import { visible } from '../format/text.js';
import { formatSize } from '../format/units.js';
import type { CellKind } from './answers.js';

export function cellText(kind: CellKind, v: string | number): string {
  if (typeof v === 'string') return visible(v);
  switch (kind) {
    case 'bytes':
      return formatSize(v);
    case 'rate':
      return `${formatSize(v)}/s`;
    case 'percent':
      return `${v.toFixed(1)}%`;
    default:
      return String(v);
  }
}
