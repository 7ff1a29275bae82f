/**
 * smbta-probe on a real capture (test/fixtures/smb2-session.pcapng): the records it must
 * give, and what a capture that began mid-session, a cut file, garbage and a missing
 * tshark get.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { opName } from '../../src/record/fields.js';
import { createRandom } from '../../src/synth/traffic.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { toolMissing } from '../helpers/tools.js';

const FIXTURE = `${ROOT}test/fixtures/smb2-session.pcapng`;
const skip = toolMissing('tshark');
const probe = (file: string, env: Record<string, string> = {}) => runBin('smbta-probe', ['-r', file, '--smb-port', '44500'], { env, timeoutMs: 60000 });

test('a real SMB 3.1.1 session becomes the records of what smbclient did, with bytes and latency', { skip }, async () => {
  const r = await probe(FIXTURE);
  assert.equal(r.code, 0, r.stderr);
  const got = decodeAll(r.stdout).records;
  const rows = got.map((x) => [opName(x.op), x.share, x.path, x.path2, x.bytes, x.result].join(' ').trim());
  assert.deepEqual(rows, [
    'chdir pool1 .  0 0',
    'mkdir pool1 d1  0 0',
    'close pool1 d1  0 0',
    'open pool1 d1/f1.bin  0 0',
    'write pool1 d1/f1.bin  20000 0',
    'close pool1 d1/f1.bin  0 0',
    'open pool1 d1/f1.bin  0 0',
    'read pool1 d1/f1.bin  20000 0',
    'close pool1 d1/f1.bin  0 0',
    'open pool1 d1/f1.bin  0 0',
    'rename pool1 d1/f1.bin d1/f2.bin 0 0',
    'close pool1 d1/f2.bin  0 0',
    'open pool1 nope.bin  0 -1',
    'open pool1 d1  0 0',
    'open pool1 d1/f2.bin  0 0',
    'close pool1 d1/f2.bin  0 0',
    'delete pool1 d1/f2.bin  0 0',
    'close pool1 d1  0 0',
    'open pool1 d1  0 0',
    'close pool1 d1  0 0',
    'rmdir pool1 d1  0 0',
    'chdir pool2 .  0 0',
    'open pool2 naïve file.bin  0 0',
    'write pool2 naïve file.bin  20000 0',
    'close pool2 naïve file.bin  0 0',
    'open pool2 naïve file.bin  0 0',
    'read pool2 naïve file.bin  20000 0',
    'close pool2 naïve file.bin  0 0',
  ]);
  for (const x of got) {
    assert.deepEqual([x.user, x.domain, x.client, x.server], ['smbtatest', 'WORKGROUP', '127.0.0.1', '127.0.0.1']);
    assert.ok(x.latency > 0 && x.latency < 1e6, `latency ${x.latency} µs`);
  }
  assert.equal(got.find((x) => opName(x.op) === 'open' && x.path === 'd1/f1.bin')!.mode, 1, 'an open for writing says so');
  assert.match(r.stderr, /90 SMB2 PDUs, 28 records; unattributed: 0 records/);
  // The status block carries the same counts for readers downstream.
  const status = decodeAll(r.stdout)
    .side.map((s) => s.body)
    .find((b) => b.source);
  assert.equal(status?.records, 28);
});

test('a capture that began after the session setup: its bytes are counted, unattributed', { skip }, () =>
  withTmpDir(async (dir) => {
    // From frame 30 on: the session setup and tree connects happened before the capture.
    execFileSync('editcap', ['-r', FIXTURE, `${dir}/late.pcapng`, '30-1000']);
    const r = await probe(`${dir}/late.pcapng`);
    assert.equal(r.code, 0, r.stderr);
    const got = decodeAll(r.stdout).records;
    const unknown = got.filter((x) => x.user === '');
    assert.ok(unknown.length > 0, 'some records have no user');
    assert.ok(
      unknown.some((x) => x.bytes === 20000),
      'their bytes are still counted',
    );
    const m = /unattributed: (\d+) records \((\d+) bytes\)/.exec(r.stderr)!;
    assert.equal(Number(m[1]), unknown.length);
    assert.equal(
      Number(m[2]),
      unknown.reduce((n, x) => n + x.bytes, 0),
    );
  }),
);

test('a cut capture keeps what came before the cut and says so; garbage and a missing tshark are clear errors', { skip }, () =>
  withTmpDir(async (dir) => {
    const whole = readFileSync(FIXTURE);
    writeFileSync(`${dir}/cut.pcapng`, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const cut = await probe(`${dir}/cut.pcapng`);
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, /cut short|truncated|appears to be damaged/i);
    const some = decodeAll(cut.stdout).records;
    assert.ok(some.length > 5 && some.length < 28, `${some.length} records before the cut`);

    // Seeded: a few random buffers in a hundred pass a weak format heuristic (IxVeriWave .vwr) and read as empty.
    const rnd = createRandom(5);
    writeFileSync(`${dir}/junk.pcap`, Buffer.from(Array.from({ length: 5000 }, () => Math.floor(rnd() * 256))));
    const junk = await probe(`${dir}/junk.pcap`);
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /smbta-probe: tshark: The file ".*junk\.pcap" isn't a capture file in a format TShark understands\./);
    assert.equal(decodeAll(junk.stdout).records.length, 0);

    const missing = await probe(FIXTURE, { PATH: '/nonexistent' });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /tshark not found: smbta-probe needs Wireshark's tshark and dumpcap \(apt-get install tshark\)/);

    const usage = await runBin('smbta-probe', []);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /give either -i IFACE \(a live capture\) or -r FILE/);
  }),
);
