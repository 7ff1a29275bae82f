/**
 * `smbta-torture --record`: the exact bytes each emulated server sent, with timing, so
 * `--replay` can send them again. Format: the line `SMBTA-TORTURE-RECORDING 1\n`, then
 * frames of [u16 connection][u32 µs since start][u32 length][bytes], little-endian.
 */
import { openSync, writeSync, closeSync, readFileSync } from 'node:fs';

const MAGIC = 'SMBTA-TORTURE-RECORDING 1\n';

export interface Frame {
  conn: number;
  us: number;
  data: Buffer;
}

export class Recorder {
  private readonly fd: number;
  private readonly start = process.hrtime.bigint();
  constructor(path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, MAGIC);
  }
  frame(conn: number, data: Buffer): void {
    const h = Buffer.alloc(10);
    h.writeUInt16LE(conn, 0);
    h.writeUInt32LE(Math.min(0xffffffff, Number((process.hrtime.bigint() - this.start) / 1000n)), 2);
    h.writeUInt32LE(data.length, 6);
    writeSync(this.fd, h);
    writeSync(this.fd, data);
  }
  close(): void {
    closeSync(this.fd);
  }
}

export function readRecording(path: string): Frame[] {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error(`${path}: not an smbta-torture recording`);
  const frames: Frame[] = [];
  for (let p = MAGIC.length; p < buf.length;) {
    if (p + 10 > buf.length) throw new Error(`${path}: recording cut short at byte ${p}`);
    const len = buf.readUInt32LE(p + 6);
    if (p + 10 + len > buf.length) throw new Error(`${path}: recording cut short at byte ${p}`);
    frames.push({ conn: buf.readUInt16LE(p), us: buf.readUInt32LE(p + 2), data: buf.subarray(p + 10, p + 10 + len) });
    p += 10 + len;
  }
  return frames;
}
