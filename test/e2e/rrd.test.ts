import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { createTraffic } from '../../src/synth/traffic.js';
import { runBin } from '../helpers/run-bin.js';
import { encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { toolMissing } from '../helpers/tools.js';

const NO_RRDTOOL = toolMissing('rrdtool');
const START = Date.UTC(2026, 10, 23, 10, 0, 0);

test('smbta-rrd: per-step rates in rrdtool equal the bytes per step computed here; a second run goes on; a graph is drawn', { skip: NO_RRDTOOL }, () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 6, users: 10, start: START, gapMs: 150 });
    const recs = Array.from({ length: 8000 }, () => t.next()).filter((r) => r.time < START + 20 * 60_000);
    const half = recs.findIndex((r) => r.time >= START + 10 * 60_000);
    writeFileSync(`${dir}/a.smbta`, encodeRecords(recs.slice(0, half)));
    writeFileSync(`${dir}/b.smbta`, encodeRecords(recs.slice(half)));
    for (const part of ['a', 'b']) {
      const r = await runBin('smbta-rrd', ['-r', `${dir}/${part}.smbta`, '--rrd', `${dir}/site.rrd`, '--late', '0']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /wrote \d+ steps of 60s/);
    }
    const perStep = new Map<number, [number, number]>();
    for (const r of recs) {
      const s = Math.floor(r.time / 60_000);
      const v = perStep.get(s) ?? [0, 0];
      if (r.op <= 1) v[0] += r.bytes;
      else if (r.op <= 3) v[1] += r.bytes;
      perStep.set(s, v);
    }
    const start = START / 1000;
    const out = spawnSync('rrdtool', ['fetch', `${dir}/site.rrd`, 'AVERAGE', '-r', '60', '--start', String(start), '--end', String(start + 20 * 60)], {
      encoding: 'utf8',
    }).stdout;
    let checked = 0;
    for (const line of out.split('\n')) {
      const m = /^(\d+): (\S+) (\S+) (\S+)$/.exec(line.trim());
      if (!m || m[2] === '-nan') continue;
      const step = Number(m[1]) / 60 - 1;
      const [read, write] = perStep.get(step) ?? [0, 0];
      assert.ok(Math.abs(Number(m[2]) - read / 60) <= 1e-6 * Math.max(1, read), `read at ${m[1]}: ${m[2]} vs ${read / 60}`);
      assert.ok(Math.abs(Number(m[3]) - write / 60) <= 1e-6 * Math.max(1, write), `write at ${m[1]}`);
      checked++;
    }
    assert.ok(checked >= 19, `${checked} steps checked`);
    const late = await runBin('smbta-rrd', ['-r', `${dir}/a.smbta`, '--rrd', `${dir}/site.rrd`]);
    assert.match(late.stderr, new RegExp(`${half} records came after their step was written`));
    const g = await runBin('smbta-rrd', [
      '--rrd',
      `${dir}/site.rrd`,
      '--graph',
      `${dir}/day.png`,
      '--since',
      '2026-11-23 09:55:00',
      '--until',
      '2026-11-23 10:25:00',
    ]);
    assert.equal(g.code, 0, g.stderr);
    assert.ok(readFileSync(`${dir}/day.png`).subarray(1, 4).equals(Buffer.from('PNG')));
  }),
);
