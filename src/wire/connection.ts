/**
 * One sender's byte stream, turned into records. Detects V1 or V2 per message, frames V2
 * by its header, decrypts, drops the V1 duplicate, and enforces the limits: a sender that
 * breaks one gets a fatal reason (the caller disconnects it); a bad record is rejected
 * and counted, and the connection goes on.
 */
import type { SmbRecord } from '../record/fields.js';
import type { LocalTimeConverter } from './local-time.js';
import { BodyDecrypter, decodeV1Line, DROPPED_OP, parseV2Header, V2_HEADER_LENGTH, V2BodyDecoder, WireError, type V2Header } from './protocol.js';

const NOTHING = Buffer.alloc(0);

export interface ConnectionLimits {
  /** Largest V2 body accepted (bytes). */
  maxBody: number;
  /** Largest V1 line accepted (bytes). */
  maxLine: number;
}

export interface ConnectionEvents {
  record(r: SmbRecord): void;
  /** The sender dropped `count` records between `from` and `to` (smbta's VFS module, queue full). */
  dropped(count: number, from: number, to: number): void;
  /** A record that could not be decoded; `reason` is short and stable (a counter name). */
  reject(reason: string, detail: string): void;
  /** Something worth saying once per connection (a newer sub-release, extra common blocks). */
  notice(message: string): void;
}

export class WireConnection {
  private pending: Buffer = NOTHING;
  private lastV1: Buffer | undefined;
  private readonly decrypter: BodyDecrypter | undefined;
  private readonly said = new Set<string>();
  private readonly bodies: V2BodyDecoder;
  /** Set when the sender must be disconnected, with the reason. */
  fatal: string | undefined;
  duplicates = 0;
  /** What the sender speaks, once known: V1, V2.0, V2.1 AES... (for self-checks). */
  protocol = '';

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly toUtc: LocalTimeConverter,
    private readonly on: ConnectionEvents,
    key?: Buffer,
  ) {
    this.decrypter = key && new BodyDecrypter(key);
    this.bodies = new V2BodyDecoder(toUtc);
  }

  /** True while part of a message is buffered (for the stall timeout). */
  get midMessage(): boolean {
    return this.pending.length > 0;
  }

  get buffered(): number {
    return this.pending.length;
  }

  /** Feeds bytes; returns false once the connection must be closed (see `fatal`). */
  push(chunk: Buffer): boolean {
    if (this.fatal) return false;
    let buf = chunk;
    if (this.pending.length) {
      // Complete the one waiting message from the chunk's head instead of copying the whole chunk.
      const need = v2MessageLength(this.pending);
      if (need > 0 && need <= this.limits.maxBody + V2_HEADER_LENGTH && this.pending.length + chunk.length >= need) {
        const head = chunk.subarray(0, need - this.pending.length);
        const msg = Buffer.concat([this.pending, head]);
        this.pending = NOTHING;
        this.message(msg, 0);
        if (this.fatal) return false;
        buf = chunk.subarray(head.length);
      } else {
        buf = Buffer.concat([this.pending, chunk]);
      }
    }
    let p = 0;
    while (p < buf.length && !this.fatal) {
      const batched = this.decrypter ? this.encryptedRun(buf, p) : 0;
      if (batched) {
        p += batched;
        continue;
      }
      const used = this.message(buf, p);
      if (used === 0) break;
      p += used;
    }
    // Copy a small tail so the large chunk it came from can be freed (an empty view would hold it too).
    const rest = buf.subarray(p);
    this.pending = rest.length === 0 ? NOTHING : rest.length < 4096 ? Buffer.from(rest) : rest;
    return !this.fatal;
  }

  private once(key: string, message: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.on.notice(message);
  }

  /** Handles one message at `p`; returns the bytes it used, or 0 when it is incomplete. */
  private message(buf: Buffer, p: number): number {
    const avail = buf.length - p;
    if (avail < 3) return 0;
    if (buf[p] === 0x56 && buf[p + 1] === 0x31 && buf[p + 2] === 0x2c) return this.v1(buf, p);
    if (buf[p] !== 0x56 || buf[p + 1] !== 0x32 || buf[p + 2] !== 0x2e) {
      this.fatal = `garbage: expected 'V1,' or 'V2.', got ${JSON.stringify(buf.toString('latin1', p, p + Math.min(avail, 16)))}`;
      return 0;
    }
    if (avail < V2_HEADER_LENGTH) return 0;
    const h = this.header(buf, p);
    if (typeof h === 'string') {
      this.fatal = h;
      return 0;
    }
    const total = V2_HEADER_LENGTH + h.bodyLength;
    if (avail < total) return 0;
    this.v2Body(buf, p + V2_HEADER_LENGTH, p + total, h.encrypted);
    return total;
  }

  /** The V2 header at `p` within the limits (a sub-release is noted once), or why the sender must go. */
  private header(buf: Buffer, p: number): V2Header | string {
    const h = parseV2Header(buf, p);
    if (typeof h === 'string') return `garbage: ${h}`;
    if (h.bodyLength > this.limits.maxBody) {
      return `body of ${buf.toString('latin1', p + 9, p + 26).replace(/^0+(?=\d)/, '')} bytes exceeds the limit of ${this.limits.maxBody} (--max-body)`;
    }
    if (h.subRelease !== 0) this.once('sub', `sender speaks protocol V2.${h.subRelease}; decoding it as V2.0`);
    // A V1 sender wraps its duplicate lines in V2 headers: it still speaks V1.
    if (this.protocol !== 'V1') this.protocol = `V2.${h.subRelease}${h.encrypted ? ' AES' : ''}`;
    return h;
  }

  /**
   * Decrypts a run of complete encrypted messages at `p` with one cipher call (ECB treats
   * every 16-byte block alone, so bodies can be joined), then decodes each. Returns the
   * bytes used, or 0 when there is no run of two or more to batch.
   */
  private encryptedRun(buf: Buffer, p: number): number {
    const bodies: Buffer[] = [];
    let q = p;
    while (bodies.length < 4096 && buf.length - q >= V2_HEADER_LENGTH && buf[q + 5] === 0x45) {
      // Anything unusual (a bad header, a cut body) is left to message(), which reports it.
      const h = this.header(buf, q);
      if (typeof h === 'string' || h.bodyLength % 16 !== 0 || buf.length - q < V2_HEADER_LENGTH + h.bodyLength) break;
      bodies.push(buf.subarray(q + V2_HEADER_LENGTH, q + V2_HEADER_LENGTH + h.bodyLength));
      q += V2_HEADER_LENGTH + h.bodyLength;
    }
    if (bodies.length < 2) return 0;
    const plain = this.decrypter!.decrypt(Buffer.concat(bodies));
    let at = 0;
    for (const b of bodies) {
      this.decrypted(plain.subarray(at, at + b.length));
      at += b.length;
    }
    return q - p;
  }

  private decrypted(plain: Buffer): void {
    try {
      this.v2Decoded(this.bodies.decode(plain, 0, plain.length, true));
      this.noteExtraCommon();
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.on.reject('wrong key', `an encrypted record does not decode: wrong key? (${err.message})`);
    }
  }

  private v2Decoded(r: SmbRecord): void {
    if (r.op === DROPPED_OP) this.on.dropped(r.count, r.time, r.end);
    else this.on.record(r);
  }

  private noteExtraCommon(): void {
    const n = this.bodies.info.extraCommon;
    if (n) this.once('extra', `sender sends ${n} common blocks this receiver does not know; skipped`);
  }

  private v2Body(buf: Buffer, start: number, end: number, encrypted: boolean): void {
    // The V1 quirk: the line just sent comes again inside a V2 header. Count it once.
    if (!encrypted && end - start >= 3 && buf[start] === 0x56 && buf[start + 1] === 0x31 && buf[start + 2] === 0x2c) {
      const line = trimNewline(buf.subarray(start, end));
      if (this.lastV1 && line.equals(this.lastV1)) {
        this.duplicates++;
        this.lastV1 = undefined;
        return;
      }
      this.v1Record(line);
      return;
    }
    try {
      if (encrypted) {
        if (!this.decrypter) {
          this.on.reject('encrypted, no key', 'an encrypted record arrived and no key was given (-k KEYFILE)');
          return;
        }
        this.decrypted(this.decrypter.decrypt(buf.subarray(start, end)));
        return;
      }
      this.v2Decoded(this.bodies.decode(buf, start, end, false));
      this.noteExtraCommon();
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.on.reject('malformed', err.message);
    }
  }

  private v1(buf: Buffer, p: number): number {
    // V1 has no escaping: a newline inside a file name is not the end of the line. The line
    // ends at the first newline right after the closing `"timestamp"`.
    let nl = buf.indexOf(0x0a, p);
    while (nl >= 0 && !endsWithTimestamp(buf, nl)) nl = buf.indexOf(0x0a, nl + 1);
    if (nl < 0) {
      if (buf.length - p > this.limits.maxLine) this.fatal = `V1 line longer than ${this.limits.maxLine} bytes`;
      return 0;
    }
    const line = buf.subarray(p, nl);
    this.protocol = 'V1';
    this.lastV1 = Buffer.from(line);
    this.v1Record(line);
    return nl + 1 - p;
  }

  private v1Record(line: Buffer): void {
    try {
      this.on.record(decodeV1Line(line, this.toUtc));
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.on.reject('malformed', err.message);
    }
  }
}

/** The whole length of the V2 message starting `b`, or -1 when that is not known yet. */
function v2MessageLength(b: Buffer): number {
  if (b.length < V2_HEADER_LENGTH) return -1;
  const h = parseV2Header(b, 0);
  return typeof h === 'string' ? -1 : V2_HEADER_LENGTH + h.bodyLength;
}

/**
 * True when the bytes before `nl` are `"YYYY-MM-DD hh:mm:ss` (and any `.digits`) followed by `"`.
 * Any number of fraction digits ends the line, so a malformed stamp is one rejected record
 * rather than a line glued to the next one.
 */
function endsWithTimestamp(buf: Buffer, nl: number): boolean {
  if (buf[nl - 1] !== 0x22) return false;
  let a = nl - 1;
  while (a > nl - 12 && isDigit(buf[a - 1])) a--;
  if (a < nl - 1 && buf[a - 1] === 0x2e) a--;
  else a = nl - 1;
  a -= 19;
  return a >= 1 && buf[a - 1] === 0x22 && buf[a + 4] === 0x2d && buf[a + 7] === 0x2d && buf[a + 10] === 0x20 && buf[a + 13] === 0x3a && buf[a + 16] === 0x3a;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

function trimNewline(b: Buffer): Buffer {
  return b.length && b[b.length - 1] === 0x0a ? b.subarray(0, b.length - 1) : b;
}
