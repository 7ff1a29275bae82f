/**
 * What smbta-top shows, aggregated outside React: per-group totals and rates for every
 * grouping at once (so switching grouping shows history at once), read and write bytes per
 * second of record time for the sparkline, the latest operations, and what was lost.
 * Batches go in column by column; a snapshot comes out once per refresh.
 */
import type { Alert } from '../record/alert.js';
import { isReadOp, isWriteOp, opName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';

export const GROUPINGS = ['user', 'share', 'path', 'client', 'server'] as const;
export type Grouping = (typeof GROUPINGS)[number];

export const SORTS = ['read/s', 'write/s', 'ops/s', 'total', 'name'] as const;
export type SortKey = (typeof SORTS)[number];

/** Seconds of throughput history kept for the sparkline. */
export const HISTORY_SECONDS = 600;
/** Distinct keys per grouping beyond which the idle, smallest ones are forgotten. */
const MAX_KEYS = 50_000;
const LOG_LINES = 100;
const ALERT_LINES = 20;

interface Entry {
  name: string;
  read: number;
  written: number;
  ops: number;
  /** Since the last tick. */
  readNow: number;
  writtenNow: number;
  opsNow: number;
  /** Per second, as of the last tick. */
  readRate: number;
  writeRate: number;
  opsRate: number;
}

export interface GroupRow {
  name: string;
  readRate: number;
  writeRate: number;
  opsRate: number;
  read: number;
  written: number;
  ops: number;
}

export interface LogLine {
  time: number;
  op: string;
  user: string;
  share: string;
  path: string;
  bytes: number;
  result: number;
}

export interface TopSnapshot {
  /** The clock of the last tick (ms): wall time live, replay time for archives. */
  clock: number;
  records: number;
  /** Records lost upstream (gap blocks, receivers' drop counters) or skipped as damaged. */
  dropped: number;
  readRate: number;
  writeRate: number;
  opsRate: number;
  /** Read and written bytes per second, oldest first, ending at `clock`. */
  history: { read: number[]; write: number[] };
  grouping: Grouping;
  sort: SortKey;
  /** Distinct names in this grouping, of which `rows` are the first. */
  groups: number;
  rows: GroupRow[];
  log: LogLine[];
  /** The latest things the sources said (reconnecting, gaps), newest last. */
  notes: string[];
  /** Alert blocks in the stream (smbta-alert -w): how many, and the latest, newest last. */
  alertCount: number;
  alerts: Alert[];
}

export class TopModel {
  records = 0;
  /** The newest record time added (ms), -Infinity before any. */
  latest = -Infinity;
  dropped = 0;
  private tables = new Map<Grouping, Map<string, Entry>>(GROUPINGS.map((g) => [g, new Map()]));
  private readHist = new Float64Array(HISTORY_SECONDS);
  private writeHist = new Float64Array(HISTORY_SECONDS);
  /** The second (of record time) that history slot 0 ... the last slot end at. */
  private histSecond = -Infinity;
  private log: LogLine[] = [];
  private notes: string[] = [];
  private alerts: Alert[] = [];
  private alertCount = 0;
  private lastTick = NaN;
  private perRow = { read: new Float64Array(0), written: new Float64Array(0), ops: new Float64Array(0) };
  private rates = { read: 0, write: 0, ops: 0 };
  private now = { read: 0, write: 0, ops: 0 };

  /** Adds the given rows of a batch (all `count` rows when `rows` is null). */
  add(b: RecordBatch, rows: Uint32Array | null, count: number): void {
    const op = b.nums('op');
    const bytes = b.nums('bytes');
    const cnt = b.nums('count');
    const time = b.nums('time');
    // Read and written bytes per row once, so each grouping's pass only adds numbers.
    const s = this.scratch(count);
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      const o = op[i]!;
      s.read[k] = isReadOp(o) ? bytes[i]! : 0;
      s.written[k] = isWriteOp(o) ? bytes[i]! : 0;
      s.ops[k] = cnt[i]!;
      if (time[i]! > this.latest) this.latest = time[i]!;
      if (s.read[k]) this.history(time[i]!, s.read[k]!, this.readHist);
      else if (s.written[k]) this.history(time[i]!, s.written[k]!, this.writeHist);
      this.now.read += s.read[k]!;
      this.now.write += s.written[k]!;
      this.now.ops += s.ops[k]!;
    }
    for (const g of GROUPINGS) {
      const table = this.tables.get(g)!;
      const refs = b.refs(g);
      const entries = new Array<Entry | undefined>(b.strings.size);
      for (let k = 0; k < count; k++) {
        const ref = refs[rows ? rows[k]! : k]!;
        const e = entries[ref] ?? (entries[ref] = entry(table, b.strings.get(ref)));
        e.readNow += s.read[k]!;
        e.writtenNow += s.written[k]!;
        e.opsNow += s.ops[k]!;
      }
    }
    this.records += count;
    for (let k = Math.max(0, count - LOG_LINES); k < count; k++) this.log.push(logLine(b, rows ? rows[k]! : k));
    if (this.log.length > 2 * LOG_LINES) this.log = this.log.slice(-LOG_LINES);
  }

  private scratch(n: number): { read: Float64Array; written: Float64Array; ops: Float64Array } {
    if (this.perRow.read.length < n) this.perRow = { read: new Float64Array(n), written: new Float64Array(n), ops: new Float64Array(n) };
    return this.perRow;
  }

  /** Adds `bytes` at record time `t` to a per-second history, sliding it forward as time passes. */
  private history(t: number, bytes: number, hist: Float64Array): void {
    const sec = Math.floor(t / 1000);
    if (sec > this.histSecond) this.slide(sec);
    const slot = HISTORY_SECONDS - 1 - (this.histSecond - sec);
    if (slot >= 0) hist[slot] = (hist[slot] ?? 0) + bytes;
  }

  private slide(to: number): void {
    const by = Math.min(HISTORY_SECONDS, to - this.histSecond);
    for (const h of [this.readHist, this.writeHist]) {
      h.copyWithin(0, by);
      h.fill(0, HISTORY_SECONDS - by);
    }
    this.histSecond = to;
  }

  /** Records the sources lost, as they reported it. */
  lost(records: number): void {
    this.dropped += records;
  }

  /** An alert or clearing an smbta-alert upstream put in the stream. */
  alert(a: Alert): void {
    this.alertCount++;
    this.alerts.push(a);
    if (this.alerts.length > ALERT_LINES) this.alerts.shift();
  }

  note(message: string): void {
    this.notes.push(message);
    if (this.notes.length > 20) this.notes.shift();
  }

  /** Turns what arrived since the last tick into rates, at clock `now` (ms). */
  tick(now: number): void {
    const seconds = Number.isNaN(this.lastTick) ? 0 : (now - this.lastTick) / 1000;
    this.lastTick = now;
    if (this.histSecond === -Infinity || Math.floor(now / 1000) > this.histSecond) this.slide(Math.floor(now / 1000));
    const per = (n: number): number => (seconds > 0 ? n / seconds : 0);
    this.rates = { read: per(this.now.read), write: per(this.now.write), ops: per(this.now.ops) };
    this.now = { read: 0, write: 0, ops: 0 };
    for (const table of this.tables.values()) {
      for (const e of table.values()) {
        e.read += e.readNow;
        e.written += e.writtenNow;
        e.ops += e.opsNow;
        e.readRate = per(e.readNow);
        e.writeRate = per(e.writtenNow);
        e.opsRate = per(e.opsNow);
        e.readNow = e.writtenNow = e.opsNow = 0;
      }
      if (table.size > MAX_KEYS) forgetIdle(table);
    }
  }

  /** Forgets everything counted so far (the `c` key, and a new filter). */
  clear(): void {
    for (const t of this.tables.values()) t.clear();
    this.readHist.fill(0);
    this.writeHist.fill(0);
    this.log = [];
    this.alerts = [];
    this.alertCount = 0;
    this.records = 0;
    this.dropped = 0;
    this.rates = { read: 0, write: 0, ops: 0 };
    this.now = { read: 0, write: 0, ops: 0 };
  }

  snapshot(grouping: Grouping, sort: SortKey, limit: number): TopSnapshot {
    const table = this.tables.get(grouping)!;
    const rows = [...table.values()].sort(COMPARE[sort]).slice(0, limit).map(toRow);
    return {
      clock: this.lastTick,
      records: this.records,
      dropped: this.dropped,
      readRate: this.rates.read,
      writeRate: this.rates.write,
      opsRate: this.rates.ops,
      history: { read: Array.from(this.readHist), write: Array.from(this.writeHist) },
      grouping,
      sort,
      groups: table.size,
      rows,
      log: this.log.slice(-LOG_LINES),
      notes: this.notes.slice(),
      alertCount: this.alertCount,
      alerts: this.alerts.slice(),
    };
  }
}

function entry(table: Map<string, Entry>, name: string): Entry {
  let e = table.get(name);
  if (e === undefined) {
    e = { name, read: 0, written: 0, ops: 0, readNow: 0, writtenNow: 0, opsNow: 0, readRate: 0, writeRate: 0, opsRate: 0 };
    table.set(name, e);
  }
  return e;
}

function toRow(e: Entry): GroupRow {
  return { name: e.name, readRate: e.readRate, writeRate: e.writeRate, opsRate: e.opsRate, read: e.read, written: e.written, ops: e.ops };
}

/** Busiest first; ties, and the name sort, by name. */
const byName = (a: Entry, b: Entry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const COMPARE: Record<SortKey, (a: Entry, b: Entry) => number> = {
  'read/s': (a, b) => b.readRate - a.readRate || b.read - a.read || byName(a, b),
  'write/s': (a, b) => b.writeRate - a.writeRate || b.written - a.written || byName(a, b),
  'ops/s': (a, b) => b.opsRate - a.opsRate || b.ops - a.ops || byName(a, b),
  total: (a, b) => b.read + b.written - (a.read + a.written) || b.ops - a.ops || byName(a, b),
  name: byName,
};

/** Keeps the busier half of a table that grew too big (per-file tables on a huge share). */
function forgetIdle(table: Map<string, Entry>): void {
  const keep = [...table.values()].sort(COMPARE.total).slice(0, MAX_KEYS / 2);
  table.clear();
  for (const e of keep) table.set(e.name, e);
}

function logLine(b: RecordBatch, i: number): LogLine {
  const s = (f: 'user' | 'share' | 'path'): string => b.strings.get(b.refs(f)[i]!);
  return {
    time: b.nums('time')[i]!,
    op: opName(b.nums('op')[i]!),
    user: s('user'),
    share: s('share'),
    path: s('path'),
    bytes: b.nums('bytes')[i]!,
    result: b.nums('result')[i]!,
  };
}
