/**
 * Answers: what every executor hands back, built here from each command's raw aggregates
 * by one piece of code, so an archive and a database give identical answers when their
 * aggregates agree. Names sort by their UTF-8 bytes, as SQL's binary collation does.
 */
import { nextPeriod, periodStart } from '../format/period.js';
import { createLocalFormatter } from '../format/time.js';
import { formatSize } from '../format/units.js';
import { opName, type StringFieldName } from '../record/fields.js';
import { linearRegex } from '../language/linear-match.js';
import { lostBetween, type LossEvent } from '../stream/loss.js';
import { FIELD_HEADING, KIND_FIELDS, LIST_FIELDS, UNIT_MS, type Command, type Kind, type Question } from './ast.js';

export type CellKind = 'text' | 'bytes' | 'count' | 'percent' | 'time' | 'rate' | 'seconds';

export interface Column {
  name: string;
  kind: CellKind;
  /** Given to programs (CSV, JSON, XML) but left out of the table people read. */
  machineOnly?: boolean;
}

export interface Answer {
  question: Question;
  /** What was asked, e.g. "top 10 users rw". */
  title: string;
  columns: Column[];
  rows: (string | number)[][];
  /** For usage and 24h_usage: the series a chart draws, and what to say beside a bar (records lost there). */
  chart?: { labels: string[]; values: number[]; marks?: string[] };
  /** Said with the answer: how it was reached when that is not the obvious way. */
  note?: string;
  /** The question could not be answered (an ambiguous name): said on stderr, exit status 2. */
  error?: string;
  /** Which tables of a database answered (smbta-query -v): rollups, records, and the spans each covered. */
  sources?: string;
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

/** One object of a kind (its identifying names, as KIND_FIELDS lists them) and what it moved. */
export interface Group {
  names: string[];
  bytes: number;
  ops: number;
}

/** Groups by their names joined (NUL cannot be in a name). */
export type Groups = Map<string, Group>;

export function addToGroup(groups: Groups, names: string[], bytes: number, ops: number): void {
  const key = names.join('\0');
  const g = groups.get(key);
  if (g) {
    g.bytes += bytes;
    g.ops += ops;
  } else groups.set(key, { names, bytes, ops });
}

export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let k = 0; k < a.length; k++) {
    const c = compareNames(a[k] ?? '', b[k] ?? '');
    if (c) return c;
  }
  return 0;
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
      return c.scope ? `self-check ${c.scope}` : 'self-check';
    case 'sql':
      return c.text;
  }
}

const base = (q: Question): Pick<Answer, 'question' | 'title'> => ({ question: q, title: titleOf(q.command) });
const textColumns = (fields: readonly StringFieldName[]): Column[] => fields.map((f) => ({ name: FIELD_HEADING[f] ?? f, kind: 'text' }));

/** An answer that is a refusal: the statement's other questions are still answered. */
export function errorAnswer(q: Question, message: string): Answer {
  return { ...base(q), columns: [], rows: [], error: message };
}

export function totalAnswer(q: Question, bytes: number): Answer {
  return { ...base(q), columns: [{ name: 'bytes', kind: 'bytes' }], rows: [[bytes]] };
}

/** The distinct objects of a kind, each with the names that make it one (LIST_FIELDS). */
export function listAnswer(q: Question, what: Kind, tuples: Iterable<string[]>): Answer {
  const unique = new Map<string, string[]>();
  for (const t of tuples) unique.set(t.join('\0'), t);
  return { ...base(q), columns: textColumns(LIST_FIELDS[what]), rows: [...unique.values()].sort(compareTuples) };
}

/**
 * The n largest (or smallest) by bytes; ties by name. A selection whose records carry no
 * byte counts at all (full_audit's) is ranked by operations instead, and the answer says so.
 */
export function topAnswer(q: Question, c: Extract<Command, { kind: 'top' }>, groups: Groups): Answer {
  const all = [...groups.values()];
  const byOps = all.every((g) => g.bytes === 0) && all.some((g) => g.ops > 0);
  const measure = (g: Group): number => (byOps ? g.ops : g.bytes);
  const sign = c.order === 'desc' ? -1 : 1;
  const rows = all.sort((a, b) => sign * (measure(a) - measure(b)) || compareTuples(a.names, b.names)).slice(0, c.n);
  return {
    ...base(q),
    columns: [...textColumns(KIND_FIELDS[c.what]), byOps ? { name: 'operations', kind: 'count' } : { name: 'bytes', kind: 'bytes' }],
    rows: rows.map((g) => [...g.names, measure(g)]),
    ...(byOps ? { note: 'no byte counts in this selection (full_audit records carry none): ranked by operations' } : {}),
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
  delete: (a) => `deleted ${a.path}`,
  rename: (a) => `renamed ${a.path} to ${a.path2}`,
  copy: (a) => `copied ${formatSize(a.bytes)} from ${a.path} to ${a.path2} (server-side)`,
  encrypted: (a) => `moved ${formatSize(a.bytes)} encrypted`,
  chdir: (a) => `changed into ${a.path}`,
};

/**
 * The latest operations, newest first: as sentences for people ("... bob wrote 4.0 KiB to
 * docs/a.txt on share pool"), with every field apart for programs.
 */
export function activityAnswer(q: Question, latest: Activity[]): Answer {
  const time = createLocalFormatter();
  const machine = (name: string, kind: CellKind): Column => ({ name, kind, machineOnly: true });
  const rows = latest.map((a) => {
    const op = opName(a.op);
    const what = VERBS[op]?.(a) ?? `did ${op} on ${a.path}`;
    const failed = a.result < 0 ? ` (failed: ${a.result})` : '';
    const sentence = `${time(a.time).slice(0, 19)} ${a.user} ${what} on share ${a.share}${failed}`;
    return [sentence, a.time, op, a.user, a.domain, a.share, a.path, a.path2, a.bytes, a.result];
  });
  return {
    ...base(q),
    columns: [
      { name: 'activity', kind: 'text' },
      machine('time', 'time'),
      machine('op', 'text'),
      machine('user', 'text'),
      machine('domain', 'text'),
      machine('share', 'text'),
      machine('path', 'text'),
      machine('path2', 'text'),
      machine('bytes', 'count'),
      machine('result', 'count'),
    ],
    rows,
  };
}

/** Quarter hours fit every zone's offset, so 15-minute buckets map exactly to local hours. */
export const QUARTER_MS = 900_000;

/** What a chart says beside a bar whose period lost records. */
const lostMark = (n: number): string => (n ? `! ${n} records lost` : '');

/**
 * Bytes per hour of the local day, labelled as the original did ("09:00 - 10:00"), with the
 * records lost upstream in each hour (within the selection's time): an hour with losses
 * shows less than happened.
 */
export function dayUsageAnswer(q: Question, quarters: Buckets, losses: readonly LossEvent[]): Answer {
  const hours = new Array<number>(24).fill(0);
  for (const [k, bytes] of quarters) {
    const h = new Date(k * QUARTER_MS).getHours();
    hours[h] = (hours[h] ?? 0) + bytes;
  }
  const lost = new Array<number>(24).fill(0);
  for (const l of losses) {
    const h = new Date(l.from).getHours();
    if (l.from >= q.selection.from && l.from < q.selection.to) lost[h] = (lost[h] ?? 0) + l.records;
  }
  const total = hours.reduce((a, b) => a + b, 0);
  const hh = (h: number): string => `${String(h).padStart(2, '0')}:00`;
  const labels = hours.map((_, h) => `${hh(h)} - ${hh(h + 1)}`);
  return {
    ...base(q),
    columns: [
      { name: 'hour', kind: 'text' },
      { name: 'bytes', kind: 'bytes' },
      { name: 'share', kind: 'percent' },
      { name: 'lost', kind: 'count' },
    ],
    rows: hours.map((b, h) => [labels[h]!, b, total ? (100 * b) / total : 0, lost[h]!]),
    chart: { labels, values: hours, marks: lost.map(lostMark) },
  };
}

/** Steps for usage series: the smallest that keeps a range within the rows asked for. */
const STEPS_MS = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800, 2592000].map((s) => s * 1000);
export const USAGE_ROWS = 48;

/** The step of a usage series over [from, to]; steps start at local clock boundaries (periodStart). */
export function usageStep(from: number, to: number, rows = USAGE_ROWS): number {
  const span = Math.max(1, to - from);
  return STEPS_MS.find((s) => Math.ceil(span / s) <= rows) ?? Math.ceil(span / rows / 86_400_000) * 86_400_000;
}

/**
 * The bucket size usage is summed in before it is put into steps: fine enough that no
 * bucket straddles a step's local start (zones are whole minutes, and quarter hours, off UTC).
 */
export function usageGrain(step: number): number {
  return step < 60_000 ? 1000 : step < 3_600_000 ? 60_000 : QUARTER_MS;
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

/**
 * Bytes per local step across [from, last], empty steps included; `fine` holds buckets of
 * `grain` ms. Each step also says the records lost upstream in it: a dip there is missing
 * data, not a quiet period.
 */
export function usageAnswer(q: Question, range: [number, number] | undefined, fine: Buckets, grain: number, losses: readonly LossEvent[]): Answer {
  const time = createLocalFormatter();
  const rows: (string | number)[][] = [];
  if (range) {
    const c = q.command;
    const step = usageStep(range[0], range[1], c.kind === 'usage' ? c.rows : undefined);
    const steps = new Map<number, number>();
    for (const [k, b] of fine) {
      const at = periodStart(k * grain, step);
      steps.set(at, (steps.get(at) ?? 0) + b);
    }
    for (let at = periodStart(range[0], step); at <= range[1]; at = nextPeriod(at, step)) {
      const end = nextPeriod(at, step);
      rows.push([time(at).slice(0, 19), steps.get(at) ?? 0, lostBetween(losses, at, end)]);
    }
  }
  return {
    ...base(q),
    columns: [
      { name: 'from', kind: 'time' },
      { name: 'bytes', kind: 'bytes' },
      { name: 'lost', kind: 'count' },
    ],
    rows,
    chart: { labels: rows.map((r) => String(r[0])), values: rows.map((r) => Number(r[1])), marks: rows.map((r) => lostMark(Number(r[2]))) },
  };
}

/**
 * What search looks in, and what it shows beside each name found so that the name is
 * unambiguous (the original printed "(Share S, Domain D)"): a file's share, a user's domain,
 * a SID's user and domain.
 */
export const SEARCH_KINDS: readonly { kind: string; field: StringFieldName; context: readonly StringFieldName[] }[] = [
  { kind: 'file', field: 'path', context: ['share'] },
  { kind: 'user', field: 'user', context: ['domain'] },
  { kind: 'sid', field: 'sid', context: ['user', 'domain'] },
  { kind: 'domain', field: 'domain', context: [] },
  { kind: 'share', field: 'share', context: [] },
];
const SEARCH_CONTEXT: readonly StringFieldName[] = ['share', 'user', 'domain'];

/** `found` holds, per kind, the name and its context values (in the kind's `context` order). */
export function searchAnswer(q: Question, found: Map<string, Iterable<string[]>>): Answer {
  const rows: string[][] = [];
  for (const { kind, context } of SEARCH_KINDS) {
    const unique = new Map<string, string[]>();
    for (const t of found.get(kind) ?? []) unique.set(t.join('\0'), t);
    for (const [name = '', ...ctx] of [...unique.values()].sort(compareTuples))
      rows.push([kind, name, ...SEARCH_CONTEXT.map((f) => (context.includes(f) ? (ctx[context.indexOf(f)] ?? '') : ''))]);
  }
  return {
    ...base(q),
    columns: [{ name: 'kind', kind: 'text' }, { name: 'name', kind: 'text' }, ...textColumns(SEARCH_CONTEXT)],
    rows,
  };
}

/** `%` any run, `_` one character, everything else itself; whole names only, case-sensitive; in linear time. */
export function likeMatcher(pattern: string): (s: string) => boolean {
  const body = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return linearRegex(`^${body}$`, 's');
}

/** Bytes over the seconds of the window that the selection leaves (a narrowed time is not the whole N units). */
export function throughputAnswer(q: Question, bytes: number, seconds: number): Answer {
  const c = q.command;
  const asked = c.kind === 'throughput' ? (c.n * UNIT_MS[c.unit]) / 1000 : seconds;
  return {
    ...base(q),
    ...(seconds < asked ? { note: `the selection's time leaves ${seconds} of the ${asked} seconds asked for; the rate is over those` } : {}),
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
