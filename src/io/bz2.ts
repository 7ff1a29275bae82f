/**
 * bzip2 through bzip2-wasm, which only converts whole buffers. Our writer therefore emits
 * a series of independent bzip2 streams (valid for `bzip2 -d` too), and the reader
 * splits the input on stream starts and decompresses one stream at a time.
 */

interface BZip2Api {
  init(): Promise<void>;
  compress(data: Uint8Array, blockSize?: number, compressedLength?: number): Uint8Array;
  decompress(data: Uint8Array, decompressedLength: number): Uint8Array;
}

let shared: Promise<BZip2Api> | undefined;

export function loadBzip2(): Promise<BZip2Api> {
  shared ??= (async () => {
    // Loaded on first use: most runs never meet a .bz2 file.
    const { default: BZip2 } = await import('bzip2-wasm');
    const bz = new (BZip2 as new () => BZip2Api)();
    await bz.init();
    return bz;
  })();
  return shared;
}

/** `BZh1`..`BZh9`: how every bzip2 stream starts. */
export function isBzip2(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3]! >= 0x31 && head[3]! <= 0x39;
}

/** A stream start followed by the first block's magic (pi): never found by chance inside compressed data. */
const BLOCK_MAGIC = Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);
/** Most one bzip2 stream may expand to before we call it damage (a bzip2 "bomb"). */
const MAX_EXPANSION = 1 << 30;

function isStreamStart(buf: Buffer, at: number): boolean {
  return isBzip2(buf.subarray(at, at + 4)) && buf.compare(BLOCK_MAGIC, 0, 6, at + 4, at + 10) === 0;
}

export function decompressOne(bz: BZip2Api, data: Uint8Array): Buffer {
  let size = Math.max(1 << 20, data.length * 8);
  for (;;) {
    try {
      return Buffer.from(bz.decompress(data, size));
    } catch (err) {
      if (!/OUTBUFF_FULL/.test((err as Error).message) || size >= MAX_EXPANSION) throw err;
      size = Math.min(size * 4, MAX_EXPANSION);
    }
  }
}

export function compressBuffer(bz: BZip2Api, data: Uint8Array): Buffer {
  // Incompressible input can grow by about 1%; leave room so bzip2 never runs out.
  return Buffer.from(bz.compress(data, 9, Math.ceil(data.length * 1.02) + 600));
}

/** Splits pushed compressed bytes into whole bzip2 streams and decompresses each as it completes. */
export class Bz2Splitter {
  private buf: Buffer = Buffer.alloc(0);
  private searched = 1;

  constructor(
    private readonly bz: BZip2Api,
    private readonly out: (plain: Buffer) => void,
    private readonly damage: (message: string, truncated: boolean) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      let next = this.buf.indexOf('BZh', this.searched);
      while (next >= 0 && !isStreamStart(this.buf, next)) next = this.buf.indexOf('BZh', next + 1);
      if (next < 0) {
        this.searched = Math.max(1, this.buf.length - 9);
        return;
      }
      this.take(this.buf.subarray(0, next), false);
      this.buf = this.buf.subarray(next);
      this.searched = 1;
    }
  }

  end(): void {
    if (this.buf.length) this.take(this.buf, true);
    this.buf = Buffer.alloc(0);
  }

  private take(segment: Buffer, last: boolean): void {
    try {
      this.out(decompressOne(this.bz, segment));
    } catch (err) {
      const msg = (err as Error).message;
      const truncated = last && /UNEXPECTED_EOF/.test(msg);
      this.damage(
        truncated
          ? `compressed data ends early (${segment.length} bytes of the last bzip2 stream ignored)`
          : `bzip2 stream of ${segment.length} bytes unreadable (${msg})`,
        truncated,
      );
    }
  }
}
