import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import type { SmbRecord } from '../../src/record/fields.js';
import { formatSize } from '../../src/format/units.js';
import { BlockKind, frameBlock } from '../../src/stream/format.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { runBin } from '../helpers/run-bin.js';
import { encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

function totals(recs: readonly SmbRecord[], key: keyof SmbRecord): Map<string, { read: number; written: number }> {
  const out = new Map<string, { read: number; written: number }>();
  for (const r of recs) {
    const t = out.get(String(r[key])) ?? { read: 0, written: 0 };
    if (r.op <= 1) t.read += r.bytes;
    else if (r.op <= 3) t.written += r.bytes;
    out.set(String(r[key]), t);
  }
  return out;
}

test('--once over an archive prints the totals of each share, busiest first, computed independently', () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 21, users: 30, shares: 6 });
    const recs = Array.from({ length: 30000 }, () => t.next());
    // A gap block in the middle, as smbta-mux sends a slow reader: top counts what was lost.
    const gap = frameBlock(
      BlockKind.Gap,
      Buffer.from(JSON.stringify({ records: 1234, blocks: 2, reason: 'client too slow' })),
      0,
      recs[0]!.time,
      recs[0]!.time,
    );
    writeFileSync(`${dir}/day.smbta`, Buffer.concat([encodeRecords(recs.slice(0, 15000)), gap, encodeRecords(recs.slice(15000))]));
    const r = await runBin('smbta-top', ['-r', `${dir}/day.smbta`, '--once', '-g', 'share', '--sort', 'total'], { env: { COLUMNS: '110', LINES: '40' } });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString();
    assert.match(out, /30\.0k records, ops [\d.]+k?\/s dropped 1\.2k/);
    const want = [...totals(recs, 'share')].sort((a, b) => b[1].read + b[1].written - (a[1].read + a[1].written));
    const rows = out.split('\n').filter((l) => want.some(([name]) => l.startsWith(`${name} `)));
    assert.equal(rows.length, 6);
    rows.forEach((line, k) => {
      const [name, { read, written }] = want[k]!;
      assert.ok(line.startsWith(`${name} `), line);
      // The totals are the sizes not followed by /s.
      const totalsShown = [...line.matchAll(/(\d+(?:\.\d)? (?:B|KiB|MiB|GiB|TiB))(?!\/s)/g)].map((m) => m[1]);
      assert.deepEqual(totalsShown, [formatSize(read), formatSize(written)], line);
    });
    // stdout not a terminal: the same snapshot without --once.
    const piped = await runBin('smbta-top', ['-r', `${dir}/day.smbta`, '-g', 'share', '--sort', 'total', 'share=home'], {
      env: { COLUMNS: '110', LINES: '40' },
    });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout.toString(), /filter: share=home/);
    assert.match(piped.stdout.toString(), /SHARE \(1\)/);
  }));

test('bad options and a wrong filter: usage errors with the column, exit 2', async () => {
  const bad = await runBin('smbta-top', ['-r', '/dev/null', '-g', 'users']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /-g users: expected one of user, share, path, client, server/);
  const filter = await runBin('smbta-top', ['-r', '/dev/null', 'usr=bob']);
  assert.equal(filter.code, 2);
  assert.match(filter.stderr, /unknown field 'usr' at column 1/);
  assert.match((await runBin('smbta-top', ['--refresh', '0', '-r', '/dev/null'])).stderr, /--refresh 0: expected a duration of at least 10ms such as 250ms/);
});
