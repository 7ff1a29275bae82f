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
import { STRING_FIELDS, type FieldName, type StringFieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { withinHours, type Rule } from './rules.js';

export interface Alert {
  kind: 'alert' | 'cleared';
  rule: string;
  severity: Rule['severity'];
  /** Record time (ms since the epoch) of the record that crossed the threshold, or of the clearing. */
  time: number;
  /** The group: its `by` fields and their values. */
  group: Record<string, string>;
  measure: Rule['measure'];
  /** The measure at that moment, over the window (0 for a clearing). */
  value: number;
  above: number;
  overMs: number;
  quietForMs: number;
  /** The path (and new name of a rename) and the client of the record that crossed (for an alert). */
  path: string;
  path2: string;
  client: string;
}

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
}

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
    const same = (a: Rule, b: Rule): boolean => JSON.stringify({ ...a, filter: 0 }) === JSON.stringify({ ...b, filter: 0 });
    const kept = rules.map((rule) => this.rules.findIndex((old) => same(old, rule)));
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
      } else this.add(g, t, rule.measure === 'bytes' ? bytes[i]! : 1);
      const value = this.measure(g, rule, now);
      if (value <= rule.above) continue;
      g.lastAbove = t;
      if (g.alerting) continue;
      g.alerting = true;
      this.alerting[r]!.add(g);
      this.stats.alerts++;
      this.pending.push(
        alertOf('alert', rule, g, t, value, { path: String(b.value('path', i)), path2: String(b.value('path2', i)), client: String(b.value('client', i)) }),
      );
    }
    return now;
  }

  private group(rule: Rule, r: number, b: RecordBatch, i: number): Group {
    const groups = this.groups[r]!;
    const names = rule.by.map((f) => String(b.value(f, i)));
    const key = names.join('\0');
    let g = groups.get(key);
    if (g) {
      groups.delete(key); // kept in order of last activity
    } else {
      g = {
        names: Object.fromEntries(rule.by.map((f, k) => [f, names[k]!])),
        seconds: [],
        sums: [],
        head: 0,
        total: 0,
        distinct: undefined,
        alerting: false,
        lastAbove: -Infinity,
      };
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
