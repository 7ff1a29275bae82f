/**
 * Writes the wire protocol as Samba's module does, for smbta-torture: V2 bodies of
 * sub-blocks, the 26-byte header, the AES-ECB dot padding, and V1 lines.
 */
import { createCipheriv } from 'node:crypto';
import type { SmbRecord } from '../record/fields.js';

/** Numbers as the module prints them: unsigned, so -1 is 4294967295. */
function unsigned(n: number): string {
  return String(n < 0 ? 4294967296 + n : n);
}

/** A read or write length as the module sends it: -1 for one that failed and moved nothing. */
function wireLength(r: SmbRecord): number {
  return r.result === -1 && r.bytes === 0 ? -1 : r.bytes;
}

function sub(s: string): string {
  const len = Buffer.byteLength(s);
  if (len > 9999) throw new RangeError(`a sub-block holds at most 9999 bytes, not ${len}`);
  return String(len).padStart(4, '0') + s;
}

/** The body of one operation; `common` is 7 (new modules) or 6 (old ones, without the client). */
export function encodeV2Body(r: SmbRecord, stamp: (ms: number) => string, common: 6 | 7 = 7): Buffer {
  const parts = [sub(String(common)), sub(String(r.op)), sub(r.user), sub(r.sid), sub(r.share), sub(r.domain), sub(stamp(r.time))];
  if (common === 7) parts.push(sub(r.client));
  switch (r.op) {
    case 0:
    case 1:
    case 2:
    case 3:
      parts.push(sub(r.path), sub(unsigned(wireLength(r))));
      break;
    case 4:
    case 8:
      parts.push(sub(r.path), sub(unsigned(r.mode)), sub(unsigned(r.result)));
      break;
    case 6:
      parts.push(sub(r.path), sub(r.path2), sub(unsigned(r.result)));
      break;
    default:
      parts.push(sub(r.path), sub(unsigned(r.result)));
  }
  return Buffer.from(parts.join(''));
}

export function v2Header(bodyLength: number, encrypted: boolean, subRelease = 0): Buffer {
  return Buffer.from(`V2.${subRelease}0${encrypted ? 'E' : '0'}000${String(bodyLength).padStart(17, '0')}`);
}

/** AES-128-ECB with the module's padding: the last len % 16 bytes over a block of dots, always. */
export function encryptBody(plain: Buffer, key: Buffer): Buffer {
  const whole = plain.length - (plain.length % 16);
  const last = Buffer.alloc(16, '.');
  plain.copy(last, 0, whole);
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain.subarray(0, whole)), c.update(last), c.final()]);
}

/** A whole V2 message: header and (possibly encrypted) body. */
export function encodeV2Message(r: SmbRecord, stamp: (ms: number) => string, opts: { key?: Buffer; common?: 6 | 7 } = {}): Buffer {
  const plain = encodeV2Body(r, stamp, opts.common);
  const body = opts.key ? encryptBody(plain, opts.key) : plain;
  return Buffer.concat([v2Header(body.length, !!opts.key), body]);
}

/**
 * A V1 line, followed (the module's quirk) by the same line wrapped in a V2 header.
 * V1 knows reads and writes only, and sends the directory and file name apart.
 */
export function encodeV1Message(r: SmbRecord, stamp: (ms: number) => string): Buffer {
  const slash = r.path.lastIndexOf('/');
  const [cwd, file] = slash >= 0 ? [r.path.slice(0, slash), r.path.slice(slash + 1)] : ['', r.path];
  const rw = r.op === 2 || r.op === 3 ? 'W' : 'R';
  const line = Buffer.from(`V1,${unsigned(wireLength(r))},"${r.user}","${r.domain}","${rw}","${cwd}","${file}","${stamp(r.time)}"\n`);
  return Buffer.concat([line, v2Header(line.length, false), line]);
}
