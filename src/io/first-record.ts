/**
 * The first record time of stream files, read from their block headers: what orders an
 * archive's files. Kept apart from the reading code so that a worker thread loads little.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { BlockKind, MAGIC, MAX_HEADER_LENGTH, readHeader } from '../stream/format.js';
import { decompressOne, isBzip2, loadBzip2 } from './bz2.js';

/**
 * Files whose first header is read before signals and timers may run. Headers are read with
 * blocking calls: a few small reads of a cached file cost microseconds, and the thread
 * pool's round trips cost more than the reads (50,000 files: 0.6 s against 5 s).
 */
const SLICE = 1000;
/** From this many files on, a second thread reads half of them. */
const SHARED_FROM = 4 * SLICE;

/** Each file's first record time (+Infinity for one that has none or cannot be read), on two threads for many files. */
export async function firstRecordTimes(paths: readonly string[]): Promise<number[]> {
  if (paths.length < SHARED_FROM) return readTimes(paths);
  const half = paths.length >> 1;
  const theirs = inWorker(paths.slice(half));
  const mine = await readTimes(paths.slice(0, half));
  return [...mine, ...((await theirs) ?? (await readTimes(paths.slice(half))))];
}

/** The times read by a worker thread; undefined when it could not do it (the caller reads them itself). */
function inWorker(paths: readonly string[]): Promise<number[] | undefined> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./first-record-worker.js', import.meta.url), { workerData: paths });
    } catch {
      return resolve(undefined);
    }
    worker.once('message', (times: number[]) => resolve(times));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
}

/** The times on this thread, a slice at a time. */
export async function readTimes(paths: readonly string[]): Promise<number[]> {
  const head = Buffer.alloc(MAX_HEADER_LENGTH);
  const times: number[] = [];
  for (const path of paths) {
    if (times.length % SLICE === SLICE - 1) await new Promise(setImmediate);
    times.push(firstBlockTime(path, head) ?? (await firstBz2BlockTime(path)));
  }
  return times;
}

/** Side blocks (info, status) a file may start with before its first records block. */
const MAX_LEADING_BLOCKS = 64;
/** How much of a .bz2 file is read to find the end of its first bzip2 stream. */
const MAX_FIRST_BZ2_STREAM = 8 << 20;

/**
 * The start time of a file's first records block, or +Infinity when it has none we can find
 * cheaply (or it cannot be read); undefined for a .bz2 file (see firstBz2BlockTime). Only
 * block headers are read (side blocks are stepped over by their stated length), so listing
 * thousands of files costs a few small reads each.
 */
function firstBlockTime(path: string, head: Buffer): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Infinity;
  }
  try {
    let at = 0;
    for (let k = 0; k < MAX_LEADING_BLOCKS; k++) {
      const got = readSync(fd, head, 0, head.length, at);
      if (k === 0 && isBzip2(head.subarray(0, got))) return undefined;
      if (got < 4 || head.compare(MAGIC, 0, 4, 0, 4) !== 0) return Infinity;
      const h = readHeader(head, 0, got);
      if (typeof h !== 'object') return Infinity;
      // Side blocks carry the writer's clock, not record time: the first records block says.
      if (h.kind === BlockKind.Records) return h.tmin;
      at += h.headerLength + h.payloadLength;
    }
    return Infinity;
  } catch {
    return Infinity;
  } finally {
    closeSync(fd);
  }
}

/** The same for a .bz2 file: its first bzip2 stream (up to MAX_FIRST_BZ2_STREAM), decompressed. */
async function firstBz2BlockTime(path: string): Promise<number> {
  let data: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      data = Buffer.alloc(Math.min(MAX_FIRST_BZ2_STREAM, fstatSync(fd).size));
      data = data.subarray(0, readSync(fd, data, 0, data.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return Infinity;
  }
  const next = data.indexOf('BZh', 4);
  let plain: Buffer;
  try {
    plain = decompressOne(await loadBzip2(), data.subarray(0, next > 0 ? next : data.length));
  } catch {
    return Infinity;
  }
  for (let at = plain.indexOf(MAGIC); at >= 0;) {
    const h = readHeader(plain, at, plain.length - at);
    if (typeof h !== 'object') return Infinity;
    if (h.kind === BlockKind.Records) return h.tmin;
    at = plain.indexOf(MAGIC, at + h.headerLength + h.payloadLength);
  }
  return Infinity;
}
