/**
 * End to end against a real smbd and the real smbclient: the records that come out of
 * smbta-recv (reading full_audit from smbd's log) and smbta-probe (reading the wire on
 * the loopback interface) name the right users, shares, files and ops, and the probe's
 * bytes equal the sizes of the files moved.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import { PROBE_RECORDS, quiet, RECV_RECORDS, startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { captureReady, sambaMissing, SMB_PASSWORD, SMB_USER, startSamba, tsharkMissing } from '../helpers/samba.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';

const skip = sambaMissing() || tsharkMissing();
// Several MiB: messages over 128 KiB on a port other than 445 were lost when decoded as NBSS.
const A_SIZE = 5 * 1048576 + 4567;
const B_SIZE = 4096;

const ops = (rs: SmbRecord[], op: string, path: RegExp): SmbRecord[] => rs.filter((r) => opName(r.op) === op && path.test(r.path));
const sum = (rs: SmbRecord[]): number => rs.reduce((n, r) => n + r.bytes, 0);

test(
  'smbclient against a real smbd: full_audit (smbta-recv) and the wire (smbta-probe) name the same users, shares, files and ops',
  { skip, timeout: 120000 },
  () =>
    withTmpDir(async (dir) => {
      const samba = await startSamba(dir);
      const captures = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('wireshark_'));
      const before = captures();
      const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', samba.log, '-w', `${dir}/audit.smbta`]);
      const probe = startProc('smbta-probe', ['-i', 'lo', '--smb-port', String(samba.port), '-w', `${dir}/wire.smbta`]);
      try {
        await recv.waitFor(/listening on/);
        await captureReady(probe, samba);
        writeFileSync(`${dir}/a.bin`, randomBytes(A_SIZE));
        writeFileSync(`${dir}/b.bin`, randomBytes(B_SIZE));
        const one = samba.client(
          'pool1',
          'mkdir d1; put a.bin d1/a.bin; get d1/a.bin a-back.bin; rename d1/a.bin d1/c.bin; get nope.bin x.bin; put b.bin b.bin; del b.bin; del d1/c.bin; rmdir d1',
        );
        assert.match(one.stdout + one.stderr, /NT_STATUS_OBJECT_NAME_NOT_FOUND/, 'the failed open happened');
        const two = samba.client('pool2', 'put b.bin b2.bin; get b2.bin b2-back.bin');
        assert.equal(two.code, 0, two.stderr);
        assert.deepEqual(readFileSync(`${dir}/a-back.bin`), readFileSync(`${dir}/a.bin`));
        // The capture has reached the last operation (pool2's read) once the probe's file, growing
        // under its temporary name, holds it: a starved capture can pause longer than quiet() waits.
        const growing = `${dir}/.wire.smbta.${probe.proc.pid}.tmp`;
        await waitUntil(
          "the probe's record of the last read",
          () => existsSync(growing) && decodeAll(readFileSync(growing)).records.some((r) => r.share === 'pool2' && r.op === 0),
          60_000,
          200,
        );
        // Nobody announces the end of a followed log or of a capture: wait until both stop counting.
        await Promise.all([quiet(recv, RECV_RECORDS), quiet(probe, PROBE_RECORDS)]);
      } finally {
        await probe.stop();
        await recv.stop();
        await samba.stop();
      }
      assert.equal(await probe.exited, 0, probe.stderr());
      // Live packets reach tshark through a FIFO: no temporary capture file grows on disk.
      assert.deepEqual(captures(), before);

      const audit = decodeAll(readFileSync(`${dir}/audit.smbta`)).records;
      assert.ok(audit.length > 0, recv.stderr());
      for (const r of audit) assert.deepEqual([r.user, r.share, r.client, r.bytes], [SMB_USER, 'pool1', '127.0.0.1', 0], JSON.stringify(r));
      assert.equal(ops(audit, 'mkdir', /\/pool1\/d1$/).length, 1);
      assert.ok(ops(audit, 'pwrite', /\/d1\/a\.bin$/).length >= 1);
      assert.ok(ops(audit, 'pread', /\/d1\/a\.bin$/).length >= 1);
      const moved = ops(audit, 'rename', /\/d1\/a\.bin$/);
      assert.equal(moved.length, 1);
      assert.match(moved[0]!.path2, /\/d1\/c\.bin$/);
      assert.ok(
        ops(audit, 'open', /\/nope\.bin$/).some((r) => r.result === -1),
        'the failed open is kept with its result',
      );
      // Files deleted are deletes, the directory removed an rmdir: by both sources.
      for (const gone of [/\/pool1\/b\.bin$/, /\/d1\/c\.bin$/]) assert.equal(ops(audit, 'delete', gone).length, 1, `${gone}`);
      assert.equal(ops(audit, 'rmdir', /\/pool1\/d1$/).length, 1);
      assert.equal(ops(audit, 'rmdir', /\.bin$/).length, 0, 'no file is an rmdir');

      const wire = decodeAll(readFileSync(`${dir}/wire.smbta`)).records;
      assert.ok(wire.length > 0, probe.stderr());
      for (const r of wire) {
        assert.deepEqual([r.user, r.domain, r.client, r.server], [SMB_USER, 'WORKGROUP', '127.0.0.1', '127.0.0.1'], JSON.stringify(r));
        assert.ok(r.latency > 0 && r.latency === r.latency_max, `a latency for ${JSON.stringify(r)}`);
      }
      const pool1 = wire.filter((r) => r.share === 'pool1');
      const pool2 = wire.filter((r) => r.share === 'pool2');
      assert.equal(sum(ops(pool1, 'write', /^d1\/a\.bin$/)), A_SIZE);
      assert.equal(sum(ops(pool1, 'read', /^d1\/a\.bin$/)), A_SIZE);
      assert.equal(sum(ops(pool1, 'write', /^b\.bin$/)), B_SIZE, probe.stderr());
      assert.equal(sum(ops(pool2, 'write', /^b2\.bin$/)), B_SIZE);
      assert.equal(sum(ops(pool2, 'read', /^b2\.bin$/)), B_SIZE);
      assert.equal(sum(wire.filter((r) => r.op === 0 || r.op === 2)), 2 * A_SIZE + 3 * B_SIZE, 'no other bytes moved');
      assert.equal(ops(pool1, 'mkdir', /^d1$/).length, 1);
      const renamed = ops(pool1, 'rename', /^d1\/a\.bin$/);
      assert.deepEqual(
        renamed.map((r) => r.path2),
        ['d1/c.bin'],
      );
      assert.ok(ops(pool1, 'open', /^nope\.bin$/).some((r) => r.result === -1));
      for (const gone of [/^b\.bin$/, /^d1\/c\.bin$/]) assert.equal(ops(pool1, 'delete', gone).length, 1, `${gone}`);
      assert.equal(ops(pool1, 'rmdir', /^d1$/).length, 1);
      assert.equal(ops(pool1, 'rmdir', /\.bin$/).length, 0, 'no file is an rmdir');
      assert.equal(ops(pool2, 'chdir', /^\.$/).length, 1, 'the share connect');

      // The two views agree on the files that pool1's operations touched.
      const wireFiles = new Set(pool1.filter((r) => r.op !== 7 && r.path !== '.').map((r) => r.path));
      for (const f of wireFiles)
        assert.ok(
          audit.some((r) => r.path.endsWith(`/pool1/${f}`)),
          `full_audit saw ${f}`,
        );
    }),
);

test('smbta-torture --smb copies between two real shares, and its ledger agrees with the wire and with full_audit', { skip, timeout: 180000 }, () =>
  withTmpDir(async (dir) => {
    const samba = await startSamba(dir);
    const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', samba.log, '-w', `${dir}/audit.smbta`]);
    const probe = startProc('smbta-probe', ['-i', 'lo', '--smb-port', String(samba.port), '-w', `${dir}/wire.smbta`]);
    let ledger: { ops: Record<string, { bytes: number }>; files: Record<string, { records: number; bytes: number }> };
    try {
      await recv.waitFor(/listening on/);
      await captureReady(probe, samba);
      const shares = ['pool1', 'pool2'].flatMap((s) => ['--smb', `//127.0.0.1/${s}`]);
      const t = await runBin(
        'smbta-torture',
        [...shares, '-U', `${SMB_USER}%${SMB_PASSWORD}`, '--smb-port', String(samba.port), '--files', '4', '-n', '6', '--pause', '0.1', '--seed', '3'],
        { timeoutMs: 120000 },
      );
      assert.equal(t.code, 0, t.stderr);
      // 4 files put on each share, then 6 copies of a get and a put.
      assert.match(t.stderr, /moved 20 files \(\d+ bytes\) through 2 shares/);
      ledger = JSON.parse(t.stdout.toString()) as typeof ledger;
      await Promise.all([quiet(recv, RECV_RECORDS), quiet(probe, PROBE_RECORDS)]);
    } finally {
      await probe.stop();
      await recv.stop();
      await samba.stop();
    }
    // The wire: bytes per file (share/path), reads and writes, equal the ledger's exactly.
    const wire = decodeAll(readFileSync(`${dir}/wire.smbta`)).records;
    const perFile: Record<string, number> = {};
    for (const r of wire) if (r.op === 0 || r.op === 2) perFile[`${r.share}/${r.path}`] = (perFile[`${r.share}/${r.path}`] ?? 0) + r.bytes;
    assert.deepEqual(perFile, Object.fromEntries(Object.entries(ledger.files).map(([f, t]) => [f, t.bytes])));
    assert.equal(sum(wire.filter((r) => r.op === 0)), ledger.ops.read!.bytes);
    assert.equal(sum(wire.filter((r) => r.op === 2)), ledger.ops.write!.bytes);
    // full_audit (on pool1 only): every file the ledger moved there was written or read there.
    const audit = decodeAll(readFileSync(`${dir}/audit.smbta`)).records;
    const pool1 = Object.keys(ledger.files).filter((f) => f.startsWith('pool1/'));
    assert.ok(pool1.length >= 4);
    for (const f of pool1) {
      const path = f.slice('pool1/'.length);
      assert.ok(
        audit.some((r) => (r.op === 1 || r.op === 3) && r.path.endsWith(`/pool1/${path}`)),
        `full_audit saw ${f} moved`,
      );
    }
  }),
);

test('smbta-torture --smb: a bad share, one share, no account and a missing smbclient are clear errors', async () => {
  const run = (args: string[], env: Record<string, string> = {}) => runBin('smbta-torture', args, { env });
  const bad = await run(['--smb', 'fs1/projects', '--smb', '//fs1/b', '-U', 'bob%x']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^smbta-torture: --smb fs1\/projects: expected \/\/HOST\/SHARE\n/);
  assert.match((await run(['--smb', '//fs1/a', '-U', 'bob%x'])).stderr, /give two shares to copy between/);
  assert.match((await run(['--smb', '//fs1/a', '--smb', '//fs1/b'])).stderr, /--smb needs -U USER%PASS/);
  assert.match(
    (await run(['--smb', '//fs1/a', '--smb', '//fs1/b', '-U', 'bob%x', '--record', 'x.rec'])).stderr,
    /a --smb run is repeated exactly by giving its --seed again/,
  );
  const none = await run(['--smb', '//127.0.0.1/a', '--smb', '//127.0.0.1/b', '-U', 'bob%x', '--pause', '0'], { PATH: '/nonexistent' });
  assert.deepEqual([none.code, none.stderr.trim()], [1, "smbta-torture: smbclient not found: --smb needs Samba's smbclient (apt-get install smbclient)"]);
});
