import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportPeriods } from '../../src/report/period.js';
import { change } from '../../src/report/sections.js';
import { textBar, wrap } from '../../src/report/text.js';
import { mimeMessage } from '../../src/report/mime.js';
import { displayWidth, fitMiddleTo } from '../../src/format/width.js';

// Local days across a daylight-saving change: Berlin leaves summer time on 2026-10-25.
process.env.TZ = 'Europe/Berlin';
const NOW = Date.parse('2026-12-07T10:00:00Z');
const local = (t: number): string => new Date(t).toLocaleString('sv-SE');

test('report periods: a local day, a week from Monday, a month, a range; each with the one before', () => {
  const span = (a: Parameters<typeof reportPeriods>[0]): string[] => {
    const { period, previous } = reportPeriods(a, NOW);
    return [local(period.from), local(period.to), local(previous.from), period.label];
  };
  assert.deepEqual(span({}), ['2026-12-06 00:00:00', '2026-12-07 00:00:00', '2026-12-05 00:00:00', 'Sunday, 6 December 2026']);
  assert.deepEqual(span({ day: 'today' }), ['2026-12-07 00:00:00', '2026-12-08 00:00:00', '2026-12-06 00:00:00', 'Monday, 7 December 2026']);
  const dst = reportPeriods({ day: '2026-10-25' }, NOW).period;
  assert.equal(dst.to - dst.from, 25 * 3_600_000, 'the day summer time ends has 25 hours');
  assert.deepEqual(span({ week: 'last' }), ['2026-11-30 00:00:00', '2026-12-07 00:00:00', '2026-11-23 00:00:00', 'week of 30 November 2026']);
  assert.deepEqual(span({ week: '2026-12-06' }), ['2026-11-30 00:00:00', '2026-12-07 00:00:00', '2026-11-23 00:00:00', 'week of 30 November 2026']);
  assert.deepEqual(span({ month: 'last' }), ['2026-11-01 00:00:00', '2026-12-01 00:00:00', '2026-10-01 00:00:00', 'November 2026']);
  assert.deepEqual(span({ month: '2026-01' }), ['2026-01-01 00:00:00', '2026-02-01 00:00:00', '2025-12-01 00:00:00', 'January 2026']);
  assert.deepEqual(span({ time: '2026-12-01..2026-12-04' }), [
    '2026-12-01 00:00:00',
    '2026-12-04 00:00:00',
    '2026-11-28 00:00:00',
    '2026-12-01 00:00 to 2026-12-04 00:00',
  ]);
  for (const [a, message] of [
    [{ month: '2026-13' }, '--month 2026-13: expected last, this or a month (2026-11)'],
    [{ week: 'next' }, '--week next: expected last, this or a date in the week (2026-12-07)'],
    [{ day: 'yesterday', month: 'last' }, 'give one of --day, --week, --month and -t, not --day and --month'],
  ] as const)
    assert.throws(() => reportPeriods(a, NOW), { message });
});

test('changes against the period before: up, down, the same, or new', () => {
  assert.deepEqual(
    [change(176, 100), change(95, 100), change(3, 3), change(5, 0), change(0, 5), change(1001, 1000)].map((c) => [c.text, c.trend]),
    [
      ['▲ 76%', 'up'],
      ['▼ 5.0%', 'down'],
      ['=', 'same'],
      ['▲ new', 'up'],
      ['▼ 100%', 'down'],
      ['▲ 0.1%', 'up'],
    ],
  );
});

test('a path too wide keeps its start (server, share) and its end (the file), and wide characters count double', () => {
  assert.equal(fitMiddleTo('//fs1/projects/docs/plan.odt', 20), '//fs1/…docs/plan.odt');
  assert.equal(fitMiddleTo('//fs1/a.odt', 20), '//fs1/a.odt         ');
  assert.equal(displayWidth(fitMiddleTo('//fs1/予算/予算予算予算.xlsx', 15)), 15);
});

test('text bars in eighths of a cell, and words wrapped to 80 columns', () => {
  assert.deepEqual([textBar(0, 10, 8), textBar(10, 10, 8), textBar(5, 10, 3), textBar(1, 0, 8)], ['', '████████', '█▌', '']);
  const lines = wrap(`${'word '.repeat(40)}${'x'.repeat(90)}`);
  assert.ok(lines.slice(0, -1).every((l) => l.length <= 80));
  assert.equal(lines.at(-1), 'x'.repeat(90), 'a word longer than a line stands alone');
});

test('a mail: headers, a subject encoded when not ASCII, parts in base64 lines of 76', () => {
  const m = mimeMessage({ from: 'a@b', to: ['c@d'], subject: 'Müller’s day', text: 'plain ✓\n', html: '<p>html</p>\n'.repeat(50), date: NOW });
  assert.match(m, /^From: a@b\r\nTo: c@d\r\nSubject: =\?utf-8\?B\?TcO8bGxlcuKAmXMgZGF5\?=\r\nDate: Mon, 07 Dec 2026 10:00:00 GMT\r\nMIME-Version: 1.0\r\n/);
  assert.ok(m.split('\r\n').every((l) => l.length <= 998));
  const [, boundary] = /boundary="([^"]+)"/.exec(m)!;
  assert.equal(m.split(`--${boundary}`).length, 4, 'two parts and the end');
  assert.equal(
    mimeMessage({ from: 'a@b', to: ['c@d'], subject: 's', text: 't', html: 'h', date: NOW }),
    mimeMessage({ from: 'a@b', to: ['c@d'], subject: 's', text: 't', html: 'h', date: NOW }),
  );
});
