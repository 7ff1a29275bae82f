/**
 * smbta-report's run: the period from --day, --week, --month or -t (and the one before it),
 * one pass over the records of both, then the report as HTML, text, JSON or a mail, and
 * with --out kept in a directory of dated reports.
 */
import { hostname } from 'node:os';
import { UsageError } from '../language/errors.js';
import { formatLocalMinute } from '../format/time.js';
import type { RunContext } from '../runtime/context.js';
import { buildSelection, prepareInput, readSelected, type ReaderArgs } from '../runtime/input.js';
import { isLiveSource, sourceLabel } from '../io/source-spec.js';
import { openStore, parseDbTarget } from '../store/store.js';
import { reportFromStore } from './from-store.js';
import { lossEvent } from '../stream/loss.js';
import { ReportAggregator, seriesStep, type ReportData } from './aggregate.js';
import { reportHeader } from './header.js';
import { renderHtml } from './html.js';
import { mimeMessage } from './mime.js';
import { keepReport, reportFileName, type PeriodKind } from './out-dir.js';
import { reportPeriods, type Periods } from './period.js';
import { reportSections } from './sections.js';
import { renderText } from './text.js';

export interface ReportArgs extends ReaderArgs {
  day?: string;
  week?: string;
  month?: string;
  /** The time the report is made at (ms), for yesterday, last week and the header. */
  now: number;
  html: boolean;
  text: boolean;
  json: boolean;
  mail: string[];
  'mail-from'?: string;
  out?: string;
  keep?: number;
  db?: string;
  _: string[];
}

export async function runReport(a: ReportArgs, ctx: RunContext): Promise<void> {
  const formats = (['html', 'text', 'json'] as const).filter((f) => a[f]);
  if (formats.length > 1) throw new UsageError(`give one of --html, --text and --json, not ${formats.map((f) => `--${f}`).join(' and ')}`);
  if (a.mail.length && formats.length) throw new UsageError('--mail sends the text and the HTML together: leave out --' + formats[0]);
  if (a.keep !== undefined && a.out === undefined) throw new UsageError('--keep expires the reports kept by --out DIR: give --out');
  const periods = reportPeriods({ day: a.day, week: a.week, month: a.month, time: a.time }, a.now);
  const agg = new ReportAggregator(periods, seriesStep(periods.period.from, periods.period.to));
  const { sources, alertsKept } =
    a.db === undefined ? { sources: await readStreams(a, periods, agg, ctx), alertsKept: true } : await readStore(a, periods, agg);
  const data = agg.result(Intl.DateTimeFormat().resolvedOptions().timeZone, alertsKept);
  const header = reportHeader(data, sources, a.now, ctx.report.failed);
  const sections = reportSections(data);
  const html = (): string => renderHtml(header, sections);
  const text = (): string => renderText(header, sections);
  if (a.out !== undefined) {
    const kind: PeriodKind = a.week ? 'week' : a.month ? 'month' : a.time ? 'range' : 'day';
    const kept = keepReport(a.out, reportFileName(kind, periods.period), header.title, html(), a.keep, a.now);
    if (kept.removed.length) ctx.report.warn(`--keep: removed ${kept.removed.length} older reports from ${a.out}`);
    if (!a.mail.length && !formats.length) return;
  }
  const format = formats[0] ?? (process.stdout.isTTY ? 'text' : 'html');
  const from = a['mail-from'] ?? `smbta-report <smbta@${hostname()}>`;
  const out = a.mail.length
    ? mimeMessage({ from, to: a.mail, subject: header.title, text: text(), html: html(), date: a.now })
    : format === 'json'
      ? `${JSON.stringify(jsonOf(data), null, 1)}\n`
      : format === 'html'
        ? html()
        : text();
  await new Promise<void>((resolve, reject) => process.stdout.write(out, (err) => (err ? reject(err) : resolve())));
}

/** How long a live source is read past the period's end, for its last blocks (a writer flushes within 100 ms). */
const STRAGGLERS_MS = 2000;

/**
 * Both periods from files, archives or streams; the sources' names. A live source brings
 * what happens from now on: it is read until the period ends (and a little longer for stragglers).
 */
async function readStreams(a: ReportArgs, periods: Periods, agg: ReportAggregator, ctx: RunContext): Promise<string[]> {
  const input = prepareInput({ ...a, time: undefined }, a._);
  input.sel.start = periods.previous.from;
  input.sel.end = periods.period.to;
  let timer: NodeJS.Timeout | undefined;
  if (input.specs.some(isLiveSource)) {
    const left = periods.period.to - Date.now();
    if (left <= 0)
      throw new UsageError('a live source (-S) brings what happens from now on, and this period is over: report from the archive (-R) or the store (--db)');
    timer = setTimeout(() => ctx.abort(), left + STRAGGLERS_MS);
    ctx.report.warn(`reading the live stream until ${formatLocalMinute(periods.period.to)}, when the period ends`);
  }
  const stopProgress = progress(() => agg.records);
  try {
    await readSelected(
      input,
      ctx,
      (b, rows, n) => agg.add(b, rows, n),
      (side, source, lost) => agg.side(side, lost, () => lossEvent(side, source, lost)),
    );
  } finally {
    clearTimeout(timer);
    stopProgress();
  }
  return input.specs.map(sourceLabel);
}

/** Both periods from the SQL store; its name, and whether it keeps alerts. */
async function readStore(a: ReportArgs, periods: Periods, agg: ReportAggregator): Promise<{ sources: string[]; alertsKept: boolean }> {
  if (a.read.length || a.recursive.length || a.remote.length) throw new UsageError('--db is the source: leave out -r, -R and -S (or --db)');
  const sel = buildSelection(a._.join(' '), undefined, undefined, a.now);
  const store = await openStore(parseDbTarget(a.db), { readOnly: true });
  try {
    const alertsKept = await reportFromStore(store, periods, sel, agg);
    return { sources: [store.location], alertsKept };
  } finally {
    await store.close();
  }
}

/** The data with its times as ISO 8601 as well, for scripts. */
function jsonOf(d: ReportData): unknown {
  const iso = (t: number): string => new Date(t).toISOString();
  return { ...d, from: iso(d.periods.period.from), to: iso(d.periods.period.to), alerts: d.alerts.map((a) => ({ ...a, time: iso(a.time) })) };
}

/** Records read so far, once a second on a terminal's stderr; stops (and clears its line) when called back. */
function progress(read: () => number): () => void {
  if (!process.stderr.isTTY) return () => undefined;
  const timer = setInterval(() => process.stderr.write(`\r${read().toLocaleString('en')} records read`), 1000);
  return () => {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  };
}
