/**
 * The live probe against a real smbd, nothing silently lost: on port 445 in a network
 * namespace of the test's own, several users at once with files of several MiB, a
 * server-side copy and an encrypted session are exact per user and file; a 200 MB burst is
 * exact or says what it missed; a capture forced to drop says exactly how much.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import { BlockKind } from '../../src/stream/format.js';
import { netnsMissing, startNetns } from '../helpers/netns.js';
import { PROBE_RECORDS, quiet, startProc, type Proc } from '../helpers/proc.js';
import { captureReady, sambaMissing, SMB_USERS, startSamba, tsharkMissing } from '../helpers/samba.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';

const skip = sambaMissing() || tsharkMissing() || netnsMissing();
const MiB = 1048576;

const sum = (rs: SmbRecord[]): number => rs.reduce((n, r) => n + r.bytes, 0);
const of = (rs: SmbRecord[], op: string, user: string, path?: string): SmbRecord[] =>
  rs.filter((r) => opName(r.op) === op && r.user === user && (path === undefined || r.path === path));

/** What the probe's status blocks said last. */
function lastStatus(file: string): Record<string, unknown> {
  const side = decodeAll(readFileSync(file)).side.filter((s) => s.kind === BlockKind.Status);
  return side.at(-1)!.body;
}

/** The probe's own children (dumpcap, tshark), by its pid. */
function childrenOf(p: Proc): { pid: number; name: string }[] {
  const pid = p.proc.pid!;
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((c) => ({ pid: Number(c), name: readFileSync(`/proc/${c}/comm`, 'utf8').trim() }));
}

test(
  'smbta-probe on port 445 in a network namespace: three users at once with files of several MiB, a server-side copy and an encrypted session, exact',
  { skip, timeout: 180000 },
  () =>
    withTmpDir(async (dir) => {
      const ns = await startNetns();
      const samba = await startSamba(dir, { wrap: ns.wrap, port: 445 });
      const probe = startProc('smbta-probe', ['-i', 'lo', '-w', `${dir}/wire.smbta`, '--status-every', '1s'], {}, ns.wrap);
      const size = (k: number): number => 3 * MiB + 12345 * (k + 1);
      try {
        await captureReady(probe, samba);
        SMB_USERS.forEach((u, k) => writeFileSync(`${dir}/${u}.bin`, randomBytes(size(k))));
        const [a, b, c] = SMB_USERS;
        const runs = await Promise.all([
          samba.clientAsync('pool2', `put ${a}.bin ${a}.bin; scopy ${a}.bin ${a}-copy.bin`, { user: a }),
          samba.clientAsync('pool2', `put ${b}.bin ${b}.bin; get ${b}.bin ${b}-back.bin`, { user: b }),
          samba.clientAsync('pool2', `put ${c}.bin ${c}.bin; get ${c}.bin ${c}-back.bin`, { user: c, args: ['--client-protection=encrypt'] }),
        ]);
        for (const r of runs) assert.equal(r.code, 0, r.stderr);
        assert.equal(readFileSync(`${samba.sharePath('pool2')}/${a}-copy.bin`).length, size(0), 'the server copied the file');
        // The capture has reached each session's last operation once the probe's growing file holds
        // it: on a busy machine the capture can pause longer than quiet() waits.
        const growing = `${dir}/.wire.smbta.${probe.proc.pid}.tmp`;
        const has = (rs: SmbRecord[], op: string, user: string): boolean => rs.some((r) => opName(r.op) === op && r.user === user);
        await waitUntil(
          "the probe's records of every session's last operation",
          () => existsSync(growing) && ((rs) => has(rs, 'copy', a) && has(rs, 'read', b) && has(rs, 'encrypted', c))(decodeAll(readFileSync(growing)).records),
          60_000,
          200,
        );
        await quiet(probe, PROBE_RECORDS);
      } finally {
        await probe.stop();
        await samba.stop();
        await ns.stop();
      }
      assert.equal(await probe.exited, 0, probe.stderr());
      const wire = decodeAll(readFileSync(`${dir}/wire.smbta`)).records;
      const [a, b, c] = SMB_USERS;
      assert.deepEqual(
        wire.filter((r) => !r.user),
        [],
        'every record has its user',
      );
      // Port 445 is decoded as NBSS by Wireshark itself: messages of 1 MiB and more arrive whole.
      assert.equal(sum(of(wire, 'write', a, `${a}.bin`)), size(0));
      const copies = of(wire, 'copy', a);
      assert.ok(copies.length >= 1);
      assert.deepEqual([...new Set(copies.map((r) => `${r.path} -> ${r.path2}`))], [`${a}.bin -> ${a}-copy.bin`]);
      assert.equal(sum(copies), size(0), 'the bytes the server copied');
      assert.equal(sum(of(wire, 'read', a)), 0, 'the copy read nothing over the wire');
      assert.equal(sum(of(wire, 'write', b, `${b}.bin`)), size(1));
      assert.equal(sum(of(wire, 'read', b, `${b}.bin`)), size(1));
      // The encrypted session: its messages are its user's, each way, with what they carried.
      const enc = of(wire, 'encrypted', c);
      const toServer = sum(enc.filter((r) => r.mode === 1));
      const fromServer = sum(enc.filter((r) => r.mode === 0));
      assert.ok(toServer > size(2) && toServer < size(2) * 1.01, `${toServer} bytes sent`);
      assert.ok(fromServer > size(2) && fromServer < size(2) * 1.01, `${fromServer} bytes received`);
      assert.deepEqual(of(wire, 'write', c), [], 'nothing of the encrypted session is read in clear');
      assert.match(probe.stderr(), /encrypted: \d+ messages \(\d+ bytes\), 0 of no known session/);
      assert.match(probe.stderr(), /responses without request: 0 \(0 bytes, no file\); requests without response: 0 \(0 bytes/);
      assert.deepEqual(lastStatus(`${dir}/wire.smbta`).dropped, {});
    }),
);

test('smbta-probe under a 200 MB burst is exact or says what it missed; a capture forced to drop says exactly how much', { skip, timeout: 300000 }, () =>
  withTmpDir(async (dir) => {
    const samba = await startSamba(dir);
    const half = 100 * MiB;
    writeFileSync(`${dir}/big.bin`, randomBytes(half));
    const burst = (names: string[]): Promise<unknown> =>
      Promise.all(
        names.map(async (name, k) => {
          const r = await samba.clientAsync('pool2', `put big.bin ${name}`, { user: SMB_USERS[k] });
          assert.equal(r.code, 0, r.stderr);
        }),
      );
    const capture = (file: string, args: string[] = []): Proc => startProc('smbta-probe', ['-i', 'lo', '--smb-port', String(samba.port), '-w', file, ...args]);
    const written = (file: string): number => sum(decodeAll(readFileSync(file)).records.filter((r) => r.op === 2));
    try {
      // Exact, or the capture said what it dropped (exit 1, and the count where the records are): never a silent shortfall.
      const exactOrSaid = (p: Proc, code: number | null, file: string): boolean => {
        const dropped = /the capture dropped (\d+) packets/.exec(p.stderr());
        if (dropped) assert.deepEqual([code, lastStatus(file).captureDropped], [1, Number(dropped[1])], 'the drop counted where the records are');
        else {
          assert.deepEqual([code, written(file), lastStatus(file).dropped], [0, 2 * half, {}], `exact: ${p.stderr()}`);
          assert.match(p.stderr(), /unattributed: 0 records/);
        }
        return !dropped;
      };
      // As deployed (128 MiB): loopback outruns tshark, so a burst this size may overflow it.
      const deployed = capture(`${dir}/burst.smbta`);
      await captureReady(deployed, samba);
      await burst(['b1.bin', 'b2.bin']);
      await quiet(deployed, PROBE_RECORDS);
      exactOrSaid(deployed, await deployed.stop(), `${dir}/burst.smbta`);

      // A buffer that holds the burst: exact, unless the machine is so busy that even it overflows.
      const roomy = capture(`${dir}/roomy.smbta`, ['--capture-buffer', '512M', '--metrics', '0']);
      const metricsPort = (await roomy.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1];
      await captureReady(roomy, samba);
      await burst(['r1.bin', 'r2.bin']);
      const records = await quiet(roomy, PROBE_RECORDS);
      // Prometheus sees what the stream holds.
      const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(scraped, new RegExp(`^smbta_records_out_total\\{program="smbta-probe"\\} ${records}$`, 'm'));
      if (exactOrSaid(roomy, await roomy.stop(), `${dir}/roomy.smbta`)) {
        assert.match(scraped, new RegExp(`^smbta_bytes_total\\{program="smbta-probe",op="write",share="pool2"\\} ${2 * half}$`, 'm'));
        assert.doesNotMatch(scraped, /^smbta_dropped_records_total\{/m);
      }

      // Forced: tshark stopped while a 1 MiB kernel buffer fills.
      const forced = capture(`${dir}/forced.smbta`, ['--capture-buffer', '1M']);
      await captureReady(forced, samba);
      const tshark = childrenOf(forced).find((c) => c.name === 'tshark')!;
      process.kill(tshark.pid, 'SIGSTOP');
      try {
        await burst(['f1.bin']);
      } finally {
        process.kill(tshark.pid, 'SIGCONT');
      }
      await quiet(forced, PROBE_RECORDS);
      assert.equal(await forced.stop(), 1, 'a capture that dropped packets fails');
      const said = /the capture dropped (\d+) packets \(its buffer overflowed; raise --capture-buffer\): what they carried is missing/.exec(forced.stderr());
      assert.ok(said && Number(said[1]) > 0, forced.stderr());
      const status = lastStatus(`${dir}/forced.smbta`);
      assert.equal(status.captureDropped, Number(said[1]));
      assert.equal((status.dropped as Record<string, number>)['packets dropped by the capture'], Number(said[1]));
      assert.ok(written(`${dir}/forced.smbta`) < half, 'what was lost is not written as if it were seen');
    } finally {
      await samba.stop();
    }
  }),
);
