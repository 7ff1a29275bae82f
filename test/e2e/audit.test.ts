/** smbta-recv's full_audit inputs over a real UDP socket and a real log file that is rotated. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { startProc } from '../helpers/proc.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { decodeAll } from '../helpers/stream.js';
import { recvReceived } from '../helpers/recv.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { toolMissing } from '../helpers/tools.js';

const LINE = (user: string, op: string, rest: string) => `${user}|10.0.0.5|pc|projects|${op}|${rest}`;

/** Sends datagrams in bursts of 100, as a busy syslog does (UDP itself promises nothing). */
async function sendUdp(port: number, messages: string[]): Promise<void> {
  const s = createSocket('udp4');
  for (let k = 0; k < messages.length; k += 100) {
    await Promise.all(messages.slice(k, k + 100).map((m) => new Promise((r) => s.send(m, port, '127.0.0.1', r))));
    await new Promise((r) => setTimeout(r, 10));
  }
  s.close();
}

test('full_audit over syslog UDP and a rotated log file, beside garbage, unknown operations and a flood', () =>
  withTmpDir(async (dir) => {
    // Logged while smbta-recv was down: read, as the file is followed from its start.
    writeFileSync(`${dir}/audit.log`, `Nov 23 23:42:40 fs3 smbd_audit: ${LINE('eve', 'openat', 'ok|r|/srv/projects/before-start')}\n`);
    const recv = startProc('smbta-recv', ['-i', '0', '--audit-udp', '0', '--audit-file', `${dir}/audit.log`, '-w', `${dir}/out.smbta`]);
    const udp = Number((await recv.waitFor(/full_audit syslog on udp 127\.0\.0\.1:(\d+)/))[1]);
    const samba = Number((await recv.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    const good = runBin('smbta-torture', ['-d', `127.0.0.1:${samba}`, '-n', '2000', '--rate', '2000'], { timeoutMs: 30000 });
    const flood = Array.from({ length: 2000 }, (_, k) => `<173>Nov 23 23:42:41 fs1 smbd_audit: ${LINE('flood', 'pwrite_send', `ok|/srv/projects/f${k}`)}`);
    await sendUdp(udp, [
      `<173>1 2026-11-23T23:42:41.5Z fs2 smbd_audit 42 - - ${LINE('bob', 'openat', 'ok|w|/srv/projects/a|b.txt')}`,
      `<173>Nov 23 23:42:42 fs1 smbd_audit[42]: ${LINE('bob', 'renameat', 'ok|/srv/projects/x|/srv/projects/y')}`,
      'complete garbage',
      '<173>Nov 23 23:4',
      `<173>Nov 23 23:42:43 fs1 smbd_audit: ${LINE('bob', 'frobnicate', 'ok|/x')}`,
      `<173>Nov 23 23:42:43 fs1 smbd_audit: ${LINE('bob', 'fstat', 'ok|/x')}`,
      ...flood,
    ]);
    appendFileSync(
      `${dir}/audit.log`,
      `[2026/11/23 23:42:44.250000,  1] ../../source3/modules/vfs_full_audit.c:643(do_log)\n  ${LINE('eve', 'mkdirat', 'ok|/srv/projects/new')}\n`,
    );
    await new Promise((r) => setTimeout(r, 600));
    renameSync(`${dir}/audit.log`, `${dir}/audit.log.1`);
    appendFileSync(`${dir}/audit.log.1`, `Nov 23 23:42:45 fs3 smbd_audit: ${LINE('eve', 'close', 'ok|/srv/projects/late-in-old-file')}\n`);
    writeFileSync(`${dir}/audit.log`, `Nov 23 23:42:46 fs3 smbd_audit: ${LINE('eve', 'unlinkat', 'fail (Permission denied)|/srv/projects/new')}\n`);
    const ledger = JSON.parse((await good).stdout.toString()) as { records: number };
    // The module's records, the 2,000 flood datagrams, bob's two and eve's four lines.
    await recvReceived(recv.proc, () => recv.stderr(), ledger.records + 2000 + 2 + 4);
    assert.equal(await recv.stop(), 0, recv.stderr());
    const recs = decodeAll(readFileSync(`${dir}/out.smbta`)).records;
    const audit = recs.filter((r) => r.client === '10.0.0.5');
    const by = (user: string) => audit.filter((r) => r.user === user);
    assert.equal(recs.length - audit.length, ledger.records, 'the Samba sender lost nothing beside the audit flood');
    assert.equal(by('flood').length, 2000, 'every datagram of the flood');
    assert.deepEqual(
      by('bob').map((r) => [r.op, r.path, r.path2, r.server]),
      [
        [8, '/srv/projects/a|b.txt', '', 'fs2'],
        [6, '/srv/projects/x', '/srv/projects/y', 'fs1'],
      ],
    );
    assert.equal(by('bob')[0]!.time, Date.UTC(2026, 10, 23, 23, 42, 41, 500));
    assert.deepEqual(
      by('eve').map((r) => [r.op, r.path, r.result]),
      [
        [8, '/srv/projects/before-start', 0],
        [4, '/srv/projects/new', 0],
        [9, '/srv/projects/late-in-old-file', 0],
        // Made by fs-less Samba log lines, removed by fs3's syslog: not known as a directory there, so a delete.
        [10, '/srv/projects/new', -1],
      ],
    );
    assert.equal(by('eve')[1]!.time, new Date(2026, 10, 23, 23, 42, 44, 250).getTime());
    assert.ok(
      audit.every((r) => r.bytes === 0),
      'full_audit has no byte counts',
    );
    const err = recv.stderr();
    assert.match(err, /full_audit udp: line skipped: expected 4 prefix fields.*'complete garbage'/);
    assert.match(err, /full_audit operation 'frobnicate' is not one smbta records; such lines are skipped/);
    assert.doesNotMatch(err, /fstat/);
    assert.match(err, /rejected: not full_audit 2/);
  }));

test('--audit-file - reads a Samba log on stdin; a bad --audit-prefix is a usage error', async () => {
  const log = `[2026/11/23 23:42:41.000001,  1] x.c:1(do_log)\n  ${LINE('amy', 'pread_send', 'ok|/srv/projects/r.txt')}\n`;
  const child = spawn(process.execPath, [`${ROOT}bin/smbta-recv.js`, '-i', '0', '--audit-file', '-'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC' },
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stdin.end(log);
  const until = Date.now() + 10000;
  while (Date.now() < until && !decodeAll(Buffer.concat(out)).records.length) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  const recs = decodeAll(Buffer.concat(out)).records;
  assert.deepEqual(
    recs.map((r) => [r.user, r.op, r.path, r.time]),
    [['amy', 1, '/srv/projects/r.txt', Date.UTC(2026, 10, 23, 23, 42, 41)]],
  );
  const bad = await runBin('smbta-recv', ['-i', '0', '--audit-prefix', '%I|%S']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--audit-prefix %I\|%S: must contain %u/);
});

test(
  '--audit-unix: syslog datagrams from the real logger(1), as to /dev/log; a stale socket is replaced, a file is not',
  { skip: toolMissing('logger', 'bsdutils') },
  () =>
    withTmpDir(async (dir) => {
      const sock = `${dir}/log.sock`;
      // A socket left by a crashed receiver.
      const stale = startProc('smbta-recv', ['-i', '0', '--audit-unix', sock, '-w', `${dir}/stale.smbta`]);
      await stale.waitFor(/full_audit syslog on unix/);
      await stale.stop('SIGKILL');
      const recv = startProc('smbta-recv', ['-i', '0', '--audit-unix', sock, '-w', `${dir}/out.smbta`]);
      await recv.waitFor(/full_audit syslog on unix/);
      const logger = (...args: string[]) => assert.equal(spawnSync('logger', ['-u', sock, '-t', 'smbd_audit', ...args]).status, 0);
      logger('--rfc5424', LINE('bob', 'openat', 'ok|r|/srv/projects/a.txt'));
      logger('--rfc3164', LINE('bob', 'renameat', 'ok|/srv/projects/a.txt|/srv/projects/b.txt'));
      logger('--rfc3164', 'not full_audit at all');
      // A flood of 2000 lines: a Unix datagram socket blocks the sender rather than drop.
      writeFileSync(`${dir}/flood`, Array.from({ length: 2000 }, (_, k) => LINE('flood', 'pwrite_send', `ok|/srv/projects/f${k}`)).join('\n') + '\n');
      logger('--rfc3164', '-f', `${dir}/flood`);
      await recvReceived(recv.proc, () => recv.stderr(), 2002);
      assert.equal(await recv.stop(), 0, recv.stderr());
      assert.ok(!existsSync(sock), 'the socket is removed at exit');
      const recs = decodeAll(readFileSync(`${dir}/out.smbta`)).records;
      assert.deepEqual(
        recs.filter((r) => r.user === 'bob').map((r) => [r.op, r.path, r.path2]),
        [
          [8, '/srv/projects/a.txt', ''],
          [6, '/srv/projects/a.txt', '/srv/projects/b.txt'],
        ],
      );
      assert.equal(recs.filter((r) => r.user === 'flood').length, 2000);
      assert.match(recv.stderr(), /log\.sock: line skipped: .*'not full_audit at all'/);

      writeFileSync(`${dir}/plain`, 'not a socket');
      const refused = await runBin('smbta-recv', ['-i', '0', '--audit-unix', `${dir}/plain`]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /cannot listen for full_audit on unix .*plain: .*plain exists and is not a socket/);
      assert.equal(readFileSync(`${dir}/plain`, 'utf8'), 'not a socket', 'left alone');
    }),
);
