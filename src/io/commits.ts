/**
 * Where a reading program's output became durable: --state saved with the files it covers,
 * a database transaction committed. A source that must acknowledge what it delivered (a
 * durable JetStream consumer) listens, and acknowledges no further than that.
 */
import type { Position } from '../stream/sequence.js';

export type CommitListener = (covered: ReadonlyMap<string, Position>) => void;

export class Commits {
  private readonly listeners = new Set<CommitListener>();

  /** Returns what stops listening. */
  listen(f: CommitListener): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** The program kept everything up to these positions of its sources. */
  committed(covered: ReadonlyMap<string, Position>): void {
    for (const f of this.listeners) f(covered);
  }
}
