/**
 * Answers: what every executor hands back, built here from each command's raw aggregates
 * by one piece of code, so an archive and a database give identical answers when their
 * aggregates agree. Names sort by their UTF-8 bytes, as SQL's binary collation does.
 */
import { createLocalFormatter } from '../format/time.js';
import { formatSize } from '../format/units.js';
import { opName } from '../record/fields.js';
import type { Command, Kind, Question } from './ast.js';

export type CellKind = 'text' | 'bytes' | 'count' | 'percent' | 'time' | 'rate' | 'seconds';

export interface Answer {
  question: Question;
  /** What was asked, e.g. "top 10 users rw". */
  title: string;
  columns: { name: string; kind: CellKind }[];
  rows: (string | number)[][];
  /** For usage and 24h_usage: the series a chart draws. */
  chart?: { labels: string[]; values: number[] };
}

/** The operations last_activity tells of. */
export interface Activity {
  time: number;
  op: number;
  user: string;
  domain: string;
  share: string;
  path: string;
  path2: string;
  bytes: number;
  result: number;
}

/** Bytes per bucket: keys are bucket numbers (time / size). */
export type Buckets = Map<number, number>;

export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function titleOf(c: Command): string {
  switch (c.kind) {
    case 'total':
    case '24h_usage':
    case 'usage':
      return `${c.kind} ${c.mode}`;
    case 'list':
      return `list ${c.what}`;
    case 'top':
      return `top ${c.n} ${c.what} ${c.mode} ${c.order}`;
    case 'last_activity':
      return `last_activity ${c.n}`;
    case 'search':
      return `search ${c.pattern}`;
    case 'throughput':
      return `throughput ${c.n} ${c.unit} ${c.mode}`;
    case 'smbtad-report':
      return `smbtad-report ${c.full ? 'full' : 'short'}`;
    case 'self-check':
      return 'self-check';
    case 'sql':
      return c.text;
  }
}

const base = (q: Question): Pick<Answer, 'question' | 'title'> => ({ question: q, title: titleOf(q.command) });
const singular = (k: Kind): string => k.slice(0, -1);

export function totalAnswer(q: Question, bytes: number): Answer {
  return { ...base(q), columns: [{ name: 'bytes', kind: 'bytes' }], rows: [[bytes]] };
}

export function listAnswer(q: Question, what: Kind, names: Iterable<string>): Answer {
  return { ...base(q), columns: [{ name: singular(what), kind: 'text' }], rows: [...new Set(names)].sort(compareNames).map((n) => [n]) };
}

/** The n largest (or smallest) by bytes; ties by name. */
export function topAnswer(q: Question, c: Extract<Command, { kind: 'top' }>, groups: Map<string, number>): Answer {
  const sign = c.order === 'desc' ? -1 : 1;
  const rows = [...groups].sort((a, b) => sign * (a[1] - b[1]) || compareNames(a[0], b[0])).slice(0, c.n);
  return {
    ...base(q),
    columns: [
      { name: singular(c.what), kind: 'text' },
      { name: 'bytes', kind: 'bytes' },
    ],
    rows: rows.map(([n, b]) => [n, b]),
  };
}

const VERBS: Record<string, (a: Activity) => string> = {
  read: (a) => `read ${formatSize(a.bytes)} from ${a.path}`,
  pread: (a) => `read ${formatSize(a.bytes)} from ${a.path}`,
  write: (a) => `wrote ${formatSize(a.bytes)} to ${a.path}`,
  pwrite: (a) => `wrote ${formatSize(a.bytes)} to ${a.path}`,
  open: (a) => `opened ${a.path}`,
  close: (a) => `closed ${a.path}`,
  mkdir: (a) => `created directory ${a.path}`,
  rmdir: (a) => `removed directory ${a.path}`,
  rename: (a) => `renamed ${a.path} to ${a.path2}`,
  chdir: (a) => `changed into ${a.path}`,
};

/** The latest operations, newest first, as sentences ("... bob wrote 4.0 KiB to docs/a.txt on share pool"). */
export function activityAnswer(q: Question, latest: Activity[]): Answer {
  const time = createLocalFormatter();
  const rows = latest.map((a) => {
    const op = opName(a.op);
    const what = VERBS[op]?.(a) ?? `did ${op} on ${a.path}`;
    const failed = a.result < 0 ? ` (failed: ${a.result})` : '';
    return [`${time(a.time).slice(0, 19)} ${a.user} ${what} on share ${a.share}${failed}`];
  });
  return { ...base(q), columns: [{ name: 'activity', kind: 'text' }], rows };
}

/** Quarter hours fit every zone's offset, so 15-minute buckets map exactly to local hours. */
export const QUARTER_MS = 900_000;

export function dayUsageAnswer(q: Question, quarters: Buckets): Answer {
  const hours = new Array<number>(24).fill(0);
  for (const [k, bytes] of quarters) {
    const h = new Date(k * QUARTER_MS).getHours();
    hours[h] = (hours[h] ?? 0) + bytes;
  }
  const total = hours.reduce((a, b) => a + b, 0);
  const labels = hours.map((_, h) => String(h).padStart(2, '0'));
  return {
    ...base(q),
    columns: [
      { name: 'hour', kind: 'text' },
      { name: 'bytes', kind: 'bytes' },
      { name: 'share', kind: 'percent' },
    ],
    rows: hours.map((b, h) => [labels[h]!, b, total ? (100 * b) / total : 0]),
    chart: { labels, values: hours },
  };
}

/** Steps for usage series: the smallest that keeps a range within MAX_STEPS. */
const STEPS_MS = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800, 2592000].map((s) => s * 1000);
const MAX_STEPS = 48;

/** The step of a usage series over [from, to]: epoch-aligned, so any reader buckets alike. */
export function usageStep(from: number, to: number): number {
  const span = Math.max(1, to - from);
  return STEPS_MS.find((s) => Math.ceil(span / s) <= MAX_STEPS) ?? Math.ceil(span / MAX_STEPS / 86_400_000) * 86_400_000;
}

/**
 * The range a usage series covers: the selection's time where it gives one, else the first
 * and last record selected. Returns [from, last] inclusive, or undefined when nothing was.
 */
export function usageRange(from: number, to: number, min: number, max: number): [number, number] | undefined {
  const first = Number.isFinite(from) ? from : min;
  const last = Number.isFinite(to) ? to - 1 : max;
  return Number.isFinite(first) && Number.isFinite(last) && last >= first ? [first, last] : undefined;
}

/** Bytes per step across [from, last], empty steps included. */
export function usageAnswer(q: Question, range: [number, number] | undefined, buckets: Buckets): Answer {
  const time = createLocalFormatter();
  const rows: (string | number)[][] = [];
  if (range) {
    const step = usageStep(range[0], range[1]);
    for (let k = Math.floor(range[0] / step); k <= Math.floor(range[1] / step); k++) rows.push([time(k * step).slice(0, 19), buckets.get(k) ?? 0]);
  }
  return {
    ...base(q),
    columns: [
      { name: 'from', kind: 'time' },
      { name: 'bytes', kind: 'bytes' },
    ],
    rows,
    chart: { labels: rows.map((r) => String(r[0])), values: rows.map((r) => Number(r[1])) },
  };
}

export const SEARCH_KINDS = [
  ['file', 'path'],
  ['user', 'user'],
  ['sid', 'sid'],
  ['domain', 'domain'],
  ['share', 'share'],
] as const;

export function searchAnswer(q: Question, found: Map<string, Set<string>>): Answer {
  const rows: string[][] = [];
  for (const [kind] of SEARCH_KINDS) for (const n of [...(found.get(kind) ?? [])].sort(compareNames)) rows.push([kind, n]);
  return {
    ...base(q),
    columns: [
      { name: 'kind', kind: 'text' },
      { name: 'name', kind: 'text' },
    ],
    rows,
  };
}

/** `%` any run, `_` one character, everything else itself; whole names only, case-sensitive. */
export function likeToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'su');
}

export function throughputAnswer(q: Question, bytes: number, seconds: number): Answer {
  return {
    ...base(q),
    columns: [
      { name: 'bytes', kind: 'bytes' },
      { name: 'seconds', kind: 'seconds' },
      { name: 'per second', kind: 'rate' },
    ],
    rows: [[bytes, seconds, seconds > 0 ? bytes / seconds : 0]],
  };
}

export function keyValueAnswer(q: Question, pairs: [string, string | number][]): Answer {
  return {
    ...base(q),
    columns: [
      { name: 'item', kind: 'text' },
      { name: 'value', kind: 'text' },
    ],
    rows: pairs.map(([k, v]) => [k, String(v)]),
  };
}
