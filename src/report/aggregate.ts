/**
 * The report's numbers, gathered in one pass over the records of the period and the one
 * before it: totals, volume over time, the busiest users, shares, files and clients,
 * operations by kind, deletes and renames, failures, and what the stream says besides
 * (alert blocks, senders, losses). Per batch, sums go into arrays by string reference and
 * are folded into the maps once per distinct string, so a day of 10M records is seconds.
 */
import { alertFromJson, type Alert } from '../record/alert.js';
import { isReadOp, isWriteOp, opName, OPS, type StringFieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { statusSenders, type SideBlock } from '../stream/decoder.js';
import { BlockKind } from '../stream/format.js';
import { lostBetween, type LossEvent } from '../stream/loss.js';
import type { Periods } from './period.js';

export interface Totals {
  records: number;
  /** Operations (a record's count: a summarised record stands for several). */
  ops: number;
  read: number;
  written: number;
  deletes: number;
  renames: number;
  failures: number;
}

export interface Busiest {
  name: string;
  read: number;
  written: number;
  ops: number;
}

export interface Changes {
  user: string;
  deletes: number;
  renames: number;
}

export interface Failure {
  user: string;
  op: string;
  count: number;
}

export interface ReportData {
  periods: Periods;
  /** The zone local times are in (--tz, TZ, or this machine's). */
  tz: string;
  totals: Totals;
  previous: Totals;
  /** Volume over time: `step` ms buckets from the period's start (the last may be shorter). */
  series: { step: number; starts: number[]; read: number[]; written: number[]; lost: number[] };
  users: Busiest[];
  shares: Busiest[];
  files: Busiest[];
  clients: Busiest[];
  ops: { op: string; count: number; bytes: number }[];
  changes: Changes[];
  failures: Failure[];
  alerts: Alert[];
  /** False when the source has no alerts (a store made before smbta-db kept them). */
  alertsKept: boolean;
  senders: [string, string][];
  losses: LossEvent[];
}

/** Rows each ranked list keeps. */
export const TOP = 10;

interface Sums {
  read: number;
  written: number;
  ops: number;
}

const zeroTotals = (): Totals => ({ records: 0, ops: 0, read: 0, written: 0, deletes: 0, renames: 0, failures: 0 });
const DELETE = OPS.indexOf('delete');
const RMDIR = OPS.indexOf('rmdir');
const RENAME = OPS.indexOf('rename');

/** What a ranked list is of, and how a row's strings name it (smbta-query's kinds: a user in a domain, a file on a share of a server). */
const LISTS = {
  users: { fields: ['user', 'domain'], name: ([u, d]: string[]) => (d ? `${d}\\${u}` : u!) },
  shares: { fields: ['share'], name: ([s]: string[]) => s! },
  files: { fields: ['path', 'share', 'server'], name: ([p, s, server]: string[]) => `//${server}/${s}/${p}` },
  clients: { fields: ['client'], name: ([c]: string[]) => c! },
} as const satisfies Record<string, { fields: readonly StringFieldName[]; name: (v: string[]) => string }>;
type ListName = keyof typeof LISTS;

export class ReportAggregator {
  /** Records read, in the periods or not (for progress). */
  records = 0;
  private readonly totals = zeroTotals();
  private readonly previous = zeroTotals();
  private readonly lists = new Map<ListName, Map<string, Sums>>(Object.keys(LISTS).map((k) => [k as ListName, new Map()]));
  /** Operations and bytes by op id: arrays for the ids there are names for (every record adds here), a map for any newer. */
  private readonly opCount = new Float64Array(256);
  private readonly opBytes = new Float64Array(256);
  private readonly otherOps = new Map<number, { count: number; bytes: number }>();
  private readonly changes = new Map<string, Changes>();
  private readonly failures = new Map<string, Failure>();
  private readonly alerts: Alert[] = [];
  private readonly senders = new Map<string, string>();
  private readonly losses: LossEvent[] = [];
  private readonly read: Float64Array;
  private readonly written: Float64Array;
  private readonly starts: number[];

  constructor(
    private readonly periods: Periods,
    private readonly step: number,
  ) {
    const { from, to } = periods.period;
    this.starts = [];
    for (let t = from; t < to; t += step) this.starts.push(t);
    this.read = new Float64Array(this.starts.length);
    this.written = new Float64Array(this.starts.length);
  }

  /** The selected rows of a batch; those of the period before count in its totals only. */
  add(b: RecordBatch, rows: Uint32Array | null, count: number): void {
    const { from, to } = this.periods.period;
    const time = b.nums('time');
    const op = b.nums('op');
    const bytes = b.nums('bytes');
    const ops = b.nums('count');
    const result = b.nums('result');
    const inPeriod = new Uint32Array(count);
    let n = 0;
    this.records += count;
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      const t = time[i]!;
      const o = op[i]!;
      const tally = t >= from && t < to ? this.totals : t >= this.periods.previous.from && t < from ? this.previous : undefined;
      if (!tally) continue;
      tally.records++;
      tally.ops += ops[i]!;
      if (isReadOp(o)) tally.read += bytes[i]!;
      else if (isWriteOp(o)) tally.written += bytes[i]!;
      if (o === DELETE || o === RMDIR) tally.deletes += ops[i]!;
      else if (o === RENAME) tally.renames += ops[i]!;
      if (result[i]! < 0) tally.failures += ops[i]!;
      if (tally !== this.totals) continue;
      inPeriod[n++] = i;
      const bucket = Math.floor((t - from) / this.step);
      if (isReadOp(o)) this.read[bucket]! += bytes[i]!;
      else if (isWriteOp(o)) this.written[bucket]! += bytes[i]!;
      if (o < 256) {
        this.opCount[o]! += ops[i]!;
        this.opBytes[o]! += bytes[i]!;
      } else {
        const c = this.otherOps.get(o) ?? { count: 0, bytes: 0 };
        c.count += ops[i]!;
        c.bytes += bytes[i]!;
        this.otherOps.set(o, c);
      }
    }
    const sel = inPeriod.subarray(0, n);
    for (const name of Object.keys(LISTS) as ListName[]) this.addList(b, sel, name);
    this.addChanges(b, sel);
  }

  /** The rows' sums per distinct combination of the list's fields, folded in by its name. */
  private addList(b: RecordBatch, rows: Uint32Array, list: ListName): void {
    const { fields, name } = LISTS[list];
    const refs = fields.map((f) => b.refs(f));
    const op = b.nums('op');
    const bytes = b.nums('bytes');
    const ops = b.nums('count');
    const size = b.strings.size + 1;
    const local = new Map<number, Sums & { i: number }>();
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]!;
      let key = 0;
      for (const c of refs) key = key * size + c[i]!;
      let s = local.get(key);
      if (!s) local.set(key, (s = { read: 0, written: 0, ops: 0, i }));
      const o = op[i]!;
      if (isReadOp(o)) s.read += bytes[i]!;
      else if (isWriteOp(o)) s.written += bytes[i]!;
      s.ops += ops[i]!;
    }
    const all = this.lists.get(list)!;
    for (const s of local.values()) {
      const key = name(fields.map((f) => String(b.value(f, s.i))));
      const t = all.get(key) ?? { read: 0, written: 0, ops: 0 };
      t.read += s.read;
      t.written += s.written;
      t.ops += s.ops;
      all.set(key, t);
    }
  }

  /** Deletes and renames by user, and failures by user and operation. */
  private addChanges(b: RecordBatch, rows: Uint32Array): void {
    const op = b.nums('op');
    const ops = b.nums('count');
    const result = b.nums('result');
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]!;
      const o = op[i]!;
      const failed = result[i]! < 0;
      if (o !== DELETE && o !== RMDIR && o !== RENAME && !failed) continue;
      const user = LISTS.users.name([String(b.value('user', i)), String(b.value('domain', i))]);
      if (failed) {
        const key = `${user}\0${o}`;
        const f = this.failures.get(key) ?? { user, op: opName(o), count: 0 };
        f.count += ops[i]!;
        this.failures.set(key, f);
      }
      if (o === DELETE || o === RMDIR || o === RENAME) {
        const c = this.changes.get(user) ?? { user, deletes: 0, renames: 0 };
        if (o === RENAME) c.renames += ops[i]!;
        else c.deletes += ops[i]!;
        this.changes.set(user, c);
      }
    }
  }

  /** A status, gap or alert block, and the records it newly says were lost. */
  side(s: SideBlock, lost: number, loss: () => LossEvent): void {
    for (const [server, protocol] of statusSenders(s)) this.sender(server, protocol);
    if (lost > 0) this.loss(loss());
    const a = s.kind === BlockKind.Alert ? alertFromJson(s.body) : undefined;
    if (a) this.alert(a);
  }

  /** An alert, kept when it was raised in the period. */
  alert(a: Alert): void {
    const { from, to } = this.periods.period;
    if (a.time >= from && a.time < to) this.alerts.push(a);
  }

  sender(server: string, protocol: string): void {
    this.senders.set(server, protocol);
  }

  /** A loss, kept when it touches the period. */
  loss(l: LossEvent): void {
    const { from, to } = this.periods.period;
    if (l.to >= from && l.from < to) this.losses.push(l);
  }

  /** Each op seen, busiest first. */
  private opTotals(): ReportData['ops'] {
    const seen = [...this.opCount.keys()].filter((o) => this.opCount[o]).map((o) => ({ op: opName(o), count: this.opCount[o]!, bytes: this.opBytes[o]! }));
    const other = [...this.otherOps].map(([o, c]) => ({ op: opName(o), ...c }));
    return [...seen, ...other].sort((a, b) => b.count - a.count || (a.op < b.op ? -1 : 1));
  }

  result(tz: string, alertsKept = true): ReportData {
    const ranked = (list: ListName): Busiest[] =>
      [...this.lists.get(list)!]
        .map(([name, s]) => ({ name, ...s }))
        .sort((a, b) => b.read + b.written - (a.read + a.written) || b.ops - a.ops || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .slice(0, TOP);
    const { from } = this.periods.period;
    const lost = this.starts.map((start, k) => lostBetween(this.losses, start, this.starts[k + 1] ?? this.periods.period.to));
    return {
      periods: this.periods,
      tz,
      totals: this.totals,
      previous: this.previous,
      series: { step: this.step, starts: this.starts, read: Array.from(this.read), written: Array.from(this.written), lost },
      users: ranked('users'),
      shares: ranked('shares'),
      files: ranked('files'),
      clients: ranked('clients'),
      ops: this.opTotals(),
      changes: [...this.changes.values()].sort((a, b) => b.deletes + b.renames - (a.deletes + a.renames) || (a.user < b.user ? -1 : 1)).slice(0, TOP),
      failures: [...this.failures.values()].sort((a, b) => b.count - a.count || (a.user < b.user ? -1 : 1)).slice(0, TOP),
      alerts: this.alerts.filter((a) => a.kind === 'alert' && a.time >= from).sort((a, b) => a.time - b.time),
      alertsKept,
      senders: [...this.senders].sort(),
      losses: this.losses.sort((a, b) => a.from - b.from),
    };
  }
}

/** The bucket for a period: an hour for a day, 6 hours for a week, a day for a month or more. */
export function seriesStep(from: number, to: number): number {
  const span = to - from;
  if (span <= 2 * 86_400_000) return Math.max(60_000, Math.ceil(span / 24 / 60_000) * 60_000);
  if (span <= 8 * 86_400_000) return 6 * 3_600_000;
  return 86_400_000;
}
