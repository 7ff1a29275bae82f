/**
 * Evaluates alert rules over record batches, on record time: a window is the records of a
 * group whose time lies within `over` of the newest record seen, so replaying an archive
 * gives exactly the alerts the live run gave. A group alerts once when its measure rises
 * above the threshold, and is cleared when no record has taken it above for `quiet-for`.
 *
 * Memory is bounded: at most `maxGroups` groups per rule (the least recently active is
 * forgotten first, and counted), each holding per-second sums, or for distinct measures the
 * values seen in the window (at most MAX_DISTINCT, beyond which the count is a floor).
 */
import { periodStart } from '../format/period.js';
import { STRING_FIELDS, type FieldName, type StringFieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import type { Alert } from '../record/alert.js';
import { withinHours, type Rule } from './rules.js';

const MAX_DISTINCT = 100_000;

interface Group {
  names: Record<string, string>;
  /** Per-second sums: second start (ms) and value, oldest first from `head`. */
  seconds: number[];
  sums: number[];
  head: number;
  total: number;
  /** Distinct values and when each was last seen (oldest first). */
  distinct: Map<string, number> | undefined;
  alerting: boolean;
  lastAbove: number;
  /** A baseline rule's periods. */
  base: Baseline | undefined;
}

/** A group's sums per `over` period: the one under way, and the finished ones within the baseline. */
export interface Baseline {
  /** The start of the first period the group was seen in (its usual counts from there). */
  first: number;
  period: number;
  current: number;
  /** Finished periods with a sum: [start, sum], oldest first. */
  history: [number, number][];
}

/** What --state keeps of the baseline rules, by rule name: its definition, and each group's periods. */
export type SavedBaselines = Record<string, { definition: string; groups: { names: Record<string, string>; base: Baseline }[] }>;

export interface EngineStats {
  records: number;
  alerts: number;
  cleared: number;
  /** Groups forgotten to stay within the bound. */
  evictedGroups: number;
}

export class AlertEngine {
  readonly stats: EngineStats = { records: 0, alerts: 0, cleared: 0, evictedGroups: 0 };
  private readonly groups: Map<string, Group>[];
  /** Per rule, the groups that have alerted and not yet cleared. */
  private readonly alerting: Set<Group>[];
  private newest = -Infinity;
  private readonly pending: Alert[] = [];
  /** The groups the rule being evaluated met in this batch, by their rows' string refs. */
  private readonly batchGroups = new Map<number | string, Group>();

  constructor(
    private rules: readonly Rule[],
    private readonly emit: (a: Alert) => void,
    private readonly maxGroups = 100_000,
  ) {
    this.groups = rules.map(() => new Map<string, Group>());
    this.alerting = rules.map(() => new Set<Group>());
  }

  /** New rules (SIGHUP): a rule kept by name and definition keeps its windows and alerts; the others start empty. */
  setRules(rules: readonly Rule[]): void {
    const kept = rules.map((rule) => this.rules.findIndex((old) => definition(old) === definition(rule)));
    const groups = kept.map((k) => (k >= 0 ? this.groups[k]! : new Map<string, Group>()));
    const alerting = kept.map((k) => (k >= 0 ? this.alerting[k]! : new Set<Group>()));
    this.groups.splice(0, Infinity, ...groups);
    this.alerting.splice(0, Infinity, ...alerting);
    this.rules = rules;
  }

  /** The rows of a batch already selected by the reader (all when `rows` is null). */
  batch(b: RecordBatch, rows: Uint32Array | null, count: number): void {
    const before = this.newest;
    let newest = before;
    this.rules.forEach((rule, r) => (newest = Math.max(newest, this.evaluate(rule, r, b, rows, count, before))));
    this.newest = newest;
    this.stats.records += count;
    this.clearQuiet();
    this.flush();
  }

  /** A batch's alerts in time order (rules are evaluated one after the other), as they would come live. */
  private flush(): void {
    this.pending.sort((a, b) => a.time - b.time);
    for (const a of this.pending.splice(0)) this.emit(a);
  }

  /** The end of the input: groups quiet since are cleared, as of the newest record. */
  finish(): void {
    this.clearQuiet();
    this.flush();
  }

  /** One rule over a batch, its clock going forward record by record from `now`; returns the clock. */
  private evaluate(rule: Rule, r: number, b: RecordBatch, rows: Uint32Array | null, count: number, now: number): number {
    const test = rule.filter?.(b);
    const refs = rule.by.every(isStringField) ? rule.by.map((f) => b.refs(f as StringFieldName)) : undefined;
    this.batchGroups.clear();
    const time = b.nums('time');
    const bytes = b.nums('bytes');
    const result = b.nums('result');
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      const t = time[i]!;
      if (t > now) now = t;
      if (test && !test(i)) continue;
      if (rule.measure === 'failures' && result[i]! >= 0) continue;
      if (rule.hours && withinHours(rule.hours, t)) continue;
      // Each distinct group of a batch is looked up by its strings once: later rows find it by their string refs.
      const ref = refs === undefined ? undefined : refs.length === 1 ? refs[0]![i]! : refs.map((c) => c[i]).join(',');
      let g = ref === undefined ? undefined : this.batchGroups.get(ref);
      if (!g) {
        g = this.group(rule, r, b, i);
        if (ref !== undefined) this.batchGroups.set(ref, g);
      }
      if (g.alerting && t - g.lastAbove >= rule.quietForMs) this.clear(rule, r, g);
      if (rule.measure === 'paths' || rule.measure === 'extensions') {
        const path = String(b.value(rule.measure === 'extensions' && b.value('path2', i) ? 'path2' : 'path', i));
        const v = rule.measure === 'paths' ? path : extensionOf(path);
        if (!v) continue;
        g.distinct ??= new Map();
        g.distinct.delete(v);
        if (g.distinct.size < MAX_DISTINCT) g.distinct.set(v, t);
      } else if (!rule.baselineMs) this.add(g, t, rule.measure === 'bytes' ? bytes[i]! : 1);
      const value = rule.baselineMs ? addToPeriod(g, rule, t, rule.measure === 'bytes' ? bytes[i]! : 1) : this.measure(g, rule, now);
      const above = rule.baselineMs ? baselineThreshold(g.base!, rule) : rule.above;
      if (value <= above) continue;
      g.lastAbove = t;
      if (g.alerting) continue;
      g.alerting = true;
      this.alerting[r]!.add(g);
      this.stats.alerts++;
      const at = { path: String(b.value('path', i)), path2: String(b.value('path2', i)), client: String(b.value('client', i)) };
      this.pending.push({ ...alertOf('alert', rule, g, t, value, at), above });
    }
    return now;
  }

  /** The baseline rules' periods, for --state. */
  baselines(): SavedBaselines {
    const out: SavedBaselines = {};
    this.rules.forEach((rule, r) => {
      if (!rule.baselineMs) return;
      const groups = [...this.groups[r]!.values()].filter((g) => g.base).map((g) => ({ names: g.names, base: g.base! }));
      out[rule.name] = { definition: definition(rule), groups };
    });
    return out;
  }

  /** Periods --state kept, for the rules still defined as they were; returns the groups restored. */
  restoreBaselines(saved: SavedBaselines): number {
    let restored = 0;
    this.rules.forEach((rule, r) => {
      const kept = saved[rule.name];
      if (!rule.baselineMs || kept?.definition !== definition(rule) || !Array.isArray(kept.groups)) return;
      for (const { names, base } of kept.groups.slice(-this.maxGroups)) {
        if (!isBaseline(base) || typeof names !== 'object' || names === null) continue;
        const key = rule.by.map((f) => names[f] ?? '').join('\0');
        this.groups[r]!.set(key, { ...newGroup(names), base });
        restored++;
      }
    });
    return restored;
  }

  private group(rule: Rule, r: number, b: RecordBatch, i: number): Group {
    const groups = this.groups[r]!;
    const names = rule.by.map((f) => String(b.value(f, i)));
    const key = names.join('\0');
    let g = groups.get(key);
    if (g) {
      groups.delete(key); // kept in order of last activity
    } else {
      g = newGroup(Object.fromEntries(rule.by.map((f, k) => [f, names[k]!])));
      if (groups.size >= this.maxGroups) {
        const [oldest, forgotten] = groups.entries().next().value!;
        groups.delete(oldest);
        this.alerting[r]!.delete(forgotten);
        this.batchGroups.clear(); // it may hold the forgotten group
        this.stats.evictedGroups++;
      }
    }
    groups.set(key, g);
    return g;
  }

  private add(g: Group, t: number, v: number): void {
    const second = t - (t % 1000);
    const last = g.seconds.length - 1;
    if (last >= g.head && g.seconds[last] === second) g.sums[last]! += v;
    else {
      g.seconds.push(second);
      g.sums.push(v);
    }
    g.total += v;
  }

  /** The measure over the window ending at `now`, dropping what fell out of it. */
  private measure(g: Group, rule: Rule, now: number): number {
    const from = now - rule.overMs;
    if (g.distinct) {
      for (const [v, t] of g.distinct) {
        if (t > from) break;
        g.distinct.delete(v);
      }
      return g.distinct.size;
    }
    while (g.head < g.seconds.length && g.seconds[g.head]! + 1000 <= from) g.total -= g.sums[g.head++]!;
    if (g.head > 1024 && g.head * 2 > g.seconds.length) {
      g.seconds.splice(0, g.head);
      g.sums.splice(0, g.head);
      g.head = 0;
    }
    return g.total;
  }

  /** Groups whose last rise above the threshold is `quiet-for` behind the newest record. */
  private clearQuiet(): void {
    this.rules.forEach((rule, r) => {
      for (const g of this.alerting[r]!) if (this.newest - g.lastAbove >= rule.quietForMs) this.clear(rule, r, g);
    });
  }

  /**
   * Only a record above the threshold moves `lastAbove`, so a group is quiet from then on:
   * it is cleared as of `lastAbove + quiet-for`, whichever record or batch end shows it, the
   * same live and replayed.
   */
  private clear(rule: Rule, r: number, g: Group): void {
    g.alerting = false;
    this.alerting[r]!.delete(g);
    this.stats.cleared++;
    this.pending.push(alertOf('cleared', rule, g, g.lastAbove + rule.quietForMs, 0, { path: '', path2: '', client: '' }));
  }
}

function newGroup(names: Record<string, string>): Group {
  return { names, seconds: [], sums: [], head: 0, total: 0, distinct: undefined, alerting: false, lastAbove: -Infinity, base: undefined };
}

/** A saved baseline as this program writes one (a state file edited by hand may hold anything). */
function isBaseline(b: unknown): b is Baseline {
  const x = b as Baseline | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    [x.first, x.period, x.current].every(Number.isFinite) &&
    Array.isArray(x.history) &&
    x.history.every((h) => Array.isArray(h) && h.length === 2 && h.every(Number.isFinite))
  );
}

/** What makes two rules the same rule: all but the compiled filter. */
function definition(rule: Rule): string {
  return JSON.stringify({ ...rule, filter: 0 });
}

/**
 * Adds `v` at `t` to the group's period sums, finishing the period under way when `t` is in
 * a later one; returns the sum of the period under way. A late record adds to its own
 * period's sum when that is still kept.
 */
function addToPeriod(g: Group, rule: Rule, t: number, v: number): number {
  const period = periodStart(t, rule.overMs);
  const base = (g.base ??= { first: period, period, current: 0, history: [] });
  if (period > base.period) {
    if (base.current) base.history.push([base.period, base.current]);
    const from = period - rule.baselineMs!;
    while (base.history.length && base.history[0]![0] < from) base.history.shift();
    base.period = period;
    base.current = 0;
  }
  if (period === base.period) base.current += v;
  else {
    const old = base.history.find(([start]) => start === period);
    if (old) old[1] += v;
    base.first = Math.min(base.first, period);
  }
  return base.current;
}

/**
 * Above what the period under way alerts: `times` the group's mean period over the baseline
 * (periods without records count as 0, from the first it was seen in), and `above`. Until
 * half the baseline has been seen the group is learning: it never alerts.
 */
function baselineThreshold(base: Baseline, rule: Rule): number {
  const from = Math.max(base.first, base.period - rule.baselineMs!);
  const periods = Math.round((base.period - from) / rule.overMs);
  if (periods * 2 < rule.baselineMs! / rule.overMs) return Infinity;
  let sum = 0;
  for (const [start, v] of base.history) if (start >= from) sum += v;
  return Math.max(rule.above, (rule.times! * sum) / periods);
}

function alertOf(kind: Alert['kind'], rule: Rule, g: Group, time: number, value: number, at: Pick<Alert, 'path' | 'path2' | 'client'>): Alert {
  const { name, severity, measure, above, overMs, quietForMs } = rule;
  return { kind, rule: name, severity, time, group: g.names, measure, value, above, overMs, quietForMs, ...at };
}

function isStringField(f: FieldName): boolean {
  return (STRING_FIELDS as readonly string[]).includes(f);
}

/** `docx` of `a/b.final.docx`; '' for a name without one (or a dot file). */
export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}
