/** The rollup planner and the day partitions: pure functions, checked over random spans. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { daysToMake, DAY_MS, MAX_NEW_PER_BATCH, partitionName, dayOfPartition } from '../../src/store/partitions.js';
import { planPieces, RECORDS_TABLE, type Grain } from '../../src/query/rollup-plan.js';

const grains = (since: [number, number, number]): Grain[] => [
  { table: 'd', ms: DAY_MS, since: since[0] },
  { table: 'h', ms: 3_600_000, since: since[1] },
  { table: 'm', ms: 60_000, since: since[2] },
];
const time = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });
const bound = fc.oneof(time, fc.constant(-Infinity), fc.constant(Infinity));

test('pieces cover [from, to) exactly, in order, each rollup piece whole buckets where the rollup was kept', () => {
  fc.assert(
    fc.property(bound, bound, fc.tuple(bound, bound, bound), (a, b, since) => {
      const [from, to] = a <= b ? [a, b] : [b, a];
      const g = grains(since.map((s) => (s === Infinity ? -Infinity : s)) as [number, number, number]);
      const pieces = planPieces(from, to, g);
      if (!(from < to)) return assert.deepEqual(pieces, []);
      assert.equal(pieces[0]!.from, from);
      assert.equal(pieces.at(-1)!.to, to);
      for (let k = 1; k < pieces.length; k++) assert.equal(pieces[k]!.from, pieces[k - 1]!.to);
      for (const p of pieces) {
        assert.ok(p.from < p.to);
        if (p.table === RECORDS_TABLE) continue;
        const r = g.find((x) => x.table === p.table)!;
        for (const t of [p.from, p.to]) assert.ok(!Number.isFinite(t) || t % r.ms === 0, `${p.table} piece at ${t}`);
        assert.ok(p.from >= r.since, `${p.table} read before its expiry`);
      }
    }),
  );
});

test('the coarsest rollup takes the whole days; nothing expired: an open span is one daily piece', () => {
  const day = Date.UTC(2026, 10, 22);
  const none = grains([-Infinity, -Infinity, -Infinity]);
  assert.deepEqual(
    planPieces(day - 3_600_000 - 60_000 - 1, day + DAY_MS + 1, none).map((p) => p.table),
    [RECORDS_TABLE, 'm', 'h', 'd', RECORDS_TABLE],
  );
  assert.deepEqual(planPieces(-Infinity, Infinity, none), [{ table: 'd', from: -Infinity, to: Infinity }]);
});

test('day partitions: the busiest days first, the next day ahead, none for times before 2000 or far ahead, at most a batch worth', () => {
  const now = Date.UTC(2026, 11, 7, 15);
  const today = Date.UTC(2026, 11, 7);
  const times = [today + 5, today + 6, today - DAY_MS, Date.UTC(1990, 0, 1), now + 30 * DAY_MS];
  assert.deepEqual(daysToMake(times, new Set(), now), [today, today - DAY_MS, today + DAY_MS]);
  assert.deepEqual(daysToMake(times, new Set([today, today + DAY_MS]), now), [today - DAY_MS]);
  const spread = Array.from({ length: 100 }, (_, k) => today - k * DAY_MS);
  assert.equal(daysToMake(spread, new Set(), now).length, MAX_NEW_PER_BATCH);
  assert.equal(partitionName(today), 'smbta_records_d20261207');
  assert.equal(dayOfPartition('smbta_records_d20261207'), today);
  assert.equal(dayOfPartition('smbta_records_other'), undefined);
});
