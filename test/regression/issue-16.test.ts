// Today's Samba, nothing silently lost: full_audit followed across restarts and rotation, its socket open to smbd, deletes as deletes.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { opName } from '../../src/record/fields.js';
import { startProc } from '../helpers/proc.js';
import { recvReceived } from '../helpers/recv.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const line = (k: number): string => `Nov 23 23:42:45 fs1 smbd_audit: u${k % 3}|10.0.0.5|pc|projects|openat|ok|r|/srv/projects/f${k}\n`;
const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, k) => line(from + k)).join('');
const paths = (file: string): string[] => decodeAll(readFileSync(file)).records.map((r) => r.path);
const expected = (n: number): string[] => Array.from({ length: n }, (_, k) => `/srv/projects/f${k}`);

test('--audit-file with --state: lines logged while smbta-recv was down are read after a restart, none twice', () =>
  withTmpDir(async (dir) => {
    const log = `${dir}/audit.log`;
    writeFileSync(log, lines(0, 500));
    const args = ['-i', '0', '--audit-file', log, '--state', `${dir}/recv.state`];
    const first = startProc('smbta-recv', [...args, '-w', `${dir}/1.smbta`]);
    await first.waitFor(/followed from its start/);
    await recvReceived(first.proc, () => first.stderr(), 500);
    appendFileSync(log, lines(500, 800));
    await recvReceived(first.proc, () => first.stderr(), 800);
    assert.equal(await first.stop(), 0);
    // Down: an upgrade, a crash. smbd goes on logging.
    appendFileSync(log, lines(800, 1500));
    const second = startProc('smbta-recv', [...args, '-w', `${dir}/2.smbta`]);
    await second.waitFor(/followed from offset \d+, as --state says/);
    await recvReceived(second.proc, () => second.stderr(), 700);
    assert.equal(await second.stop(), 0);
    assert.deepEqual([...paths(`${dir}/1.smbta`), ...paths(`${dir}/2.smbta`)], expected(1500));
  }));

test('--audit-file across rotation: smbd writing on to its renamed file, and a new file created, lose nothing', () =>
  withTmpDir(async (dir) => {
    const log = `${dir}/log.smbd`;
    writeFileSync(log, '');
    const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', log, '-w', `${dir}/out.smbta`]);
    await recv.waitFor(/followed from its start/);
    appendFileSync(log, lines(0, 1000));
    // smbd's own rotation: the file is renamed to .old; other smbd processes write on to it
    // until they notice, while the first writes the new file.
    renameSync(log, `${log}.old`);
    appendFileSync(`${log}.old`, lines(1000, 1500));
    writeFileSync(log, lines(1500, 2000));
    await new Promise((r) => setTimeout(r, 600));
    appendFileSync(`${log}.old`, lines(2000, 2500));
    appendFileSync(log, lines(2500, 3000));
    await recvReceived(recv.proc, () => recv.stderr(), 3000);
    assert.equal(await recv.stop(), 0);
    assert.deepEqual(paths(`${dir}/out.smbta`).sort(), expected(3000).sort());
  }));

test('--audit-unix makes its socket writable by every user (smbd logs as the connected user); --audit-unix-mode changes it', () =>
  withTmpDir(async (dir) => {
    for (const [args, mode] of [
      [[], 0o666],
      [['--audit-unix-mode', '0660'], 0o660],
    ] as const) {
      const recv = startProc('smbta-recv', ['-i', '0', '--audit-unix', `${dir}/log.sock`, ...args, '-w', `${dir}/out.smbta`, '--force']);
      await recv.waitFor(/full_audit syslog on unix/);
      assert.equal(statSync(`${dir}/log.sock`).mode & 0o777, mode);
      assert.equal(await recv.stop(), 0);
    }
  }));

test('a file deleted is a delete, a directory removed an rmdir, in every output', () =>
  withTmpDir(async (dir) => {
    const log = `${dir}/audit.log`;
    const at = (op: string, rest: string): string => `Nov 23 23:42:45 fs1 smbd_audit: bob|10.0.0.5|pc|projects|${op}|ok|${rest}\n`;
    writeFileSync(
      log,
      at('mkdirat', '/srv/projects/d') +
        at('create_file', '0x100080|file|open|/srv/projects/d/a.txt') +
        at('unlinkat', '/srv/projects/d/a.txt') +
        at('create_file', '0x100080|dir|open|/srv/projects/d') +
        at('unlinkat', '/srv/projects/d'),
    );
    const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', log, '-w', `${dir}/out.smbta`]);
    await recv.waitFor(/listening on/);
    await recvReceived(recv.proc, () => recv.stderr(), 5);
    assert.equal(await recv.stop(), 0);
    const recs = decodeAll(readFileSync(`${dir}/out.smbta`)).records;
    assert.deepEqual(
      recs.map((r) => `${opName(r.op)} ${r.path}`),
      ['mkdir /srv/projects/d', 'open /srv/projects/d/a.txt', 'delete /srv/projects/d/a.txt', 'open /srv/projects/d', 'rmdir /srv/projects/d'],
    );
  }));
