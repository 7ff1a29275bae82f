import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Clusterer } from '../../src/cluster/clusterer.js';
import type { SmbRecord } from '../../src/record/fields.js';
import { BatchBuilder } from '../../src/stream/builder.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

function totals(recs: readonly SmbRecord[], key: (r: SmbRecord) => string): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const r of recs) {
    const t = (out[key(r)] ??= [0, 0, 0]);
    t[0] += r.bytes;
    t[1] += r.count;
    t[2] += r.latency;
  }
  return out;
}

const traffic = (n: number, seed = 3, gapMs = 20): SmbRecord[] => {
  const t = createTraffic({ seed, users: 30, files: 300, gapMs });
  return Array.from({ length: n }, () => ({ ...t.next(), latency: seed * 10 }));
};

async function cluster(input: Buffer, args: string[]): Promise<SmbRecord[]> {
  const r = await runBin('smbta-cluster', args, { input });
  assert.equal(r.code, 0, r.stderr);
  return decodeAll(r.stdout).records;
}

test('cluster conserves bytes, count and latency per user and op, merges within the window, and writes in time order', async () => {
  const recs = traffic(20000);
  const input = encodeRecords(recs, 4096);
  const out = await cluster(input, ['-p', '5']);
  assert.ok(out.length < recs.length * 0.8, `${out.length} of ${recs.length}`);
  for (const key of [(r: SmbRecord) => r.user, (r: SmbRecord) => String(r.op)]) assert.deepEqual(totals(out, key), totals(recs, key));
  for (let k = 1; k < out.length; k++) assert.ok(out[k]!.time >= out[k - 1]!.time, `out of order at ${k}`);
  const last = new Map<string, number>();
  for (const r of out) {
    const key = JSON.stringify([r.op, r.server, r.domain, r.user, r.sid, r.share, r.path, r.path2, r.client, r.mode, r.result]);
    const prev = last.get(key);
    assert.ok(prev === undefined || r.time >= prev + 5000, 'two windows of one key overlap');
    last.set(key, r.time);
    assert.ok(r.end >= r.time);
  }
  // Clustered output is valid input: clustering again changes nothing.
  const again = await cluster(encodeRecords(out), ['-p', '5']);
  assert.deepEqual(again, out);
  // -p 0 keeps every record.
  assert.deepEqual(await cluster(input, ['-p', '0']), recs);
});

test('-M time 1h bins per hour, aligned, with the totals of each user and hour', async () => {
  const recs = traffic(20000, 4);
  const out = await cluster(encodeRecords(recs), ['-M', 'time', '1h', '-m', 'user']);
  const hour = (r: SmbRecord): string => `${r.user}@${Math.floor(r.time / 3_600_000)}`;
  for (const r of out) assert.equal(r.time % 3_600_000, 0);
  assert.deepEqual(totals(out, hour), totals(recs, hour));
  assert.equal(out.length, Object.keys(totals(recs, hour)).length);
});

/** The local date (and hour) of `t` in `zone`, as people there write it. */
const labels = new Map<string, string>();
/** `YYYY-MM-DD HH:MM` in `zone` (by the half hour: every zone's offset is a multiple of it, and the formatter is slow). */
const localLabel = (t: number, zone: string): string => {
  const at = Math.floor(t / 1_800_000) * 1_800_000;
  const key = `${zone}@${at}`;
  let label = labels.get(key);
  if (label === undefined) labels.set(key, (label = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' }).format(at)));
  return label;
};

test('--tz: bins are local days and hours through a daylight-saving change, one row per bin and key, totals per local day kept', async () => {
  // Three days around Europe's autumn change (2026-10-25), many keys, every identity field by default.
  const t = createTraffic({ seed: 8, users: 40, files: 400, start: Date.parse('2026-10-23T20:00:00Z'), gapMs: 3000 });
  const recs = Array.from({ length: 80000 }, () => t.next());
  const input = encodeRecords(recs, 4096);
  for (const zone of ['Europe/Berlin', 'Asia/Kolkata', 'America/New_York', 'UTC']) {
    for (const [span, hours] of [
      ['1d', false],
      ['1h', true],
    ] as const) {
      const out = await cluster(input, ['--tz', zone, '-M', 'time', span]);
      const seen = new Set<string>();
      for (const r of out) {
        const id = JSON.stringify([r.time, r.op, r.server, r.domain, r.user, r.sid, r.share, r.path, r.path2, r.client, r.mode, r.result]);
        assert.ok(!seen.has(id), `${zone} ${span}: a second row for ${id}`);
        seen.add(id);
        const at = localLabel(r.time, zone);
        assert.equal(r.time % 1_800_000, 0);
        assert.ok(at.endsWith(hours ? ':00' : ' 00:00'), `${zone} ${span}: a bin starts at ${at}`);
      }
      const byLocal = (r: SmbRecord): string => `${r.domain}\\${r.user}@${localLabel(r.time, zone).slice(0, hours ? 13 : 10)}`;
      assert.deepEqual(totals(out, byLocal), totals(recs, byLocal), `${zone} ${span}`);
    }
  }
});

test("nightly compaction of a day's 10-minute files answers the same totals", () =>
  withTmpDir(async (dir) => {
    const recs = traffic(30000, 5, 200);
    mkdirSync(`${dir}/archive/2026-11-23`, { recursive: true });
    const tenMinutes = new Map<number, SmbRecord[]>();
    for (const r of recs) {
      const slot = Math.floor(r.time / 600_000);
      if (!tenMinutes.has(slot)) tenMinutes.set(slot, []);
      tenMinutes.get(slot)!.push(r);
    }
    assert.ok(tenMinutes.size > 3);
    for (const [slot, rs] of tenMinutes) writeFileSync(`${dir}/archive/2026-11-23/smbta.${slot}.smbta`, encodeRecords(rs));
    const r = await runBin('smbta-cluster', ['-R', `${dir}/archive/2026-11-23`, '-w', `${dir}/2026-11-23.smbta.bz2`]);
    assert.equal(r.code, 0, r.stderr);
    const day = decodeAll((await runBin('smbta-filter', ['-r', `${dir}/2026-11-23.smbta.bz2`])).stdout).records;
    assert.ok(day.length < recs.length);
    for (const key of [(x: SmbRecord) => x.user, (x: SmbRecord) => x.share]) assert.deepEqual(totals(day, key), totals(recs, key));
    assert.ok(readFileSync(`${dir}/2026-11-23.smbta.bz2`).subarray(0, 3).equals(Buffer.from('BZh')));
  }));

test('a streaming clusterer holds only the windows still open', () => {
  const t = createTraffic({ seed: 8, users: 50, files: 5000, gapMs: 50 });
  let emitted = 0;
  let most = 0;
  const c = new Clusterer({ keys: ['op', 'user', 'share', 'path'], windowMs: 5000 }, (_b, _rows, n) => void (emitted += n));
  for (let k = 0; k < 100; k++) {
    const b = new BatchBuilder();
    for (let j = 0; j < 1000; j++) b.add(t.next());
    c.addRows(b.toBatch(), null, 1000);
    most = Math.max(most, c.openClusters);
  }
  c.flush();
  assert.ok(most < 1000, `at most ${most} windows open at once`);
  assert.ok(emitted > 10000);
  assert.equal(c.openClusters, 0);
});
