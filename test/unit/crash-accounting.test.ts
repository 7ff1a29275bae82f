/**
 * The pieces that let a crash be counted: numbered blocks, a reader's tracker, the state
 * file, and rotate's commits that a killed run is cut back to. (npm run soak and
 * test/e2e/soak.test.ts put them together under SIGKILL.)
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/language/errors.js';
import { createReporter } from '../../src/io/report.js';
import { StateFile, writerState } from '../../src/runtime/state-file.js';
import type { ByteSink } from '../../src/io/byte-sink.js';
import { Rotator } from '../../src/rotate/rotator.js';
import type { RecordBatch } from '../../src/stream/batch.js';
import { StreamDecoder } from '../../src/stream/decoder.js';
import { readHeader } from '../../src/stream/format.js';
import { SequenceTracker } from '../../src/stream/sequence.js';
import { StreamWriter } from '../../src/stream/writer.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

/** A sink that keeps every block, and what had arrived each time the writer committed. */
function keepingSink(): ByteSink & { blocks: Buffer[] } {
  const blocks: Buffer[] = [];
  return {
    blocks,
    write: (d) => void blocks.push(Buffer.from(d)),
    writeAndWait: async (d) => void blocks.push(Buffer.from(d)),
    ready: async () => undefined,
    backlog: () => 0,
    close: async () => undefined,
  };
}

/** Batches as a live reader gets them from an upstream writer's numbered blocks, with their positions. */
function batchesOf(stream: Buffer): RecordBatch[] {
  const out: RecordBatch[] = [];
  const tracker = new SequenceTracker(undefined);
  const d = new StreamDecoder({
    batch: (b) => {
      tracker.block(b.run!, b.seq!, b.length);
      b.position = tracker.position;
      out.push(b);
    },
  });
  d.push(stream);
  d.end();
  return out;
}

const traffic = createTraffic({ seed: 4, users: 5, files: 50 });
const records = (n: number) => Array.from({ length: n }, () => traffic.next());

test('a writer numbers its blocks one after another, also blocks it passes through, and commits before a block leaves', () => {
  const sink = keepingSink();
  const atCommit: number[] = [];
  const w = new StreamWriter(sink, { blockRecords: 100, onCommit: () => void atCommit.push(sink.blocks.length) });
  for (const r of records(250)) w.add(r);
  let upstream: RecordBatch | undefined;
  new StreamDecoder({ batch: (b) => void (upstream = b) }).push(encodeRecords(records(30), 30));
  w.writeBlock(upstream!.raw!, upstream!);
  w.flush();
  const headers = sink.blocks.map((b) => readHeader(b, 0, b.length)).filter((h) => typeof h === 'object');
  assert.deepEqual(
    headers.map((h) => [h.seq, h.count]),
    [
      [0, 100],
      [100, 100],
      [200, 50],
      [250, 30],
    ],
  );
  assert.ok(headers.every((h) => h.run === w.runId));
  assert.deepEqual(atCommit, [0, 1, 2, 3], 'each commit comes before its block is written');
  assert.equal(w.next, 280);
  // The pass-through block keeps its payload byte for byte.
  assert.ok(sink.blocks[3]!.subarray(56).equals(upstream!.raw!.subarray(40)));
});

test('a numbered batch that fits in a block is never split, so the block that holds it also covers it', () => {
  const sink = keepingSink();
  const w = new StreamWriter(sink, { blockRecords: 100 });
  const src = keepingSink();
  const up = new StreamWriter(src, { blockRecords: 60 });
  for (const r of records(180)) up.add(r);
  const [a, b, c] = batchesOf(Buffer.concat(src.blocks));
  w.addRows(a!, null, 60, 'hub');
  assert.deepEqual(w.covered.get('hub'), undefined, 'waiting, not yet let go');
  w.addRows(b!, null, 60, 'hub');
  // The second batch did not fit beside the first: the first went alone, and is covered.
  assert.deepEqual(w.covered.get('hub'), { run: up.runId, next: 60 });
  w.pass(c!, 'hub');
  w.flush();
  assert.deepEqual(w.covered.get('hub'), { run: up.runId, next: 180 }, 'a batch none of whose rows were kept is covered too');
  assert.deepEqual(
    sink.blocks.map((x) => x.readUInt32LE(12)),
    [60, 60],
  );
  // A batch larger than a block is split, and each block covers the part of it it holds.
  const small = new StreamWriter(keepingSink(), { blockRecords: 25 });
  small.addRows(a!, null, 60, 'hub');
  assert.deepEqual(small.covered.get('hub'), { run: up.runId, next: 50 }, 'two blocks of 25 left; 10 wait');
  const picked = Uint32Array.from([3, 40, 41, 59]);
  const sparse = new StreamWriter(keepingSink(), { blockRecords: 2 });
  sparse.addRows(b!, picked, 4, 'hub');
  assert.deepEqual(sparse.covered.get('hub'), { run: up.runId, next: 120 }, 'rows 60..119 upstream: up to and past the last one kept');
  const half = new StreamWriter(keepingSink(), { blockRecords: 2 });
  half.addRows(b!, picked.subarray(0, 3), 3, 'hub');
  assert.deepEqual(half.covered.get('hub'), { run: up.runId, next: 101 }, 'through row 40, the last in a block that left');
});

test("a reader's tracker counts what it missed, tells a new run from a gap, and moves past a gap block", () => {
  const t = new SequenceTracker(undefined);
  assert.equal(t.block('aa', 0, 10), undefined, 'the first block a reader sees is where it starts');
  assert.equal(t.block('aa', 10, 10), undefined);
  assert.deepEqual(t.block('aa', 50, 5), { records: 30, first: 20, run: 'aa' });
  assert.deepEqual(t.gap('aa', 55, 100), { records: 100, first: 55, run: 'aa' }, "its server's gap block");
  assert.equal(t.gap('bb', 0, 7), undefined, 'a gap block passed on from further up is not this link');
  assert.equal(t.block('aa', 155, 1), undefined, 'nothing counted twice');
  assert.equal(t.block('cc', 0, 1), 'restarted');
  // Resumed from --state: everything since the position saved is counted at the first block.
  assert.deepEqual(new SequenceTracker({ run: 'aa', next: 100 }).block('aa', 180, 20), { records: 80, first: 100, run: 'aa' });
});

test('the state file keeps the last save whole, shorter or longer, and refuses damage and another program', () =>
  withTmpDir(async (dir) => {
    const path = join(dir, 'recv.state');
    const w = new StreamWriter(keepingSink());
    const s = new StateFile(path, 'smbta-recv');
    assert.equal(s.previous, undefined);
    s.save(writerState(w, false, { senders: { '127.0.0.1:4000': 123456789 } }));
    w.covered.set('hub', { run: '00', next: 5 });
    s.save(writerState(w, false));
    s.close();
    const again = new StateFile(path, 'smbta-recv');
    assert.deepEqual([again.previous!.clean, again.previous!.senders, again.previous!.covered], [false, undefined, { hub: { run: '00', next: 5 } }]);
    const resumed = new StreamWriter(keepingSink(), { resume: again.resume() });
    assert.deepEqual([resumed.runId, resumed.next], [w.runId, 0], 'the run goes on');
    assert.deepEqual(writerState(resumed, false).covered, { hub: { run: '00', next: 5 } }, 'a source not heard from yet keeps its position');
    again.close();
    assert.throws(
      () => new StateFile(path, 'smbta-mux'),
      (e: Error) => e instanceof UsageError && /belongs to smbta-recv/.test(e.message),
    );
    writeFileSync(path, '{"program":"smbta-recv","run":"zz');
    assert.throws(() => new StateFile(path, 'smbta-recv'), /not a state file/);
    writeFileSync(path, '{"program":"smbta-recv","run":"zz","next":-1,"covered":{}}');
    assert.throws(() => new StateFile(path, 'smbta-recv'), /damaged/);
  }));

test('rotate lands blocks in commits, and a commit killed halfway is cut back at the next start to what --state covers', () =>
  withTmpDir(async (dir) => {
    const report = createReporter('test', () => undefined);
    const statePath = join(dir, 'rotate.state');
    const pattern = join(dir, 'out', 'a.smbta');
    const state = new StateFile(statePath, 'smbta-rotate');
    const rotator = new Rotator({ pattern, mode: { kind: 'count', records: 1_000_000 }, lateMs: 0, compress: false, report, state });
    const src = keepingSink();
    const up = new StreamWriter(src, { blockRecords: 100 });
    for (const r of records(200)) up.add(r);
    const [a, b] = batchesOf(Buffer.concat(src.blocks));
    await rotator.addRows(a!, null, 100, 'hub');
    await rotator.addRows(b!, null, 100, 'hub');
    rotator.commit();
    const temp = join(dir, 'out', readdirSync(join(dir, 'out'))[0]!);
    const landed = statSync(temp).size;
    assert.deepEqual(rotator.covered.get('hub'), { run: up.runId, next: 200 });
    // The next commit killed after --state noted the file's size and part of a block was written
    // (the first rotator is left as a killed one would be: nothing more reaches it).
    state.save({ covered: { hub: { run: up.runId, next: 200 } }, intent: [[temp, landed]], clean: false });
    appendFileSync(temp, readFileSync(temp).subarray(0, 500));
    state.close();

    const next = new StateFile(statePath, 'smbta-rotate');
    const restarted = new Rotator({ pattern, mode: { kind: 'count', records: 1_000_000 }, lateMs: 0, compress: false, report, state: next });
    await restarted.recover();
    assert.equal(statSync(temp).size, landed, 'cut back to where the killed commit began');
    assert.deepEqual(restarted.covered.get('hub'), { run: up.runId, next: 200 }, 'and the reader goes on from what that covers');
    assert.equal(decodeAll(readFileSync(temp)).records.length, 200);
    await restarted.closeAll(); // a clean stop: the state is saved as such and closed
  }));
