// Bins are local periods: a half-hour zone shows any alignment to UTC (or to whole hours).
process.env.TZ = 'Asia/Kolkata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nextPeriod, periodStart } from '../../src/format/period.js';
import { Clusterer, type ClusterOptions } from '../../src/cluster/clusterer.js';
import type { FieldName, SmbRecord } from '../../src/record/fields.js';
import { BatchBuilder } from '../../src/stream/builder.js';
import { createRandom, createTraffic } from '../../src/synth/traffic.js';

/** The clusterer's contract written the plain way: objects in a Map by a string key, flushed after each batch. */
function reference(batches: SmbRecord[][], o: ClusterOptions): SmbRecord[] {
  const open = new Map<string, { rec: SmbRecord; closesAt: number; key: string }>();
  const queue: { rec: SmbRecord; closesAt: number; key: string }[] = [];
  const out: SmbRecord[] = [];
  let watermark = -Infinity;
  const flush = (upTo: number): void => {
    while (queue.length && queue[0]!.closesAt <= upTo) {
      const c = queue.shift()!;
      if (open.get(c.key) === c) open.delete(c.key);
      out.push(c.rec);
    }
  };
  for (const batch of batches) {
    for (const r of batch) {
      const key = o.keys.map((k) => String(r[k])).join('\0');
      const c = open.get(key);
      if (c && r.time < c.closesAt && (!o.binMs || r.time >= c.rec.time)) {
        c.rec.bytes += r.bytes;
        c.rec.count += r.count;
        c.rec.latency += r.latency;
        c.rec.latency_max = Math.max(c.rec.latency_max, r.latency_max);
        c.rec.end = Math.max(c.rec.end, r.end);
        if (!o.binMs) c.rec.time = Math.min(c.rec.time, r.time);
      } else {
        const start = o.binMs ? periodStart(r.time, o.binMs) : r.time;
        const n = { rec: { ...r, time: start }, closesAt: o.binMs ? nextPeriod(start, o.binMs) : start + o.windowMs, key };
        open.set(key, n);
        queue.push(n);
      }
      watermark = Math.max(watermark, r.time);
    }
    flush(watermark - (o.binMs ? (o.lateMs ?? 0) : 0));
  }
  flush(Infinity);
  return out;
}

/** Records that came after their bin was written, in the last run. */
let tooLate = 0;

function run(batches: SmbRecord[][], o: ClusterOptions): SmbRecord[] {
  const out: SmbRecord[] = [];
  const c = new Clusterer(o, (b, rows, n) => {
    for (let k = 0; k < n; k++) out.push(b.record(rows[k]!));
  });
  for (const recs of batches) {
    const b = new BatchBuilder();
    recs.forEach((r) => b.add(r));
    c.addRows(b.toBatch(), null, recs.length);
  }
  c.flush();
  assert.equal(c.openClusters, 0);
  tooLate = c.tooLate;
  return out;
}

test('the clusterer agrees with a plain reference, with late records, few keys and many windows', () => {
  const rnd = createRandom(11);
  const t = createTraffic({ seed: 12, users: 6, shares: 2, files: 25, gapMs: 40 });
  // Times jittered by up to 4 s either way, so records arrive late and windows are replaced.
  const recs = Array.from({ length: 30000 }, () => {
    const r = t.next();
    const time = r.time + Math.floor((rnd() - 0.5) * 8000);
    return { ...r, time, end: time + (r.end - r.time), latency: Math.floor(rnd() * 100), latency_max: Math.floor(rnd() * 100) };
  });
  const batches: SmbRecord[][] = [];
  for (let k = 0; k < recs.length;) {
    const n = 1 + Math.floor(rnd() * 700);
    batches.push(recs.slice(k, k + n));
    k += n;
  }
  const keysets: FieldName[][] = [['op', 'user', 'share', 'path'], ['user'], ['bytes', 'user', 'op']];
  for (const keys of keysets) {
    for (const o of [
      { keys, windowMs: 5000 },
      { keys, windowMs: 1000 },
      { keys, windowMs: 0, binMs: 60_000 },
      { keys, windowMs: 0, binMs: 3_600_000, lateMs: 5000 },
    ]) {
      const ours = run(batches, o);
      assert.deepEqual(ours, reference(batches, o), `keys ${keys.join(',')}, window ${o.windowMs}, bin ${o.binMs ?? '-'}`);
      assert.ok(ours.length < recs.length);
    }
  }
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Records of many keys (more than the clusterer's first 1024 slots) in time order, each up to `jitter` ms late. */
const arbRecords = (jitter: number) =>
  fc
    .array(
      fc.record({
        dt: fc.integer({ min: 0, max: 20 * 60_000 }),
        late: fc.integer({ min: 0, max: jitter }),
        user: fc.integer({ min: 0, max: 60 }),
        domain: fc.constantFrom('EXAMPLE', 'OTHER'),
        path: fc.integer({ min: 0, max: 40 }),
        bytes: fc.integer({ min: 0, max: 1 << 20 }),
      }),
      { minLength: 1, maxLength: 4000 },
    )
    .map((steps) => {
      let now = Date.parse('2026-10-24T18:00:00Z');
      return steps.map((s): SmbRecord => {
        now += s.dt;
        const time = now - s.late;
        const r = { ...createTraffic({ seed: 1 }).next(), time, end: time, bytes: s.bytes, count: 1, latency: 1, latency_max: 1 };
        return { ...r, user: `user${s.user}`, domain: s.domain, path: `f${s.path}` };
      });
    });

test('bins hold one row per bin and key, whatever the batches, and conserve every total (property)', () => {
  const keys: FieldName[] = ['domain', 'user', 'path'];
  fc.assert(
    fc.property(arbRecords(4000), fc.integer({ min: 1, max: 900 }), fc.constantFrom(HOUR, DAY, 7 * DAY, 15 * 60_000), (recs, size, binMs) => {
      const batches: SmbRecord[][] = [];
      for (let k = 0; k < recs.length; k += size) batches.push(recs.slice(k, k + size));
      const out = run(batches, { keys, windowMs: 0, binMs, lateMs: 5000 });
      const seen = new Set<string>();
      for (const r of out) {
        const id = `${r.time}|${r.domain}|${r.user}|${r.path}`;
        assert.ok(!seen.has(id), `a second row for ${id}`);
        seen.add(id);
        assert.equal(periodStart(r.time, binMs), r.time, 'a bin starts at a local period boundary');
      }
      const sum = (rs: SmbRecord[], f: 'bytes' | 'count') => rs.reduce((n, r) => n + r[f], 0);
      assert.equal(sum(out, 'bytes'), sum(recs, 'bytes'));
      assert.equal(sum(out, 'count'), recs.length);
      assert.equal(tooLate, 0);
    }),
    { numRuns: 60 },
  );
});

test('more than 1024 keys open at once in one batch keep one row each (the columns grow mid-batch)', () => {
  const t = Date.parse('2026-11-23T10:00:00Z');
  const recs = Array.from({ length: 5000 }, (_, i): SmbRecord => ({
    ...createTraffic({ seed: 2 }).next(),
    time: t + (i % 2500),
    end: t,
    path: `f${i % 2500}`,
    count: 1,
    bytes: 1,
  }));
  const out = run([recs], { keys: ['path'], windowMs: 0, binMs: HOUR });
  assert.equal(out.length, 2500);
  assert.ok(out.every((r) => r.count === 2));
});

test('a record later than --late after its bin was written is counted', () => {
  const t = Date.parse('2026-11-23T10:00:00Z');
  const rec = (time: number): SmbRecord => ({ ...createTraffic({ seed: 3 }).next(), time, end: time, count: 1, user: 'bob' });
  const out: number[] = [];
  const c = new Clusterer({ keys: ['user'], windowMs: 0, binMs: HOUR, lateMs: 1000 }, (b, rows, n) => {
    for (let k = 0; k < n; k++) out.push(b.record(rows[k]!).count);
  });
  for (const time of [t, t + HOUR + 2000, t + 10]) {
    const b = new BatchBuilder();
    b.add(rec(time));
    c.addRows(b.toBatch(), null, 1);
  }
  c.flush();
  assert.equal(c.tooLate, 1);
  assert.deepEqual(out, [1, 1, 1]);
});
