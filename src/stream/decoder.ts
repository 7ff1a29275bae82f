/**
 * Push decoder for the smbta stream: bytes in, batches and side blocks out.
 * Damage never throws: the decoder resynchronises on the next magic and reports the
 * skipped bytes. A block still incomplete at the end is a truncated tail: a warning.
 */
import { crc32 } from 'node:zlib';
import type { RecordBatch } from './batch.js';
import { FormatError } from './bytes.js';
import { decodeRecordsPayload } from './decode-block.js';
import { BlockKind, FORMAT_VERSION, MAGIC, MAX_BLOCK_RECORDS, readHeader, type BlockHeader } from './format.js';

/** Kinds whose payload is one JSON object: status, gap, info and alert. */
const SIDE_KINDS: ReadonlySet<number> = new Set([BlockKind.Status, BlockKind.Gap, BlockKind.Info, BlockKind.Alert]);

export interface SideBlock {
  kind: number;
  /** The parsed JSON payload of a status, gap, info or alert block. */
  body: Record<string, unknown>;
  raw: Buffer;
  /** Numbered side blocks (a server's gap for a slow reader): the run and first lost record. */
  run?: string;
  seq?: number;
  /** A gap this reader's own link caused, already reported where it was read: the records it lost. */
  counted?: number;
}

/** A side block's text field (a reason, a source), or `fallback` when it holds no text. */
export function bodyText(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

/** What a receiver's status block says each file server speaks (`senders`), as [server, protocol]. */
export function statusSenders(block: SideBlock): [string, string][] {
  if (block.kind !== BlockKind.Status) return [];
  return Object.entries((block.body.senders ?? {}) as Record<string, unknown>).map(([server, protocol]) => [server, String(protocol)]);
}

export interface DecoderHandlers {
  batch(batch: RecordBatch): void;
  side?(block: SideBlock): void;
  /** Bytes skipped at `offset` because they were not a valid block. */
  damage?(offset: number, length: number, reason: string): void;
  /** The stream ended inside a block (a file still being written, or a crash). */
  truncated?(offset: number, length: number): void;
  /** Something worth saying once, such as a newer format version. */
  notice?(message: string): void;
}

export interface DecoderStats {
  blocks: number;
  records: number;
  skippedBytes: number;
  damagedRegions: number;
  truncatedBytes: number;
  unknownBlocks: number;
}

export class StreamDecoder {
  readonly stats: DecoderStats = { blocks: 0, records: 0, skippedBytes: 0, damagedRegions: 0, truncatedBytes: 0, unknownBlocks: 0 };
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private need = 0;
  /** Stream offset of the first pending byte. */
  private offset = 0;
  private skipStart = -1;
  private skipReason = '';
  private newerSeen = false;

  constructor(private readonly on: DecoderHandlers) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // A block waiting for its tail: complete it from the chunk's head, so the rest of the
    // chunk is parsed where it is instead of being copied behind the waiting bytes.
    if (this.pendingLength && this.need > this.pendingLength && this.pendingLength + chunk.length >= this.need) {
      const take = this.need - this.pendingLength;
      const head = Buffer.concat([...this.pending, chunk.subarray(0, take)], this.need);
      this.pending = [];
      this.pendingLength = 0;
      const used = this.parse(head, false);
      this.offset += used;
      chunk = used < head.length ? Buffer.concat([head.subarray(used), chunk.subarray(take)]) : chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength < this.need) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    const used = this.parse(buf, false);
    this.offset += used;
    // Keep only the unparsed tail; copy it when small so the big chunk can be freed.
    const rest = buf.subarray(used);
    this.pending = rest.length ? [rest.length < 65536 ? Buffer.from(rest) : rest] : [];
    this.pendingLength = rest.length;
  }

  end(): void {
    const buf = Buffer.concat(this.pending, this.pendingLength);
    const used = this.parse(buf, true);
    const rest = buf.length - used;
    if (rest > 0) {
      this.flushSkip(this.offset + used);
      this.stats.truncatedBytes += rest;
      this.on.truncated?.(this.offset + used, rest);
    }
    this.flushSkip(this.offset + buf.length);
    this.pending = [];
    this.pendingLength = 0;
    this.offset += buf.length;
  }

  /** Parses whole blocks from `buf`; returns how many bytes were consumed. */
  private parse(buf: Buffer, atEnd: boolean): number {
    let pos = 0;
    this.need = 0;
    while (pos < buf.length) {
      const avail = buf.length - pos;
      if (avail < 4 || buf[pos] !== MAGIC[0] || buf.readUInt32BE(pos) !== MAGIC.readUInt32BE(0)) {
        const next = buf.indexOf(MAGIC, pos + (avail >= 4 ? 1 : 0));
        if (next < 0) {
          // Keep up to 3 bytes: they may be the start of a magic split across chunks.
          const keep = atEnd ? 0 : Math.min(3, avail);
          this.skip(pos, avail - keep, 'not a block');
          pos = buf.length - keep;
          this.need = buf.length - pos + 1;
          return pos;
        }
        this.skip(pos, next - pos, 'not a block');
        pos = next;
        continue;
      }
      const h = readHeader(buf, pos, avail);
      if (h === 'short') {
        this.need = avail < 8 ? 8 : buf.readUInt16LE(pos + 6);
        return pos;
      }
      if (typeof h === 'string') {
        this.skip(pos, 1, h);
        pos += 1;
        continue;
      }
      const total = h.headerLength + h.payloadLength;
      if (avail < total) {
        this.need = total;
        return pos;
      }
      const payload = buf.subarray(pos + h.headerLength, pos + total);
      if (crc32(payload) !== h.payloadCrc) {
        this.skip(pos, 1, 'bad checksum');
        pos += 1;
        continue;
      }
      this.flushSkip(this.offset + pos);
      const reason = this.dispatch(h, payload, buf.subarray(pos, pos + total));
      if (reason) {
        this.skip(pos, total, reason);
        this.flushSkip(this.offset + pos + total);
      }
      pos += total;
    }
    return pos;
  }

  /** Hands one verified block to the handlers; returns a reason when its contents are malformed. */
  private dispatch(h: BlockHeader, payload: Buffer, raw: Buffer): string | undefined {
    if (h.version > FORMAT_VERSION && !this.newerSeen) {
      this.newerSeen = true;
      this.on.notice?.(`stream format version ${h.version} is newer than this reader's ${FORMAT_VERSION}; parts it does not know are skipped`);
    }
    this.stats.blocks++;
    try {
      if (h.kind === BlockKind.Records) {
        // Constant and missing columns cost no bytes, so the payload cannot bound the count: the format does.
        if (h.count > MAX_BLOCK_RECORDS) throw new FormatError(`absurd record count ${h.count} (a block holds at most ${MAX_BLOCK_RECORDS})`);
        const batch = decodeRecordsPayload(payload, h.count, h.tmin, h.tmax);
        batch.raw = raw;
        batch.run = h.run;
        batch.seq = h.seq;
        this.stats.records += h.count;
        this.on.batch(batch);
      } else if (SIDE_KINDS.has(h.kind)) {
        const body = JSON.parse(payload.toString('utf8')) as unknown;
        if (typeof body !== 'object' || body === null) throw new FormatError('not an object');
        this.on.side?.({ kind: h.kind, body: body as Record<string, unknown>, raw, run: h.run, seq: h.seq });
      } else {
        this.stats.unknownBlocks++;
      }
    } catch (err) {
      if (err instanceof FormatError || err instanceof SyntaxError) {
        this.stats.blocks--;
        return `malformed block: ${err.message}`;
      }
      throw err;
    }
    return undefined;
  }

  private skip(pos: number, length: number, reason: string): void {
    if (length <= 0) return;
    if (this.skipStart < 0) {
      this.skipStart = this.offset + pos;
      this.skipReason = reason;
    }
    this.stats.skippedBytes += length;
  }

  private flushSkip(upTo: number): void {
    if (this.skipStart < 0) return;
    this.stats.damagedRegions++;
    this.on.damage?.(this.skipStart, upTo - this.skipStart, this.skipReason);
    this.skipStart = -1;
  }
}
