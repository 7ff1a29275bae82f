/**
 * The report's charts as inline SVG: a line chart of volume over time and horizontal bars
 * for ranked lists, with axes in binary sizes, a legend, and a title and description that
 * screen readers announce (role="img", aria-labelledby). No script, no external reference.
 */
import { escapeMarkup } from '../format/markup.js';
import { formatSize } from '../format/units.js';

const READ_COLOUR = '#2f6fc0';
const WRITE_COLOUR = '#d9731a';
const LOST_COLOUR = '#f4c7c3';

export const esc = escapeMarkup;

/** A round axis maximum at or above `max`: 1, 2 or 5 times a power of 1024 or 10. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const base = max >= 1024 ? 1024 ** Math.floor(Math.log(max) / Math.log(1024)) : 1;
  const scaled = max / base;
  const pow = 10 ** Math.floor(Math.log10(scaled));
  for (const m of [1, 2, 5, 10]) if (m * pow >= scaled) return m * pow * base;
  return max;
}

/** The chart's svg element; `id` (unique in the page) ties its title and description to it. */
function frame(id: string, width: number, height: number, title: string, desc: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}t ${id}d">` +
    `<title id="${id}t">${esc(title)}</title><desc id="${id}d">${esc(desc)}</desc>${body}</svg>`
  );
}

function legend(x: number, y: number): string {
  return (
    `<g font-size="12"><rect x="${x}" y="${y - 9}" width="12" height="10" fill="${READ_COLOUR}"/><text x="${x + 16}" y="${y}">read</text>` +
    `<rect x="${x + 64}" y="${y - 9}" width="12" height="10" fill="${WRITE_COLOUR}"/><text x="${x + 80}" y="${y}">written</text></g>`
  );
}

export interface Series {
  labels: string[];
  read: number[];
  written: number[];
  /** Records lost in each bucket: its background is shaded, and says so. */
  lost: number[];
}

/** Read and written bytes per bucket as two lines over a shaded band for buckets with losses. */
export function lineChart(id: string, title: string, s: Series): string {
  const [W, H, left, right, top, bottom] = [900, 300, 80, 16, 30, 48];
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const n = Math.max(1, s.read.length);
  const max = niceMax(Math.max(0, ...s.read, ...s.written));
  const x = (k: number): number => left + (plotW * (k + 0.5)) / n;
  const y = (v: number): number => top + plotH - (v / max) * plotH;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const yy = y(f * max).toFixed(1);
      return `<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="#ddd"/><text x="${left - 6}" y="${(+yy + 4).toFixed(1)}" text-anchor="end" font-size="11">${formatSize(f * max)}</text>`;
    })
    .join('');
  const every = Math.max(1, Math.ceil(n / 12));
  const ticks = s.labels
    .map((l, k) => (k % every === 0 ? `<text x="${x(k).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle" font-size="11">${esc(l)}</text>` : ''))
    .join('');
  const lost = s.lost
    .map((r, k) =>
      r > 0
        ? `<rect x="${(left + (plotW * k) / n).toFixed(1)}" y="${top}" width="${(plotW / n).toFixed(1)}" height="${plotH}" fill="${LOST_COLOUR}"><title>${esc(s.labels[k]!)}: ${r} records lost</title></rect>`
        : '',
    )
    .join('');
  const line = (values: number[], colour: string, name: string): string =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${values.map((v, k) => `${x(k).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>` +
    values
      .map(
        (v, k) =>
          `<circle cx="${x(k).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${colour}"><title>${esc(s.labels[k]!)}: ${name} ${formatSize(v)}</title></circle>`,
      )
      .join('');
  const axes = `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#444"/><line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#444"/>`;
  const key =
    legend(left, 16) +
    (s.lost.some((r) => r > 0)
      ? `<rect x="${left + 150}" y="7" width="12" height="10" fill="${LOST_COLOUR}"/><text x="${left + 166}" y="16" font-size="12">records lost</text>`
      : '');
  const desc = `Bytes read and written per period, from ${s.labels[0] ?? ''} to ${s.labels.at(-1) ?? ''}; the axis goes to ${formatSize(max)}.`;
  return frame(id, W, H, title, desc, lost + grid + axes + ticks + line(s.read, READ_COLOUR, 'read') + line(s.written, WRITE_COLOUR, 'written') + key);
}

export interface Bar {
  name: string;
  read: number;
  written: number;
}

/** One horizontal bar per name, read and written stacked, on an axis in binary sizes. */
export function barChart(id: string, title: string, bars: readonly Bar[]): string {
  const [W, left, right, top, row] = [900, 240, 90, 28, 22];
  const H = top + bars.length * row + 30;
  const plotW = W - left - right;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.read + b.written)));
  const w = (v: number): number => (v / max) * plotW;
  const rows = bars
    .map((b, k) => {
      const y = top + k * row;
      const name = b.name.length > 34 ? `…${b.name.slice(-33)}` : b.name;
      return (
        `<text x="${left - 6}" y="${y + 14}" text-anchor="end" font-size="12">${esc(name)}<title>${esc(b.name)}</title></text>` +
        `<rect x="${left}" y="${y + 3}" width="${w(b.read).toFixed(1)}" height="15" fill="${READ_COLOUR}"><title>${esc(b.name)}: read ${formatSize(b.read)}</title></rect>` +
        `<rect x="${(left + w(b.read)).toFixed(1)}" y="${y + 3}" width="${w(b.written).toFixed(1)}" height="15" fill="${WRITE_COLOUR}"><title>${esc(b.name)}: written ${formatSize(b.written)}</title></rect>` +
        `<text x="${(left + w(b.read + b.written) + 4).toFixed(1)}" y="${y + 14}" font-size="11">${formatSize(b.read + b.written)}</text>`
      );
    })
    .join('');
  const axisY = top + bars.length * row + 4;
  const ticks = [0, 0.5, 1]
    .map(
      (f) =>
        `<line x1="${left + f * plotW}" x2="${left + f * plotW}" y1="${top}" y2="${axisY}" stroke="#ddd"/><text x="${left + f * plotW}" y="${axisY + 14}" text-anchor="middle" font-size="11">${formatSize(f * max)}</text>`,
    )
    .join('');
  const desc = `${bars.length} bars, bytes read and written stacked: ${bars.map((b) => `${b.name} ${formatSize(b.read + b.written)}`).join(', ')}.`;
  return frame(id, W, H, title, desc, ticks + `<line x1="${left}" x2="${left}" y1="${top}" y2="${axisY}" stroke="#444"/>` + rows + legend(left, 16));
}
