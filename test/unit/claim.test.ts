import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claim, runsOf } from '../../src/store/claim.js';
import { STORED_COLUMNS } from '../../src/store/schema.js';
import type { PendingRows } from '../../src/store/types.js';

/** Rows whose first value names them, of the given runs and numbers. */
function rows(ids: [string, number][]): PendingRows {
  const values = ids.flatMap(([run, n]) => [`${run}${n}`, ...new Array<number>(STORED_COLUMNS.length - 1).fill(n)]);
  return { values, n: ids.length, runs: ids.map(([r]) => r), nums: ids.map(([, n]) => n) };
}

test('claim keeps the rows no stored range holds, and stores the ranges merged with them', () => {
  const r = rows([
    ['a', 0],
    ['a', 1],
    ['a', 5],
    ['b', 3],
    ['', 0],
  ]);
  assert.deepEqual(runsOf(r), ['a', 'b']);
  const c = claim(r, [
    { run: 'a', first: 1, next: 3 },
    { run: 'a', first: 6, next: 9 },
    { run: 'c', first: 0, next: 1 },
  ]);
  assert.equal(c.skipped, 1);
  assert.deepEqual(c.rows.runs, ['a', 'a', 'b', '']);
  assert.deepEqual(
    c.rows.values.filter((_, i) => i % STORED_COLUMNS.length === 0),
    ['a0', 'a5', 'b3', '0'],
  );
  assert.deepEqual(c.covered.get('a'), [
    [0, 3],
    [5, 9],
  ]);
  assert.deepEqual(c.covered.get('b'), [[3, 4]]);
  // Nothing stored yet: every row kept, unidentified ones never claimed.
  assert.equal(claim(r, []).skipped, 0);
});
