/**
 * full_audit from a real smbd under load, nothing silently lost: smbd's own size rotation,
 * logrotate's `create` rotation with a gap before the reload, smbta-recv restarted with
 * --state, and syslog to a Unix socket as smbd really sends it (from an IPv6 client too).
 * Three users work at once; every file the ledger moved is accounted for by name, once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import { quiet, RECV_RECORDS, startProc } from '../helpers/proc.js';
import { recvReceived } from '../helpers/recv.js';
import { sambaMissing, SMB_USERS, startSamba, type Samba } from '../helpers/samba.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { toolMissing } from '../helpers/tools.js';

const skip = sambaMissing();
const FILES = 120;

interface Moved {
  user: string;
  name: string;
}

/**
 * Each user at once: a file of several MiB, then FILES small files each put, renamed and
 * deleted. The ledger: every file, by user.
 */
async function load(samba: Samba, tag: string, o: { args?: Record<string, string[]> } = {}): Promise<Moved[]> {
  writeFileSync(`${samba.dir}/small.bin`, randomBytes(4096));
  writeFileSync(`${samba.dir}/big.bin`, randomBytes(3 * 1048576 + 77));
  const ledger: Moved[] = [];
  const runs = SMB_USERS.map((user) => {
    const names = Array.from({ length: FILES }, (_, k) => `${tag}-${user}-${k}`);
    ledger.push({ user, name: `${tag}-${user}-big` }, ...names.map((name) => ({ user, name })));
    const commands = [
      `put big.bin ${tag}-${user}-big.bin; rename ${tag}-${user}-big.bin ${tag}-${user}-big.moved; del ${tag}-${user}-big.moved`,
      ...names.map((n) => `put small.bin ${n}.bin; rename ${n}.bin ${n}.moved; del ${n}.moved`),
    ].join('; ');
    return samba.clientAsync('pool1', commands, { user, args: o.args?.[user] });
  });
  for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
  return ledger;
}

/** Every file of the ledger written, renamed once and deleted once, by its user; nothing else renamed or deleted. */
function accounted(records: SmbRecord[], ledger: Moved[]): void {
  const key = (r: SmbRecord): string => `${opName(r.op)} ${r.user} ${r.path.replace(/^.*\/pool1\//, '')}`;
  const seen = new Map<string, number>();
  for (const r of records) seen.set(key(r), (seen.get(key(r)) ?? 0) + 1);
  const missing: string[] = [];
  for (const { user, name } of ledger) {
    if (!seen.get(`pwrite ${user} ${name}.bin`)) missing.push(`pwrite ${name}.bin`);
    if (seen.get(`rename ${user} ${name}.bin`) !== 1) missing.push(`rename ${name}.bin x${seen.get(`rename ${user} ${name}.bin`) ?? 0}`);
    if (seen.get(`delete ${user} ${name}.moved`) !== 1) missing.push(`delete ${name}.moved x${seen.get(`delete ${user} ${name}.moved`) ?? 0}`);
  }
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${ledger.length} files not accounted for exactly`);
  assert.equal(records.filter((r) => opName(r.op) === 'rename').length, ledger.length, 'no rename twice');
  assert.equal(records.filter((r) => opName(r.op) === 'delete').length, ledger.length, 'no delete twice');
  for (const r of records.filter((r) => opName(r.op) === 'rename')) assert.equal(r.path2, r.path.replace(/\.bin$/, '.moved'));
}

const recordsOf = (...files: string[]): SmbRecord[] => files.flatMap((f) => decodeAll(readFileSync(f)).records);

test("full_audit across smbd's own size rotation (every half second), three users at once: every file accounted for, once", { skip, timeout: 180000 }, () =>
  withTmpDir(async (dir) => {
    const samba = await startSamba(dir, { global: ['max log size = 500'] });
    const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', samba.log, '-w', `${dir}/audit.smbta`]);
    let ledger: Moved[];
    try {
      await recv.waitFor(/followed from its start/);
      ledger = await load(samba, 'r');
      await quiet(recv, RECV_RECORDS);
    } finally {
      await recv.stop();
      await samba.stop();
    }
    assert.ok(existsSync(`${samba.log}.old`), 'smbd rotated its log');
    accounted(recordsOf(`${dir}/audit.smbta`), ledger);
  }),
);

test(
  "full_audit across logrotate's create rotation, 0.5 s before smbd reopens, twice under load: every file accounted for, once",
  { skip: skip || toolMissing('logrotate'), timeout: 180000 },
  () =>
    withTmpDir(async (dir) => {
      const samba = await startSamba(dir);
      writeFileSync(
        `${dir}/logrotate.conf`,
        `${samba.log} {
  create 0644 root root
  rotate 5
  nocompress
  postrotate
    sleep 0.5; smbcontrol --configfile=${samba.conf} smbd reload-config
  endscript
}
`,
      );
      const rotate = (): void => {
        const r = spawnSync('logrotate', ['-f', '-s', `${dir}/logrotate.state`, `${dir}/logrotate.conf`], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
      };
      const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', samba.log, '-w', `${dir}/audit.smbta`]);
      let ledger: Moved[];
      try {
        await recv.waitFor(/followed from its start/);
        const working = load(samba, 'l');
        await new Promise((r) => setTimeout(r, 300));
        rotate();
        rotate();
        ledger = await working;
        await quiet(recv, RECV_RECORDS);
      } finally {
        await recv.stop();
        await samba.stop();
      }
      assert.ok(existsSync(`${samba.log}.2`), 'logrotate rotated twice');
      accounted(recordsOf(`${dir}/audit.smbta`), ledger);
    }),
);

test('smbta-recv stopped and restarted with --state while three users work: every file accounted for, none twice', { skip, timeout: 180000 }, () =>
  withTmpDir(async (dir) => {
    const samba = await startSamba(dir);
    const args = (n: number): string[] => ['-i', '0', '--audit-file', samba.log, '--state', `${dir}/recv.state`, '-w', `${dir}/${n}.smbta`];
    const first = startProc('smbta-recv', args(1));
    let second: ReturnType<typeof startProc> | undefined;
    let ledger: Moved[];
    try {
      await first.waitFor(/followed from its start/);
      const working = load(samba, 's');
      await recvReceived(first.proc, () => first.stderr(), 300); // well into the work
      assert.equal(await first.stop(), 0, first.stderr());
      await new Promise((r) => setTimeout(r, 500)); // down: smbd logs on
      second = startProc('smbta-recv', args(2));
      await second.waitFor(/followed from offset \d+, as --state says/);
      ledger = await working;
      await quiet(second, RECV_RECORDS);
    } finally {
      await first.stop();
      await second?.stop();
      await samba.stop();
    }
    const [one, two] = [recordsOf(`${dir}/1.smbta`), recordsOf(`${dir}/2.smbta`)];
    assert.ok(one.length > 0 && two.length > 0, `both runs read some: ${one.length}, ${two.length}`);
    accounted([...one, ...two], ledger);
  }),
);

test(
  "full_audit through syslog(3) to smbta-recv's Unix socket as smbd's /dev/log, from 127.0.0.1 and ::1; a denied open is kept",
  { skip, timeout: 180000 },
  () =>
    withTmpDir(async (dir) => {
      const sock = `${dir}/log.sock`;
      const recv = startProc('smbta-recv', ['-i', '0', '--audit-unix', sock, '-w', `${dir}/audit.smbta`]);
      await recv.waitFor(/full_audit syslog on unix/);
      const samba = await startSamba(dir, { devLog: sock, ipv6: true });
      let ledger: Moved[];
      try {
        const [, two] = SMB_USERS;
        ledger = await load(samba, 'u', { args: { [two]: ['-I', '::1'] } });
        // Denied after openat succeeded: only create_file's failure line says it (docs/deploy.md).
        writeFileSync(`${samba.sharePath('pool1')}/secret.txt`, 'root only\n', { mode: 0o600 });
        const denied = samba.client('pool1', 'get secret.txt stolen.txt');
        assert.match(denied.stdout + denied.stderr, /NT_STATUS_ACCESS_DENIED/);
        await quiet(recv, RECV_RECORDS);
      } finally {
        await samba.stop();
        await recv.stop();
      }
      assert.doesNotMatch(recv.stderr(), /not full_audit/, 'every line parsed');
      const records = recordsOf(`${dir}/audit.smbta`);
      accounted(records, ledger);
      const [one, two] = SMB_USERS;
      assert.deepEqual([...new Set(records.filter((r) => r.user === two).map((r) => r.client))], ['::1']);
      assert.deepEqual([...new Set(records.filter((r) => r.user === one).map((r) => r.client))], ['127.0.0.1']);
      assert.ok(
        records.some((r) => opName(r.op) === 'open' && r.path.endsWith('/pool1/secret.txt') && r.result === -1),
        'the denied open, failed',
      );
    }),
);

test(
  'smbd refuses a share whose full_audit names an operation it does not know, so every line docs/deploy.md gives is checked by the shares above',
  { skip, timeout: 60000 },
  () =>
    withTmpDir(async (dir) => {
      const samba = await startSamba(dir, { auditLines: ['full_audit:prefix = %u|%I|%m|%S', 'full_audit:success = openat pwrite_snd'] });
      try {
        const r = samba.client('pool1', 'ls');
        assert.notEqual(r.code, 0, 'the tree connect failed');
        assert.equal(samba.client('pool2', 'ls').code, 0, 'the share without the module works');
      } finally {
        await samba.stop();
      }
      assert.match(readFileSync(samba.log, 'utf8'), /Could not find opname pwrite_snd/);
    }),
);
