/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script and no
 * reference to anything outside it, so it reads the same in a mail client with images
 * blocked, in a browser, and on paper.
 */
import { barChart, esc, lineChart } from './charts.js';
import type { Header } from './header.js';
import type { Cell, Section, Table } from './sections.js';

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 24px auto; max-width: 960px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d6dae3; padding-bottom: 4px; }
p.range { margin: 0; color: #4a5263; }
p.none { color: #6b7386; font-style: italic; }
p.note { color: #7a4b00; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceef3; vertical-align: top; }
th { font-weight: 600; background: #f5f6f9; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.up { color: #1d7a3a; } td.down { color: #b3261e; }
svg { max-width: 100%; height: auto; font-family: inherit; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, svg { break-inside: avoid; } }
`;

function cell(c: Cell, numeric: boolean): string {
  const cls = [numeric ? 'n' : '', c.trend === 'up' || c.trend === 'down' ? c.trend : ''].filter(Boolean).join(' ');
  return `<td${cls ? ` class="${cls}"` : ''}${c.value === undefined ? '' : ` data-value="${c.value}"`}>${esc(c.text)}</td>`;
}

function table(t: Table): string {
  const head = t.columns.map((c, k) => `<th${t.numeric[k] ? ' class="n"' : ''} scope="col">${esc(c)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, k) => cell(c, t.numeric[k]!)).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function section(s: Section): string {
  const parts = [`<section id="${s.id}"><h2>${esc(s.title)}</h2>`];
  if (s.empty) parts.push(`<p class="none">${esc(s.empty)}</p>`);
  else {
    if (s.note) parts.push(`<p class="note">${esc(s.note)}</p>`);
    if (s.series) parts.push(lineChart(`${s.id}-chart`, s.title, s.series));
    if (s.bars?.length) parts.push(barChart(`${s.id}-chart`, s.title, s.bars));
    if (s.table) parts.push(table(s.table));
  }
  parts.push('</section>');
  return parts.join('\n');
}

export function renderHtml(h: Header, sections: readonly Section[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="smbta-report ${esc(h.version)}">
<title>${esc(h.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(h.title)}</h1>
<p class="range" id="range">${esc(h.range)}</p>
<p class="range">${esc(h.compared)}</p>
<p class="range">${esc(h.made)}</p>
${h.warning ? `<p class="note" id="warning">${esc(h.warning)}</p>\n` : ''}</header>
${sections.map(section).join('\n')}
</body>
</html>
`;
}
