/**
 * Compiles a filter syntax tree, once, into a function that binds to a batch and tests rows.
 * Text tests run once per distinct string of a block (memoised by string-table reference),
 * so their cost does not grow with the number of records.
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

export type RowTest = (i: number) => boolean;
/** Binds a compiled filter to one batch; the result tests that batch's rows by index. */
export type BatchFilter = (batch: RecordBatch) => RowTest;

const ALWAYS: RowTest = () => true;

export function compileFilter(expr: Expr, source: string, now = Date.now()): BatchFilter {
  const fail = (message: string, loc: Loc, hint?: string): never => {
    throw new LanguageError(message, source, loc, hint);
  };

  function compile(e: Expr): BatchFilter {
    switch (e.kind) {
      case 'all':
        return () => ALWAYS;
      case 'and': {
        const [l, r] = [compile(e.left), compile(e.right)];
        return (b) => {
          const [x, y] = [l(b), r(b)];
          return (i) => x(i) && y(i);
        };
      }
      case 'or': {
        const [l, r] = [compile(e.left), compile(e.right)];
        return (b) => {
          const [x, y] = [l(b), r(b)];
          return (i) => x(i) || y(i);
        };
      }
      case 'not': {
        const inner = compile(e.operand);
        return (b) => {
          const x = inner(b);
          return (i) => !x(i);
        };
      }
      case 'compare':
        return compileCompare(e);
    }
  }

  function compileCompare(e: Extract<Expr, { kind: 'compare' }>): BatchFilter {
    const kind = fieldDef(e.field)!.kind;
    const negate = e.op === '!=' || e.op === 'not in' || e.op === '!~';
    if (kind === 'string') return stringFilter(e.field as StringFieldName, stringTest(e), negate);
    if (e.op === '~' || e.op === '!~') fail(`operator '${e.op}' matches text; '${e.field}' is not text`, e.opLoc);
    if (kind === 'op') return opFilter(e, negate);
    const test = kind === 'time' ? timeTest(e) : numberTest(e);
    const field = e.field as NumberFieldName;
    return (b) => {
      const col = b.nums(field);
      return (i) => test(col[i]!);
    };
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
  function numberTest(e: Extract<Expr, { kind: 'compare' }>): (x: number) => boolean {
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

  function timeTest(e: Extract<Expr, { kind: 'compare' }>): (x: number) => boolean {
    const spans = e.values.map(
      (v) => parseTime(v.text, now) ?? fail(`'${v.text}' is not a time`, v.loc, 'use e.g. 2026-11-23, 2026-11-23T10:00, 10:00, -1h, -30m, yesterday'),
    );
    return ordered(e, spans);
  }

  /** Tests against intervals: `<` before the start, `<=` before the end, `>` from the end, `>=` from the start. */
  function ordered(e: Extract<Expr, { kind: 'compare' }>, spans: Interval[]): (x: number) => boolean {
    const single = (): Interval => (spans.length === 1 ? spans[0]! : fail(`operator '${e.op}' takes one value, not a list`, e.values[1]!.loc));
    switch (e.op as Exclude<CompareOp, '~' | '!~'>) {
      case '<': {
        const t = single().start;
        return (x) => x < t;
      }
      case '<=': {
        const t = single().end;
        return (x) => x < t;
      }
      case '>': {
        const t = single().end;
        return (x) => x >= t;
      }
      case '>=': {
        const t = single().start;
        return (x) => x >= t;
      }
      case '=':
      case 'in':
        return spans.length === 1 ? inSpan(spans[0]!) : (x) => spans.some((s) => x >= s.start && x < s.end);
      case '!=':
      case 'not in':
        return (x) => !spans.some((s) => x >= s.start && x < s.end);
    }
  }

  function opFilter(e: Extract<Expr, { kind: 'compare' }>, negate: boolean): BatchFilter {
    if (e.op !== '=' && e.op !== '!=' && e.op !== 'in' && e.op !== 'not in') {
      fail(`operator '${e.op}' does not apply to 'op'`, e.opLoc, 'use =, != or in');
    }
    // Ids a newer source sends print as op<N>, whatever N: a table for the usual ones, a set for the rest.
    const small = new Uint8Array(256);
    const large = new Set<number>();
    for (const v of e.values) {
      const id = opId(v.text.toLowerCase());
      if (id < 0) fail(`unknown op '${v.text}'`, v.loc, suggest(v.text, OPS) ?? `ops are ${OPS.join(', ')}, or op<N> for an id without a name`);
      if (id < 256) small[id] = 1;
      else large.add(id);
    }
    const has = (x: number): boolean => (x < 256 ? small[x] === 1 : large.has(x));
    return (b) => {
      const col = b.nums('op');
      return negate ? (i) => !has(col[i]!) : (i) => has(col[i]!);
    };
  }

  return compile(expr);
}

function inSpan(s: Interval): (x: number) => boolean {
  const { start, end } = s;
  return (x) => x >= start && x < end;
}

/** Strings whose answer is remembered across blocks (a pattern over paths costs per distinct path, not per block). */
const REMEMBERED = 65536;

function stringFilter(field: StringFieldName, test: (s: string) => boolean, negate: boolean): BatchFilter {
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
  return (b) => {
    const refs = b.refs(field);
    const strings = b.strings;
    // 0 = not tested yet, 1 = no, 2 = yes: each distinct string is looked at once per block.
    const memo = new Uint8Array(strings.size);
    return (i) => {
      const r = refs[i]!;
      let m = memo[r]!;
      if (m === 0) m = memo[r] = answer(strings.get(r)) ? 2 : 1;
      return m === yes;
    };
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
