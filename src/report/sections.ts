/**
 * The report as a document: titled sections of tables and charts, each cell with its text
 * for people and its exact value, so the HTML and the text forms are written from one place
 * and a section with nothing in it says so in both.
 */
import { formatLocalMinute } from '../format/time.js';
import { formatCount, formatSize } from '../format/units.js';
import type { ReportData, Totals, Busiest } from './aggregate.js';

export interface Cell {
  text: string;
  /** The exact number behind a formatted one (bytes, counts). */
  value?: number;
  /** For a change: up, down or same, which the HTML colours and the text marks. */
  trend?: 'up' | 'down' | 'same';
}

export interface Table {
  columns: string[];
  /** Columns that hold numbers (right-aligned). */
  numeric: boolean[];
  /** Columns of paths: cut in the middle when too wide, so the server, the share and the file's name stay. */
  paths?: boolean[];
  rows: Cell[][];
}

export interface Section {
  id: string;
  title: string;
  /** Said instead of the table and chart when there is nothing to show. */
  empty?: string;
  note?: string;
  table?: Table;
  bars?: Busiest[];
  series?: { labels: string[]; read: number[]; written: number[]; lost: number[] };
}

const text = (t: string): Cell => ({ text: t });
const bytes = (n: number): Cell => ({ text: formatSize(n), value: n });
const count = (n: number): Cell => ({ text: n.toLocaleString('en'), value: n });

/** `▲ 12%`, `▼ 5%`, `=`, or `new` against nothing before. */
export function change(now: number, before: number): Cell {
  if (now === before) return { text: '=', trend: 'same' };
  if (before === 0) return { text: '▲ new', trend: 'up' };
  const pct = ((now - before) / before) * 100;
  const shown = Math.abs(pct) >= 10 ? Math.round(Math.abs(pct)).toString() : Math.abs(pct).toFixed(1);
  return { text: `${pct > 0 ? '▲' : '▼'} ${shown}%`, trend: pct > 0 ? 'up' : 'down' };
}

const localTime = (t: number, withDate: boolean): string => (withDate ? formatLocalMinute(t) : formatLocalMinute(t).slice(11));

/** The sections, in order, from the data gathered. */
export function reportSections(d: ReportData): Section[] {
  const multiDay = d.periods.period.to - d.periods.period.from > 86_400_000 + 3_600_000;
  return [
    summary(d),
    {
      id: 'volume',
      title: 'Volume over time',
      ...(d.totals.read + d.totals.written === 0 ? { empty: 'No data read or written in this period.' } : {}),
      ...(d.series.lost.some((n) => n > 0) ? { note: 'Shaded periods lost records (see Losses): their volume is short.' } : {}),
      series: {
        labels: d.series.starts.map((t) => localTime(t, multiDay)),
        read: d.series.read,
        written: d.series.written,
        lost: d.series.lost,
      },
    },
    ranked('users', 'Busiest users', 'user', d.users),
    ranked('shares', 'Busiest shares', 'share', d.shares),
    ranked('files', 'Busiest files', 'file', d.files),
    ranked('clients', 'Busiest clients', 'client', d.clients),
    {
      id: 'operations',
      title: 'Operations by kind',
      ...(d.ops.length ? {} : { empty: 'No operations in this period.' }),
      table: { columns: ['operation', 'count', 'bytes'], numeric: [false, true, true], rows: d.ops.map((o) => [text(o.op), count(o.count), bytes(o.bytes)]) },
    },
    {
      id: 'changes',
      title: 'Deletes and renames by user',
      ...(d.changes.length ? {} : { empty: 'Nobody deleted or renamed anything in this period.' }),
      table: {
        columns: ['user', 'deletes', 'renames'],
        numeric: [false, true, true],
        rows: d.changes.map((c) => [text(c.user), count(c.deletes), count(c.renames)]),
      },
    },
    {
      id: 'failures',
      title: 'Failed operations',
      ...(d.failures.length
        ? { note: 'Samba says that an operation failed, not why: access denied is one of these.' }
        : { empty: 'No operation failed in this period.' }),
      table: {
        columns: ['user', 'operation', 'count'],
        numeric: [false, false, true],
        rows: d.failures.map((f) => [text(f.user), text(f.op), count(f.count)]),
      },
    },
    {
      id: 'alerts',
      title: 'Alerts raised',
      ...(d.alerts.length
        ? {}
        : d.alertsKept
          ? { empty: 'No alerts in this period (alerts are in the stream where smbta-alert -P or -w put them).' }
          : { empty: 'This store has no alerts table (made before smbta-db kept alerts): a report from the archive (-R) shows them.' }),
      table: {
        columns: ['time', 'severity', 'rule', 'who', 'measure'],
        numeric: [false, false, false, false, true],
        rows: d.alerts.map((a) => [
          text(localTime(a.time, true)),
          text(a.severity),
          text(a.rule),
          text(
            Object.entries(a.group)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
          ),
          a.measure === 'bytes' ? bytes(a.value) : count(a.value),
        ]),
      },
    },
    senders(d),
    losses(d),
  ];
}

const MEASURES: [string, keyof Totals, (n: number) => Cell][] = [
  ['read', 'read', bytes],
  ['written', 'written', bytes],
  ['operations', 'ops', count],
  ['records', 'records', count],
  ['deletes', 'deletes', count],
  ['renames', 'renames', count],
  ['failed operations', 'failures', count],
];

function summary(d: ReportData): Section {
  return {
    id: 'summary',
    title: 'At a glance',
    ...(d.totals.records ? {} : { empty: 'No records in this period: nothing happened, or nothing was received (see Senders and Losses).' }),
    table: {
      columns: ['', 'this period', 'the one before', 'change'],
      numeric: [false, true, true, true],
      rows: MEASURES.map(([name, key, cell]) => [text(name), cell(d.totals[key]), cell(d.previous[key]), change(d.totals[key], d.previous[key])]),
    },
  };
}

function ranked(id: string, title: string, what: string, rows: Busiest[]): Section {
  return {
    id,
    title,
    ...(rows.length ? {} : { empty: `No ${id} in this period.` }),
    bars: rows,
    table: {
      columns: [what, 'read', 'written', 'operations'],
      numeric: [false, true, true, true],
      paths: [id === 'files', false, false, false],
      rows: rows.map((r) => [text(r.name), bytes(r.read), bytes(r.written), count(r.ops)]),
    },
  };
}

function senders(d: ReportData): Section {
  return {
    id: 'senders',
    title: 'Senders',
    ...(d.senders.length ? {} : { empty: 'No sender said its protocol (only smbta-recv status blocks do; full_audit and probe streams have none).' }),
    table: { columns: ['file server', 'protocol'], numeric: [false, false], rows: d.senders.map(([s, p]) => [text(s), text(p)]) },
  };
}

function losses(d: ReportData): Section {
  const lost = d.losses.reduce((n, l) => n + l.records, 0);
  return {
    id: 'losses',
    title: 'Losses',
    ...(d.losses.length
      ? { note: `${formatCount(lost)} records lost in this period: the numbers above are short by them.` }
      : { empty: 'Nothing was lost: every record sent in this period was read.' }),
    table: {
      columns: ['from', 'to', 'said by', 'records', 'why'],
      numeric: [false, false, false, true, false],
      rows: d.losses.map((l) => [text(localTime(l.from, true)), text(localTime(l.to, true)), text(l.source), count(l.records), text(l.reason)]),
    },
  };
}
