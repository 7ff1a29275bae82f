/**
 * Where bytes go: stdout, a file written under a temporary name and renamed when whole, a
 * device or FIFO written directly, or any of these through bzip2. One small interface so
 * every producer writes the same way.
 */
import { closeSync, createWriteStream, existsSync, lstatSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from '../language/errors.js';
import { describeIoError } from './consume.js';
import { compressBuffer, loadBzip2 } from './bz2.js';
import { recoverOrphansOf, tempNameFor, whileUnfinished } from './temp-files.js';

export interface ByteSink {
  write(data: Uint8Array | string): void;
  /** Writes and resolves once the data has been handed on, so its buffer may be reused. */
  writeAndWait(data: Uint8Array | string): Promise<void>;
  /** Resolves when the destination has room again (backpressure). */
  ready(): Promise<void>;
  /** Bytes accepted but not yet handed on: what a producer that must not block watches. */
  backlog(): number;
  close(): Promise<void>;
}

/** Uncompressed bytes per bzip2 stream: each stream can be decompressed on its own. */
const BZ2_CHUNK = 2 << 20;

function fromWritable(w: Writable, finish: () => Promise<void>): ByteSink {
  return {
    write: (data) => void w.write(data),
    writeAndWait: (data) => new Promise((resolve, reject) => w.write(data, (err) => (err ? reject(err) : resolve()))),
    ready: () => (w.writableNeedDrain ? new Promise((resolve) => w.once('drain', resolve)) : Promise.resolve()),
    backlog: () => w.writableLength,
    close: finish,
  };
}

export function createStdoutSink(): ByteSink {
  return fromWritable(process.stdout, async () => {
    if (process.stdout.writableNeedDrain) await new Promise((resolve) => process.stdout.once('drain', resolve));
  });
}

export interface FileSinkOptions {
  /** Replace an existing regular file (otherwise opening it is refused). */
  replace?: boolean;
  /** How the file was named on the command line, for messages (`-w`). */
  option?: string;
  /** Told of what a killed earlier writer of the file left, and where it is kept now. */
  say?: (message: string) => void;
}

/**
 * A file destination. A regular file (or a new one) is written under a temporary name beside
 * it and renamed when whole, so a reader never sees half of it; an existing one is replaced
 * only when asked. Anything else (a character device such as /dev/null, a FIFO, /dev/stdout,
 * or a symlink to one) is opened and written directly, and stays what it was. A symlink to a
 * regular file keeps pointing there: the file it names is the one written. Opening fails at
 * once (a missing directory, no permission), before anything listens or reads.
 */
export function createFileSink(path: string, opts: FileSinkOptions = {}): ByteSink {
  const option = opts.option ?? '-w';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw new UsageError(`${option} ${path}: expected a file name (or - for stdout); outputs are files`);
  const target = statSync(path, { throwIfNoEntry: false });
  if (target && !target.isFile()) {
    if (target.isDirectory()) throw new UsageError(`${option} ${path}: is a directory`);
    return createDeviceSink(path);
  }
  if (target && !opts.replace) throw new UsageError(`${option} ${path}: exists; give --force to replace it, or another name`);
  const real = realTarget(path);
  for (const m of recoverOrphansOf(real)) opts.say?.(m);
  try {
    return createAtomicFileSink(real);
  } catch (err) {
    // Said before anything listens or reads: a program without its output does not start.
    throw new Error(`${option} ${path}: cannot create it: ${describeIoError(err)}`, { cause: err });
  }
}

/** The path a write through `path` lands on: a symlink's target (followed), else the path itself. */
function realTarget(path: string): string {
  let p = path;
  for (let hops = 0; hops < 40 && lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink(); hops++) p = resolve(dirname(p), readlinkSync(p));
  return p;
}

/** A device or FIFO: written directly, asynchronously (a FIFO waits for its reader). */
function createDeviceSink(path: string): ByteSink {
  const out = createWriteStream(path, { flags: 'w' });
  const failure = new Promise<never>((_, reject) => out.once('error', reject));
  failure.catch(() => undefined);
  return fromWritable(out, async () => {
    await Promise.race([new Promise<void>((done) => out.end(done)), failure]);
  });
}

/**
 * A regular file, written synchronously under its temporary name: what was handed over is in
 * the file, so a second signal can rename it at once and lose nothing handed over.
 */
function createAtomicFileSink(path: string): ByteSink {
  const temp = tempNameFor(path);
  let fd: number | undefined = openSync(temp, 'w', 0o644);
  let written = 0;
  const done = whileUnfinished(() => {
    renameSync(temp, path);
    return `${path}: kept as written so far (${written} bytes)`;
  });
  const write = (data: Uint8Array | string): void => {
    if (fd === undefined) return;
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < b.length;) at += writeSync(fd, b, at, b.length - at);
    written += b.length;
  };
  return {
    write,
    writeAndWait: async (data) => write(data),
    ready: async () => undefined,
    backlog: () => 0,
    async close() {
      if (fd === undefined) return;
      closeSync(fd);
      fd = undefined;
      done();
      try {
        renameSync(temp, path);
      } catch (err) {
        if (existsSync(temp)) unlinkSync(temp);
        throw err;
      }
    },
  };
}

/** Compresses everything written into a series of bzip2 streams before passing it on. */
export function createBzip2Sink(inner: ByteSink): ByteSink {
  let parts: Buffer[] = [];
  let size = 0;
  let pending = Promise.resolve();
  const flush = (): void => {
    if (!size) return;
    const data = Buffer.concat(parts, size);
    parts = [];
    size = 0;
    pending = pending.then(async () => inner.write(compressBuffer(await loadBzip2(), data)));
  };
  return {
    write(data) {
      const b = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      parts.push(Buffer.from(b));
      size += b.length;
      if (size >= BZ2_CHUNK) flush();
    },
    async writeAndWait(data) {
      this.write(data);
      await pending;
    },
    ready: async () => {
      await pending;
      await inner.ready();
    },
    backlog: () => size + inner.backlog(),
    async close() {
      flush();
      await pending;
      await inner.close();
    },
  };
}

/** Writes everything to several sinks (stdout or a file, and a block server). */
export function teeSinks(sinks: ByteSink[]): ByteSink {
  return {
    write: (d) => sinks.forEach((s) => s.write(d)),
    writeAndWait: async (d) => void (await Promise.all(sinks.map((s) => s.writeAndWait(d)))),
    ready: async () => void (await Promise.all(sinks.map((s) => s.ready()))),
    backlog: () => Math.max(0, ...sinks.map((s) => s.backlog())),
    close: async () => void (await Promise.all(sinks.map((s) => s.close()))),
  };
}

/** A sink for `-w PATH`: `-` is stdout, `.bz2` means compressed. */
export function openOutput(path: string, opts: FileSinkOptions = {}): ByteSink {
  const sink = path === '-' ? createStdoutSink() : createFileSink(path, opts);
  return path.endsWith('.bz2') ? createBzip2Sink(sink) : sink;
}
