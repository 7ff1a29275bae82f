import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KNOWN, T0, batchOf } from '../helpers/top-input.js';
import { TopFeed } from '../../src/tui/feed.js';
import { TopModel } from '../../src/tui/model.js';
import { handleKey, initialUi } from '../../src/tui/keys.js';

test('model: totals, rates, history and log of a known input', () => {
  const m = new TopModel();
  m.tick(T0);
  m.add(batchOf(KNOWN), null, KNOWN.length);
  m.tick(T0 + 2000);
  const users = m.snapshot('user', 'read/s', 10);
  assert.equal(users.records, 5);
  assert.equal(users.readRate, (3 << 20) / 2);
  assert.equal(users.writeRate, (5 << 20) / 2);
  assert.equal(users.opsRate, 2.5);
  assert.deepEqual(users.rows, [
    { name: 'bob', readRate: (3 << 20) / 2, writeRate: (1 << 20) / 2, opsRate: 1.5, read: 3 << 20, written: 1 << 20, ops: 3 },
    { name: 'eve', readRate: 0, writeRate: (4 << 20) / 2, opsRate: 1, read: 0, written: 4 << 20, ops: 2 },
  ]);
  assert.deepEqual(
    m.snapshot('user', 'write/s', 10).rows.map((r) => r.name),
    ['eve', 'bob'],
  );
  assert.deepEqual(
    m.snapshot('share', 'total', 10).rows.map((r) => [r.name, r.read + r.written]),
    [
      ['home', 5 << 20],
      ['projects', 3 << 20],
    ],
  );
  assert.deepEqual(
    m.snapshot('path', 'name', 2).rows.map((r) => r.name),
    ['a.txt', 'b.iso'],
  );
  assert.equal(m.snapshot('path', 'name', 2).groups, 4);
  // Per second of record time: the second starting at T0 read 3 MiB and wrote 1 MiB, the next wrote 4 MiB.
  const h = users.history;
  assert.deepEqual(h.read.slice(-3), [3 << 20, 0, 0]);
  assert.deepEqual(h.write.slice(-3), [1 << 20, 4 << 20, 0]);
  assert.deepEqual(
    users.log.map((l) => [l.op, l.user, l.result]),
    [
      ['read', 'bob', 0],
      ['pread', 'bob', 0],
      ['pwrite', 'bob', 0],
      ['write', 'eve', 0],
      ['rename', 'eve', -1],
    ],
  );
  // The next interval had nothing: rates fall to 0, totals stay.
  m.tick(T0 + 3000);
  const later = m.snapshot('user', 'read/s', 10);
  assert.equal(later.readRate, 0);
  assert.equal(later.rows[0]!.read, 3 << 20);
  m.lost(7);
  assert.equal(m.snapshot('user', 'read/s', 10).dropped, 7);
  m.clear();
  const cleared = m.snapshot('user', 'read/s', 10);
  assert.deepEqual([cleared.records, cleared.rows.length, cleared.log.length, cleared.dropped], [0, 0, 0, 0]);
});

test('model: only the selected rows count', () => {
  const m = new TopModel();
  m.tick(T0);
  m.add(batchOf(KNOWN), Uint32Array.of(3), 1);
  m.tick(T0 + 1000);
  assert.deepEqual(
    m.snapshot('user', 'read/s', 10).rows.map((r) => [r.name, r.written]),
    [['eve', 4 << 20]],
  );
});

test('keys: grouping, sort, pause, help and a filter typed, cancelled and applied', () => {
  let s = initialUi('');
  const press = (input: string, key = {}) => {
    const [next, action] = handleKey(s, input, key);
    s = next;
    return action;
  };
  press('g');
  assert.equal(s.grouping, 'share');
  press('5');
  assert.equal(s.grouping, 'server');
  press('', { tab: true });
  assert.equal(s.grouping, 'user');
  press('s');
  press('s');
  assert.equal(s.sort, 'ops/s');
  press('S');
  assert.equal(s.sort, 'write/s');
  press(' ');
  assert.equal(s.paused, true);
  press('?');
  assert.equal(s.help, true);
  press('x');
  assert.equal(s.help, false);
  assert.deepEqual(press('c'), { kind: 'clear' });
  press('/');
  for (const ch of 'user=bobx') press(ch);
  press('', { backspace: true });
  assert.equal(s.draft, 'user=bob');
  assert.equal(press('q'), undefined, 'q is typed into the filter, not quit');
  press('', { escape: true });
  assert.equal(s.draft, undefined);
  assert.equal(s.filter, '');
  press('/');
  for (const ch of 'share=home') press(ch);
  assert.deepEqual(press('', { return: true }), { kind: 'filter', text: 'share=home' });
  assert.equal(s.draft, 'share=home', 'typing stays open until the app has accepted the filter');
  s = { ...s, draft: undefined };
  assert.deepEqual(press('q'), { kind: 'quit' });
});

test('feed: an archive replays at --speed, by its record times, and a live filter replaces the old one', async () => {
  const ac = new AbortController();
  const feed = new TopFeed({ replaySpeed: 20, filter: undefined, signal: ac.signal });
  // Four seconds of record time at 20x: about 200 ms.
  const recs = Array.from({ length: 41 }, (_, k) => ({ ...KNOWN[0]!, time: T0 + k * 100, end: T0 + k * 100 }));
  const start = Date.now();
  const done = feed.add(batchOf(recs), null, recs.length);
  await new Promise((r) => setTimeout(r, 60));
  const early = feed.model.records;
  // Paced: some at once, not all while the replay clock is short of the last record (a slow machine may wake late).
  assert.ok(early > 0, 'the first records at once');
  if (Date.now() - start < 150) assert.ok(early < recs.length, `${early} records after ${Date.now() - start} ms`);
  await done;
  const took = Date.now() - start;
  assert.ok(took >= 150 && took < 5000, `replay took ${took} ms`);
  assert.equal(feed.model.records, recs.length);
  assert.ok(Math.abs(feed.clock() - (T0 + 4000)) < 2000);
  assert.deepEqual(feed.trySetFilter('user=bob and'), { message: 'expected a field name, found end of expression', column: 13 });
  assert.equal(feed.model.records, recs.length, 'a wrong filter changes nothing');
  assert.equal(feed.trySetFilter('user=eve'), undefined);
  assert.equal(feed.model.records, 0);
});
