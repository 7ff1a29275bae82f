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
  ['path', 'result'], // 10 delete (smbta's VFS module)
];

/** smbta's VFS module: records it dropped (count, first and last drop time), not a record itself. */
export const DROPPED_OP = 99;

export class WireError extends Error {}

/** What a decoded body says beyond the record: used by the receiver's counters. */
export interface BodyInfo {
  /** Common blocks beyond the seven this receiver knows (skipped). */
  extraCommon: number;
}

/**
 * Decodes V2 bodies of one connection. It keeps no per-message garbage: sub-block bounds
 * live in fields, and it remembers the last text of each field slot and the last second
 * of the timestamp, because a connection repeats its user, share, client, often its
 * path, and its second, from record to record.
 */
/** Longest text a decoder remembers to skip decoding it again; longer ones are decoded each time. */
const TEXT_CACHE_BYTES = 512;
const EMPTY = Buffer.alloc(0);

export class V2BodyDecoder {
  private buf: Buffer = EMPTY;
  private p = 0;
  private end = 0;
  private a = 0;
  private b = 0;
  private slot = 0;
  /** Per text slot, a copy of the last bytes decoded and their string (-1: nothing kept). */
  private readonly lastBytes: Buffer[] = [];
  private readonly lastLen: number[] = [];
  private readonly lastText: string[] = [];
  /** The last timestamp's first 19 bytes (to the second), copied; valid when tsKept. */
  private readonly tsBytes = Buffer.alloc(19);
  private tsKept = false;
  private tsSecond = 0;
  readonly info: BodyInfo = { extraCommon: 0 };

  constructor(private readonly toUtc: LocalTimeConverter) {}

  /**
   * Decodes a plain body from buf[start, end). With `trailing` set (decrypted bodies), bytes
   * after the last field are padding and ignored; otherwise they must be whole sub-blocks.
   */
  decode(buf: Buffer, start: number, end: number, trailing: boolean): SmbRecord {
    this.buf = buf;
    this.p = start;
    this.end = end;
    this.slot = 0;
    try {
      return this.fields(trailing);
    } finally {
      // Let go of the chunk: an idle sender must not keep it alive.
      this.buf = EMPTY;
    }
  }

  private fields(trailing: boolean): SmbRecord {
    this.sub();
    const common = this.number();
    if (common < 6) throw new WireError(`common block count ${common} is below 6`);
    const r = emptyRecord();
    this.sub();
    const op = (r.op = this.number());
    r.user = this.text();
    r.sid = this.text();
    r.share = this.text();
    r.domain = this.text();
    this.sub();
    r.time = r.end = this.timestamp();
    if (common >= 7) r.client = this.text();
    // smbta's VFS module adds two: the operations a summary stands for, and the last one's time.
    const known = common >= 9 ? 9 : 7;
    if (known === 9) {
      this.sub();
      r.count = this.number();
      if (r.count < 1) throw new WireError('a summary of no operations');
      this.sub();
      r.end = Math.max(r.time, parseWireTime(this.buf, this.a, this.b, this.toUtc));
    }
    for (let k = known; k < common; k++) this.sub();
    this.info.extraCommon = Math.max(0, common - known);
    if (op === DROPPED_OP) return this.dropped(r);
    const fields = OP_FIELDS[op];
    if (!fields) throw new WireError(`unknown operation ${op}`);
    for (const f of fields) {
      if (f === 'path' || f === 'path2') {
        r[f] = this.text();
        continue;
      }
      this.sub();
      const v = this.number();
      if (f !== 'bytes') r[f] = v === MINUS_ONE ? -1 : v;
      // A failed read or write reports length -1: it moved nothing, and failed.
      else if (v === MINUS_ONE) r.result = -1;
      else r.bytes = v;
    }
    if (!trailing) while (this.p < this.end) this.sub();
    return r;
  }

  /** A drop count: `count` records, dropped from `time` to `end`; further blocks are skipped. */
  private dropped(r: SmbRecord): SmbRecord {
    this.sub();
    r.count = this.number();
    this.sub();
    r.time = parseWireTime(this.buf, this.a, this.b, this.toUtc);
    this.sub();
    r.end = Math.max(r.time, parseWireTime(this.buf, this.a, this.b, this.toUtc));
    while (this.p < this.end) this.sub();
    return r;
  }

  /** Moves to the next sub-block: [4 digits length][bytes], bounds in a and b. */
  private sub(): void {
    const p = this.p;
    if (p + 4 > this.end) throw new WireError('body ends inside a sub-block length');
    const len = digitsAt(this.buf, p, 4);
    if (len < 0) throw new WireError('bad sub-block length');
    this.a = p + 4;
    this.b = this.p = this.a + len;
    if (this.b > this.end) throw new WireError('sub-block runs past the end of the body');
  }

  private number(): number {
    const n = this.b - this.a;
    const v = n > 0 && n <= 15 ? digitsAt(this.buf, this.a, n) : -1;
    if (v < 0) throw new WireError(`'${this.buf.toString('latin1', this.a, Math.min(this.b, this.a + 24))}' is not a number`);
    return v;
  }

  /** The next sub-block as text; the previous string of this slot when the bytes are the same. */
  private text(): string {
    this.sub();
    const slot = this.slot++;
    const { buf, a } = this;
    const n = this.b - a;
    const kept = (this.lastBytes[slot] ??= Buffer.allocUnsafeSlow(TEXT_CACHE_BYTES));
    if (this.lastLen[slot] === n) {
      let k = 0;
      while (k < n && kept[k] === buf[a + k]) k++;
      if (k === n) return this.lastText[slot]!;
    }
    const t = buf.toString('utf8', a, this.b);
    // A copy, never a reference: an idle sender must not hold the socket's chunk alive.
    this.lastLen[slot] = n <= TEXT_CACHE_BYTES ? buf.copy(kept, 0, a, this.b) : -1;
    this.lastText[slot] = t;
    return t;
  }

  /** The timestamp sub-block as UTC ms; a repeated second is not parsed again. */
  private timestamp(): number {
    const { buf, a, b } = this;
    const src = this.tsBytes;
    if (this.tsKept && b - a >= 19 && b - a <= 23) {
      let k = 0;
      while (k < 19 && src[k] === buf[a + k]) k++;
      const ms = b - a > 20 && buf[a + 19] === 0x2e ? millisAt(buf, a + 20, b) : 0;
      if (k === 19 && ms >= 0) return this.tsSecond + ms;
    }
    const t = parseWireTime(buf, a, b, this.toUtc);
    this.tsSecond = t - (b - a > 20 ? millisAt(buf, a + 20, b) : 0);
    this.tsKept = buf.copy(src, 0, a, a + 19) === 19;
    return t;
  }
}

/** Day 0 of the next month is this month's last (years from 100 on; Date.UTC takes 0-99 for 19xx). */
const daysInMonth = (y: number, mo: number): number => new Date(Date.UTC(y, mo, 0)).getUTCDate();

/** `.mmm` (or shorter) at `at`, as milliseconds; -1 when not digits. */
function millisAt(buf: Buffer, at: number, end: number): number {
  const digits = Math.min(3, end - at);
  const v = digitsAt(buf, at, digits);
  return v < 0 ? -1 : v * 10 ** (3 - digits);
}

/** `YYYY-MM-DD hh:mm:ss[.mmm]` at buf[a, b), local to the sender, as UTC ms. */
export function parseWireTime(buf: Buffer, a: number, b: number, toUtc: LocalTimeConverter): number {
  const n = b - a;
  const bad = (): never => {
    throw new WireError(`bad timestamp '${buf.toString('latin1', a, Math.min(b, a + 30))}'`);
  };
  if (n < 19 || n > 23 || buf[a + 4] !== 0x2d || buf[a + 7] !== 0x2d || buf[a + 13] !== 0x3a || buf[a + 16] !== 0x3a) bad();
  const ms = n > 20 && buf[a + 19] === 0x2e ? millisAt(buf, a + 20, b) : n === 19 ? 0 : -1;
  const part = (at: number, len: number): number => digitsAt(buf, a + at, len);
  const [y, mo, d, h, mi, s] = [part(0, 4), part(5, 2), part(8, 2), part(11, 2), part(14, 2), part(17, 2)];
  // Years below 100 would be taken for 19xx, and Feb 31 for Mar 3: a date that does not exist is refused.
  if (ms < 0 || y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) bad();
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
  r.time = r.end = parseWireTime(ts, 0, ts.length, toUtc);
  return r;
}

/** A key file's text: exactly 16 non-whitespace characters, used as the AES-128 key bytes. */
export function parseKey(text: string): Buffer | string {
  const key = text.trim();
  if (/\s/.test(key) || Buffer.byteLength(key) !== 16) return `a key must be exactly 16 non-whitespace characters (found ${Buffer.byteLength(key)} bytes)`;
  return Buffer.from(key);
}

/** AES-128-ECB without padding, the legacy module's cipher; one decipher per connection. */
export class BodyDecrypter {
  private readonly decipher: Decipher;
  constructor(key: Buffer) {
    this.decipher = createDecipheriv('aes-128-ecb', key, null);
    this.decipher.setAutoPadding(false);
  }
  /** ECB keeps no state between whole blocks, so one decipher serves every body. */
  decrypt(body: Buffer): Buffer {
    if (body.length % 16 !== 0) throw new WireError(`encrypted body of ${body.length} bytes is not a multiple of 16`);
    return this.decipher.update(body);
  }
}
