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

test('named pipes (IPC$) give no records; a failed read moves no bytes; an encrypted message is counted', () => {
  const { records, tracker } = feed([
    line({ ...who, tree: '\\\\fs\\IPC$', cmd: 5, msgId: 1, filename: 'srvsvc' }),
    line({ ...who, tree: '\\\\fs\\IPC$', cmd: 5, response: 1, msgId: 1, fid: 'P' }),
    line({ ...who, cmd: 8, msgId: 2, fid: 'X', readLength: 4096 }),
    line({ ...who, cmd: 8, response: 1, msgId: 2, status: 0xc0000022, dataLength: 4096 }),
    ['1795587418.6', '10.0.0.1', '445', '10.0.0.9', '50000', 'E', '1500'].join('\t'),
  ]);
  assert.deepEqual(
    records.map((r) => [opName(r.op), r.bytes, r.result]),
    [['read', 0, -1]],
  );
  assert.deepEqual([tracker.stats.encryptedMessages, tracker.stats.encryptedBytes], [1, 1500]);
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
