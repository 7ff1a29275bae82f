import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AuditReader } from '../../src/audit/audit-input.js';
import { createReporter } from '../../src/io/report.js';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import { ROOT } from '../helpers/run-bin.js';
import { parseAuditLine, parsePrefix, prefixError } from '../../src/audit/full-audit.js';
import { sambaHeaderTime, unframeSyslog } from '../../src/audit/syslog.js';
import { createRandom } from '../../src/synth/traffic.js';

const PREFIX = parsePrefix('%u|%I|%m|%S|%D');
const T = Date.UTC(2026, 10, 23, 22, 42, 41);
const rec = (line: string) => {
  const r = parseAuditLine(line, PREFIX, T, 'fs1');
  assert.ok('record' in r, `${line}: ${JSON.stringify(r)}`);
  return r.record;
};

test("the issue's full_audit lines (Samba 4.17) become records", () => {
  const open = rec('bob|127.0.0.1|vm|pool1|VM|openat|ok|w|/srv/pool1/f3.bin');
  assert.deepEqual(
    [open.op, open.user, open.client, open.share, open.domain, open.path, open.mode, open.result, open.bytes, open.server],
    [8, 'bob', '127.0.0.1', 'pool1', 'VM', '/srv/pool1/f3.bin', 1, 0, 0, 'fs1'],
  );
  assert.equal(rec('bob|127.0.0.1|vm|pool1|VM|pwrite_send|ok|/srv/pool1/f3.bin').op, 3);
  const mv = rec('bob|127.0.0.1|vm|pool1|VM|renameat|ok|/srv/pool1/f3.bin|/srv/pool1/d2/f4.bin');
  assert.deepEqual([mv.op, mv.path, mv.path2], [6, '/srv/pool1/f3.bin', '/srv/pool1/d2/f4.bin']);
  const failed = rec('bob|127.0.0.1|vm|pool1|VM|openat|fail (No such file or directory)|r|/srv/pool1/d2');
  assert.deepEqual([failed.op, failed.result, failed.mode, failed.path], [8, -1, 0, '/srv/pool1/d2']);
  assert.equal(opName(rec('bob|127.0.0.1|vm|pool1|VM|unlinkat|ok|/srv/pool1/x').op), 'delete');
  assert.equal(rec('bob|127.0.0.1|vm|pool1|VM|mkdirat|ok|/srv/pool1/d').op, 4);
  assert.equal(rec('bob|127.0.0.1|vm|pool1|VM|chdir|ok|/srv/pool1').op, 7);
  // Newer Samba says why with an NT status; a denied open is create_file's failure.
  const denied = rec('bob|::1|vm|pool1|VM|create_file|fail (NT_STATUS_ACCESS_DENIED)|0x120089|file|open|/srv/pool1/secret.txt');
  assert.deepEqual([opName(denied.op), denied.result, denied.client, denied.path], ['open', -1, '::1', '/srv/pool1/secret.txt']);
  // What Samba 4.17 really writes: the operation's name again before the path.
  assert.deepEqual([rec('bob|127.0.0.1|vm|pool1|VM|chdir|ok|chdir|/srv/pool1').path], ['/srv/pool1']);
  assert.equal(rec('bob|127.0.0.1|vm|pool1|VM|close|ok|/srv/pool1/f3.bin').op, 9);
  assert.equal(rec('bob|127.0.0.1|vm|pool1|VM|pread_send|ok|/srv/pool1/f3.bin').op, 1);
});

test('file names with | stay whole; unknown operations, other prefixes and garbage are told apart', () => {
  assert.equal(rec('bob|127.0.0.1|vm|pool1|VM|openat|ok|r|/srv/pool1/a|b|c.txt').path, '/srv/pool1/a|b|c.txt');
  const mv = rec('bob|127.0.0.1|vm|pool1|VM|renameat|ok|/srv/a|b|/srv/c|d');
  assert.deepEqual([mv.path, mv.path2], ['/srv/a|b', '/srv/c|d']);
  // A directory whose name ends in | : the second path is the one that starts as the first did.
  const mv2 = rec('bob|127.0.0.1|vm|pool1|VM|renameat|ok|/srv/pool1/odd|/f.txt|/srv/pool1/g.txt');
  assert.deepEqual([mv2.path, mv2.path2], ['/srv/pool1/odd|/f.txt', '/srv/pool1/g.txt']);
  assert.deepEqual(parseAuditLine('bob|127.0.0.1|vm|pool1|VM|fstat|ok|/x', PREFIX, T, ''), { skip: 'fstat' });
  assert.deepEqual(parseAuditLine('bob|127.0.0.1|vm|pool1|VM|frobnicate|ok|/x', PREFIX, T, ''), { skip: 'frobnicate' });
  // A line written with a shorter prefix than configured: the status is not where it should be.
  const wrongPrefix = parseAuditLine('bob|127.0.0.1|pool1|openat|ok|r|/x', PREFIX, T, '');
  assert.ok('error' in wrongPrefix && /is --audit-prefix right\?/.test(wrongPrefix.error));
  assert.ok('error' in parseAuditLine('', PREFIX, T, ''));
  assert.equal(prefixError('%I|%S'), '--audit-prefix %I|%S: must contain %u (the user)');
  assert.equal(prefixError('%u|%I|%m|%S'), undefined);
  const rnd = createRandom(3);
  for (let k = 0; k < 5000; k++) {
    const junk = Array.from({ length: Math.floor(rnd() * 40) }, () => String.fromCharCode(Math.floor(rnd() * 200))).join('');
    const r = parseAuditLine(junk, PREFIX, T, '');
    assert.ok('error' in r || 'skip' in r || 'record' in r);
  }
});

test('syslog framing (RFC 5424 and 3164, truncated) and Samba log headers give the time and host', () => {
  const now = Date.UTC(2026, 10, 24, 12);
  // glibc's syslog() from smbd sends no host; an IPv6 client and paths with : stay whole.
  const v6 = unframeSyslog('<173>Nov 24 11:56:40 smbd_audit: bob|::1|pc|pool1|openat|ok|r|/srv/a:b.txt', now)!;
  assert.deepEqual([v6.host, v6.msg], ['', 'bob|::1|pc|pool1|openat|ok|r|/srv/a:b.txt']);
  assert.equal(unframeSyslog('<173>Nov 24 11:56:40 fe80::1 smbd_audit[42]: bob|::1|x', now)!.host, 'fe80::1');
  const a = unframeSyslog('<173>1 2026-11-23T23:42:41.812974+01:00 fs1 smbd_audit 4242 - - bob|x', now)!;
  assert.deepEqual(a, { time: Date.UTC(2026, 10, 23, 22, 42, 41, 812), host: 'fs1', tag: 'smbd_audit', msg: 'bob|x' });
  const b = unframeSyslog('<173>Nov 23 23:42:41 fs2 smbd_audit[4242]: bob|y', now)!;
  assert.deepEqual([new Date(b.time).getFullYear(), b.host, b.msg], [2026, 'fs2', 'bob|y']);
  // A December line read in January belongs to last year.
  assert.equal(new Date(unframeSyslog('<13>Dec 31 23:59:59 fs1 smbd_audit: m', Date.UTC(2027, 0, 1, 12))!.time).getFullYear(), 2026);
  assert.equal(unframeSyslog('<173>Nov 23 23:4', now), undefined, 'a truncated packet is not syslog');
  assert.equal(unframeSyslog('plain text', now), undefined);
  assert.equal(
    sambaHeaderTime('[2026/11/23 23:42:41.812974,  1] ../../source3/modules/vfs_full_audit.c:643(do_log)'),
    new Date(2026, 10, 23, 23, 42, 41, 812).getTime(),
  );
  assert.equal(sambaHeaderTime('  bob|127.0.0.1|vm|pool1|openat|ok|w|/x'), undefined);
});

test("create_file's access mask, type and disposition are not part of the path; %P makes paths share-relative", () => {
  const made = rec('bob|127.0.0.1|vm|pool1|VM|create_file|ok|0x12019f|file|overwrite_if|/srv/pool1/d1/f1.bin');
  assert.deepEqual([made.op, made.mode, made.path], [8, 1, '/srv/pool1/d1/f1.bin']);
  const looked = rec('bob|127.0.0.1|vm|pool1|VM|create_file|ok|0x80|dir|open|/srv/pool1/a|b');
  assert.deepEqual([looked.mode, looked.path], [0, '/srv/pool1/a|b']);
  const rooted = parsePrefix('%u|%I|%m|%S|%P');
  const at = (line: string) => {
    const r = parseAuditLine(line, rooted, T, 'fs1');
    assert.ok('record' in r);
    return r.record;
  };
  const mv = at('bob|127.0.0.1|vm|pool1|/srv/pool1|renameat|ok|/srv/pool1/f3.bin|/srv/pool1/d2/f4.bin');
  assert.deepEqual([mv.path, mv.path2], ['f3.bin', 'd2/f4.bin']);
  assert.equal(at('bob|127.0.0.1|vm|pool1|/srv/pool1/|chdir|ok|/srv/pool1').path, '.');
  // Outside the share (or a sibling sharing its prefix): left as it was.
  assert.equal(at('bob|127.0.0.1|vm|pool1|/srv/pool1|openat|ok|r|/srv/pool10/x').path, '/srv/pool10/x');
});

test("Samba 4.17's own log of a session (full_audit:success = all) reads without a single error", () => {
  const records: SmbRecord[] = [];
  const said: string[] = [];
  const rejected: string[] = [];
  const reader = new AuditReader(
    parsePrefix('%u|%I|%m|%S'),
    { record: (r) => records.push(r), reject: (w) => rejected.push(w), report: createReporter('t', (m) => said.push(m)) },
    'log',
  );
  for (const l of readFileSync(`${ROOT}test/fixtures/samba-4.17-full-audit.log`, 'utf8').split('\n')) reader.line(l, 'fs1');
  // smbd's start-up banner is Samba's own log, not a rejected record.
  assert.equal(rejected.length, 0, said.join(''));
  assert.equal(reader.sambaLines, 3);
  const ops = new Set(records.map((r) => opName(r.op)));
  for (const op of ['open', 'close', 'pread', 'pwrite', 'rename', 'mkdir', 'rmdir', 'delete', 'chdir']) assert.ok(ops.has(op), op);
  // unlinkat removed a file, then the directory it was in.
  assert.deepEqual(
    records.filter((r) => ['delete', 'rmdir'].includes(opName(r.op))).map((r) => `${opName(r.op)} ${r.path}`),
    ['delete /tmp/sb/pool1/d1/f2.bin', 'rmdir /tmp/sb/pool1/d1'],
  );
  assert.deepEqual([...new Set(records.filter((r) => opName(r.op) === 'chdir').map((r) => r.path))], ['/tmp/sb/pool1', '/']);
  const renamed = records.find((r) => opName(r.op) === 'rename')!;
  assert.match(`${renamed.path} ${renamed.path2}`, /\/pool1\/d1\/f1\.bin \/tmp\/sb\/pool1\/d1\/f2\.bin$/);
  assert.ok(records.every((r) => r.user === 'smbtatest' && r.bytes === 0 && r.time > Date.UTC(2026, 10, 24)));
  assert.ok(!records.some((r) => /^0x/.test(r.path)), "create_file's arguments are not paths");
});

test("on a socket used as /dev/log, other programs' messages are skipped apart, said once, not rejected", () => {
  const records: SmbRecord[] = [];
  const rejected: string[] = [];
  const said: string[] = [];
  const reader = new AuditReader(
    parsePrefix('%u|%I|%m|%S'),
    { record: (r) => records.push(r), reject: (why) => rejected.push(why), report: createReporter('t', (m) => void said.push(m)) },
    'log.sock',
  );
  const now = new Date();
  const stamp = `${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][now.getMonth()]} ${String(now.getDate()).padStart(2, ' ')} 10:00:00`;
  for (const line of [
    `<30>${stamp} smbd[812]: [2026/12/07 09:35:43.005182,  0] ../../source3/smbd/server.c:1741(main)`,
    `<30>${stamp} smbd[812]:   smbd version 4.17.12-Debian started.`,
    `<86>${stamp} sshd[99]: Accepted publickey for root`,
    `<173>${stamp} smbd_audit[4242]: bob|::1|pc|pool1|mkdirat|ok|/srv/pool1/d`,
    `<173>${stamp} smbd_audit: not full_audit at all`,
  ])
    reader.line(line, 'fs1');
  assert.deepEqual(
    records.map((r) => [opName(r.op), r.client, r.path]),
    [['mkdir', '::1', '/srv/pool1/d']],
  );
  assert.deepEqual(rejected, ['not full_audit'], "only the audit tag's own garbage is rejected");
  assert.equal(reader.otherPrograms, 3);
  assert.equal(said.filter((m) => /messages of other programs than smbd_audit \(here 'smbd'\) are skipped/.test(m)).length, 1);
});
