/**
 * Constants of the smbta binary stream (docs/stream-format.md is the specification).
 * A stream is a sequence of self-contained blocks; each starts with a 40-byte header, or a
 * 56-byte one that also numbers the block (version 2).
 */
import { crc32 } from 'node:zlib';

/** `\x89STA`: the high byte keeps text from looking like a block start. */
export const MAGIC = Buffer.from([0x89, 0x53, 0x54, 0x41]);
export const FORMAT_VERSION = 2;
export const HEADER_LENGTH = 40;
/** Version 2 adds the writer's run (8 bytes) and the block's sequence number (u64) before the header CRC. */
export const NUMBERED_HEADER_LENGTH = 56;
/** Headers of a newer version may be longer, never shorter; anything over this is damage. */
export const MAX_HEADER_LENGTH = 1024;
/** Largest payload a reader accepts; a larger stated length is damage, not a reason to buffer. */
export const MAX_PAYLOAD_LENGTH = 64 * 1024 * 1024;

/** Kinds of block; a reader skips kinds it does not know, so the header carries a plain number. */
export const BlockKind = { Records: 1, Status: 2, Gap: 3, Info: 4, Alert: 5 } as const;
export type BlockKind = (typeof BlockKind)[keyof typeof BlockKind];

/** Wire ids of the record columns. `end` travels as duration (end - time). */
export const COLUMN_IDS = {
  time: 1,
  duration: 2,
  op: 3,
  user: 4,
  sid: 5,
  domain: 6,
  share: 7,
  path: 8,
  path2: 9,
  client: 10,
  server: 11,
  bytes: 12,
  count: 13,
  mode: 14,
  result: 15,
  latency: 16,
  latency_max: 17,
} as const;

/** How a column's values are stored: one per record (Each), or one standing for every record (Constant). */
export const ColumnEncoding = { Each: 0, Constant: 1 } as const;
export type ColumnEncoding = (typeof ColumnEncoding)[keyof typeof ColumnEncoding];

export interface BlockHeader {
  version: number;
  kind: number;
  headerLength: number;
  payloadLength: number;
  count: number;
  tmin: number;
  tmax: number;
  payloadCrc: number;
  /** The writer's run (16 hex digits) and the sequence number of the block's first record, when numbered. */
  run?: string;
  seq?: number;
}

/** Where a numbered block stands in its writer's stream. */
export interface BlockNumber {
  /** 8 random bytes naming the writer's run; a writer that resumes from --state keeps its run. */
  run: Buffer;
  /** Records blocks: the first record's number; gap blocks: the first lost record's. */
  seq: number;
}

/** Builds a whole block (header + payload), numbered when `num` is given. */
/**
 * The most records one block may claim. Writers put at most DEFAULT_BLOCK_RECORDS (8192) in
 * a block; a reader refuses a claim above this bound as damage, since constant and missing
 * columns let a few bytes claim any count.
 */
export const MAX_BLOCK_RECORDS = 65_536;

export function frameBlock(kind: number, payload: Uint8Array, count: number, tmin: number, tmax: number, num?: BlockNumber): Buffer {
  const block = Buffer.allocUnsafe((num ? NUMBERED_HEADER_LENGTH : HEADER_LENGTH) + payload.length);
  MAGIC.copy(block, 0);
  block[5] = kind;
  block.writeUInt32LE(payload.length, 8);
  block.writeUInt32LE(count, 12);
  block.writeBigInt64LE(BigInt(Math.trunc(tmin)), 16);
  block.writeBigInt64LE(BigInt(Math.trunc(tmax)), 24);
  block.writeUInt32LE(crc32(payload), 32);
  return sealBlock(block, payload, num);
}

/** A verified block numbered anew for this writer's stream; the payload and its checksum are kept. */
export function renumberBlock(raw: Buffer, num: BlockNumber): Buffer {
  const payload = raw.subarray(raw.readUInt16LE(6));
  const block = Buffer.allocUnsafe(NUMBERED_HEADER_LENGTH + payload.length);
  raw.copy(block, 0, 0, 36);
  return sealBlock(block, payload, num);
}

/** Completes a header whose first 36 bytes are written: version, length, number, CRC; then the payload. */
function sealBlock(block: Buffer, payload: Uint8Array, num: BlockNumber | undefined): Buffer {
  const headerLength = num ? NUMBERED_HEADER_LENGTH : HEADER_LENGTH;
  block[4] = num ? 2 : 1;
  block.writeUInt16LE(headerLength, 6);
  if (num) {
    num.run.copy(block, 36, 0, 8);
    block.writeBigUInt64LE(BigInt(num.seq), 44);
  }
  block.writeUInt32LE(crc32(block.subarray(0, headerLength - 4)), headerLength - 4);
  block.set(payload, headerLength);
  return block;
}

/** Why a header could not be read: 'short' (more bytes needed to judge it) or what is damaged. */
export type HeaderProblem = string;

/**
 * Reads the header at `off`, which must start with MAGIC and have `available` bytes.
 * Returns 'short' when more bytes are needed to judge it, or a reason string when it is damaged.
 */
export function readHeader(buf: Buffer, off: number, available: number): BlockHeader | HeaderProblem {
  if (available < 8) return 'short';
  const headerLength = buf.readUInt16LE(off + 6);
  if (headerLength < HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH) return 'bad header length';
  if (available < headerLength) return 'short';
  const stored = buf.readUInt32LE(off + headerLength - 4);
  if (crc32(buf.subarray(off, off + headerLength - 4)) !== stored) return 'bad header checksum';
  const payloadLength = buf.readUInt32LE(off + 8);
  if (payloadLength > MAX_PAYLOAD_LENGTH) return 'absurd block length';
  const version = buf[off + 4]!;
  const numbered = version >= 2 && headerLength >= NUMBERED_HEADER_LENGTH;
  return {
    version,
    kind: buf[off + 5]!,
    headerLength,
    payloadLength,
    count: buf.readUInt32LE(off + 12),
    tmin: Number(buf.readBigInt64LE(off + 16)),
    tmax: Number(buf.readBigInt64LE(off + 24)),
    payloadCrc: buf.readUInt32LE(off + 32),
    run: numbered ? buf.toString('hex', off + 36, off + 44) : undefined,
    seq: numbered ? Number(buf.readBigUInt64LE(off + 44)) : undefined,
  };
}
