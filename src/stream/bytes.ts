/**
 * Growable byte writer and bounds-checked reader for the stream format's varints.
 * Varints are LEB128 over the full safe-integer range (values up to 2^53), so they use
 * arithmetic, not 32-bit bit operations, once a value passes 2^31.
 */

/**
 * Node's own UTF-8 encoder into any Uint8Array: Buffer's undocumented utf8Write, the fastest
 * there is (TextEncoder#encodeInto is several times slower on short strings).
 */
export const utf8Write = (Buffer.prototype as unknown as { utf8Write: (this: Uint8Array, s: string, offset: number, length: number) => number }).utf8Write;

export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  uvarint(v: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v < 0x80000000 ? v & 0x7f : v % 0x80) | 0x80;
      v = v < 0x80000000 ? v >>> 7 : Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  svarint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Writes `s` as UTF-8 preceded by its byte length. */
  string(s: string): void {
    const max = s.length * 3;
    this.ensure(max + 5);
    // Reserve one length byte, then move the text if the length needs more.
    const start = this.pos + 1;
    const n = utf8Write.call(this.buf, s, start, max);
    if (n < 0x80) {
      this.buf[this.pos] = n;
      this.pos = start + n;
    } else {
      const text = this.buf.slice(start, start + n);
      this.uvarint(n);
      this.buf.set(text, this.pos);
      this.pos += n;
    }
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Thrown when encoded data does not parse; decoders turn it into a counted, damaged block. */
export class FormatError extends Error {}

export class ByteReader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  byte(): number {
    if (this.pos >= this.end) throw new FormatError('unexpected end of block');
    return this.buf[this.pos++]!;
  }

  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= this.end) throw new FormatError('unexpected end of block');
      const c = b[p++]!;
      v += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new FormatError('varint too long');
    }
    this.pos = p;
    return v;
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw new FormatError('field runs past the end of its block');
    this.pos += n;
  }
}
