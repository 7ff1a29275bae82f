/**
 * Answers questions from a record stream (archives, live sources, stdin) in one pass: each
 * question keeps only its aggregate, so memory does not grow with the records read.
 */
import type { RunContext } from '../runtime/context.js';
import { readSelected, type PreparedInput } from '../runtime/input.js';
import { UsageError } from '../language/errors.js';
import { sourceLabel } from '../io/source-spec.js';
import { createLocalFormatter } from '../format/time.js';
import type { StringFieldName } from '../record/fields.js';
import { rowRange, type RecordBatch } from '../stream/batch.js';
import { statusSenders } from '../stream/decoder.js';
import { BlockKind } from '../stream/format.js';
import { KIND_FIELDS, LIST_FIELDS, MODE_OPS, type Mode, type Question, type Selection } from './ast.js';
import {
  activityAnswer,
  addToGroup,
  dayUsageAnswer,
  errorAnswer,
  keyValueAnswer,
  likeMatcher,
  listAnswer,
  QUARTER_MS,
  searchAnswer,
  SEARCH_KINDS,
  throughputAnswer,
  topAnswer,
  totalAnswer,
  usageAnswer,
  usageRange,
  usageGrain,
  usageStep,
  type Activity,
  type Answer,
  type Buckets,
  type Groups,
} from './answers.js';
import { ambiguityError, bareUserNames, lossFacts, systemFacts, throughputWindow, type Provenance } from './facts.js';
import { lossEvent } from '../stream/loss.js';

/** What one batch offers every question: its strings by text, found once. */
class BatchView {
  private index: Map<string, number> | undefined;
  constructor(readonly b: RecordBatch) {}

  /** The batch's reference of `s`, or -1 when no record of the batch has it. */
  ref(s: string): number {
    if (!this.index) {
      this.index = new Map();
      for (let r = 0; r < this.b.strings.size; r++) this.index.set(this.b.strings.get(r), r);
    }
    return this.index.get(s) ?? -1;
  }
}

interface Accumulator {
  add(v: BatchView, rows: Uint32Array, n: number, seq: number): void;
  answer(): Answer;
}

/** The rows of `rows` a selection keeps, with an optional extra time window and operations. */
function select(v: BatchView, rows: Uint32Array, n: number, sel: Selection, ops?: readonly number[], from = sel.from, to = sel.to): Uint32Array {
  const b = v.b;
  const checks: [Uint32Array, number][] = [];
  const want = (field: StringFieldName, name: string): boolean => {
    const ref = v.ref(name);
    checks.push([b.refs(field), ref]);
    return ref >= 0;
  };
  for (const s of sel.shares) if (!want('share', s)) return EMPTY;
  for (const f of sel.files) if (!want('path', f)) return EMPTY;
  for (const d of sel.domains) if (!want('domain', d)) return EMPTY;
  for (const u of sel.users) if (!want('user', u.name) || (u.domain !== undefined && !want('domain', u.domain))) return EMPTY;
  const time = b.nums('time');
  const op = b.nums('op');
  const opSet = ops && ops.length < 10 ? new Set(ops) : undefined;
  const out = new Uint32Array(n);
  let m = 0;
  next: for (let k = 0; k < n; k++) {
    const i = rows[k]!;
    const t = time[i]!;
    if (t < from || t >= to) continue;
    if (opSet && !opSet.has(op[i]!)) continue;
    for (const [col, ref] of checks) if (col[i] !== ref) continue next;
    out[m++] = i;
  }
  return out.subarray(0, m);
}
const EMPTY = new Uint32Array(0);

function sumBytes(b: RecordBatch, rows: Uint32Array): number {
  const bytes = b.nums('bytes');
  let s = 0;
  for (let k = 0; k < rows.length; k++) s += bytes[rows[k]!]!;
  return s;
}

/**
 * Calls `each` once per distinct combination of `fields` among `rows`, with the rows' bytes
 * and operations summed: one string lookup per combination, not per row. The combination is
 * a number while the batch's string table is small enough for one.
 */
function perTuple(b: RecordBatch, rows: Uint32Array, fields: readonly StringFieldName[], each: (names: string[], bytes: number, ops: number) => void): void {
  const refs = fields.map((f) => b.refs(f));
  const size = b.strings.size + 1;
  const numeric = size ** fields.length < Number.MAX_SAFE_INTEGER;
  const bytes = b.nums('bytes');
  const count = b.nums('count');
  const sums = new Map<number | string, [number, number, number[]]>();
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    let key: number | string = numeric ? 0 : '';
    for (const col of refs) key = numeric ? (key as number) * size + col[i]! : `${key},${col[i]!}`;
    const s = sums.get(key);
    if (s) {
      s[0] += bytes[i]!;
      s[1] += count[i]!;
    } else sums.set(key, [bytes[i]!, count[i]!, refs.map((col) => col[i]!)]);
  }
  for (const [sumBytes, ops, tuple] of sums.values())
    each(
      tuple.map((r) => b.strings.get(r)),
      sumBytes,
      ops,
    );
}

function accumulator(q: Question, now: number, prov: Provenance): Accumulator {
  const c = q.command;
  const sel = q.selection;
  switch (c.kind) {
    case 'total': {
      let bytes = 0;
      return { add: (v, rows, n) => void (bytes += sumBytes(v.b, select(v, rows, n, sel, MODE_OPS[c.mode]))), answer: () => totalAnswer(q, bytes) };
    }
    case 'list': {
      const tuples: string[][] = [];
      return {
        add: (v, rows, n) => perTuple(v.b, select(v, rows, n, sel), LIST_FIELDS[c.what], (names) => tuples.push(names)),
        answer: () => listAnswer(q, c.what, tuples),
      };
    }
    case 'top': {
      const groups: Groups = new Map();
      return {
        add: (v, rows, n) =>
          perTuple(v.b, select(v, rows, n, sel, MODE_OPS[c.mode]), KIND_FIELDS[c.what], (names, b, ops) => addToGroup(groups, names, b, ops)),
        answer: () => topAnswer(q, c, groups),
      };
    }
    case 'last_activity':
      return latest(q, c.n);
    case '24h_usage': {
      const quarters: Buckets = new Map();
      return {
        add: (v, rows, n) => bucket(v.b, select(v, rows, n, sel, MODE_OPS[c.mode]), QUARTER_MS, quarters),
        answer: () => dayUsageAnswer(q, quarters, prov.losses),
      };
    }
    case 'usage':
      return usage(q, c.mode, prov);
    case 'search': {
      const matches = likeMatcher(c.pattern);
      const found = new Map<string, string[][]>(SEARCH_KINDS.map(({ kind }) => [kind, []]));
      return {
        add(v, rows, n) {
          const mine = select(v, rows, n, sel);
          for (const { kind, field, context } of SEARCH_KINDS) {
            const names = v.b.refs(field);
            // Each distinct name is matched once per block.
            const seen = new Map<number, boolean>();
            const hits = mine.filter((i) => {
              const ref = names[i]!;
              let m = seen.get(ref);
              if (m === undefined) seen.set(ref, (m = matches(v.b.strings.get(ref))));
              return m;
            });
            if (hits.length) perTuple(v.b, hits, [field, ...context], (t) => found.get(kind)!.push(t));
          }
        },
        answer: () => searchAnswer(q, found),
      };
    }
    case 'throughput': {
      const [from, to] = throughputWindow(sel, c, now);
      let bytes = 0;
      return {
        add: (v, rows, n) => void (bytes += sumBytes(v.b, select(v, rows, n, sel, MODE_OPS[c.mode], from, to))),
        answer: () => throughputAnswer(q, bytes, Math.max(0, to - from) / 1000),
      };
    }
    case 'sql':
      throw new UsageError(`raw SQL needs a database (--db): ${c.text}`);
    case 'smbtad-report':
    case 'self-check':
      throw new Error('system commands are answered from the pass itself');
  }
}

function bucket(b: RecordBatch, rows: Uint32Array, size: number, into: Buckets): void {
  const time = b.nums('time');
  const bytes = b.nums('bytes');
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const key = Math.floor(time[i]! / size);
    into.set(key, (into.get(key) ?? 0) + bytes[i]!);
  }
}

/** The newest n operations; ties in time go to the later record. */
function latest(q: Question, n: number): Accumulator {
  let kept: (Activity & { seq: number })[] = [];
  const newer = (a: { time: number; seq: number }, b: { time: number; seq: number }): number => b.time - a.time || b.seq - a.seq;
  return {
    add(v, rows, count, seq) {
      const b = v.b;
      const s = (f: StringFieldName, i: number): string => b.strings.get(b.refs(f)[i]!);
      const mine = select(v, rows, count, q.selection);
      const time = b.nums('time');
      const floor = kept.length >= n ? kept[kept.length - 1]! : undefined;
      for (let k = 0; k < mine.length; k++) {
        const i = mine[k]!;
        if (floor && newer(floor, { time: time[i]!, seq: seq + i }) <= 0) continue;
        kept.push({
          time: time[i]!,
          seq: seq + i,
          op: b.nums('op')[i]!,
          user: s('user', i),
          domain: s('domain', i),
          share: s('share', i),
          path: s('path', i),
          path2: s('path2', i),
          bytes: b.nums('bytes')[i]!,
          result: b.nums('result')[i]!,
        });
      }
      kept = kept.sort(newer).slice(0, n);
    },
    answer: () => activityAnswer(q, kept),
  };
}

/** Bytes per second, coarsened to minutes and quarter hours as the range grows (each fits every zone's clock), so memory stays small. */
function usage(q: Question, mode: Mode, prov: Provenance): Accumulator {
  const sel = q.selection;
  let grain = 1000;
  let fine: Buckets = new Map();
  let min = Infinity;
  let max = -Infinity;
  return {
    add(v, rows, n) {
      const mine = select(v, rows, n, sel, MODE_OPS[mode]);
      const time = v.b.nums('time');
      for (let k = 0; k < mine.length; k++) {
        const t = time[mine[k]!]!;
        if (t < min) min = t;
        if (t > max) max = t;
      }
      bucket(v.b, mine, grain, fine);
      if (fine.size > 200_000 && grain < QUARTER_MS) {
        const coarser = grain === 1000 ? 60_000 : QUARTER_MS;
        fine = regrain(fine, grain, coarser);
        grain = coarser;
      }
    },
    answer() {
      const range = usageRange(sel.from, sel.to, min, max);
      const want = range ? Math.max(grain, usageGrain(usageStep(range[0], range[1], q.command.kind === 'usage' ? q.command.rows : undefined))) : grain;
      return usageAnswer(q, range, regrain(fine, grain, want), want, prov.losses);
    },
  };
}

function regrain(fine: Buckets, from: number, to: number): Buckets {
  if (from === to) return fine;
  const next: Buckets = new Map();
  for (const [k, b] of fine) {
    const at = Math.floor((k * from) / to);
    next.set(at, (next.get(at) ?? 0) + b);
  }
  return next;
}

/** Runs every question over the input in one pass. */
export async function answerFromStream(questions: Question[], input: PreparedInput, ctx: RunContext, now: number): Promise<Answer[]> {
  const system = questions.filter((q) => q.command.kind === 'smbtad-report' || q.command.kind === 'self-check');
  const prov: Provenance = { senders: new Map(), statusBlocks: 0, losses: [] };
  const accs = new Map(questions.filter((q) => !system.includes(q)).map((q) => [q, accumulator(q, now, prov)]));
  // A user named without a domain must be one user: the domains it appears in are collected.
  const userDomains = new Map<string, Set<string>>(questions.flatMap((q) => bareUserNames(q).map((name) => [name, new Set<string>()])));
  const facts = { records: 0, first: Infinity, last: -Infinity };
  let seq = 0;
  await readSelected(
    input,
    ctx,
    (b, rows, n) => {
      rows ??= rowRange(0, n);
      const v = new BatchView(b);
      for (const acc of accs.values()) acc.add(v, rows, n, seq);
      for (const [name, domains] of userDomains) {
        const ref = v.ref(name);
        if (ref < 0) continue;
        const users = b.refs('user');
        const dom = b.refs('domain');
        for (let k = 0; k < n; k++) if (users[rows[k]!] === ref) domains.add(b.strings.get(dom[rows[k]!]!));
      }
      facts.records += n;
      seq += b.length;
      // The time span is only for the system commands: other questions skip the pass over the rows.
      if (system.length === 0) return;
      const time = b.nums('time');
      for (let k = 0; k < n; k++) {
        const t = time[rows[k]!]!;
        if (t < facts.first) facts.first = t;
        if (t > facts.last) facts.last = t;
      }
    },
    (side, source, lost) => {
      if (lost > 0) prov.losses.push(lossEvent(side, source, lost));
      if (side.kind !== BlockKind.Status) return;
      prov.statusBlocks++;
      for (const [server, protocol] of statusSenders(side)) prov.senders.set(server, protocol);
    },
  );
  const when = createLocalFormatter();
  return questions.map((q) => {
    const ambiguous = bareUserNames(q).find((name) => userDomains.get(name)!.size > 1);
    if (ambiguous !== undefined) return errorAnswer(q, ambiguityError(ambiguous, userDomains.get(ambiguous)!).message);
    const acc = accs.get(q);
    if (acc) return acc.answer();
    const store: [string, string | number][] = [
      ['store', `stream: ${input.specs.map(sourceLabel).join(' ')}`],
      ['records', facts.records],
      ['first record', Number.isFinite(facts.first) ? when(facts.first) : '-'],
      ['last record', Number.isFinite(facts.last) ? when(facts.last) : '-'],
    ];
    if (q.command.kind === 'smbtad-report' && q.command.full) store.push(['status blocks', prov.statusBlocks], ...lossFacts(prov.losses));
    return keyValueAnswer(q, q.command.kind === 'self-check' ? systemFacts([], prov) : store);
  });
}
