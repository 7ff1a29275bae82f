/**
 * Where bytes go: stdout, a file written under a temporary name and renamed when whole,
 * or either through bzip2. One small interface so every producer writes the same way.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { tempNameFor } from './temp-files.js';
import type { Writable } from 'node:stream';
import { compressBuffer, loadBzip2 } from './bz2.js';

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

/** Writes `path` atomically: to a temporary name, renamed on close. */
export function createFileSink(path: string): ByteSink {
  const temp = tempNameFor(path);
  const out: WriteStream = createWriteStream(temp);
  const failure = new Promise<never>((_, reject) => out.once('error', reject));
  failure.catch(() => undefined);
  return fromWritable(out, async () => {
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failure]);
    await rename(temp, path).catch(async (err: unknown) => {
      await unlink(temp).catch(() => undefined);
      throw err;
    });
  });
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
export function openOutput(path: string): ByteSink {
  const sink = path === '-' ? createStdoutSink() : createFileSink(path);
  return path.endsWith('.bz2') ? createBzip2Sink(sink) : sink;
}
