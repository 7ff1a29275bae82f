/**
 * Counting what a live reader missed. Every records block a writer lets go is numbered
 * (its run, its first record's number), so a reader that knows where it stands in an
 * upstream's run sees at the next block how many records never reached it: sent while it
 * was reconnecting, in flight when a link broke, or, after its own restart from --state,
 * everything since the last block it had let go. A gap block of the same run (a server
 * dropping for a slow reader) is already reported, and moves the count on.
 */

/** Where a reader stands in one upstream's run: the number of the next record it expects. */
export interface Position {
  run: string;
  next: number;
  /**
   * A source numbered by message (JetStream), not by record: where to read again when the
   * batch at this position was kept only in part.
   */
  redo?: number;
}

export interface Loss {
  records: number;
  first: number;
  run: string;
}

export class SequenceTracker {
  /** The latest record time of the last block seen: where a loss found at the next block began. */
  lastEnd: number | undefined;

  constructor(private at: Position | undefined) {}

  get position(): Position | undefined {
    return this.at;
  }

  /**
   * A numbered block of `count` records: returns the loss before it, 'restarted' when the
   * upstream began a new run (what its old run held is unknown), or undefined.
   */
  block(run: string, seq: number, count: number): Loss | 'restarted' | undefined {
    const before = this.at;
    this.at = { run, next: seq + count };
    if (!before) return undefined;
    if (before.run !== run) return 'restarted';
    return seq > before.next ? { records: seq - before.next, first: before.next, run } : undefined;
  }

  /**
   * A gap block of this reader's upstream run (its server dropped `records` from `seq` for a
   * slow reader): returns that loss, or undefined for a gap block passed on from further up.
   */
  gap(run: string, seq: number, records: number): Loss | undefined {
    if (this.at?.run !== run || seq < this.at.next) return undefined;
    const before = this.at.next;
    this.at = { run, next: seq + records };
    return { records: seq + records - before, first: before, run };
  }
}

/**
 * Where a live batch's upstream run stands once its first `done` of `count` selected rows
 * (`rows`, or all when null) are passed on: the rows between are covered, filtered out.
 */
export function positionThrough(b: { position?: Position; length: number }, rows: Uint32Array | null, done: number, count: number): Position | undefined {
  const p = b.position;
  if (!p || done >= count) return p;
  if (p.redo !== undefined) return { run: p.run, next: p.redo };
  const last = rows ? rows[done - 1]! : done - 1;
  return { run: p.run, next: p.next - b.length + last + 1 };
}

export function describeLoss(loss: Loss, why = 'sent while this reader was away or down, or in flight when a link broke'): string {
  const last = loss.first + loss.records - 1;
  return `lost ${loss.records} records in transit (numbers ${loss.first}${last > loss.first ? `-${last}` : ''} of run ${loss.run}): ${why}`;
}
