/**
 * vfs_smbta (vfs/) in Debian's own smbd, driven by the real smbclient, reporting to the real
 * smbta-recv over a Unix socket and TCP: every byte per user and file exact (an encrypted
 * share too), every rename, mkdir, rmdir, delete and failed open once; the summary mode's
 * per-close sums equal the per-I/O records; and with smbta-recv stopped in the middle the
 * file server is no slower and what was dropped is counted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import { BlockKind } from '../../src/stream/format.js';
import { freePort } from '../helpers/ports.js';
import { quiet, RECV_RECORDS, startProc, type Proc } from '../helpers/proc.js';
import { ROOT } from '../helpers/run-bin.js';
import { sambaMissing, SMB_USERS, startSamba, type ClientRun, type Samba } from '../helpers/samba.js';
import { waitUntil } from '../helpers/wait.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const skip = sambaMissing();
const [A, B, C] = SMB_USERS;
const SIZES = { 'one.bin': 1000, 'mid.bin': 5 * 1048576 + 123, 'big.bin': 50_000_000 } as const;

/** The installed module is the one this checkout's vfs/ builds: else every answer below is about another. */
function assertModuleCurrent(): void {
  const r = spawnSync('bash', [`${ROOT}scripts/build-vfs-module.sh`, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, 'smbd has no vfs/smbta.so built from this checkout: run scripts/build-vfs-module.sh (as root) first');
}

/** A share reporting through vfs_smbta to `sock` (or TCP `port`), with more module lines. */
function moduleShare(target: { sock: string } | { port: number }, ...more: string[]): string[] {
  const where = 'sock' in target ? [`smbta:socket = ${target.sock}`] : ['smbta:protocol = tcp', 'smbta:host = 127.0.0.1', `smbta:port = ${target.port}`];
  return ['vfs objects = smbta', ...where, ...more];
}

const GLOBAL = ['log level = 1 vfs:3'];

function writeFiles(dir: string): void {
  for (const [name, size] of Object.entries(SIZES)) writeFileSync(`${dir}/${name}`, randomBytes(size));
}

const is = (r: SmbRecord, op: string, user: string, path: string): boolean => opName(r.op) === op && r.user === user && r.path === path;
const bytesOf = (rs: SmbRecord[], ops: readonly string[], user: string, path: string): number =>
  rs.filter((r) => ops.includes(opName(r.op)) && r.user === user && r.path === path && r.result === 0).reduce((n, r) => n + r.bytes, 0);
const READS = ['read', 'pread'] as const;
const WRITES = ['write', 'pwrite'] as const;

/** Records from smbta-recv's output file; the status blocks' drop counters, last seen. */
function received(file: string): { records: SmbRecord[]; dropped: Record<string, number>; rejected: number } {
  const all = decodeAll(readFileSync(file));
  const status = all.side.filter((s) => s.kind === BlockKind.Status).at(-1)?.body ?? {};
  const dropped = (status.dropped ?? {}) as Record<string, number>;
  return { records: all.records, dropped, rejected: Object.values(dropped).reduce((n, v) => n + v, 0) };
}

/** smbd's log lines in which the module said its totals, per process: queued, sent, dropped, unsent. */
function moduleTotals(samba: Samba): { queued: number; sent: number; dropped: number; unsent: number }[] {
  return [...readFileSync(samba.log, 'utf8').matchAll(/smbta: \S+: (\d+) records queued, (\d+) sent, (\d+) dropped, (\d+) bytes unsent/g)].map((m) => ({
    queued: Number(m[1]),
    sent: Number(m[2]),
    dropped: Number(m[3]),
    unsent: Number(m[4]),
  }));
}

async function stopAll(recv: Proc | undefined, samba: Samba): Promise<void> {
  await recv?.stop();
  await samba.stop();
}

test(
  'vfs_smbta in a real smbd: three users at once on a Unix socket, TCP and an encrypted share, 1 KB to 50 MB, every byte and operation exactly once',
  { skip, timeout: 240_000 },
  () =>
    withTmpDir(async (dir) => {
      assertModuleCurrent();
      const sock = `${dir}/recv.sock`;
      const port = await freePort();
      const samba = await startSamba(dir, {
        global: GLOBAL,
        shares: { mod: moduleShare({ sock }), tcp: moduleShare({ port }), enc: [...moduleShare({ sock }), 'server smb encrypt = required'] },
      });
      const recv = startProc('smbta-recv', ['-u', sock, '-i', String(port), '-w', `${dir}/out.smbta`, '--status-every', '1']);
      try {
        await recv.waitFor(/listening on/);
        writeFiles(dir);
        const runs = await Promise.all([
          samba.clientAsync(
            'mod',
            'mkdir d; put one.bin d/one.bin; put big.bin d/big.bin; get d/big.bin a-big.back; rename d/one.bin d/uno.bin; del d/uno.bin; get missing.bin x.bin',
            { user: A },
          ),
          samba.clientAsync('enc', 'put mid.bin mid.bin; get mid.bin b-mid.back; put big.bin big.bin', { user: B, args: ['--client-protection=encrypt'] }),
          samba.clientAsync('tcp', 'mkdir e; put mid.bin e/mid.bin; get e/mid.bin c-mid.back; del e/mid.bin; rmdir e', { user: C }),
        ]);
        assert.match(runs[0].stdout + runs[0].stderr, /NT_STATUS_OBJECT_NAME_NOT_FOUND/, 'the failed open happened');
        for (const r of runs.slice(1)) assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(readFileSync(`${dir}/a-big.back`), readFileSync(`${dir}/big.bin`));
        await quiet(recv, RECV_RECORDS);
      } finally {
        await stopAll(recv, samba);
      }
      const { records, rejected } = received(`${dir}/out.smbta`);
      assert.equal(rejected, 0, recv.stderr());
      // Bytes per user per file equal the file sizes: a record lost or doubled would not.
      assert.equal(bytesOf(records, WRITES, A, 'd/one.bin'), SIZES['one.bin']);
      assert.equal(bytesOf(records, WRITES, A, 'd/big.bin'), SIZES['big.bin']);
      assert.equal(bytesOf(records, READS, A, 'd/big.bin'), SIZES['big.bin']);
      assert.equal(bytesOf(records, WRITES, B, 'mid.bin'), SIZES['mid.bin']);
      assert.equal(bytesOf(records, READS, B, 'mid.bin'), SIZES['mid.bin']);
      assert.equal(bytesOf(records, WRITES, B, 'big.bin'), SIZES['big.bin']);
      assert.equal(bytesOf(records, WRITES, C, 'e/mid.bin'), SIZES['mid.bin']);
      assert.equal(bytesOf(records, READS, C, 'e/mid.bin'), SIZES['mid.bin']);
      // Each namespace change once, with its result; the failed open once, as failed.
      const once = (op: string, user: string, path: string, result = 0): void =>
        assert.deepEqual(
          records.filter((r) => is(r, op, user, path)).map((r) => r.result),
          [result],
          `${op} ${path} by ${user}`,
        );
      once('mkdir', A, 'd');
      once('delete', A, 'd/uno.bin');
      once('open', A, 'missing.bin', -1);
      once('mkdir', C, 'e');
      once('delete', C, 'e/mid.bin');
      once('rmdir', C, 'e');
      const renames = records.filter((r) => is(r, 'rename', A, 'd/one.bin'));
      assert.deepEqual(
        renames.map((r) => [r.path2, r.result]),
        [['d/uno.bin', 0]],
      );
      // Every file opened is closed, once per open.
      for (const [user, path] of [
        [A, 'd/big.bin'],
        [B, 'mid.bin'],
        [C, 'e/mid.bin'],
      ] as const) {
        const opens = records.filter((r) => is(r, 'open', user, path) && r.result === 0).length;
        assert.ok(opens >= 2, `${path} opened to write and to read`);
        assert.equal(records.filter((r) => is(r, 'close', user, path)).length, opens, `${path}: a close per open`);
      }
      // Who, from where, over which share: one SID per user, the client's address, the share's name.
      for (const user of [A, B, C]) {
        const mine = records.filter((r) => r.user === user);
        assert.equal(new Set(mine.map((r) => r.sid)).size, 1, `${user} has one SID`);
        assert.match(mine[0]!.sid, /^S-1-5-21-/);
        assert.deepEqual(new Set(mine.map((r) => r.client)), new Set(['127.0.0.1']));
        assert.deepEqual(new Set(mine.map((r) => r.share)), new Set([{ [A]: 'mod', [B]: 'enc', [C]: 'tcp' }[user]]));
      }
      assert.equal(new Set(records.map((r) => r.sid)).size, 3);
    }),
);

test(
  "vfs_smbta's summary mode: one read and one write record per file at close, equal to the per-I/O records' sums and counts",
  { skip, timeout: 180_000 },
  () =>
    withTmpDir(async (dir) => {
      assertModuleCurrent();
      const sock = `${dir}/recv.sock`;
      const samba = await startSamba(dir, {
        global: GLOBAL,
        shares: {
          each: moduleShare({ sock }),
          summ: moduleShare({ sock }, 'smbta:summary = yes'),
          anon: moduleShare({ sock }, 'smbta:anonymize_prefix = anon'),
          total: moduleShare({ sock }, 'smbta:anonymize_prefix = anon', 'smbta:total_anonymization = yes'),
        },
      });
      const recv = startProc('smbta-recv', ['-u', sock, '-w', `${dir}/out.smbta`]);
      try {
        await recv.waitFor(/listening on/);
        writeFiles(dir);
        const commands = 'put big.bin big.bin; get big.bin big.back; put mid.bin mid.bin; get mid.bin mid.back; get mid.bin mid.again';
        for (const share of ['each', 'summ']) assert.equal(samba.client(share, commands).code, 0);
        for (const share of ['anon', 'total']) assert.equal(samba.client(share, 'put one.bin one.bin').code, 0);
        await quiet(recv, RECV_RECORDS);
      } finally {
        await stopAll(recv, samba);
      }
      const { records } = received(`${dir}/out.smbta`);
      const io = (share: string, ops: readonly string[], path: string): SmbRecord[] =>
        records.filter((r) => r.share === share && ops.includes(opName(r.op)) && r.path === path);
      for (const [path, size, gets] of [
        ['big.bin', SIZES['big.bin'], 1],
        ['mid.bin', SIZES['mid.bin'], 2],
      ] as const) {
        for (const [ops, want] of [
          [WRITES, size],
          [READS, size * gets],
        ] as const) {
          const each = io('each', ops, path);
          const summ = io('summ', ops, path);
          const sum = (rs: SmbRecord[]): number => rs.reduce((n, r) => n + r.bytes, 0);
          assert.equal(sum(each), want, `${path} ${ops[1]} per I/O`);
          assert.equal(sum(summ), want, `${path} ${ops[1]} summarised`);
          // One summary per open file (a write, or each get's read), standing for the per-I/O records.
          assert.equal(summ.length, ops === WRITES ? 1 : gets, `${path}: a ${ops[1]} summary per open`);
          assert.equal(
            summ.reduce((n, r) => n + r.count, 0),
            each.length,
            `${path}: the summaries stand for as many operations as were sent one by one`,
          );
          for (const r of summ) assert.ok(r.end >= r.time, 'a summary spans its first to its last operation');
        }
      }
    }),
);

test(
  'smbta-recv stopped in the middle: smbclient is no slower with vfs_smbta than without it, and every record is delivered or counted',
  { skip, timeout: 300_000 },
  (t: TestContext) =>
    withTmpDir(async (dir) => {
      assertModuleCurrent();
      const sock = `${dir}/recv.sock`;
      // A small queue, so an away receiver makes the module drop (and count) within a few files.
      const samba = await startSamba(dir, { global: GLOBAL, shares: { mod: moduleShare({ sock }, 'smbta:queue_size = 16384') } });
      const out = (n: number): string => `${dir}/out${n}.smbta`;
      let recv: Proc | undefined = startProc('smbta-recv', ['-u', sock, '-w', out(1)]);
      // One smbclient session (one smbd process) throughout, paced by marker files.
      const mark = (name: string): string => `!touch ${dir}/${name}`;
      const await_ = (name: string): string => `!while [ ! -e ${dir}/${name} ]; do sleep 0.05; done`;
      const reached = (name: string): Promise<boolean> => waitUntil(`smbclient to reach ${name}`, () => existsSync(`${dir}/${name}`), 120_000, 50);
      const go = (name: string): void => writeFileSync(`${dir}/${name}`, '');
      const script = [
        'put one.bin before.bin',
        'get before.bin before.back',
        mark('before'),
        await_('go-away'),
        // Far more records than the queue holds, while the receiver is away.
        ...Array.from({ length: 60 }, (_, k) => `put one.bin away${k}.bin`),
        mark('away'),
        await_('go-after'),
        'put one.bin after.bin',
        'exit',
      ];
      let session: Promise<ClientRun> | undefined;
      try {
        await recv.waitFor(/listening on/);
        writeFiles(dir);
        session = samba.clientAsync('mod', '', { user: A, stdin: script.join('\n') + '\n' });
        await reached('before');
        await quiet(recv, RECV_RECORDS);
        await recv.stop();
        recv = undefined;

        // The same transfers with the module (its receiver away) and without it, alternately.
        const timed = { mod: [] as number[], pool2: [] as number[] };
        for (let k = 0; k < 5; k++)
          for (const share of ['mod', 'pool2'] as const) {
            const start = process.hrtime.bigint();
            const r = await samba.clientAsync(share, `put big.bin t${k}.bin; get t${k}.bin t.back; put mid.bin m${k}.bin`, { user: B });
            timed[share].push(Number(process.hrtime.bigint() - start) / 1e6);
            assert.equal(r.code, 0, r.stderr);
          }
        // The fastest of each: a busy machine only ever adds time, so the minimum is the transfer's own.
        const fastest = (xs: number[]): number => Math.min(...xs);
        const ratio = fastest(timed.mod) / fastest(timed.pool2);
        t.diagnostic(
          `receiver away: ${fastest(timed.mod).toFixed(0)} ms with vfs_smbta, ${fastest(timed.pool2).toFixed(0)} ms without (fastest of 5): ratio ${ratio.toFixed(2)}`,
        );
        assert.ok(ratio < 1.5, `with the module ${ratio.toFixed(2)} times as long as without`);

        go('go-away');
        await reached('away');
        recv = startProc('smbta-recv', ['-u', sock, '-w', out(2)]);
        await recv.waitFor(/listening on/);
        // The module reconnects within its backoff and first says how many it dropped.
        await recv.waitFor(/the sending module dropped (\d+) records/, 20_000);
        go('go-after');
        const end = await session;
        assert.equal(end.code, 0, end.stderr);
        await quiet(recv, RECV_RECORDS);
      } finally {
        go('go-away');
        go('go-after');
        await session;
        await stopAll(recv, samba);
      }
      const first = received(out(1));
      const second = received(out(2));
      const fromA = (rs: SmbRecord[]): SmbRecord[] => rs.filter((r) => r.user === A);
      const delivered = fromA(first.records).length + fromA(second.records).length;
      const dropped = second.dropped['by the sending module'] ?? 0;
      // The session's smbd process said what it queued, sent and dropped when it ended.
      const totals = moduleTotals(samba).filter((m) => m.dropped > 0);
      assert.equal(totals.length, 1, readFileSync(samba.log, 'utf8').slice(-3000));
      const [mine] = totals;
      assert.ok(dropped > 0, 'the module dropped records while the receiver was away');
      assert.equal(dropped, mine!.dropped, 'smbta-recv counted exactly what the module dropped');
      assert.equal(delivered, mine!.sent, 'every record the module sent arrived, once');
      assert.equal(mine!.queued, mine!.sent, 'nothing queued was left unsent');
      assert.equal(mine!.unsent, 0);
      // What the queue held while the receiver was away arrived after it came back, and so did the rest.
      assert.ok(fromA(second.records).some((r) => /^away\d+\.bin$/.test(r.path)));
      assert.equal(bytesOf(second.records, WRITES, A, 'after.bin'), SIZES['one.bin']);
      assert.equal(bytesOf(first.records, WRITES, A, 'before.bin'), SIZES['one.bin']);
    }),
);

test('scripts/build-vfs-module.sh refuses clearly what it cannot do: a user other than root, a Samba before 4.17', { skip }, () =>
  withTmpDir(async (dir) => {
    const script = `${ROOT}scripts/build-vfs-module.sh`;
    const asNobody = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'bash', script], { encoding: 'utf8' });
    assert.equal(asNobody.status, 1);
    assert.match(asNobody.stderr, /^build-vfs-module: error: run as root/m);
    // A dpkg that says an older samba is installed.
    writeFileSync(`${dir}/dpkg-query`, "#!/bin/sh\necho '2:4.15.13+dfsg-0ubuntu1'\n", { mode: 0o755 });
    const old = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } });
    assert.equal(old.status, 1);
    assert.match(old.stderr, /samba 2:4\.15\.13\+dfsg-0ubuntu1: the module is written for Samba 4\.17 and later/);
  }),
);
