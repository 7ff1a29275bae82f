/** Losses as stores keep them: how many records never arrived, and between which record times. */
import { bodyText, type SideBlock } from './decoder.js';
import { BlockKind } from './format.js';

/** Records that never arrived, and where in record time they were missing. */
export interface LossEvent {
  from: number;
  to: number;
  /** Who said so: the reader that found the hole in the numbering, or the receiver that dropped them. */
  source: string;
  records: number;
  reason: string;
  /** The run and first number of what was lost, when the loss is of numbered records: the same loss told twice is one. */
  id?: string;
}

/** A gap block's loss, by the run and first number it lost (a reader's transit loss); undefined for others. */
export function gapId(side: SideBlock): string | undefined {
  const { run, first } = side.body;
  return side.kind === BlockKind.Gap && typeof run === 'string' && typeof first === 'number' ? `${run}:${first}` : undefined;
}

/**
 * The loss a side block tells of (`records` newly lost, as the reader counted them): a gap
 * block's from/to when it says them (a reader's transit loss), else the block's own times;
 * a status block's drop counters grew at the time it was written.
 */
export function lossEvent(side: SideBlock, source: string, records: number): LossEvent {
  const tmin = Number(side.raw.readBigInt64LE(16));
  const tmax = Number(side.raw.readBigInt64LE(24));
  const b = side.body;
  const from = typeof b.from === 'number' ? b.from : tmin;
  const to = typeof b.to === 'number' ? b.to : tmax;
  const reason = side.kind === BlockKind.Gap ? bodyText(b.reason, 'gap in the stream') : 'dropped by the receiver';
  const id = gapId(side);
  return { from, to: Math.max(from, to), source: bodyText(b.source, source), records, reason, ...(id ? { id } : {}) };
}

/** The records lost between `from` and `to` (record times): each loss counted where its missing stretch begins. */
export function lostBetween(losses: readonly LossEvent[], from: number, to: number): number {
  let n = 0;
  for (const l of losses) if (l.from >= from && l.from < to) n += l.records;
  return n;
}
