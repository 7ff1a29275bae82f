/**
 * Compiles a filter syntax tree, once, into a function that marks a batch's rows: a column
 * at a time, in tight loops over the batch's columns, instead of a call per row. Text tests
 * run once per distinct string of a block (memoised by string-table reference), so their
 * cost does not grow with the number of records, and the right side of `and`/`or` tests
 * text only in the rows the left side left undecided.
 */
import { fieldDef, opId, OPS, type NumberFieldName, type StringFieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { parseDuration, parseSize } from '../format/units.js';
import type { CompareOp, Expr, ValueNode } from './ast.js';
import { cidrContains, parseCidr, parseIp } from './cidr.js';
import { LanguageError } from '../language/errors.js';
import { linearRegex } from '../language/linear-match.js';
import { suggest } from '../language/suggest.js';
import { type Loc } from '../language/source.js';
import { parseTime, type Interval } from './time-spec.js';

/** Binds a compiled filter to one batch: 1 for each row (by its index in the batch) it keeps, 0 for the others. */
export type BatchFilter = (batch: RecordBatch) => Uint8Array;

/**
 * Writes 1 into `out` for the rows an expression keeps and 0 for the others. Rows where
 * `only` is not `want` are the caller's to ignore (its `and`/`or` is decided there), so
 * they may get either: a text test skips them.
 */
type Marker = (b: RecordBatch, out: Uint8Array, only?: Uint8Array, want?: number) => void;

export function compileFilter(expr: Expr, source: string, now = Date.now()): BatchFilter {
  const fail = (message: string, loc: Loc, hint?: string): never => {
    throw new LanguageError(message, source, loc, hint);
  };

  function compile(e: Expr): Marker {
    switch (e.kind) {
      case 'all':
        return (b, out) => out.fill(1, 0, b.length);
      case 'and':
        return combine(compile(e.left), compile(e.right), 1);
      case 'or':
        return combine(compile(e.left), compile(e.right), 0);
      case 'not': {
        const inner = compile(e.operand);
        return (b, out, only, want) => {
          inner(b, out, only, want);
          for (let i = 0; i < b.length; i++) out[i] = out[i]! ^ 1;
        };
      }
      case 'compare':
        return compileCompare(e);
    }
  }

  function compileCompare(e: Extract<Expr, { kind: 'compare' }>): Marker {
    const kind = fieldDef(e.field)!.kind;
    const negate = e.op === '!=' || e.op === 'not in' || e.op === '!~';
    if (kind === 'string') return stringMarker(e.field as StringFieldName, stringTest(e), negate);
    if (e.op === '~' || e.op === '!~') fail(`operator '${e.op}' matches text; '${e.field}' is not text`, e.opLoc);
    if (kind === 'op') return opMarker(e, negate);
    return spanMarker(e.field as NumberFieldName, kind === 'time' ? timeSpans(e) : numberSpans(e), negate);
  }

  function stringTest(e: Extract<Expr, { kind: 'compare' }>): (s: string) => boolean {
    const { op, values } = e;
    if (op === '<' || op === '<=' || op === '>' || op === '>=') {
      fail(`operator '${op}' does not compare text`, e.opLoc, 'use =, !=, ~ (regex) or in');
    }
    const tests = values.map((v) => (op === '~' || op === '!~' ? regexTest(v) : e.field === 'client' && v.text.includes('/') ? cidrTest(v) : globTest(v)));
    return tests.length === 1 ? tests[0]! : (s) => tests.some((t) => t(s));
  }

  function regexTest(v: ValueNode): (s: string) => boolean {
    const lit = /^\/(.*)\/([imsu]*)$/s.exec(v.text);
    try {
      return lit ? linearRegex(lit[1]!, lit[2]) : linearRegex(v.text);
    } catch (err) {
      return fail(`bad regular expression: ${(err as Error).message}`, v.loc, 'RE2 syntax: no lookaround or backreferences');
    }
  }

  function globTest(v: ValueNode): (s: string) => boolean {
    try {
      return textTest(v);
    } catch (err) {
      return fail(
        `bad pattern: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /s, '')}`,
        v.loc,
        'a class lists characters or ranges from low to high, e.g. [a-z]',
      );
    }
  }

  function cidrTest(v: ValueNode): (s: string) => boolean {
    const c = parseCidr(v.text);
    if (typeof c === 'string') return fail(c, v.loc);
    return (s) => {
      const ip = parseIp(s);
      return ip !== undefined && cidrContains(c, ip);
    };
  }

  function numberValue(field: string, v: ValueNode): number {
    const n = field === 'bytes' ? parseSize(v.text) : field.startsWith('latency') ? latencyValue(v.text) : integer(v.text);
    if (n === undefined) {
      const expect =
        field === 'bytes'
          ? 'a size such as 4096, 64K or 1.5M'
          : field.startsWith('latency')
            ? 'a latency: a whole number of µs such as 500, or with a unit: 1.5ms, 2s'
            : 'an integer';
      return fail(`'${v.text}' is not a valid ${field}`, v.loc, `expected ${expect}`);
    }
    return n;
  }

  /**
   * Numbers compare exactly, never rounded: `bytes>0.5` keeps 1 byte and up, `bytes<=1.5`
   * keeps up to 1. A value with a fraction left is never equal to a whole count, so `=`,
   * `!=` and `in` refuse it rather than answer nothing (or everything).
   */
  function numberSpans(e: Extract<Expr, { kind: 'compare' }>): Interval[] {
    const spans = e.values.map((v) => {
      const n = numberValue(e.field, v);
      if (!Number.isInteger(n) && (e.op === '=' || e.op === '!=' || e.op === 'in' || e.op === 'not in'))
        fail(
          `'${v.text}' is ${n} ${e.field === 'bytes' ? 'bytes' : 'µs'}, which no record has: ${e.field} counts whole ${e.field === 'bytes' ? 'bytes' : 'µs'}`,
          v.loc,
          'use < or > for a bound',
        );
      return { start: n, end: Math.floor(n) + 1 };
    });
    return ordered(e, spans);
  }

  function timeSpans(e: Extract<Expr, { kind: 'compare' }>): Interval[] {
    const spans = e.values.map(
      (v) => parseTime(v.text, now) ?? fail(`'${v.text}' is not a time`, v.loc, 'use e.g. 2026-11-23, 2026-11-23T10:00, 10:00, -1h, -30m, yesterday'),
    );
    return ordered(e, spans);
  }

  /**
   * The intervals a value is kept in (a negated operator keeps what lies outside them): `<`
   * before the start, `<=` before the end, `>` from the end, `>=` from the start.
   */
  function ordered(e: Extract<Expr, { kind: 'compare' }>, spans: Interval[]): Interval[] {
    const single = (): Interval => (spans.length === 1 ? spans[0]! : fail(`operator '${e.op}' takes one value, not a list`, e.values[1]!.loc));
    switch (e.op as Exclude<CompareOp, '~' | '!~'>) {
      case '<':
        return [{ start: -Infinity, end: single().start }];
      case '<=':
        return [{ start: -Infinity, end: single().end }];
      case '>':
        return [{ start: single().end, end: Infinity }];
      case '>=':
        return [{ start: single().start, end: Infinity }];
      default:
        return spans;
    }
  }

  function opMarker(e: Extract<Expr, { kind: 'compare' }>, negate: boolean): Marker {
    if (e.op !== '=' && e.op !== '!=' && e.op !== 'in' && e.op !== 'not in') {
      fail(`operator '${e.op}' does not apply to 'op'`, e.opLoc, 'use =, != or in');
    }
    // Ids a newer source sends print as op<N>, whatever N: a table for the usual ones, a set for the rest.
    const small = new Uint8Array(256).fill(negate ? 1 : 0);
    const large = new Set<number>();
    for (const v of e.values) {
      const id = opId(v.text.toLowerCase());
      if (id < 0) fail(`unknown op '${v.text}'`, v.loc, suggest(v.text, OPS) ?? `ops are ${OPS.join(', ')}, or op<N> for an id without a name`);
      if (id < 256) small[id] = negate ? 0 : 1;
      else large.add(id);
    }
    const [yes, no] = negate ? [0, 1] : [1, 0];
    return (b, out) => {
      const col = b.nums('op');
      for (let i = 0; i < b.length; i++) {
        const x = col[i]!;
        out[i] = x < 256 ? small[x]! : large.has(x) ? yes : no;
      }
    };
  }

  const root = compile(expr);
  return (b) => {
    const out = new Uint8Array(b.length);
    root(b, out);
    return out;
  };
}

/** Strings whose answer is remembered across blocks (a pattern over paths costs per distinct path, not per block). */
const REMEMBERED = 65536;

function stringMarker(field: StringFieldName, test: (s: string) => boolean, negate: boolean): Marker {
  const yes = negate ? 1 : 2;
  const known = new Map<string, boolean>();
  const answer = (s: string): boolean => {
    let v = known.get(s);
    if (v === undefined) {
      if (known.size >= REMEMBERED) known.clear();
      known.set(s, (v = test(s)));
    }
    return v;
  };
  return (b, out, only, want) => {
    const refs = b.refs(field);
    const strings = b.strings;
    // 0 = not tested yet, 1 = no, 2 = yes: each distinct string is looked at once per block.
    const memo = new Uint8Array(strings.size);
    for (let i = 0; i < b.length; i++) {
      if (only && only[i] !== want) continue;
      const r = refs[i]!;
      let m = memo[r]!;
      if (m === 0) m = memo[r] = answer(strings.get(r)) ? 2 : 1;
      out[i] = m === yes ? 1 : 0;
    }
  };
}

/** Rows whose number lies in one of the intervals (or, negated, in none). */
function spanMarker(field: NumberFieldName, spans: readonly Interval[], negate: boolean): Marker {
  const [yes, no] = negate ? [0, 1] : [1, 0];
  return (b, out) => {
    const col = b.nums(field);
    const n = b.length;
    out.fill(no, 0, n);
    for (const { start, end } of spans) for (let i = 0; i < n; i++) if (col[i]! >= start && col[i]! < end) out[i] = yes;
  };
}

/** `and` (the right side decides where the left kept a row) or `or` (where the left did not): `want` is 1 or 0. */
function combine(left: Marker, right: Marker, want: number): Marker {
  let theirs = new Uint8Array(0);
  return (b, out, only, parentWant) => {
    left(b, out, only, parentWant);
    if (theirs.length < b.length) theirs = new Uint8Array(b.length);
    right(b, theirs, out, want);
    if (want === 1) for (let i = 0; i < b.length; i++) out[i] = out[i]! & theirs[i]!;
    else for (let i = 0; i < b.length; i++) out[i] = out[i]! | theirs[i]!;
  };
}

function textTest(v: ValueNode): (s: string) => boolean {
  if (!/(^|[^\\])[*?[]/.test(v.text)) {
    const literal = v.text.replace(/\\([*?[\\])/g, '$1');
    return (s) => s === literal;
  }
  return linearRegex(globToRegExp(v.text), 's');
}

/** `*` any run (slashes too), `?` one character, `[...]` a class, `\x` a literal x: as an anchored RE2 pattern. */
export function globToRegExp(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]!);
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += escapeRe(c);
  }
  return `^${re}$`;
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? '\\' + c : c;
}

function integer(text: string): number | undefined {
  return /^-?\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/** One rule: a bare number is µs, whole or not (`2`, `1.5`); with a unit it is that unit (`1.5ms`, `2s`). */
function latencyValue(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = /^\d+(\.\d+)?\s*[a-zµ]+$/i.test(text) ? parseDuration(text) : undefined;
  // To a millionth of a µs: 1.1ms is 1100 µs, not 1100.0000000000002.
  return ms === undefined ? undefined : Math.round(ms * 1e9) / 1e6;
}
