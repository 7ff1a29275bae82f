/**
 * Answers as people read them (aligned tables, binary units, a bar chart for usage series)
 * and as programs read them (CSV with raw numbers, one JSON object per answer).
 */
import { stringify } from 'csv-stringify/sync';
import { formatSize } from '../format/units.js';
import { displayWidth, padEndTo, padStartTo } from '../format/width.js';
import type { Answer, CellKind } from './answers.js';
import { cellText } from './cells.js';
import { formatHtml } from './markup.js';

export type AnswerFormat = 'table' | 'csv' | 'json' | 'html';

const RIGHT: ReadonlySet<CellKind> = new Set(['bytes', 'count', 'percent', 'rate', 'seconds']);

export function formatTable(full: Answer, width: number): string {
  const a = forPeople(full);
  const header = a.columns.map((c) => c.name.toUpperCase());
  const cells = a.rows.map((r) => r.map((v, k) => cellText(a.columns[k]!.kind, v)));
  const widths = header.map((h, k) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[k] ?? ''))));
  const line = (r: string[]): string =>
    r
      .map((v, k) => (RIGHT.has(a.columns[k]!.kind) ? padStartTo(v, widths[k] ?? 0) : k === r.length - 1 ? v : padEndTo(v, widths[k] ?? 0)))
      .join('  ')
      .trimEnd();
  let out = `# ${a.question.statement}${a.question.statement.includes(a.title) ? '' : ` (${a.title})`}\n`;
  if (a.note) out += `# note: ${a.note}\n`;
  if (a.rows.length === 0) return `${out}(nothing selected)\n`;
  if (!(a.columns.length === 1 && a.columns[0]!.name === 'activity')) out += line(header) + '\n';
  for (const r of cells) out += line(r) + '\n';
  const c = a.question.command;
  if (a.chart) out += '\n' + formatBars(a.chart.labels, a.chart.values, c.kind === 'usage' && c.width ? c.width : width, a.chart.marks);
  return out;
}

/** The answer without the columns only programs get (last_activity's fields beside its sentence). */
function forPeople(a: Answer): Answer {
  const keep = a.columns.map((c, k) => (c.machineOnly ? -1 : k)).filter((k) => k >= 0);
  if (keep.length === a.columns.length) return a;
  return { ...a, columns: keep.map((k) => a.columns[k]!), rows: a.rows.map((r) => keep.map((k) => r[k]!)) };
}

/** Horizontal bars in eighths of a cell, one line per label, scaled to the largest value. */
export function formatBars(labels: string[], values: number[], width: number, marks?: string[]): string {
  const labelWidth = Math.max(...labels.map(displayWidth));
  const room = Math.max(10, width - labelWidth - 14);
  const max = Math.max(0, ...values);
  return (
    labels
      .map((l, k) => {
        const eighths = max > 0 ? Math.round((values[k]! / max) * room * 8) : 0;
        const bar = '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? ' ▏▎▍▌▋▊▉'[eighths % 8] : '');
        return `${padEndTo(l, labelWidth)} │${bar.padEnd(room)} ${formatSize(values[k]!)} ${marks?.[k] ?? ''}`.trimEnd();
      })
      .join('\n') + '\n'
  );
}

/** The answers in a format; refused questions are left out (the caller says why on stderr). */
export function formatAnswers(all: Answer[], format: AnswerFormat, width: number): string {
  const answers = all.filter((a) => a.error === undefined);
  switch (format) {
    case 'json':
      return answers
        .map(
          (a) =>
            JSON.stringify({
              statement: a.question.statement,
              command: a.title,
              ...(a.note ? { note: a.note } : {}),
              rows: a.rows.map((r) => Object.fromEntries(r.map((v, k) => [a.columns[k]!.name, v]))),
            }) + '\n',
        )
        .join('');
    case 'csv':
      return answers.map((a) => stringify([a.columns.map((c) => c.name), ...a.rows])).join('\n');
    case 'html':
      return formatHtml(answers);
    default:
      return answers.map((a) => formatTable(a, width)).join('\n');
  }
}
