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
import { nextPeriod, periodStart } from '../format/period.js';
import { STRING_FIELDS, type FieldName, type StringFieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import type { Alert } from '../record/alert.js';
import { withinHours, type Hours, type Rule } from './rules.js';

const MAX_DISTINCT = 100_000;

interface Group {
  names: Record<string, string>;
  /**
   * Per-second sums: second start (ms) and value, oldest first from `head`. For a distinct
   * measure, sightings instead: a value in `values` and its second, some of them stale
   * (the value was seen again later).
   */
  seconds: number[];
  sums: number[];
  values: string[];
  head: number;
  total: number;
  /** Distinct values and the last second each was seen in; the last one added, and its second. */
  distinct: Map<string, number> | undefined;
  lastValue: string;
  lastSecond: number;
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
  private scratch = newScratch(0);
  /**
   * The groups met by their number (see groupIds) in a rule's pass over a batch, valid
   * where their stamp is `pass`: each pass starts a new one instead of clearing.
   */
  private slots = newSlots(0);
  private pass = 0;
  /** The batch's selections, by their text, its groupings, by their fields, and the rows each kind of rule takes. */
  private readonly masks = new Map<string, Uint8Array>();
  private readonly ids = new Map<string, GroupIds>();
  private readonly takes = new Map<string, Uint32Array>();

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
    const scratch = this.batchScratch(b, rows, count);
    this.masks.clear();
    this.ids.clear();
    this.takes.clear();
    this.rules.forEach((rule, r) => this.evaluate(rule, r, b, scratch, count));
    if (count) this.newest = scratch.clock[count - 1]!;
    this.stats.records += count;
    this.clearQuiet();
    this.flush();
  }

  /**
   * What every rule reads per row, worked out once per batch: the row index, its time, and
   * the clock (the newest record time up to it).
   */
  private batchScratch(b: RecordBatch, rows: Uint32Array | null, count: number): Scratch {
    if (this.scratch.index.length < count) this.scratch = newScratch(count);
    const { index, clock } = this.scratch;
    const time = b.nums('time');
    let now = this.newest;
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      index[k] = i;
      if (time[i]! > now) now = time[i]!;
      clock[k] = now;
    }
    return this.scratch;
  }

  /** The rows a selection keeps, a 0/1 per row of the batch: worked out once per batch for rules that share a selection. */
  private kept(rule: Rule, b: RecordBatch): Uint8Array | undefined {
    if (!rule.filter) return undefined;
    let kept = this.masks.get(rule.select);
    if (!kept) this.masks.set(rule.select, (kept = rule.filter(b)));
    return kept;
  }

  /**
   * Each row's group in this batch as a small number (0 to n-1), worked out once per batch
   * for rules grouping by the same string fields; undefined for a grouping by a number field.
   */
  private groupIds(rule: Rule, b: RecordBatch, index: Uint32Array, count: number): GroupIds | undefined {
    const by = rule.by.join(',');
    let ids = this.ids.get(by);
    if (ids) return ids;
    if (!rule.by.every(isStringField)) return undefined;
    if (rule.by.length === 1) {
      // One field: its string refs number the groups already.
      ids = { of: b.refs(rule.by[0] as StringFieldName), n: b.strings.size };
      this.ids.set(by, ids);
      return ids;
    }
    const keyOf = groupKeys(rule, b);
    if (!keyOf) return undefined;
    const of = new Uint32Array(b.length);
    const seen = new Map<number, number>();
    for (let k = 0; k < count; k++) {
      const i = index[k]!;
      const key = keyOf(i);
      let id = seen.get(key);
      if (id === undefined) seen.set(key, (id = seen.size));
      of[i] = id;
    }
    ids = { of, n: seen.size };
    this.ids.set(by, ids);
    return ids;
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

  /** One rule over a batch, its clock going forward record by record. */
  private evaluate(rule: Rule, r: number, b: RecordBatch, scratch: Scratch, count: number): void {
    const taken = this.taken(rule, b, scratch, count);
    const ids = this.groupIds(rule, b, scratch.index, count);
    const amounts = rule.measure === 'bytes' ? b.nums('bytes') : undefined;
    if (ids && !rule.baselineMs && this.groups[r]!.size + ids.n <= this.maxGroups) return this.evaluateBulk(rule, r, b, scratch, taken, ids, amounts);
    const s = this.slotsFor(ids?.n ?? 0);
    this.pass++;
    const step = this.stepper(rule, r, b);
    const { index, clock } = scratch;
    for (let j = 0; j < taken.length; j++) {
      const k = taken[j]!;
      const i = index[k]!;
      // Each distinct group of a batch is looked up by its strings once: later rows find it by its number.
      const id = ids ? ids.of[i]! : -1;
      let g = id >= 0 && s.seen[id] === this.pass ? s.group[id] : undefined;
      if (!g) {
        g = this.group(rule, r, b, i);
        if (id >= 0) {
          s.group[id] = g;
          s.seen[id] = this.pass;
        }
      }
      step(g, i, clock[k]!, amounts ? amounts[i]! : 1);
    }
  }

  /**
   * A rule without a baseline, grouped by string fields: a group whose measure so far (not
   * yet trimmed to the window, so never less than what is in it) plus all the batch could
   * add (its sum, or one distinct value a row) stays at or under the threshold cannot alert
   * in the batch, so its rows only add, sums per second in typed arrays by group number,
   * and the window is trimmed once at the end. The others (alerting, or near the
   * threshold) go record by record as always. The same groups are met in the same order
   * and no group is forgotten (the caller checked there is room), so the alerts are the
   * ones the record-by-record way gives.
   */
  private evaluateBulk(
    rule: Rule,
    r: number,
    b: RecordBatch,
    scratch: Scratch,
    taken: Uint32Array,
    ids: GroupIds,
    amounts: ArrayLike<number> | undefined,
  ): void {
    if (!taken.length) return;
    const { index, clock } = scratch;
    const distinct = distinctValues(rule, b);
    const s = this.slotsFor(ids.n);
    const { seen, total, first, second, sum } = s;
    const order: number[] = [];
    const stamp = ++this.pass;
    const of = ids.of;
    for (let j = 0; j < taken.length; j++) {
      const i = index[taken[j]!]!;
      const id = of[i]!;
      if (seen[id] !== stamp) {
        seen[id] = stamp;
        total[id] = 0;
        first[id] = i;
        second[id] = NaN;
        sum[id] = 0;
        order.push(id);
      }
      total[id] = total[id]! + (amounts ? amounts[i]! : 1);
    }
    for (const id of order) {
      const g = (s.group[id] = this.group(rule, r, b, first[id]!));
      const most = (distinct ? (g.distinct?.size ?? 0) : g.total) + total[id]!;
      s.exact[id] = g.alerting || most > rule.above || (distinct && most >= MAX_DISTINCT) ? 1 : 0;
    }
    const step = this.stepper(rule, r, b);
    const time = b.nums('time');
    for (let j = 0; j < taken.length; j++) {
      const k = taken[j]!;
      const i = index[k]!;
      const id = of[i]!;
      const amount = amounts ? amounts[i]! : 1;
      if (s.exact[id] === 1) {
        step(s.group[id]!, i, clock[k]!, amount);
        continue;
      }
      const t = time[i]!;
      if (distinct) {
        const v = distinct(i);
        if (v) this.addDistinct(s.group[id]!, v, t);
        continue;
      }
      const sec = t - (t % 1000);
      if (sec !== second[id]) {
        if (!Number.isNaN(second[id])) this.add(s.group[id]!, second[id]!, sum[id]!);
        second[id] = sec;
        sum[id] = 0;
      }
      sum[id] = sum[id]! + amount;
    }
    const now = clock[taken[taken.length - 1]!]!;
    for (const id of order) {
      if (s.exact[id] === 1) continue;
      const g = s.group[id]!;
      if (!Number.isNaN(second[id])) this.add(g, second[id]!, sum[id]!);
      this.measure(g, rule, now); // trimmed as the record-by-record way trims it
    }
  }

  /**
   * The positions (in the batch's selected rows) a rule takes: its selection, failures only
   * for `failures`, its hours; worked out once per batch for rules that take the same.
   */
  private taken(rule: Rule, b: RecordBatch, scratch: Scratch, count: number): Uint32Array {
    const failures = rule.measure === 'failures';
    const key = JSON.stringify([rule.select, failures, rule.hours]);
    let taken = this.takes.get(key);
    if (taken) return taken;
    const { index } = scratch;
    const kept = this.kept(rule, b);
    const result = failures ? b.nums('result') : undefined;
    const outside = rule.hours && outsideHours(rule.hours);
    const time = b.nums('time');
    taken = new Uint32Array(count);
    let n = 0;
    for (let k = 0; k < count; k++) {
      const i = index[k]!;
      if (kept && kept[i] === 0) continue;
      if (result && result[i]! >= 0) continue;
      if (outside && !outside(time[i]!)) continue;
      taken[n++] = k;
    }
    taken = taken.subarray(0, n);
    this.takes.set(key, taken);
    return taken;
  }

  /** What one record does to its group under a rule: adds to its measure, and alerts or clears it. */
  private stepper(rule: Rule, r: number, b: RecordBatch): (g: Group, i: number, now: number, amount: number) => void {
    const time = b.nums('time');
    const distinct = distinctValues(rule, b);
    const periodOf = rule.baselineMs ? periods(rule.overMs) : undefined;
    return (g, i, now, amount) => {
      const t = time[i]!;
      if (g.alerting && t - g.lastAbove >= rule.quietForMs) this.clear(rule, r, g);
      let value: number;
      let above = rule.above;
      if (distinct) {
        const v = distinct(i);
        if (!v) return;
        this.addDistinct(g, v, t);
        value = this.measure(g, rule, now);
      } else if (periodOf) {
        value = addToPeriod(g, rule, periodOf(t), amount);
        above = baselineThreshold(g.base!, rule);
      } else {
        this.add(g, t, amount);
        value = this.measure(g, rule, now);
      }
      if (value <= above) return;
      g.lastAbove = t;
      if (g.alerting) return;
      g.alerting = true;
      this.alerting[r]!.add(g);
      this.stats.alerts++;
      const at = { path: String(b.value('path', i)), path2: String(b.value('path2', i)), client: String(b.value('client', i)) };
      this.pending.push({ ...alertOf('alert', rule, g, t, value, at), above });
    };
  }

  /** The per-group-number slots, with room for `n` groups. */
  private slotsFor(n: number): GroupSlots {
    if (this.slots.seen.length < n) this.slots = newSlots(Math.max(n, 2 * this.slots.seen.length));
    return this.slots;
  }

  /**
   * Adds a value to the group's distinct values, seen at `t` (to the second, as sums are
   * kept): a value seen in a later second than before gets a new sighting at the end, the
   * one before it going stale, so nothing moves (a Map delete and re-insert per sighting
   * cost more than all the rest). Stale sightings are dropped when they outnumber the values.
   */
  private addDistinct(g: Group, v: string, t: number): void {
    const second = t - (t % 1000);
    if (v === g.lastValue && second === g.lastSecond) return; // a file's open, reads and close: one lookup
    g.lastValue = v;
    g.lastSecond = second;
    const distinct = (g.distinct ??= new Map<string, number>());
    const seen = distinct.get(v);
    if (seen === undefined ? distinct.size >= MAX_DISTINCT : seen >= second) return;
    distinct.set(v, second);
    g.seconds.push(second);
    g.values.push(v);
    if (g.values.length - g.head > 2 * distinct.size + 1024) resight(g, distinct);
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
    // One field (the usual): its value is the key, with no array or join to make.
    const key = rule.by.length === 1 ? String(b.value(rule.by[0]!, i)) : rule.by.map((f) => String(b.value(f, i))).join('\0');
    let g = groups.get(key);
    if (g) {
      groups.delete(key); // kept in order of last activity
    } else {
      g = newGroup(Object.fromEntries(rule.by.map((f) => [f, String(b.value(f, i))])));
      if (groups.size >= this.maxGroups) {
        const [oldest, forgotten] = groups.entries().next().value!;
        groups.delete(oldest);
        this.alerting[r]!.delete(forgotten);
        this.pass++; // the groups found so far in this pass may hold the forgotten one
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
    const { distinct, seconds, values } = g;
    if (distinct) {
      for (; g.head < seconds.length && seconds[g.head]! + 1000 <= from; g.head++) {
        const v = values[g.head]!;
        if (distinct.get(v) === seconds[g.head]) distinct.delete(v); // its last sighting: gone from the window
      }
    } else while (g.head < seconds.length && seconds[g.head]! + 1000 <= from) g.total -= g.sums[g.head++]!;
    if (g.head > 1024 && g.head * 2 > seconds.length) {
      for (const a of [seconds, g.sums, values]) a.splice(0, g.head);
      g.head = 0;
    }
    return distinct ? distinct.size : g.total;
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

interface GroupIds {
  /** Per row of the batch (its index in the batch), its group's number; n groups in all. */
  of: Uint32Array;
  n: number;
}

interface Scratch {
  /** Per row of the batch: its index in the batch, and the clock (newest time so far). */
  index: Uint32Array;
  clock: Float64Array;
}

function newScratch(n: number): Scratch {
  return { index: new Uint32Array(n), clock: new Float64Array(n) };
}

/**
 * By group number: met in this pass (its stamp) and its group; for evaluateBulk, what it
 * takes in the batch, its first row, its second under way and that second's sum, whether
 * it goes record by record.
 */
interface GroupSlots {
  seen: Uint32Array;
  total: Float64Array;
  first: Uint32Array;
  second: Float64Array;
  sum: Float64Array;
  group: (Group | undefined)[];
  exact: Uint8Array;
}

/**
 * An array of n empty slots filled in by group number: made whole up front, since one
 * written at scattered indexes from empty is a slow sparse array.
 */
function packedSlots(n: number): (Group | undefined)[] {
  return new Array<Group | undefined>(n).fill(undefined);
}

function newSlots(n: number): GroupSlots {
  return {
    seen: new Uint32Array(n),
    total: new Float64Array(n),
    first: new Uint32Array(n),
    second: new Float64Array(n),
    sum: new Float64Array(n),
    group: packedSlots(n),
    exact: new Uint8Array(n),
  };
}

/**
 * A row's group as one number made of its string refs (a batch's strings are numbered), or
 * undefined when there are too many parts to fit: found by its values.
 */
function groupKeys(rule: Rule, b: RecordBatch): ((i: number) => number) | undefined {
  const cols = rule.by.map((f) => b.refs(f as StringFieldName));
  const size = b.strings.size + 1;
  if (size ** cols.length > Number.MAX_SAFE_INTEGER) return undefined;
  return (i) => cols.reduce((key, c) => key * size + c[i]!, 0);
}

/**
 * A row's value for a distinct measure: its path, or for `extensions` the extension of its
 * new name (a rename's path2) or else its path, worked out once per string of the batch.
 */
function distinctValues(rule: Rule, b: RecordBatch): ((i: number) => string) | undefined {
  if (rule.measure !== 'paths' && rule.measure !== 'extensions') return undefined;
  const { strings } = b;
  const path = b.refs('path');
  if (rule.measure === 'paths') return (i) => strings.get(path[i]!);
  const path2 = b.refs('path2');
  const ext = new Array<string | undefined>(strings.size);
  return (i) => {
    const r = strings.get(path2[i]!) ? path2[i]! : path[i]!;
    return (ext[r] ??= extensionOf(strings.get(r)));
  };
}

/** `periodStart` for records mostly in time order: the last period found is asked first. */
function periods(span: number): (t: number) => number {
  let [start, end] = [NaN, NaN];
  return (t) => {
    if (!(t >= start && t < end)) {
      start = periodStart(t, span);
      end = nextPeriod(start, span);
    }
    return start;
  };
}

/** `withinHours` turned around and remembered per minute: records come in time order, so most ask of the last minute again. */
function outsideHours(h: Hours): (t: number) => boolean {
  let minute = NaN;
  let outside = false;
  return (t) => {
    const m = Math.floor(t / 60_000);
    if (m !== minute) {
      minute = m;
      outside = !withinHours(h, t);
    }
    return outside;
  };
}

function newGroup(names: Record<string, string>): Group {
  return {
    names,
    seconds: [],
    sums: [],
    values: [],
    head: 0,
    total: 0,
    distinct: undefined,
    lastValue: '',
    lastSecond: NaN,
    alerting: false,
    lastAbove: -Infinity,
    base: undefined,
  };
}

/** A group's sightings made again from its distinct values, one each at its last second, oldest first. */
function resight(g: Group, distinct: Map<string, number>): void {
  const seen = [...distinct].sort((a, b) => a[1] - b[1]);
  g.values = seen.map(([v]) => v);
  g.seconds = seen.map(([, second]) => second);
  g.head = 0;
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
 * Adds `v` to the group's sum for the period starting at `period`, finishing the period
 * under way when that is a later one; returns the sum of the period under way. A late record adds to its own
 * period's sum when that is still kept.
 */
function addToPeriod(g: Group, rule: Rule, period: number, v: number): number {
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
