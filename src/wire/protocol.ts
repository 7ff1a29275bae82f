/**
 * The SMB Traffic Analyzer wire protocol, as Samba's smb_traffic_analyzer module sends it
 * (the contract is ../shared/reference/smbta-wire-protocol.md, reproduced in docs/wire-protocol.md).
 * Pure functions from bytes to records; connection handling lives in connection.ts.
 */
import { createDecipheriv, type Decipher } from 'node:crypto';
import { emptyRecord, type SmbRecord } from '../record/fields.js';
import type { LocalTimeConverter } from './local-time.js';

export const V2_HEADER_LENGTH = 26;
/** The module prints -1 as an unsigned 32-bit number. */
const MINUS_ONE = 4294967295;

export interface V2Header {
  subRelease: number;
  encrypted: boolean;
  bodyLength: number;
}

function digitsAt(buf: Buffer, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = buf[at + k]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Parses the 26-byte header at `at`; returns a reason string when it is not one. */
export function parseV2Header(buf: Buffer, at: number): V2Header | string {
  if (buf[at] !== 0x56 || buf[at + 1] !== 0x32 || buf[at + 2] !== 0x2e) return 'not a V2 header';
  const subRelease = buf[at + 3]! - 48;
  if (subRelease < 0 || subRelease > 9) return 'bad sub-release in V2 header';
  const flag = buf[at + 5];
  if (flag !== 0x45 && flag !== 0x30) return 'bad encryption flag in V2 header';
  // 17 digits can say 10^17 - 1: more than a double holds exactly, but the limit check rejects it anyway.
  const bodyLength = digitsAt(buf, at + 9, 17);
  if (bodyLength < 0) return 'bad body length in V2 header';
  return { subRelease, encrypted: flag === 0x45, bodyLength };
}

/** Fields every operation shares, and the ones after them, by op id. */
const OP_FIELDS: readonly (readonly ('path' | 'path2' | 'bytes' | 'mode' | 'result')[])[] = [
  ['path', 'bytes'], // 0 read
  ['path', 'bytes'], // 1 pread
  ['path', 'bytes'], // 2 write
  ['path', 'bytes'], // 3 pwrite
  ['path', 'mode', 'result'], // 4 mkdir
  ['path', 'result'], // 5 rmdir
  ['path', 'path2', 'result'], // 6 rename
  ['path', 'result'], // 7 chdir
  ['path', 'mode', 'result'], // 8 open
  ['path', 'result'], // 9 close
];

export class WireError extends Error {}

/**
 * Remembers the last text seen in each field slot of one connection, with its bytes.
 * A connection repeats its user, share, client and often its path from record to record,
 * so most fields become a byte comparison instead of a new string.
 */
export class FieldTextCache {
  private readonly bytes: Buffer[] = [];
  private readonly texts: string[] = [];

  text(slot: number, buf: Buffer, a: number, b: number): string {
    const prev = this.bytes[slot];
    const n = b - a;
    if (prev !== undefined && prev.length === n) {
      let same = true;
      for (let k = 0; k < n; k++) {
        if (prev[k] !== buf[a + k]) {
          same = false;
          break;
        }
      }
      if (same) return this.texts[slot]!;
    }
    const t = buf.toString('utf8', a, b);
    if (n <= 256) {
      this.bytes[slot] = Buffer.from(buf.subarray(a, b));
      this.texts[slot] = t;
    }
    return t;
  }
}

const NO_CACHE = { text: (_slot: number, buf: Buffer, a: number, b: number): string => buf.toString('utf8', a, b) };

/** What a decoded body says beyond the record: used by the receiver's counters. */
export interface BodyInfo {
  /** Common blocks beyond the seven this receiver knows (skipped). */
  extraCommon: number;
}

/**
 * Decodes a plain V2 body (sub-blocks) from buf[start, end). With `trailing` set (decrypted
 * bodies), bytes after the last field are padding and ignored; otherwise they must be sub-blocks.
 */
export function decodeV2Body(
  buf: Buffer,
  start: number,
  end: number,
  toUtc: LocalTimeConverter,
  trailing: boolean,
  info?: BodyInfo,
  cache: Pick<FieldTextCache, 'text'> = NO_CACHE,
): SmbRecord {
  let p = start;
  const next = (): [number, number] => {
    if (p + 4 > end) throw new WireError('body ends inside a sub-block length');
    const len = digitsAt(buf, p, 4);
    if (len < 0) throw new WireError('bad sub-block length');
    const from = p + 4;
    p = from + len;
    if (p > end) throw new WireError('sub-block runs past the end of the body');
    return [from, p];
  };
  const number = ([a, b]: [number, number]): number => {
    const v = b > a && b - a <= 20 ? digitsAt(buf, a, b - a) : -1;
    if (v < 0) throw new WireError(`'${buf.toString('latin1', a, Math.min(b, a + 24))}' is not a number`);
    return v;
  };
  let slot = 0;
  const text = ([a, b]: [number, number]): string => cache.text(slot++, buf, a, b);

  const common = number(next());
  if (common < 6) throw new WireError(`common block count ${common} is below 6`);
  const r = emptyRecord();
  const op = number(next());
  r.op = op;
  r.user = text(next());
  r.sid = text(next());
  r.share = text(next());
  r.domain = text(next());
  r.time = r.end = parseTimestamp(buf, next(), toUtc);
  if (common >= 7) r.client = text(next());
  for (let k = 7; k < common; k++) next();
  if (info) info.extraCommon = Math.max(0, common - 7);
  const fields = OP_FIELDS[op];
  if (!fields) throw new WireError(`unknown operation ${op}`);
  for (const f of fields) {
    const span = next();
    if (f === 'path' || f === 'path2') r[f] = text(span);
    else {
      const v = number(span);
      if (f === 'bytes') {
        // A failed read or write reports length -1: it moved nothing, and failed.
        if (v === MINUS_ONE) r.result = -1;
        else r.bytes = v;
      } else r[f] = v === MINUS_ONE ? -1 : v;
    }
  }
  if (!trailing) while (p < end) next();
  return r;
}

function parseTimestamp(buf: Buffer, [a, b]: [number, number], toUtc: LocalTimeConverter): number {
  // YYYY-MM-DD hh:mm:ss.mmm (the milliseconds may be missing or shorter)
  const n = b - a;
  if (n < 19 || buf[a + 4] !== 0x2d || buf[a + 7] !== 0x2d || buf[a + 13] !== 0x3a || buf[a + 16] !== 0x3a) {
    throw new WireError(`bad timestamp '${buf.toString('latin1', a, Math.min(b, a + 30))}'`);
  }
  const part = (at: number, len: number): number => {
    const v = digitsAt(buf, a + at, len);
    if (v < 0) throw new WireError(`bad timestamp '${buf.toString('latin1', a, b)}'`);
    return v;
  };
  let ms = 0;
  if (n > 20 && buf[a + 19] === 0x2e) ms = Math.round(part(20, Math.min(3, n - 20)) * 10 ** (3 - Math.min(3, n - 20)));
  const [y, mo, d, h, mi, s] = [part(0, 4), part(5, 2), part(8, 2), part(11, 2), part(14, 2), part(17, 2)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) throw new WireError(`bad timestamp '${buf.toString('latin1', a, b)}'`);
  return toUtc(y, mo, d, h, mi, s, ms);
}

/**
 * Parses a V1 line (without its newline): `V1,<len>,"user","domain","R|W","cwd","file","timestamp"`.
 * There is no escaping, so user and domain are the first two fields, the timestamp the last,
 * and anything between the R/W marker and the timestamp is the directory, then the file.
 */
export function decodeV1Line(line: Buffer, toUtc: LocalTimeConverter): SmbRecord {
  const text = line.toString('utf8');
  const m = /^V1,(\d{1,20}),"(.*)"$/s.exec(text);
  if (!m) throw new WireError('malformed V1 line');
  const parts = m[2]!.split('","');
  if (parts.length < 6) throw new WireError('V1 line has too few fields');
  const ts = Buffer.from(parts.pop()!, 'latin1');
  const [user, domain, rw, cwd, ...file] = parts as [string, string, string, string, ...string[]];
  if (rw !== 'R' && rw !== 'W') throw new WireError(`V1 operation '${rw}' is neither R nor W`);
  const r = emptyRecord();
  r.op = rw === 'R' ? 0 : 2;
  r.user = user;
  r.domain = domain;
  const name = file.join('","');
  r.path = name.startsWith('/') || cwd === '' ? name : `${cwd.replace(/\/$/, '')}/${name}`;
  const len = Number(m[1]);
  if (len === MINUS_ONE) r.result = -1;
  else r.bytes = len;
  r.time = r.end = parseTimestamp(ts, [0, ts.length], toUtc);
  return r;
}

/** Reads a key file: exactly 16 non-whitespace characters, used as the AES-128 key bytes. */
export function parseKey(text: string): Buffer | string {
  const key = text.trim();
  if (/\s/.test(key) || Buffer.byteLength(key) !== 16) return `a key must be exactly 16 non-whitespace characters (found ${Buffer.byteLength(key)} bytes)`;
  return Buffer.from(key);
}

/** AES-128-ECB without padding, the legacy module's cipher; one decipher per connection. */
export class BodyDecrypter {
  private decipher: Decipher;
  constructor(private readonly key: Buffer) {
    this.decipher = this.fresh();
  }
  private fresh(): Decipher {
    const d = createDecipheriv('aes-128-ecb', this.key, null);
    d.setAutoPadding(false);
    return d;
  }
  /** ECB keeps no state between whole blocks, so one decipher serves every body. */
  decrypt(body: Buffer): Buffer {
    if (body.length % 16 !== 0) throw new WireError(`encrypted body of ${body.length} bytes is not a multiple of 16`);
    return this.decipher.update(body);
  }
}
