// Periods are counted in local time: set the zone before anything asks for an offset.
process.env.TZ = 'Europe/Berlin';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextPeriod, periodStart } from '../../src/format/period.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

test('hours and days start at local clock boundaries, weeks on a Monday', () => {
  assert.equal(periodStart(at('2026-07-15T13:47:00+02:00'), HOUR), at('2026-07-15T13:00:00+02:00'));
  assert.equal(periodStart(at('2026-07-15T13:47:00+02:00'), 10 * MIN), at('2026-07-15T13:40:00+02:00'));
  assert.equal(periodStart(at('2026-07-15T00:30:00+02:00'), DAY), at('2026-07-15T00:00:00+02:00'));
  // 2026-07-15 is a Wednesday; its week began on Monday the 13th.
  assert.equal(periodStart(at('2026-07-15T13:47:00+02:00'), 7 * DAY), at('2026-07-13T00:00:00+02:00'));
  assert.equal(periodStart(at('2026-07-13T00:00:00+02:00'), 7 * DAY), at('2026-07-13T00:00:00+02:00'));
});

test('a day across a daylight-saving change is 23 or 25 hours long, and the next day still starts at midnight', () => {
  const spring = at('2026-03-29T00:00:00+01:00');
  assert.equal(periodStart(at('2026-03-29T12:00:00+02:00'), DAY), spring);
  assert.equal(nextPeriod(spring, DAY) - spring, 23 * HOUR);
  const autumn = at('2026-10-25T00:00:00+02:00');
  assert.equal(periodStart(at('2026-10-25T23:59:00+01:00'), DAY), autumn);
  assert.equal(nextPeriod(autumn, DAY) - autumn, 25 * HOUR);
});

test('times before 1970 fall in the period that holds them, not the one after', () => {
  assert.equal(periodStart(at('1969-12-31T23:30:00+01:00'), HOUR), at('1969-12-31T23:00:00+01:00'));
  assert.equal(periodStart(at('1969-12-31T23:30:00+01:00'), DAY), at('1969-12-31T00:00:00+01:00'));
});

test('every time lies in its period and periods follow each other without gaps', () => {
  for (const span of [15 * MIN, HOUR, DAY, 7 * DAY]) {
    let start = periodStart(at('2026-03-20T00:00:00Z'), span);
    for (let i = 0; i < 2000 && start < at('2026-11-10T00:00:00Z'); i++) {
      const next = nextPeriod(start, span);
      assert.ok(next > start);
      assert.equal(periodStart(next - 1, span), start, `span ${span} at ${new Date(next - 1).toISOString()}`);
      assert.equal(periodStart(start, span), start);
      start = next;
    }
  }
});
