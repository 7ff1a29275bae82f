import assert from 'node:assert/strict';
import { test } from 'node:test';
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
        const start = o.binMs ? Math.floor(r.time / o.binMs) * o.binMs : r.time;
        const n = { rec: { ...r, time: start }, closesAt: start + (o.binMs ?? o.windowMs), key };
        open.set(key, n);
        queue.push(n);
      }
      watermark = Math.max(watermark, r.time);
    }
    flush(watermark);
  }
  flush(Infinity);
  return out;
}

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
    ]) {
      const ours = run(batches, o);
      assert.deepEqual(ours, reference(batches, o), `keys ${keys.join(',')}, window ${o.windowMs}, bin ${o.binMs ?? '-'}`);
      assert.ok(ours.length < recs.length);
    }
  }
});
