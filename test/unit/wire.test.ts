import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SmbRecord } from '../../src/record/fields.js';
import { createRandom, createTraffic } from '../../src/synth/traffic.js';
import { WireConnection } from '../../src/wire/connection.js';
import { encodeV1Message, encodeV2Message } from '../../src/wire/encode.js';
import { createLocalFormatter } from '../../src/format/time.js';
import { createLocalTimeConverter } from '../../src/wire/local-time.js';
import { encryptedRead, extraCommonBlock, longPathRename, sixBlockMkdir, v1WithDuplicate, WORKED_EXAMPLE } from '../helpers/wire-golden.js';

const KEY = Buffer.from('0123456789abcdef');

interface Fed {
  records: SmbRecord[];
  rejected: string[];
  drops: { n: number; from: number; to: number }[];
  fatal?: string;
}

function feed(data: Buffer, chunks: number[], key?: Buffer): Fed {
  const records: SmbRecord[] = [];
  const rejected: string[] = [];
  const drops: Fed['drops'] = [];
  const conn = new WireConnection(
    { maxBody: 65536, maxLine: 65536 },
    createLocalTimeConverter('UTC'),
    {
      record: (r) => void records.push(r),
      dropped: (n, from, to) => void drops.push({ n, from, to }),
      reject: (reason) => void rejected.push(reason),
      notice: () => undefined,
    },
    key,
  );
  let p = 0;
  for (let k = 0; p < data.length; k++) {
    const n = chunks[k % chunks.length]!;
    if (!conn.push(data.subarray(p, p + n))) break;
    p += n;
  }
  return { records, rejected, drops, fatal: conn.fatal };
}

test('framing survives every way of cutting the stream into chunks', () => {
  const t = createTraffic({ seed: 4, users: 10, files: 50 });
  const stamp = createLocalFormatter();
  const parts: Buffer[] = [];
  const want: number[] = [];
  for (let k = 0; k < 300; k++) {
    const r = t.next();
    if (k % 5 === 0 && r.op <= 3) parts.push(encodeV1Message(r, stamp));
    else parts.push(encodeV2Message(r, stamp, { key: k % 3 === 0 ? KEY : undefined, common: k % 7 === 0 ? 6 : 7 }));
    want.push(r.bytes);
  }
  const golden = [WORKED_EXAMPLE, sixBlockMkdir(), longPathRename(), extraCommonBlock(), v1WithDuplicate()].map((g) => Buffer.from(g));
  const data = Buffer.concat([...parts, ...golden, encryptedRead(KEY.toString()).message]);
  const whole = feed(data, [data.length], KEY);
  assert.equal(whole.records.length, 306);
  assert.deepEqual(whole.rejected, []);
  const rnd = createRandom(9);
  for (const chunks of [[1], [2], [3], [25], [26], [27], [100], [4096], Array.from({ length: 50 }, () => 1 + Math.floor(rnd() * 700))]) {
    const cut = feed(data, chunks, KEY);
    assert.deepEqual(cut.records, whole.records, `chunks of ${chunks.slice(0, 3).join(',')}...`);
  }
});

test('garbage, absurd lengths and cut bodies end the connection or stay pending, never throw', () => {
  assert.match(feed(Buffer.from('GET / HTTP/1.1\r\n'), [5]).fatal!, /garbage/);
  assert.match(feed(Buffer.from('V2.000000' + '9'.repeat(17)), [3]).fatal!, /exceeds the limit/);
  assert.match(feed(Buffer.from('V2.00X000' + '0'.repeat(17)), [30]).fatal!, /bad encryption flag/);
  assert.equal(feed(Buffer.from(WORKED_EXAMPLE.slice(0, 100)), [7]).records.length, 0);
  const rnd = createRandom(3);
  for (let k = 0; k < 300; k++) {
    const junk = Buffer.from(WORKED_EXAMPLE);
    junk[26 + Math.floor(rnd() * 129)] = Math.floor(rnd() * 256);
    const r = feed(junk, [1 + Math.floor(rnd() * 40)]);
    assert.equal(r.records.length + r.rejected.length + (r.fatal ? 1 : 0) <= 1, true);
  }
});
