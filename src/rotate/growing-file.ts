/**
 * A file being filled under its temporary name: its blocks wait in memory for the next commit.
 * The file is made at the first commit, so a directory that cannot be written is a failed
 * commit (retried), not a failed read; a commit cut short by a full disk goes on where it
 * stopped, so the file on disk is always whole blocks once it succeeds.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ByteSink } from '../io/byte-sink.js';
import { tempNameFor, whileUnfinished } from '../io/temp-files.js';
import { BlockKind, readHeader } from '../stream/format.js';

/** Records blocks let go of because they could not be written: how many records, and when. */
export interface Shed {
  records: number;
  from: number;
  to: number;
}

export class GrowingFile implements ByteSink {
  readonly temp: string;
  private fd: number | undefined;
  private held: Buffer[] = [];
  /** Bytes of the first held block already on disk (a write cut short). */
  private heldAt = 0;
  heldBytes = 0;
  /** Bytes on disk. */
  size = 0;
  private readonly done: () => void;

  constructor(readonly path: string) {
    this.temp = tempNameFor(path);
    // A second signal lands what waits and keeps the file under its own name.
    this.done = whileUnfinished(() => {
      this.land();
      renameSync(this.temp, this.path);
      return `${this.path}: kept as written so far (${this.size} bytes)`;
    });
  }

  write(data: Uint8Array | string): void {
    const b = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.held.push(b);
    this.heldBytes += b.length;
  }

  async writeAndWait(data: Uint8Array | string): Promise<void> {
    this.write(data);
  }

  async ready(): Promise<void> {}

  backlog(): number {
    return this.heldBytes;
  }

  /** The rotator lands and finishes the file; a writer closing it has nothing left to do. */
  async close(): Promise<void> {}

  /** Writes what waits; throws the system's error (EACCES, ENOSPC) with what did not fit still held. */
  land(): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.temp), { recursive: true });
      this.fd = openSync(this.temp, 'w');
    }
    for (let b = this.held[0]; b; b = this.held[0]) {
      while (this.heldAt < b.length) {
        const n = writeSync(this.fd, b, this.heldAt, b.length - this.heldAt);
        this.heldAt += n;
        this.size += n;
        this.heldBytes -= n;
      }
      this.held.shift();
      this.heldAt = 0;
    }
  }

  /**
   * Lets go of the held records blocks not yet begun on disk (side blocks stay: they are
   * small and say what happened): what they held.
   */
  shed(): Shed {
    const out: Shed = { records: 0, from: Infinity, to: -Infinity };
    this.held = this.held.filter((b, k) => {
      const h = readHeader(b, 0, b.length);
      if ((k === 0 && this.heldAt > 0) || typeof h !== 'object' || h.kind !== BlockKind.Records) return true;
      out.records += h.count;
      out.from = Math.min(out.from, h.tmin);
      out.to = Math.max(out.to, h.tmax);
      this.heldBytes -= b.length;
      return false;
    });
    return out;
  }

  /** Closes it under its own name (once everything held has landed). */
  finish(): void {
    this.land();
    this.done();
    closeSync(this.fd!);
    renameSync(this.temp, this.path);
  }
}
