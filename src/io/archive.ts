/** An archive directory: its stream files, in the order of their first record's time. */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Reporter } from './report.js';
import { BlockKind, MAGIC, MAX_HEADER_LENGTH, readHeader } from '../stream/format.js';
import { decompressOne, isBzip2, loadBzip2 } from './bz2.js';
import { describeIoError } from './consume.js';

/** Files whose first header is read at once while listing. */
const LISTING_CONCURRENCY = 16;

/** Files under `dir`, skipping hidden and temporary names, in order of their first record's time. */
export async function listArchive(dir: string, report: Reporter): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (err) {
    report.fail(`${dir}: ${describeIoError(err)}`);
    return [];
  }
  const candidates = names.filter((name) => !name.split(/[\\/]/).some((part) => part.startsWith('.')) && !basename(name).endsWith('.tmp'));
  const files: { path: string; t: number }[] = [];
  // A few files at a time: the headers of thousands of small files are read in parallel.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const path = join(dir, candidates[next++] ?? '');
      const st = await stat(path).catch(() => undefined);
      // One that cannot be read sorts last; reading it says why.
      if (st?.isFile()) files.push({ path, t: await firstBlockTime(path).catch(() => Infinity) });
    }
  };
  await Promise.all(Array.from({ length: LISTING_CONCURRENCY }, worker));
  return files.sort((a, b) => a.t - b.t || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => f.path);
}

/** Side blocks (info, status) a file may start with before its first records block. */
const MAX_LEADING_BLOCKS = 64;
/** How much of a .bz2 file is read to find the end of its first bzip2 stream. */
const MAX_FIRST_BZ2_STREAM = 8 << 20;

/**
 * The start time of a file's first records block, or +Infinity when it has none we can find
 * cheaply. Only block headers are read (side blocks are stepped over by their stated length),
 * so listing thousands of files costs a few small reads each; a .bz2 file costs its first
 * bzip2 stream.
 */
export async function firstBlockTime(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAX_HEADER_LENGTH);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (isBzip2(head.subarray(0, bytesRead))) return await firstBz2BlockTime(fh);
    let at = 0;
    for (let k = 0; k < MAX_LEADING_BLOCKS; k++) {
      const got = k === 0 ? bytesRead : (await fh.read(head, 0, head.length, at)).bytesRead;
      if (got < 4 || head.compare(MAGIC, 0, 4, 0, 4) !== 0) return Infinity;
      const h = readHeader(head, 0, got);
      if (typeof h !== 'object') return Infinity;
      // Side blocks carry the writer's clock, not record time: the first records block says.
      if (h.kind === BlockKind.Records) return h.tmin;
      at += h.headerLength + h.payloadLength;
    }
    return Infinity;
  } finally {
    await fh.close();
  }
}

/** The same, for a .bz2 file: its first bzip2 stream, decompressed. */
async function firstBz2BlockTime(fh: FileHandle): Promise<number> {
  const data = Buffer.alloc(Math.min(MAX_FIRST_BZ2_STREAM, (await fh.stat()).size));
  const { bytesRead } = await fh.read(data, 0, data.length, 0);
  const next = data.indexOf('BZh', 4);
  let plain: Buffer;
  try {
    plain = decompressOne(await loadBzip2(), data.subarray(0, next > 0 && next < bytesRead ? next : bytesRead));
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
