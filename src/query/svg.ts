/** A usage series as a standalone SVG bar chart that any browser shows. */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../language/errors.js';
import { escapeMarkup } from '../format/markup.js';
import { formatSize } from '../format/units.js';
import type { Answer } from './answers.js';

const escape = escapeMarkup;

/** The chart; a bar with a mark (records lost in its period) gets a red ! above it and the mark in its tooltip. */
export function formatSvgChart(title: string, labels: string[], values: number[], marks: readonly string[] = []): string {
  const W = 960;
  const H = 420;
  const left = 90;
  const bottom = 110;
  const top = 40;
  const plotW = W - left - 20;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...values);
  const bw = plotW / Math.max(1, values.length);
  const every = Math.max(1, Math.ceil(values.length / 24));
  const bars = values
    .map((v, k) => {
      const h = (v / max) * plotH;
      const x = left + k * bw;
      const label =
        k % every === 0
          ? `<text x="${(x + bw / 2).toFixed(1)}" y="${H - bottom + 12}" transform="rotate(60 ${(x + bw / 2).toFixed(1)} ${H - bottom + 12})" font-size="11">${escape(labels[k]!)}</text>`
          : '';
      const mark = marks[k]
        ? `<text x="${(x + bw / 2).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" text-anchor="middle" font-size="13" fill="#c0392b"><title>${escape(marks[k])}</title>!</text>`
        : '';
      const tip = `${escape(labels[k]!)}: ${formatSize(v)}${marks[k] ? ` (${escape(marks[k])})` : ''}`;
      return `<rect x="${(x + 1).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#3b7dd8"><title>${tip}</title></rect>${mark}${label}`;
    })
    .join('\n');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = top + plotH - f * plotH;
      return `<line x1="${left}" x2="${W - 20}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${formatSize(Math.round(f * max))}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="24" font-size="16">${escape(title)}</text>
${ticks}
${bars}
</svg>
`;
}

/** Writes the chart of each answer that has one: PATH, then PATH-2.svg, PATH-3.svg... */
export function writeSvgCharts(path: string, answers: readonly Answer[]): void {
  const charts = answers.filter((x) => x.chart);
  if (charts.length === 0) throw new UsageError('--svg: no usage or 24h_usage answer to draw');
  charts.forEach((x, k) => {
    const file = k === 0 ? path : path.replace(/(\.svg)?$/, `-${k + 1}.svg`);
    writeFileSync(file, formatSvgChart(`${x.question.statement} ${x.title}`, x.chart!.labels, x.chart!.values, x.chart!.marks));
  });
}
