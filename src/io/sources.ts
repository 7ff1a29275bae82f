/**
 * Every reader's input: files, directories, stdin and live servers, decoded into
 * batches. Files are read one after another; live sources run side by side and
 * reconnect with backoff. Damage in one source is reported and never stops the others.
 */
import { createReadStream, fstatSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sayFirst, type Reporter } from './report.js';
import type { RecordBatch } from '../stream/batch.js';
import { bodyText, StreamDecoder, type SideBlock } from '../stream/decoder.js';
import { describeLoss, SequenceTracker, type Position } from '../stream/sequence.js';
import { BlockKind, MAGIC, readHeader } from '../stream/format.js';
import { Bz2Splitter, decompressOne, isBzip2, loadBzip2 } from './bz2.js';
import { sendToken, type LinkSecurity } from './link-security.js';

export type SourceSpec =
  { kind: 'file'; path: string } | { kind: 'dir'; path: string } | { kind: 'tcp'; host: string; port: number; tls?: boolean } | { kind: 'unix'; path: string };

export interface RecordHandlers {
  batch(batch: RecordBatch, source: string): void | Promise<void>;
  side?(block: SideBlock, source: string): void | Promise<void>;
  /** Records a live source's numbering shows never arrived (already said on stderr). */
  lost?(records: number, source: string): void;
}

export interface ReadOptions {
  report: Reporter;
  signal: AbortSignal;
  /** First reconnect delay for live sources, doubled up to 30 s. */
  retryMs?: number;
  /** Trust, client certificate and token for -S sources. */
  security?: LinkSecurity;
  /** Where each live source stood when this program last let records go (from --state). */
  resume?: ReadonlyMap<string, Position>;
}

/** Damage messages per source before the rest are only counted. */
const MAX_DAMAGE_MESSAGES = 10;
const MAX_RETRY_MS = 30_000;

export function sourceLabel(s: SourceSpec): string {
  switch (s.kind) {
    case 'file':
      return s.path === '-' ? 'stdin' : s.path;
    case 'dir':
      return s.path;
    case 'tcp':
      return `${s.tls ? 'tls://' : ''}${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
    case 'unix':
      return `unix:${s.path}`;
  }
}

/** A source whose end is not in sight: a live server or stdin (not files read to their end). */
export function isLiveSource(s: SourceSpec): boolean {
  return s.kind === 'tcp' || s.kind === 'unix' || (s.kind === 'file' && s.path === '-');
}

export async function readSources(specs: readonly SourceSpec[], on: RecordHandlers, opts: ReadOptions): Promise<void> {
  const stored = specs.filter((s) => s.kind === 'file' || s.kind === 'dir');
  const live = specs.filter((s) => s.kind === 'tcp' || s.kind === 'unix');
  await Promise.all([readStored(stored, on, opts), ...live.map((s) => readLive(s, on, opts))]);
}

async function readStored(specs: readonly SourceSpec[], on: RecordHandlers, opts: ReadOptions): Promise<void> {
  for (const spec of specs) {
    const files = spec.kind === 'dir' ? await listArchive(spec.path, opts.report) : [(spec as { path: string }).path];
    for (const path of files) {
      if (opts.signal.aborted) return;
      const label = path === '-' ? 'stdin' : path;
      const input = path === '-' ? openStdin() : createReadStream(path, { highWaterMark: 4 << 20 });
      try {
        await consume(label, input, on, opts);
      } catch (err) {
        opts.report.fail(`${label}: ${describeIoError(err)}`);
      }
    }
  }
}

/**
 * Stdin redirected from a file is read in large chunks straight from fd 0 (process.stdin
 * reads 64 KiB at a time). Pipes may be non-blocking, so they stay with process.stdin.
 */
function openStdin(): AsyncIterable<Buffer> {
  if (!fstatSync(0).isFile()) return process.stdin;
  return createReadStream('', { fd: 0, highWaterMark: 4 << 20, autoClose: false });
}

export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory (use -R to read a directory)';
    case 'ECONNREFUSED':
      return 'connection refused';
    default:
      return (e as { reason?: string }).reason ?? e.message ?? String(err);
  }
}

/**
 * Decodes one byte source (plain or bzip2, told apart by content) into handler calls. A live
 * source's `tracker` counts the numbered records that never reached us.
 */
export async function consume(label: string, chunks: AsyncIterable<Buffer>, on: RecordHandlers, opts: ReadOptions, tracker?: SequenceTracker): Promise<void> {
  const { report } = opts;
  const numbered = (b: RecordBatch): void => {
    if (!tracker || b.run === undefined) return;
    const loss = tracker.block(b.run, b.seq!, b.length);
    b.position = tracker.position;
    if (loss === 'restarted') report.warn(`${label}: began a new run (restarted without --state?); what its last run had not sent is not counted`);
    else if (loss) {
      report.warn(`${label}: ${describeLoss(loss)}`);
      on.lost?.(loss.records, label);
    }
  };
  const queue: (() => void | Promise<void>)[] = [];
  const damaged = sayFirst(MAX_DAMAGE_MESSAGES, (m) => report.fail(m), `${label}: further damage is counted, not shown`);
  const damage = (message: string): void => damaged(`${label}: ${message}`);
  const decoder = new StreamDecoder({
    batch: (b) => {
      numbered(b);
      queue.push(() => on.batch(b, label));
    },
    side: (s) => {
      const loss = tracker && s.kind === BlockKind.Gap && s.run !== undefined ? tracker.gap(s.run, s.seq!, Number(s.body.records) || 0) : undefined;
      if (loss) {
        // Said here with its numbers; readers further on hear of it from the block itself.
        report.warn(`${label}: ${describeLoss(loss, `this reader was too slow, and the server dropped them (${bodyText(s.body.reason, 'gap block')})`)}`);
        s.counted = loss.records;
      }
      queue.push(() => on.side?.(s, label));
    },
    damage: (offset, length, reason) => damage(`skipped ${length} bytes at offset ${offset} (${reason})`),
    truncated: (offset, length) => report.warn(`${label}: last block incomplete at offset ${offset} (${length} bytes ignored; still being written?)`),
    notice: (message) => report.warn(`${label}: ${message}`),
  });
  let target: { push(b: Buffer): void; end(): void } | undefined;
  let head = Buffer.alloc(0);
  const drain = async (): Promise<void> => {
    while (queue.length) await queue.shift()!();
  };
  for await (const chunk of chunks) {
    if (opts.signal.aborted) return;
    if (!target) {
      // Decide plain or bzip2 on the first four bytes, however the input is chunked.
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) continue;
      target = isBzip2(head) ? await bz2Target(decoder, report, label, damage) : decoder;
      target.push(head);
    } else {
      target.push(chunk);
    }
    await drain();
  }
  if (opts.signal.aborted) return;
  if (!target && head.length) decoder.push(head);
  (target ?? decoder).end();
  await drain();
  const s = decoder.stats;
  if (s.blocks === 0 && s.skippedBytes > 0) report.fail(`${label}: no smbta blocks found in ${s.skippedBytes} bytes; is this an smbta stream?`);
  else if (damaged.count > MAX_DAMAGE_MESSAGES) report.fail(`${label}: ${s.skippedBytes} bytes skipped in ${s.damagedRegions} damaged regions`);
}

async function bz2Target(
  decoder: StreamDecoder,
  report: Reporter,
  label: string,
  damage: (m: string) => void,
): Promise<{ push(b: Buffer): void; end(): void }> {
  const splitter = new Bz2Splitter(
    await loadBzip2(),
    (plain) => decoder.push(plain),
    (message, truncated) => (truncated ? report.warn(`${label}: ${message}`) : damage(message)),
  );
  return { push: (b) => splitter.push(b), end: () => (splitter.end(), decoder.end()) };
}

async function readLive(spec: SourceSpec, on: RecordHandlers, opts: ReadOptions): Promise<void> {
  const label = sourceLabel(spec);
  const first = opts.retryMs ?? 250;
  let delay = first;
  let failedBefore = false;
  // One tracker across reconnections: what was sent while we were away is counted.
  const tracker = new SequenceTracker(opts.resume?.get(label));
  while (!opts.signal.aborted) {
    let reason: string;
    try {
      const socket = await connectTo(spec, opts.signal, opts.security ?? {});
      if (failedBefore) opts.report.warn(`${label}: connected`);
      delay = first;
      await consume(label, socket, on, opts, tracker);
      reason = 'connection closed';
    } catch (err) {
      reason = describeIoError(err);
    }
    if (opts.signal.aborted) return;
    failedBefore = true;
    opts.report.warn(`${label}: ${reason}; reconnecting in ${delay / 1000}s`);
    await sleep(delay, undefined, { signal: opts.signal }).catch(() => undefined);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}

function connectTo(spec: SourceSpec, signal: AbortSignal, sec: LinkSecurity): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tcp = spec as { host: string; port: number; tls?: boolean };
    const socket =
      spec.kind === 'unix'
        ? connect({ path: spec.path })
        : tcp.tls
          ? connectTls({ host: tcp.host, port: tcp.port, ca: sec.ca, cert: sec.cert, key: sec.key, servername: isIP(tcp.host) ? undefined : tcp.host })
          : connect({ host: tcp.host, port: tcp.port });
    const abort = (): void => void socket.destroy();
    signal.addEventListener('abort', abort, { once: true });
    socket.once('close', () => signal.removeEventListener('abort', abort));
    socket.once('error', reject);
    socket.once(tcp.tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      sendToken(socket, sec.token);
      // Errors after connecting end the iteration in consume(); keep them from being unhandled.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/** Files under `dir`, skipping hidden and temporary names, in order of their first record's time. */
export async function listArchive(dir: string, report: Reporter): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (err) {
    report.fail(`${dir}: ${describeIoError(err)}`);
    return [];
  }
  const files: { path: string; t: number }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (name.split(/[\\/]/).some((part) => part.startsWith('.')) || basename(name).endsWith('.tmp')) continue;
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    files.push({ path, t: await firstBlockTime(path) });
  }
  return files.sort((a, b) => a.t - b.t || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => f.path);
}

/** The start time of a file's first block, or +Infinity when it has none we can find cheaply. */
export async function firstBlockTime(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let data: Buffer = buf.subarray(0, bytesRead);
    if (isBzip2(data)) {
      try {
        const bz = await loadBzip2();
        const next = data.indexOf('BZh', 4);
        data = decompressOne(bz, next > 0 ? data.subarray(0, next) : data);
      } catch {
        return Infinity;
      }
    }
    // Side blocks carry the writer's clock, not record time: look for the first records block.
    for (let at = data.indexOf(MAGIC); at >= 0;) {
      const h = readHeader(data, at, data.length - at);
      if (typeof h !== 'object') return Infinity;
      if (h.kind === BlockKind.Records) return h.tmin;
      at = data.indexOf(MAGIC, at + h.headerLength + h.payloadLength);
    }
    return Infinity;
  } finally {
    await fh.close();
  }
}
