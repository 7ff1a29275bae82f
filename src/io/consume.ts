/**
 * Decodes one byte source (a file, stdin, a live connection; plain or bzip2, told apart by
 * content) into batches and side blocks for a reader's handlers. Damage is reported and
 * skipped; a live source's numbering counts what never arrived.
 */
import { sayFirst, type Reporter } from './report.js';
import type { RecordBatch } from '../stream/batch.js';
import { bodyText, StreamDecoder, type SideBlock } from '../stream/decoder.js';
import { describeLoss, type Loss, type Position } from '../stream/sequence.js';
import type { Commits } from './commits.js';
import { BlockKind, frameBlock } from '../stream/format.js';
import { Bz2Splitter, isBzip2, loadBzip2 } from './bz2.js';
import type { LinkSecurity, NatsAuth } from './link-security.js';

export interface RecordHandlers {
  batch(batch: RecordBatch, source: string): void | Promise<void>;
  side?(block: SideBlock, source: string): void | Promise<void>;
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
  /** Where the program's output became durable (a commit): sources that acknowledge upstream listen. */
  commits?: Commits;
  nats?: NatsReading;
}

/** NATS credentials and trust, and a durable consumer's name, for -S nats:// sources. */
export interface NatsReading {
  auth: NatsAuth;
  durable?: string;
}

/** How a live source's numbering is followed: one upstream run (SequenceTracker), or one per subject of a JetStream stream. */
export interface Numbering {
  lastEnd: number | undefined;
  readonly position: Position | undefined;
  block(run: string, seq: number, count: number): Loss | 'restarted' | undefined;
  gap(run: string, seq: number, records: number): Loss | undefined;
}

/** Damage messages per source before the rest are only counted. */
const MAX_DAMAGE_MESSAGES = 10;

export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EROFS':
      return 'read-only file system';
    case 'EISDIR':
      return 'is a directory (use -R to read a directory)';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return `${e.message}: give --tls-ca with the CA that signed the server's certificate`;
    case 'CERT_HAS_EXPIRED':
      return `${e.message}: the server's certificate must be renewed`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `${e.message}: connect by a name the server's certificate holds`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return 'the server does not speak TLS: read it with -S HOST:PORT';
    case 'EADDRINUSE':
      return 'address in use (is another program listening there?)';
    case 'EADDRNOTAVAIL':
      return 'no such address on this host';
    default:
      return (e as { reason?: string }).reason ?? e.message ?? String(err);
  }
}

/** A loss this reader's numbering found, as the gap block a reader further on counts: between `from` and `to` (record times). */
function transitGap(loss: Loss, source: string, from: number, to: number): SideBlock {
  const body = { records: loss.records, reason: 'lost in transit', source, run: loss.run, first: loss.first, from, to };
  return { kind: BlockKind.Gap, body, raw: frameBlock(BlockKind.Gap, Buffer.from(JSON.stringify(body)), 0, from, to), counted: loss.records };
}

/**
 * Decodes one byte source (plain or bzip2, told apart by content) into handler calls. A live
 * source's `tracker` counts the numbered records that never reached us.
 */
export async function consume(label: string, chunks: AsyncIterable<Buffer>, on: RecordHandlers, opts: ReadOptions, tracker?: Numbering): Promise<void> {
  const { report } = opts;
  const queue: (() => void | Promise<void>)[] = [];
  const numbered = (b: RecordBatch): void => {
    if (!tracker || b.run === undefined) return;
    const since = tracker.lastEnd;
    const loss = tracker.block(b.run, b.seq!, b.length);
    tracker.lastEnd = b.tmax;
    b.position = tracker.position;
    if (loss === 'restarted') report.warn(`${label}: began a new run (restarted without --state?); what its last run had not sent is not counted`);
    else if (loss) {
      report.warn(`${label}: ${describeLoss(loss)}`);
      // Passed on as a gap block, so what stores the stream (an archive, a database) keeps the loss where it happened.
      const gap = transitGap(loss, label, since ?? b.tmin, b.tmin);
      queue.push(() => on.side?.(gap, label));
    }
  };
  const damaged = sayFirst(MAX_DAMAGE_MESSAGES, (m) => report.fail(m), `${label}: further damage is counted, not shown`);
  const damage = (message: string): void => damaged(`${label}: ${message}`);
  const decoder = new StreamDecoder({
    batch: (b) => {
      numbered(b);
      queue.push(() => on.batch(b, label));
    },
    side: (s) => {
      // A server that will not serve this reader says why before it closes.
      if (s.kind === BlockKind.Info && typeof s.body.refused === 'string') report.fail(`${label}: the server refused this reader: ${s.body.refused}`);
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
  // Every smbta producer writes at least an info block: an empty pipe means the one before failed.
  if (label === 'stdin' && !target && head.length === 0) report.fail('stdin held no smbta stream (it was empty: did the program before this one fail?)');
  else if (s.blocks === 0 && s.skippedBytes > 0) report.fail(`${label}: no smbta blocks found in ${s.skippedBytes} bytes; is this an smbta stream?`);
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
