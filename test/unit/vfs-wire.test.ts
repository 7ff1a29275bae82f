/**
 * vfs_smbta's message formatting (vfs/smbta_wire.c), compiled here with the system's C
 * compiler and checked byte for byte against the wire reference's golden messages, and
 * smbta-recv's reading of the module's additions (delete, summaries, drop counts).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { SmbRecord } from '../../src/record/fields.js';
import { WireConnection } from '../../src/wire/connection.js';
import { createLocalTimeConverter } from '../../src/wire/local-time.js';
import { ROOT } from '../helpers/run-bin.js';
import { longPathRename, MODULE_DELETE, MODULE_DROPPED, MODULE_SUMMARY, WORKED_EXAMPLE } from '../helpers/wire-golden.js';

const VFS = join(ROOT, 'vfs');
let dir = '';
let driver = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'smbta-vfs-wire-'));
  driver = join(dir, 'wire-test');
  execFileSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2', '-o', driver, join(VFS, 'test/wire-test.c'), join(VFS, 'smbta_wire.c')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The module's message for these arguments (wire-test's usage), in the server's time zone UTC. */
function format(...args: string[]): { out: string; status: number | null } {
  const r = spawnSync(driver, args, { env: { ...process.env, TZ: 'UTC' }, encoding: 'latin1' });
  return { out: r.stdout, status: r.status };
}

const ms = (iso: string): string => String(Date.parse(`${iso}Z`));

test("the module's write is the reference's worked example, byte for byte", () => {
  const who = ['holger', 'S-1-5-21-1-2-3-1000', 'pool', 'WORKGROUP', '192.168.1.10'];
  assert.equal(format('2', ms('2012-07-31T13:06:34.123'), ...who, '--', 'docs/a.txt', '#4096').out, WORKED_EXAMPLE);
});

test('a failed rename prints -1 as 4294967295 and carries a 1,500-byte path', () => {
  const who = ['bob', 'S-1-5-21-1', 'home', 'EXAMPLE', '::1'];
  const long = 'd/'.repeat(749) + 'xy';
  assert.equal(format('6', ms('2026-11-23T10:00:01.000'), ...who, '--', long, 'b.txt', '#-1').out, longPathRename());
});

test("the module's additions: delete, a summary's nine common blocks, a drop count", () => {
  const who = ['alice', 'S-1-5-21-7-1', 'pool1', 'WORKGROUP', '127.0.0.1'];
  assert.equal(format('10', ms('2026-12-07T15:04:05.006'), ...who, '--', 'old pan.txt', '#-1').out, MODULE_DELETE);
  const summary = format('1', ms('2026-12-07T15:04:05.006'), ...who, '12', ms('2026-12-07T15:04:09.250'), '--', 'big/50m.bin', '#52428800');
  assert.equal(summary.out, MODULE_SUMMARY);
  const none = ['', '', '', '', ''];
  assert.equal(format('99', ms('2026-12-07T15:04:06.500'), ...none, '--', '#1234', '2026-12-07 15:04:05.006', '2026-12-07 15:04:06.500').out, MODULE_DROPPED);
});

test('a field longer than a four-digit length can say is refused, not cut', () => {
  const who = ['u', 's', 'sh', 'd', 'c'];
  assert.equal(format('9', '0', ...who, '--', 'x'.repeat(10000), '#0').status, 1);
  assert.equal(format('9', '0', ...who, '--', 'x'.repeat(9999), '#0').status, 0);
});

test('smbta-recv reads the additions: delete as op 10, summaries with count and end, drops counted', () => {
  const records: SmbRecord[] = [];
  const drops: [number, number, number][] = [];
  const rejected: string[] = [];
  const conn = new WireConnection({ maxBody: 65536, maxLine: 65536 }, createLocalTimeConverter('UTC'), {
    record: (r) => void records.push(r),
    dropped: (n, from, to) => void drops.push([n, from, to]),
    reject: (reason) => void rejected.push(reason),
    notice: () => undefined,
  });
  assert.equal(conn.push(Buffer.from(MODULE_DELETE + MODULE_SUMMARY + MODULE_DROPPED, 'latin1')), true);
  assert.deepEqual(rejected, []);
  const [del, sum] = records;
  assert.equal(records.length, 2);
  assert.deepEqual([del!.op, del!.path, del!.result, del!.user], [10, 'old pan.txt', -1, 'alice']);
  assert.deepEqual([sum!.op, sum!.path, sum!.bytes, sum!.count], [1, 'big/50m.bin', 52428800, 12]);
  assert.deepEqual([sum!.time, sum!.end], [Date.parse('2026-12-07T15:04:05.006Z'), Date.parse('2026-12-07T15:04:09.250Z')]);
  assert.deepEqual(drops, [[1234, Date.parse('2026-12-07T15:04:05.006Z'), Date.parse('2026-12-07T15:04:06.500Z')]]);
});
