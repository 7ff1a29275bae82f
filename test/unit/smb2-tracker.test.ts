import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import { parsePduLine } from '../../src/probe/smb2-pdu.js';
import { Smb2Tracker } from '../../src/probe/smb2-tracker.js';
import { createRandom } from '../../src/synth/traffic.js';

/** A PDU line as the Lua script prints it, from the fields a test cares about. */
function line(p: Partial<Record<string, string | number>>): string {
  const cols = [
    'cmd',
    'response',
    'msgId',
    'sesid',
    'status',
    'latency',
    'acct',
    'domain',
    'tree',
    'filename',
    'fid',
    'readLength',
    'writeLength',
    'writeCount',
    'dataLength',
    'createAction',
    'infolevel',
    'deletePending',
    'createOptions',
    'accessMask',
    'attributes',
    'tid',
    'ioctlFunction',
    'resumeKey',
    'copyTotal',
  ];
  const client = ['10.0.0.9', '50000', '10.0.0.1', '445'];
  const head = p.response === 1 ? [client[2], client[3], client[0], client[1]] : client;
  return [p.time ?? '1795587418.5', ...head, 'P', ...cols.map((c) => String(p[c] ?? ''))].join('\t');
}

function feed(lines: string[], limits = {}): { records: SmbRecord[]; tracker: Smb2Tracker } {
  const records: SmbRecord[] = [];
  const tracker = new Smb2Tracker(
    (r) => records.push(r),
    (a) => a,
    limits,
  );
  for (const l of lines) {
    const p = parsePduLine(l);
    assert.ok(!('error' in p), l);
    tracker.pdu(p);
  }
  return { records, tracker };
}

const who = { sesid: 7, acct: 'bob', domain: 'LAB', tree: '\\\\fs\\projects', tid: 1 };

test('an interim STATUS_PENDING is not the answer; escaped separators and a tab in a name come back', () => {
  const { records } = feed([
    // As the script escapes `dir\x<TAB>b.txt`.
    line({ ...who, cmd: 5, msgId: 1, filename: 'dir\\\\x\\tb.txt', accessMask: 0x2 }),
    line({ ...who, cmd: 5, response: 1, msgId: 1, status: 0x103 }),
    line({ ...who, cmd: 5, response: 1, msgId: 1, status: 0, fid: 'F1', latency: '0.002', createAction: 2 }),
    line({ ...who, cmd: 9, msgId: 2, fid: 'F1', writeLength: 10 }),
    line({ ...who, cmd: 9, response: 1, msgId: 2, status: 0, writeCount: 10, latency: '0.0005' }),
  ]);
  assert.deepEqual(
    records.map((r) => [opName(r.op), r.path, r.bytes, r.latency, r.mode, r.user, r.share]),
    [
      ['open', 'dir/x\tb.txt', 0, 2000, 1, 'bob', 'projects'],
      ['write', 'dir/x\tb.txt', 10, 500, 0, 'bob', 'projects'],
    ],
  );
});

test('named pipes (IPC$) give no records; a failed read moves no bytes', () => {
  const { records } = feed([
    line({ ...who, tree: '\\\\fs\\IPC$', cmd: 5, msgId: 1, filename: 'srvsvc' }),
    line({ ...who, tree: '\\\\fs\\IPC$', cmd: 5, response: 1, msgId: 1, fid: 'P' }),
    line({ ...who, cmd: 8, msgId: 2, fid: 'X', readLength: 4096 }),
    line({ ...who, cmd: 8, response: 1, msgId: 2, status: 0xc0000022, dataLength: 4096 }),
  ]);
  assert.deepEqual(
    records.map((r) => [opName(r.op), r.bytes, r.result]),
    [['read', 0, -1]],
  );
});

test("an encrypted message is an encrypted record of its session's user and direction; of an unknown session, unattributed", () => {
  const enc = (src: string[], size: number, sesid: number): string => ['1795587418.6', ...src, 'E', String(size), String(sesid)].join('\t');
  const { records, tracker } = feed([
    line({ ...who, cmd: 1, msgId: 1 }), // the session setup, in clear
    line({ ...who, cmd: 1, response: 1, msgId: 1 }),
    enc(['10.0.0.9', '50000', '10.0.0.1', '445'], 1500, 7),
    enc(['10.0.0.1', '445', '10.0.0.9', '50000'], 70000, 7),
    enc(['10.0.0.1', '445', '10.0.0.9', '50000'], 300, 99),
  ]);
  assert.deepEqual(
    records.map((r) => [opName(r.op), r.user, r.domain, r.client, r.server, r.bytes, r.mode]),
    [
      ['encrypted', 'bob', 'LAB', '10.0.0.9', '10.0.0.1', 1500, 1],
      ['encrypted', 'bob', 'LAB', '10.0.0.9', '10.0.0.1', 70000, 0],
      ['encrypted', '', '', '10.0.0.9', '10.0.0.1', 300, 0],
    ],
  );
  const s = tracker.stats;
  assert.deepEqual([s.encryptedMessages, s.encryptedBytes, s.encryptedUnattributed, s.unattributedBytes], [3, 71800, 1, 300]);
});

test('a server-side copy (resume key, then COPYCHUNK_WRITE on the target) is a copy with its bytes, source and target', () => {
  const open = (msgId: number, name: string, fid: string): string[] => [
    line({ ...who, cmd: 5, msgId, filename: name }),
    line({ ...who, cmd: 5, response: 1, msgId, fid }),
  ];
  const ioctl = (msgId: number, fid: string, fn: number, req: Record<string, string | number>, res: Record<string, string | number>): string[] => [
    line({ ...who, cmd: 11, msgId, fid, ioctlFunction: fn, ...req }),
    line({ ...who, cmd: 11, response: 1, msgId, fid, ioctlFunction: fn, ...res }),
  ];
  const { records } = feed([
    ...open(1, 'a.bin', 'FA'),
    ...open(2, 'd\\b.bin', 'FB'),
    ...ioctl(3, 'FA', 0x00140078, {}, { resumeKey: 'k1' }),
    ...ioctl(4, 'FB', 0x001480f2, { resumeKey: 'k1' }, { copyTotal: 1048576 }),
    ...ioctl(5, 'FB', 0x001440f2, { resumeKey: 'k1' }, { copyTotal: 5 }),
    ...ioctl(6, 'FB', 0x001480f2, { resumeKey: 'k1' }, { status: 0xc000000d, copyTotal: 16 }),
    ...ioctl(7, 'FB', 0x001480f2, { resumeKey: 'unknown' }, { copyTotal: 9 }),
  ]);
  assert.deepEqual(
    records.filter((r) => opName(r.op) === 'copy').map((r) => [r.path, r.path2, r.bytes, r.result, r.user, r.share]),
    [
      ['a.bin', 'd/b.bin', 1048576, 0, 'bob', 'projects'],
      ['a.bin', 'd/b.bin', 5, 0, 'bob', 'projects'],
      ['a.bin', 'd/b.bin', 0, -1, 'bob', 'projects'],
      ['', 'd/b.bin', 9, 0, 'bob', 'projects'],
    ],
  );
});

test('requests never answered count with the bytes they carried; responses without request count the bytes they moved', () => {
  const t0 = 1795587418;
  const { tracker, records } = feed([
    line({ ...who, time: t0, cmd: 5, msgId: 1, filename: 'a' }),
    line({ ...who, time: t0, cmd: 5, response: 1, msgId: 1, fid: 'F' }),
    line({ ...who, time: t0, cmd: 9, msgId: 2, fid: 'F', writeLength: 65536 }), // its response lost
    line({ ...who, time: t0, cmd: 8, msgId: 3, fid: 'F', readLength: 4096 }), // the same
    line({ ...who, time: t0, cmd: 9, response: 1, msgId: 4, writeCount: 1000 }), // its request lost
    line({ ...who, time: t0 + 100, cmd: 8, msgId: 5, fid: 'F', readLength: 10 }), // not yet old
    line({ ...who, time: t0 + 155, cmd: 6, msgId: 6, fid: 'F' }),
  ]);
  // The capture went on: past two minutes (looked at every 30 s), the first two are taken as never answered.
  assert.deepEqual([tracker.stats.unanswered, tracker.stats.unansweredBytes], [2, 65536 + 4096]);
  assert.deepEqual([tracker.stats.unmatchedResponses, tracker.stats.unmatchedBytes], [1, 1000]);
  assert.deepEqual(
    records.map((r) => [opName(r.op), r.path, r.bytes]),
    [
      ['open', 'a', 0],
      ['write', '', 1000],
    ],
  );
  tracker.finish(); // the capture ended: the rest were never answered
  assert.deepEqual([tracker.stats.unanswered, tracker.stats.unansweredBytes], [4, 65536 + 4096 + 10]);
});

test('a flood of requests never answered, and of files never closed, stays within the bounds and is counted', () => {
  const lines: string[] = [];
  for (let k = 0; k < 5000; k++) lines.push(line({ ...who, cmd: 8, msgId: k, fid: 'F', readLength: 1 }));
  for (let k = 0; k < 5000; k++) {
    lines.push(line({ ...who, cmd: 5, msgId: 10000 + k, filename: `f${k}` }), line({ ...who, cmd: 5, response: 1, msgId: 10000 + k, fid: `F${k}` }));
  }
  const { tracker, records } = feed(lines, { pendingPerConnection: 100, filesPerConnection: 100 });
  assert.equal(records.length, 5000, 'the opens');
  // 4900 reads; 4900 files; and one read more when the first open's request arrived.
  assert.equal(tracker.stats.evicted, 4901 + 4900);
  // A response whose request was evicted still counts its bytes.
  const late = feed([...lines.slice(0, 200), line({ ...who, cmd: 8, response: 1, msgId: 0, dataLength: 512 })], { pendingPerConnection: 100 });
  assert.deepEqual([late.records[0]?.bytes, late.tracker.stats.unmatchedResponses], [512, 1]);
});

test("lines that are not the script's are errors, never throws", () => {
  const rnd = createRandom(11);
  for (let k = 0; k < 3000; k++) {
    const junk = Array.from({ length: Math.floor(rnd() * 60) }, () => (rnd() < 0.2 ? '\t' : String.fromCharCode(32 + Math.floor(rnd() * 90)))).join('');
    const p = parsePduLine(junk);
    assert.ok('error' in p || typeof p.cmd === 'number');
  }
  assert.ok('error' in parsePduLine(line({}).split('\t').slice(0, 10).join('\t')), 'a cut line');
  assert.ok('error' in parsePduLine(`x${line({})}`), 'a bad time');
});
