import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { printExpr } from '../../src/filter/ast.js';
import { compileFilter } from '../../src/filter/compile.js';
import { LanguageError, formatLanguageError } from '../../src/language/errors.js';
import { parseFilter } from '../../src/filter/parser.js';
import { parseTimeRange } from '../../src/filter/time-spec.js';
import type { RecordBatch } from '../../src/stream/batch.js';
import { BatchBuilder } from '../../src/stream/builder.js';
import { everyOpRecords } from '../helpers/records.js';

// everyOpRecords(): record k has op k (read, pread, write, pwrite, mkdir, rmdir, rename, chdir, open, close, delete),
// time 2026-11-23T09:59:58.123Z + 1.5 s × k; users bob, alice, "o'brien, pat", 'zoë "zed"' in turn;
// client 192.168.1.10 for even k and 2001:db8::17 for odd k; share projects for k < 5.
const NOW = Date.UTC(2026, 10, 23, 10, 30);

function batchOf(n = Infinity): RecordBatch {
  const b = new BatchBuilder();
  for (const r of everyOpRecords().slice(0, n)) b.add(r);
  return b.toBatch();
}

const rowsOf = (kept: Uint8Array): number[] => [...kept.keys()].filter((i) => kept[i] === 1);

function select(expr: string): number[] {
  return rowsOf(compileFilter(parseFilter(expr), expr, NOW)(batchOf()));
}

const CASES: [string, number[]][] = [
  ['', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
  ['user=bob', [0, 4, 8, 12]],
  ['user!=bob', [1, 2, 3, 5, 6, 7, 9, 10, 11]],
  ['user=bob,alice', [0, 1, 4, 5, 8, 9, 12]],
  ['user in (bob, alice)', [0, 1, 4, 5, 8, 9, 12]],
  ['user not in (bob, alice)', [2, 3, 6, 7, 10, 11]],
  [`user="o'brien, pat"`, [2, 6, 10]],
  [`user='zoë "zed"'`, [3, 7, 11]],
  ['user~^[ab]', [0, 1, 4, 5, 8, 9, 12]],
  ['user!~b', [1, 3, 5, 7, 9, 11]],
  ["user~'/^BOB$/i'", [0, 4, 8, 12]],
  ['path=*.txt and not path=docs/file?.txt', [7, 10, 11, 12]],
  ['path=docs/file[0-2].txt', [0, 1, 2]],
  ['path=docs/file\\*.txt', []],
  ['path2="docs/renamed, ü.txt"', [6]],
  ['read', [0, 1]],
  ['write', [2, 3]],
  ['op=read', [0]],
  ['op=read,write', [0, 2]],
  ['op in (mkdir,rmdir)', [4, 5]],
  ['rename or chdir', [6, 7]],
  ['not open && !close', [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12]],
  ['bytes>1M', [1, 3]],
  ['bytes>=4K', [0, 1, 3]],
  ['bytes=4096', [0]],
  ['bytes<4k and bytes>0', [2]],
  ['bytes>1T', [1, 3]],
  ['bytes>1.5T', [3]],
  ['count>=10', [9]],
  ['result=-1', [5]],
  ['mode=493', [4, 8]],
  ['latency>1ms', [9]],
  // One unit rule: a bare number is µs, whole or not; 1500 µs is above 1499.5 and below 1500.5.
  ['latency>1499.5', [9]],
  ['latency>1500.5', []],
  ['latency>=1.5ms', [9]],
  ['latency>1.5ms', []],
  ['latency>1.5', [9]],
  // Sizes compare exactly: half a byte is below 1 and above 0.
  ['bytes>0.5', [0, 1, 2, 3]],
  ['bytes<1.5 and bytes>0', [2]],
  ['bytes<=1.5 and bytes>0', [2]],
  ['bytes>=0.5 and bytes<1', []],
  ['latency_max=900', [9]],
  ['client in 192.168.0.0/16', [0, 2, 4, 6, 8, 10, 12]],
  ['client in 2001:db8::/32', [1, 3, 5, 7, 9, 11]],
  ['client=192.168.1.10', [0, 2, 4, 6, 8, 10, 12]],
  ['client in ::ffff:192.168.1.0/120', [0, 2, 4, 6, 8, 10, 12]],
  ['client in 0.0.0.0/0', [0, 2, 4, 6, 8, 10, 12]],
  ['share=projects', [0, 1, 2, 3, 4]],
  ["share='home, shared'", [5, 6, 7, 8, 9, 10, 11, 12]],
  ['time>=2026-11-23T10:00', [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
  ['time<2026-11-23T10:00:00Z', [0, 1]],
  ['time=2026-11-23T10:00:04', [4]],
  ['time<=2026-11-23T10:00:01', [0, 1, 2]],
  ['time>2026-11-23T10:00:10', [9, 10, 11, 12]],
  ['time=2026-11-23', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
  ['time>=2026-11-23T9:59:59Z and time<2026-11-23T10:00:01Z', [1]],
  ['time<2026-11-23', []],
  ['time>-30m', [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
  ['time>-29m', []],
  ['time>=10:00:05 and time<10:00:08', [5, 6]],
  ['end>2026-11-23T10:00:11.700Z', [9, 10, 11, 12]],
  ['user=bob or user=alice and write', [0, 4, 8, 12]],
  ['(user=bob or user=alice) and read', [0, 1]],
  ['not (user=bob or share=projects)', [5, 6, 7, 9, 10, 11]],
  ['user=bob and not read', [4, 8, 12]],
  ['USER=bob AND Read', [0]],
  ['user==bob', [0, 4, 8, 12]],
];

test('filter expressions select the right records', () => {
  for (const [expr, want] of CASES) assert.deepEqual(select(expr), want, expr);
});

const ERRORS: [string, string][] = [
  ['usr=bob', "unknown field 'usr' at column 1; did you mean 'user'?\n  usr=bob\n  ^^^"],
  ['user=bob and shar=x', "unknown field 'shar' at column 14; did you mean 'share'?\n  user=bob and shar=x\n               ^^^^"],
  ['(user=bob', "unbalanced '(': missing ')' at column 1\n  (user=bob\n  ^"],
  ['user=bob)', "expected 'and', 'or' or end of expression (unbalanced ')'), found ')' at column 9\n  user=bob)\n          ^"],
  ['client in 10.0.0.0/33', 'prefix length /33 is longer than 32 bits of IPv4 at column 11\n  client in 10.0.0.0/33\n            ^^^^^^^^^^^'],
  ['client in fe80::/129', 'prefix length /129 is longer than 128 bits of IPv6 at column 11\n  client in fe80::/129\n            ^^^^^^^^^^'],
  ['client in 10.0.0/8', "'10.0.0' is not an IPv4 or IPv6 address at column 11\n  client in 10.0.0/8\n            ^^^^^^^^"],
  ['user=', 'expected a value, found end of expression at column 6\n  user=\n       ^'],
  ["user='bob", "unterminated string at column 6; close it with '\n  user='bob\n       ^^^^"],
  ['user=bob & read', "unexpected '&' at column 10; did you mean '&&'?\n  user=bob & read\n           ^"],
  ['op=reed', "unknown op 'reed' at column 4; did you mean 'read'?\n  op=reed\n     ^^^^"],
  ['bytes>lots', "'lots' is not a valid bytes at column 7; expected a size such as 4096, 64K or 1.5M\n  bytes>lots\n        ^^^^"],
  ['time>soon', "'soon' is not a time at column 6; use e.g. 2026-11-23, 2026-11-23T10:00, 10:00, -1h, -30m, yesterday\n  time>soon\n       ^^^^"],
  ['user<bob', "operator '<' does not compare text at column 5; use =, !=, ~ (regex) or in\n  user<bob\n      ^"],
  ['user~(', "expected a value, found '(' at column 6\n  user~(\n       ^"],
  ["user~'('", "bad regular expression: missing closing ): `(` at column 6; RE2 syntax: no lookaround or backreferences\n  user~'('\n       ^^^"],
  [
    "user~'(?=a)'",
    "bad regular expression: invalid or unsupported Perl syntax: `(?=` at column 6; RE2 syntax: no lookaround or backreferences\n  user~'(?=a)'\n       ^^^^^^^",
  ],
  ['bob', "unknown field or operation 'bob' at column 1\n  bob\n  ^^^"],
  ['reed', "unknown field or operation 'reed' at column 1; did you mean 'read'?\n  reed\n  ^^^^"],
  ['user', "field 'user' needs an operator and a value at column 1; e.g. user=...\n  user\n  ^^^^"],
  ['bytes=1.5', "'1.5' is 1.5 bytes, which no record has: bytes counts whole bytes at column 7; use < or > for a bound\n  bytes=1.5\n        ^^^"],
  ['latency=0.5', "'0.5' is 0.5 µs, which no record has: latency counts whole µs at column 9; use < or > for a bound\n  latency=0.5\n          ^^^"],
  [
    'path=[z-a]',
    'bad pattern: invalid character class range: `z-a` at column 6; a class lists characters or ranges from low to high, e.g. [a-z]\n  path=[z-a]\n       ^^^^^',
  ],
  [
    'time=2026-11-31',
    "'2026-11-31' is not a time at column 6; use e.g. 2026-11-23, 2026-11-23T10:00, 10:00, -1h, -30m, yesterday\n  time=2026-11-31\n       ^^^^^^^^^^",
  ],
  [
    'time>2026-02-29T10:00',
    "'2026-02-29T10:00' is not a time at column 6; use e.g. 2026-11-23, 2026-11-23T10:00, 10:00, -1h, -30m, yesterday\n  time>2026-02-29T10:00\n       ^^^^^^^^^^^^^^^^",
  ],
  ['bytes>1,2', "operator '>' takes one value, not a list at column 9\n  bytes>1,2\n          ^"],
  ['user=bob and', 'expected a field name, found end of expression at column 13\n  user=bob and\n              ^'],
];

test('and, or and not keep what the sets of rows say, whichever side decides, block after block', () => {
  const atoms = CASES.map(([expr, rows]) => ({ expr: expr || 'user~.', rows: new Set(rows) }));
  const all = [...Array(13).keys()];
  const atom = fc.constantFrom(...atoms);
  type Sel = { expr: string; rows: Set<number> };
  const { sel } = fc.letrec<{ sel: Sel }>((tie) => ({
    sel: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc.tuple(tie('sel'), tie('sel')).map(([a, b]) => ({ expr: `(${a.expr}) and (${b.expr})`, rows: new Set([...a.rows].filter((r) => b.rows.has(r))) })),
      fc.tuple(tie('sel'), tie('sel')).map(([a, b]) => ({ expr: `(${a.expr}) or (${b.expr})`, rows: new Set([...a.rows, ...b.rows]) })),
      tie('sel').map((a) => ({ expr: `not (${a.expr})`, rows: new Set(all.filter((r) => !a.rows.has(r))) })),
    ),
  }));
  const [whole, part] = [batchOf(), batchOf(5)];
  fc.assert(
    fc.property(sel, ({ expr, rows }) => {
      const f = compileFilter(parseFilter(expr), expr, NOW);
      const want = [...rows].sort((a, b) => a - b);
      // The same compiled filter over blocks of other sizes: nothing of one block leaks into the next.
      assert.deepEqual(rowsOf(f(whole)), want, expr);
      assert.deepEqual(
        rowsOf(f(part)),
        want.filter((r) => r < 5),
        expr,
      );
      assert.deepEqual(rowsOf(f(whole)), want, expr);
    }),
    { numRuns: 400 },
  );
});

test('bad expressions fail with the column, a caret and a suggestion', () => {
  for (const [expr, want] of ERRORS) {
    assert.throws(
      () => compileFilter(parseFilter(expr), expr, NOW),
      (err: unknown) => {
        assert.ok(err instanceof LanguageError, expr);
        assert.equal(formatLanguageError(err), want, expr);
        return true;
      },
    );
  }
});

test('absurd nesting and token floods are refused, not overflowed', () => {
  assert.throws(() => parseFilter('('.repeat(5000) + 'read' + ')'.repeat(5000)), LanguageError);
  assert.throws(() => parseFilter('not '.repeat(5000) + 'read'), /nested deeper/);
  assert.throws(() => parseFilter(Array(6000).fill('read').join(' or ')), /more than 10000 tokens/);
});

test('and binds tighter than or; --explain prints the grouping, and it parses back the same', () => {
  const exprs = [
    'user=bob or user=alice and write',
    'not read and share~^proj',
    'a=1'.replace('a', 'count') + ' or path="x y" and client in (10.0.0.0/8, ::1)',
  ];
  const printed = exprs.map((e) => printExpr(parseFilter(e)));
  assert.equal(printed[0], '((user = bob) or ((user = alice) and (op in (write, pwrite))))');
  assert.equal(printed[1], '((not (op in (read, pread))) and (share ~ ^proj))');
  for (const p of printed) assert.equal(printExpr(parseFilter(p)), p);
});

test('-t ranges', () => {
  const day = parseTimeRange('2026-11-23', NOW)!;
  assert.equal(new Date(day.start).toISOString(), '2026-11-23T00:00:00.000Z');
  assert.equal(new Date(day.end).toISOString(), '2026-11-24T00:00:00.000Z');
  const hours = parseTimeRange('10:00-11:00', NOW)!;
  assert.deepEqual([hours.start, hours.end], [Date.UTC(2026, 10, 23, 10), Date.UTC(2026, 10, 23, 11)]);
  assert.deepEqual(parseTimeRange('-1h', NOW), { start: NOW - 3_600_000, end: Infinity });
  const dots = parseTimeRange('2026-11-22..2026-11-23T06:00', NOW)!;
  assert.deepEqual([dots.start, dots.end], [Date.UTC(2026, 10, 22), Date.UTC(2026, 10, 23, 6)]);
  assert.equal(parseTimeRange('2026-11-23T10:00-2026-11-23T12:00', NOW)!.end, Date.UTC(2026, 10, 23, 12));
  assert.equal(parseTimeRange('soon', NOW), undefined);
  assert.equal(parseTimeRange('25:00', NOW), undefined);
});
