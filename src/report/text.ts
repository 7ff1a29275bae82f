/**
 * The report as plain text in 80 columns, for a terminal or a mail's text part: the same
 * sections as the HTML, tables with the widest text column cut to fit, and the charts as
 * bars of block characters.
 */
import { formatSize } from '../format/units.js';
import { displayWidth, fitMiddleTo, fitTo, padEndTo, padStartTo } from '../format/width.js';
import { visible } from '../format/text.js';
import type { Header } from './header.js';
import type { Section, Table } from './sections.js';

const WIDTH = 80;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `value / max` of `width` cells, in eighths. */
export function textBar(value: number, max: number, width: number): string {
  const eighths = max > 0 ? Math.round((value / max) * width * 8) : 0;
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

function table(t: Table): string[] {
  const cells = t.rows.map((r) => r.map((c) => visible(c.text)));
  const widths = t.columns.map((c, k) => Math.max(displayWidth(c), ...cells.map((r) => displayWidth(r[k]!))));
  // Too wide: the widest text column gives way.
  for (let over = widths.reduce((a, w) => a + w + 2, -2) - WIDTH; over > 0;) {
    const k = widths.reduce((best, w, j) => (!t.numeric[j] && w > widths[best]! ? j : best), t.numeric.indexOf(false));
    if (k < 0 || widths[k]! <= 8) break;
    const cut = Math.min(over, widths[k]! - 8);
    widths[k]! -= cut;
    over -= cut;
  }
  const line = (r: string[]): string =>
    r
      .map((c, k) => (t.numeric[k] ? padStartTo(c, widths[k]!) : t.paths?.[k] ? fitMiddleTo(c, widths[k]!) : fitTo(c, widths[k]!)))
      .join('  ')
      .trimEnd();
  return [line(t.columns), ...cells.map(line)];
}

function series(s: NonNullable<Section['series']>): string[] {
  const max = Math.max(0, ...s.read, ...s.written);
  const label = Math.max(...s.labels.map((l) => l.length));
  // Two sizes of 10 and their spaces, and room for the loss mark.
  const bar = Math.floor((WIDTH - label - 2 * 11 - 6) / 2);
  const head = `${' '.repeat(label)}  ${padEndTo('read', bar)} ${padStartTo('', 10)}  written`;
  return [
    head,
    ...s.labels.map((l, k) =>
      `${padEndTo(l, label)}  ${padEndTo(textBar(s.read[k]!, max, bar), bar)} ${padStartTo(formatSize(s.read[k]!), 10)}  ${padEndTo(textBar(s.written[k]!, max, bar), bar)} ${padStartTo(formatSize(s.written[k]!), 10)}${s.lost[k] ? ' !' : ''}`.trimEnd(),
    ),
    ...(s.lost.some((n) => n > 0) ? ['! records were lost in that period'] : []),
  ];
}

/** Words of `text` in lines of at most WIDTH columns (a longer word stands alone). */
export function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && displayWidth(`${line} ${word}`) > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

function section(s: Section): string[] {
  const out = ['', s.title.toUpperCase()];
  if (s.empty) return [...out, ...wrap(s.empty)];
  if (s.note) out.push(...wrap(s.note));
  if (s.series) out.push(...series(s.series));
  if (s.table) out.push(...table(s.bars?.length ? withBars(s.table, s.bars) : s.table));
  return out;
}

const BAR = 10;

/** A ranked table with its chart: a bar per row of the bytes moved, against the first. */
function withBars(t: Table, bars: NonNullable<Section['bars']>): Table {
  const max = Math.max(0, ...bars.map((b) => b.read + b.written));
  return {
    ...t,
    columns: [...t.columns, 'moved'],
    numeric: [...t.numeric, false],
    rows: t.rows.map((r, k) => [...r, { text: padEndTo(textBar(bars[k]!.read + bars[k]!.written, max, BAR), BAR) }]),
  };
}

export function renderText(h: Header, sections: readonly Section[]): string {
  const head = [h.title, h.range, h.compared, h.made, ...(h.warning ? ['', h.warning] : [])];
  return head.flatMap(wrap).concat(sections.flatMap(section)).join('\n') + '\n';
}
