/** An archive directory: its stream files, in the order of their first record's time. */
import { closeSync, fstatSync, openSync, readSync, statSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Reporter } from './report.js';
import { BlockKind, MAGIC, MAX_HEADER_LENGTH, readHeader } from '../stream/format.js';
import { decompressOne, isBzip2, loadBzip2 } from './bz2.js';
import { describeIoError } from './consume.js';

/**
 * Files whose first header is read before listing lets signals and timers run. Headers are
 * read with blocking calls: a few small reads of a cached file cost microseconds, and the
 * thread pool's round trips cost more than the reads (50,000 files: 0.6 s against 5 s).
 */
const LISTING_SLICE = 1000;

/** Files under `dir`, skipping hidden and temporary names, in order of their first record's time. */
export async function listArchive(dir: string, report: Reporter): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    report.fail(`${dir}: ${describeIoError(err)}`);
    return [];
  }
  const head = Buffer.alloc(MAX_HEADER_LENGTH);
  const files: { path: string; t: number }[] = [];
  for (const [k, e] of entries.entries()) {
    if (k % LISTING_SLICE === LISTING_SLICE - 1) await new Promise(setImmediate);
    const path = join(e.parentPath, e.name);
    if (!isStreamFile(relative(dir, path)) || !(e.isFile() || (e.isSymbolicLink() && regularFileSize(path) !== undefined))) continue;
    // One that cannot be read sorts last; reading it says why.
    files.push({ path, t: firstBlockTime(path, head) ?? (await firstBz2BlockTime(path)) });
  }
  return files.sort((a, b) => a.t - b.t || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => f.path);
}

/** The size of the regular file at `path` (links followed); undefined for anything else, or when it cannot be looked at. */
export function regularFileSize(path: string): number | undefined {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st?.isFile() ? st.size : undefined;
  } catch {
    return undefined; // a loop of links, a directory we may not enter: reading it says why
  }
}

/** Not hidden (no part of the name starts with a dot), nor a writer's temporary file. */
function isStreamFile(name: string): boolean {
  return !name.split(/[\\/]/).some((part) => part.startsWith('.')) && !name.endsWith('.tmp');
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
