/**
 * bzip2 through bzip2-wasm, which only converts whole buffers. Our writer therefore emits
 * a series of independent bzip2 streams (valid for `bzip2 -d` too), and the reader
 * splits the input on stream starts and decompresses one stream at a time. A large stream
 * (stock bzip2 writes one for the whole file) is decoded as it arrives by unbzip2-stream,
 * slower but in bounded memory, whatever its size.
 */
import { createRequire } from 'node:module';
import type unbzip2Type from 'unbzip2-stream';

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
/** Most one bzip2 stream may expand to in one buffer; a larger one is decoded streaming. */
const MAX_EXPANSION = 128 << 20;
/** Compressed bytes of one stream held before it is decoded streaming instead of whole. */
const MAX_WHOLE_STREAM = 16 << 20;

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

/**
 * Splits pushed compressed bytes into whole bzip2 streams and decompresses each as it
 * completes; once a stream outgrows what is decoded whole, the rest of the input is decoded
 * streaming (which follows stream after stream by itself).
 */
/** unbzip2-stream, loaded at the first compressed input: a program reading none does not pay its start-up. */
let loaded: typeof unbzip2Type | undefined;
function unbzip2(): ReturnType<typeof unbzip2Type> {
  loaded ??= createRequire(import.meta.url)('unbzip2-stream') as typeof unbzip2Type;
  return loaded();
}

export class Bz2Splitter {
  private buf: Buffer = Buffer.alloc(0);
  private searched = 1;
  private streaming: ReturnType<typeof unbzip2Type> | undefined;
  private streamed = 0;
  private ending = false;

  constructor(
    private readonly bz: BZip2Api,
    private readonly out: (plain: Buffer) => void,
    private readonly damage: (message: string, truncated: boolean) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.streaming) return void this.stream(chunk);
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      let next = this.buf.indexOf('BZh', this.searched);
      while (next >= 0 && !isStreamStart(this.buf, next)) next = this.buf.indexOf('BZh', next + 1);
      if (next < 0) {
        this.searched = Math.max(1, this.buf.length - 9);
        if (this.buf.length > MAX_WHOLE_STREAM) this.stream(this.take0());
        return;
      }
      this.take(this.buf.subarray(0, next), false);
      this.buf = this.buf.subarray(next);
      this.searched = 1;
    }
  }

  end(): void {
    this.ending = true;
    if (this.streaming) {
      this.streaming.end();
      return;
    }
    if (this.buf.length) this.take(this.buf, true);
    this.buf = Buffer.alloc(0);
  }

  /** What is buffered, handed over. */
  private take0(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  /**
   * Feeds the streaming decoder, made at first use; its output and errors come synchronously.
   * An error while ending is a truncated file; before, damage: the decoder is dropped and the
   * rest of the input is searched for the next stream start again.
   */
  private stream(chunk: Buffer): void {
    if (!this.streaming) {
      const s = (this.streaming = unbzip2());
      s.on('data', (plain: Buffer) => this.out(plain));
      s.on('error', (err: Error) => {
        this.streaming = undefined;
        if (this.ending) this.damage(`compressed data ends early (after ${this.streamed} bytes of a bzip2 stream)`, true);
        else this.damage(`bzip2 stream unreadable after ${this.streamed} bytes (${err.message})`, false);
      });
      this.streamed = 0;
    }
    this.streamed += chunk.length;
    this.streaming.write(chunk);
  }

  private take(segment: Buffer, last: boolean): void {
    try {
      this.out(decompressOne(this.bz, segment));
    } catch (err) {
      const msg = (err as Error).message;
      // Too large to hold whole: the same stream, decoded as it goes.
      if (/OUTBUFF_FULL/.test(msg)) return this.streamOne(segment);
      const truncated = last && /UNEXPECTED_EOF/.test(msg);
      this.damage(
        truncated
          ? `compressed data ends early (${segment.length} bytes of the last bzip2 stream ignored)`
          : `bzip2 stream of ${segment.length} bytes unreadable (${msg})`,
        truncated,
      );
    }
  }

  /** One whole stream through a streaming decoder of its own. */
  private streamOne(segment: Buffer): void {
    const s = unbzip2();
    s.on('data', (plain: Buffer) => this.out(plain));
    s.on('error', (err: Error) => this.damage(`bzip2 stream of ${segment.length} bytes unreadable (${err.message})`, false));
    for (let at = 0; at < segment.length; at += 1 << 16) s.write(segment.subarray(at, at + (1 << 16)));
    s.end();
  }
}
