/**
 * --out DIR: a dated file per report (day-2026-12-07.html, week-2026-11-30.html,
 * month-2026-11.html, range-2026-12-01-0000.html), an index.html listing them newest first,
 * and with --keep the reports older than that removed. Files are written under a temporary
 * name and renamed, so a reader never sees half of one.
 */
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLocalMinute } from '../format/time.js';
import { esc } from './charts.js';
import type { Period } from './period.js';

const REPORT = /^(day|week|month|range)-[\d-]+\.html$/;

export type PeriodKind = 'day' | 'week' | 'month' | 'range';

/** The file a period's report is kept in. */
export function reportFileName(kind: PeriodKind, p: Period): string {
  const s = formatLocalMinute(p.from);
  const date = kind === 'month' ? s.slice(0, 7) : kind === 'range' ? `${s.slice(0, 10)}-${s.slice(11, 13)}${s.slice(14, 16)}` : s.slice(0, 10);
  return `${kind}-${date}.html`;
}

function writeWhole(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Keeps `html` as the period's report in `dir`, expires old ones, and writes the index; the report's path and what was removed. */
export function keepReport(
  dir: string,
  name: string,
  title: string,
  html: string,
  keepMs: number | undefined,
  now: number,
): { path: string; removed: string[] } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeWhole(path, html);
  const removed: string[] = [];
  const reports = readdirSync(dir).filter((f) => REPORT.test(f));
  for (const f of reports) {
    if (keepMs === undefined || f === name || now - statSync(join(dir, f)).mtimeMs <= keepMs) continue;
    unlinkSync(join(dir, f));
    removed.push(f);
  }
  // Newest first; a week, then the days of its start.
  const date = (f: string): string => f.slice(f.indexOf('-') + 1);
  const kept = reports.filter((f) => !removed.includes(f)).sort((a, b) => date(b).localeCompare(date(a)) || b.localeCompare(a));
  writeWhole(join(dir, 'index.html'), indexPage(kept, name, title));
  return { path, removed };
}

function indexPage(files: readonly string[], latest: string, latestTitle: string): string {
  const items = files.map((f) => `<li><a href="${esc(f)}">${esc(f.replace(/\.html$/, ''))}</a>${f === latest ? ` (${esc(latestTitle)})` : ''}</li>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>smbta reports</title>
<style>body { font: 14px/1.5 system-ui, sans-serif; margin: 24px auto; max-width: 720px; padding: 0 16px; }</style></head>
<body>
<h1>smbta reports</h1>
<ul>
${items}
</ul>
</body>
</html>
`;
}
