/** A file being filled under its temporary name: its blocks wait in memory for the next commit. */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import type { ByteSink } from '../io/byte-sink.js';
import { tempNameFor, whileUnfinished } from '../io/temp-files.js';

export class GrowingFile implements ByteSink {
  readonly temp: string;
  private readonly fd: number;
  private held: Uint8Array[] = [];
  heldBytes = 0;
  /** Bytes on disk. */
  size = 0;
  private readonly done: () => void;

  constructor(readonly path: string) {
    this.temp = tempNameFor(path);
    this.fd = openSync(this.temp, 'w');
    // A second signal lands what waits and keeps the file under its own name.
    this.done = whileUnfinished(() => {
      this.land();
      renameSync(this.temp, this.path);
      return `${this.path}: kept as written so far (${this.size} bytes)`;
    });
  }

  write(data: Uint8Array | string): void {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
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

  /** Writes what waits. */
  land(): void {
    for (const b of this.held) for (let at = 0; at < b.length;) at += writeSync(this.fd, b, at, b.length - at);
    this.size += this.heldBytes;
    this.held = [];
    this.heldBytes = 0;
  }

  /** Closes it under its own name. */
  finish(): void {
    this.done();
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }
}
