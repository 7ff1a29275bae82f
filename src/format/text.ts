/**
 * Aligned columns for people: local times, human sizes (unless numeric), a header line.
 * Widths come from the first rows seen and only ever grow, so a stream prints as it arrives.
 */
import { fieldDef, type FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { formatSize } from './units.js';
import { displayWidth } from './width.js';
import { bindCells, forRows, type CellStyle } from './cells.js';
import { createLocalFormatter, formatLatency } from './time.js';

/** How many rows set the initial widths. */
const SAMPLE = 1000;
/** A column never starts wider than this; longer values push the row instead of widening all. */
const MAX_START_WIDTH = 40;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Control characters (C0, DEL and C1: ESC and CSI sequences would drive the terminal) would
 * break the layout or worse: show them escaped, as \n, \t or \u001b.
 */
export function visible(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function rightAligned(field: FieldName): boolean {
  const kind = fieldDef(field)!.kind;
  return kind === 'uint' || kind === 'int';
}

export function createTextFormatter(fields: readonly FieldName[], opts: { numeric: boolean; header: boolean }) {
  const style: CellStyle = {
    text: visible,
    time: opts.numeric ? String : createLocalFormatter(),
    bytes: opts.numeric ? String : formatSize,
    latency: opts.numeric ? String : formatLatency,
    number: String,
    op: (name) => name,
  };
  // Without a path2 column, a rename shows its target after the path.
  const arrow = fields.includes('path') && !fields.includes('path2');
  const shown = arrow ? [...fields, 'path2' as const] : fields;
  const right = fields.map(rightAligned);
  let widths: number[] | undefined;
  let headerDone = !opts.header;

  const line = (cells: string[]): string => {
    const last = cells.length - 1;
    let out = '';
    for (let k = 0; k <= last; k++) {
      const c = cells[k]!;
      const w = displayWidth(c);
      if (w > widths![k]!) widths![k] = Math.min(w, MAX_START_WIDTH * 2);
      const pad = k === last && !right[k] ? '' : ' '.repeat(Math.max(0, widths![k]! - w));
      out += (right[k] ? pad + c : c + pad) + (k === last ? '\n' : '  ');
    }
    return out;
  };

  return {
    header: (): string => '',
    batch(b: RecordBatch, rows: Uint32Array | null, count: number): string {
      const cells = bindCells(b, shown, style);
      const render = (i: number): string[] => {
        const row = fields.map((_, k) => cells[k]!(i));
        if (arrow) {
          const target = cells[fields.length]!(i);
          if (target) row[fields.indexOf('path')] += ` -> ${target}`;
        }
        return row;
      };
      if (!widths) {
        widths = fields.map((f) => f.length);
        let seen = 0;
        forRows(rows, Math.min(count, SAMPLE), (i) => {
          if (seen++ >= SAMPLE) return;
          render(i).forEach((c, k) => (widths![k] = Math.max(widths![k]!, Math.min(displayWidth(c), MAX_START_WIDTH))));
        });
      }
      let out = '';
      if (!headerDone) {
        headerDone = true;
        out += line(fields.map((f) => f.toUpperCase()));
      }
      forRows(rows, count, (i) => (out += line(render(i))));
      return out;
    },
  };
}
