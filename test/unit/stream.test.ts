import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { emptyRecord, type SmbRecord } from '../../src/record/fields.js';
import { ByteWriter } from '../../src/stream/bytes.js';
import { MAGIC, readHeader } from '../../src/stream/format.js';
import type { RecordBatch } from '../../src/stream/batch.js';
import { StreamDecoder } from '../../src/stream/decoder.js';
import { createRandom, createTraffic } from '../../src/synth/traffic.js';
import { everyOpRecords } from '../helpers/records.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';

function randomRecords(n: number, seed: number): SmbRecord[] {
  const rnd = createRandom(seed);
  const pick = (xs: string[]): string => xs[Math.floor(rnd() * xs.length)]!;
  const text = ['', 'a', 'bob', 'ü€😀', 'x,y"z', 'line\nbreak', 'x'.repeat(1500)];
  return Array.from({ length: n }, () => {
    const time = Math.floor(rnd() * 4e12) - 1e12;
    return {
      time,
      end: time + Math.floor(rnd() * 1e6),
      op: Math.floor(rnd() * 12),
      user: pick(text),
      sid: pick(text),
      domain: pick(text),
      share: pick(text),
      path: pick(text),
      path2: pick(text),
      client: pick(text),
      server: pick(text),
      bytes: rnd() < 0.1 ? Number.MAX_SAFE_INTEGER : Math.floor(rnd() * 2 ** 40),
      count: 1 + Math.floor(rnd() * 1000),
      mode: rnd() < 0.2 ? -1 : Math.floor(rnd() * 2 ** 32) - 2 ** 31,
      result: rnd() < 0.2 ? -1 : Math.floor(rnd() * 100),
      latency: Math.floor(rnd() * 1e9),
      latency_max: Math.floor(rnd() * 1e6),
    };
  });
}

test('random records survive encode and decode exactly, whatever the chunking', () => {
  for (const seed of [1, 2, 3]) {
    const records = randomRecords(3000, seed);
    const data = encodeRecords(records, 700);
    assert.deepEqual(decodeAll(data).records, records);
    assert.deepEqual(decodeAll(data, 1 + seed * 37).records, records);
  }
  assert.deepEqual(decodeAll(encodeRecords(everyOpRecords()), 1).records, everyOpRecords());
});

test('constant columns and missing fields decode to their values', () => {
  const r = { ...emptyRecord(), time: 5, end: 5 };
  assert.deepEqual(decodeAll(encodeRecords([r, r, r])).records, [r, r, r]);
});

test('realistic traffic costs well under 40 bytes per record', () => {
  const t = createTraffic({ seed: 3 });
  const records = Array.from({ length: 50_000 }, () => t.next());
  const data = encodeRecords(records, 8192);
  assert.ok(data.length / records.length < 40, `${data.length / records.length} bytes per record`);
  assert.deepEqual(decodeAll(data).records, records);
});

test('concatenated streams are a stream', () => {
  const a = randomRecords(500, 4);
  const b = randomRecords(300, 5);
  const d = decodeAll(Buffer.concat([encodeRecords(a, 128), encodeRecords(b, 100)]));
  assert.deepEqual(d.records, [...a, ...b]);
  assert.equal(d.stats.skippedBytes, 0);
});

test('a wrong checksum in the middle skips that block only, and says where', () => {
  const blocks = [randomRecords(100, 6), randomRecords(100, 7), randomRecords(100, 8)].map((r) => encodeRecords(r));
  const data = Buffer.concat(blocks);
  const at = blocks[0]!.length + 200;
  data[at] = (data[at] ?? 0) ^ 0xff;
  const d = decodeAll(data, 4096);
  assert.equal(d.records.length, 200);
  assert.equal(d.damage.length, 1);
  assert.equal(d.damage[0]!.offset, blocks[0]!.length);
  assert.equal(d.damage[0]!.length, blocks[1]!.length);
  assert.equal(d.damage[0]!.reason, 'bad checksum');
  assert.equal(d.stats.skippedBytes, blocks[1]!.length);
});

test('a stream cut inside its last block is a truncation warning, not damage', () => {
  const data = encodeRecords(randomRecords(1000, 9), 250);
  const cut = data.subarray(0, data.length - 77);
  const d = decodeAll(cut, 999);
  assert.equal(d.records.length, 750);
  assert.equal(d.damage.length, 0);
  assert.equal(d.truncated.length, 1);
  // Cut inside the header too.
  const first = encodeRecords(randomRecords(10, 1));
  const d2 = decodeAll(Buffer.concat([first, data.subarray(0, 20)]));
  assert.equal(d2.records.length, 10);
  assert.deepEqual(d2.truncated, [{ offset: first.length, length: 20 }]);
});

test('random bytes and an empty stream neither throw nor invent records', () => {
  const rnd = createRandom(10);
  for (let k = 0; k < 50; k++) {
    const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 5000) }, () => Math.floor(rnd() * 256)));
    const d = decodeAll(junk, 1 + k * 13);
    assert.equal(d.records.length, 0);
    assert.equal(d.stats.skippedBytes + d.stats.truncatedBytes, junk.length);
  }
  const empty = decodeAll(Buffer.alloc(0));
  assert.equal(empty.records.length, 0);
  assert.equal(empty.damage.length + empty.truncated.length, 0);
});

test('mutated streams never throw and every surviving block is whole', () => {
  const records = randomRecords(2000, 11);
  const good = encodeRecords(records, 100);
  const rnd = createRandom(12);
  for (let k = 0; k < 200; k++) {
    const bad = Buffer.from(good);
    const flips = 1 + Math.floor(rnd() * 4);
    for (let f = 0; f < flips; f++) bad[Math.floor(rnd() * bad.length)] = Math.floor(rnd() * 256);
    const d = decodeAll(bad, 1 + Math.floor(rnd() * 9000));
    assert.equal(d.records.length % 100, 0);
    assert.ok(d.records.length >= 2000 - flips * 100);
  }
});

test('a header claiming an absurd length is damage, and nothing is buffered for it', () => {
  const header = Buffer.alloc(40);
  MAGIC.copy(header);
  header[4] = 1;
  header[5] = 1;
  header.writeUInt16LE(40, 6);
  header.writeUInt32LE(0xfffffff0, 8);
  header.writeUInt32LE(crc32(header.subarray(0, 36)), 36);
  const good = encodeRecords(randomRecords(10, 13));
  const d = decodeAll(Buffer.concat([header, good]));
  assert.equal(d.records.length, 10);
  assert.equal(d.damage[0]!.reason, 'absurd block length');
});

/** Frames a block by hand from the specification (docs/stream-format.md), not from src/. */
function handBlock(version: number, kind: number, payload: Buffer, count: number, extraHeader = 0): Buffer {
  const hl = 40 + extraHeader;
  const h = Buffer.alloc(hl);
  MAGIC.copy(h);
  h[4] = version;
  h[5] = kind;
  h.writeUInt16LE(hl, 6);
  h.writeUInt32LE(payload.length, 8);
  h.writeUInt32LE(count, 12);
  h.writeBigInt64LE(1000n, 16);
  h.writeBigInt64LE(2000n, 24);
  h.writeUInt32LE(crc32(payload), 32);
  h.writeUInt32LE(crc32(h.subarray(0, hl - 4)), hl - 4);
  return Buffer.concat([h, payload]);
}

test('a newer version with unknown header bytes, columns and block kinds is read, and a numbered header is understood', () => {
  const w = new ByteWriter();
  w.uvarint(1); // one string besides ''
  w.string('bob');
  w.uvarint(3); // columns: time, user, and one this reader does not know
  for (const [id, values] of [
    [1, [0, 500]],
    [4, [1, 1]],
    [99, [7, 7]],
  ] as const) {
    const col = new ByteWriter();
    for (const v of values) {
      if (id === 1)
        col.svarint(v); // time is a signed delta
      else col.uvarint(v);
    }
    w.uvarint(id);
    w.byte(0);
    w.uvarint(col.pos);
    w.bytes(col.result());
  }
  // Version 3: version 2's run and number at 36..52, then 16 bytes this reader does not know.
  const records = handBlock(3, 1, Buffer.from(w.result()), 2, 32);
  Buffer.from('0011223344556677', 'hex').copy(records, 36);
  records.writeBigUInt64LE(4242n, 44);
  records.writeUInt32LE(crc32(records.subarray(0, 68)), 68);
  const unknownKind = handBlock(3, 77, Buffer.from('future'), 0);
  const d = decodeAll(Buffer.concat([unknownKind, records]));
  assert.equal(d.damage.length, 0);
  assert.deepEqual(
    d.records.map((r) => [r.time, r.user, r.count]),
    [
      [1000, 'bob', 1],
      [1500, 'bob', 1],
    ],
  );
  assert.equal(d.stats.unknownBlocks, 1);
  assert.match(d.notices[0]!, /version 3 is newer/);
  const h = readHeader(records, 0, records.length);
  assert.ok(typeof h === 'object');
  assert.deepEqual([h.run, h.seq], ['0011223344556677', 4242]);
});

test('a block whose checksum is right but whose contents are malformed is skipped, not thrown', () => {
  const payload = Buffer.from([0x05, 0x01]); // claims 5 strings, has none
  const d = decodeAll(Buffer.concat([handBlock(1, 1, payload, 3), encodeRecords(randomRecords(5, 14))]));
  assert.equal(d.records.length, 5);
  assert.match(d.damage[0]!.reason, /malformed/);
});

test('a live writer flushes a waiting record within 100 ms, without waiting for a full block', async () => {
  const { StreamWriter } = await import('../../src/stream/writer.js');
  const blocks: { at: number; data: Buffer }[] = [];
  const sink = {
    write: (d: Uint8Array | string) => void blocks.push({ at: Date.now(), data: Buffer.from(d) }),
    writeAndWait: async () => undefined,
    ready: async () => undefined,
    backlog: () => 0,
    close: async () => undefined,
  };
  const w = new StreamWriter(sink, { flushMs: 100 });
  const t0 = Date.now();
  w.add(everyOpRecords()[0]!);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(blocks.length, 1);
  assert.ok(blocks[0]!.at - t0 <= 130, `flushed after ${blocks[0]!.at - t0} ms`);
  assert.deepEqual(decodeAll(blocks[0]!.data).records, [everyOpRecords()[0]]);
  await w.close();
});

test('gathering a few rows equals decoding whole columns, for every column', () => {
  const records = randomRecords(3000, 21);
  const rnd = createRandom(22);
  const blocks: RecordBatch[] = [];
  new StreamDecoder({ batch: (b) => void blocks.push(b) }).push(encodeRecords(records, 3000));
  const b = blocks[0]!;
  for (let trial = 0; trial < 20; trial++) {
    const rows = Uint32Array.from([...new Set(Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 3000)))].sort((x, y) => x - y));
    for (let index = 0; index < 17; index++) {
      const fresh: RecordBatch[] = [];
      new StreamDecoder({ batch: (x) => void fresh.push(x) }).push(encodeRecords(records, 3000));
      const sparse = Array.from(fresh[0]!.gather(index, rows, rows.length));
      const full = Array.from(rows, (r) => b.column(index)[r]);
      assert.deepEqual(sparse, full, `column ${index}`);
    }
  }
});
