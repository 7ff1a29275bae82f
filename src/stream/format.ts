/**
 * Constants of the smbta binary stream (docs/stream-format.md is the specification).
 * A stream is a sequence of self-contained blocks; each starts with a 40-byte header.
 */
import { crc32 } from 'node:zlib';

/** `\x89STA`: the high byte keeps text from looking like a block start. */
export const MAGIC = Buffer.from([0x89, 0x53, 0x54, 0x41]);
export const FORMAT_VERSION = 1;
export const HEADER_LENGTH = 40;
/** Headers of a newer version may be longer, never shorter; anything over this is damage. */
export const MAX_HEADER_LENGTH = 1024;
/** Largest payload a reader accepts; a larger stated length is damage, not a reason to buffer. */
export const MAX_PAYLOAD_LENGTH = 64 * 1024 * 1024;

export const enum BlockKind {
  Records = 1,
  Status = 2,
  Gap = 3,
  Info = 4,
}

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

export const enum ColumnEncoding {
  /** One value per record. */
  Each = 0,
  /** One value standing for every record of the block. */
  Constant = 1,
}

export interface BlockHeader {
  version: number;
  kind: number;
  headerLength: number;
  payloadLength: number;
  count: number;
  tmin: number;
  tmax: number;
  payloadCrc: number;
}

/** Builds a whole block (header + payload). */
export function frameBlock(kind: number, payload: Uint8Array, count: number, tmin: number, tmax: number): Buffer {
  const block = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  MAGIC.copy(block, 0);
  block[4] = FORMAT_VERSION;
  block[5] = kind;
  block.writeUInt16LE(HEADER_LENGTH, 6);
  block.writeUInt32LE(payload.length, 8);
  block.writeUInt32LE(count, 12);
  block.writeBigInt64LE(BigInt(Math.trunc(tmin)), 16);
  block.writeBigInt64LE(BigInt(Math.trunc(tmax)), 24);
  block.writeUInt32LE(crc32(payload), 32);
  block.writeUInt32LE(crc32(block.subarray(0, 36)), 36);
  block.set(payload, HEADER_LENGTH);
  return block;
}

/**
 * Reads the header at `off`, which must start with MAGIC and have `available` bytes.
 * Returns 'short' when more bytes are needed to judge it, or a reason string when it is damaged.
 */
export function readHeader(buf: Buffer, off: number, available: number): BlockHeader | 'short' | string {
  if (available < 8) return 'short';
  const headerLength = buf.readUInt16LE(off + 6);
  if (headerLength < HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH) return 'bad header length';
  if (available < headerLength) return 'short';
  const stored = buf.readUInt32LE(off + headerLength - 4);
  if (crc32(buf.subarray(off, off + headerLength - 4)) !== stored) return 'bad header checksum';
  const payloadLength = buf.readUInt32LE(off + 8);
  if (payloadLength > MAX_PAYLOAD_LENGTH) return 'absurd block length';
  return {
    version: buf[off + 4]!,
    kind: buf[off + 5]!,
    headerLength,
    payloadLength,
    count: buf.readUInt32LE(off + 12),
    tmin: Number(buf.readBigInt64LE(off + 16)),
    tmax: Number(buf.readBigInt64LE(off + 24)),
    payloadCrc: buf.readUInt32LE(off + 32),
  };
}
