/** What was sent, per op and per user: what a conservation test compares with the receiver's output. */
import { opName, type SmbRecord } from '../record/fields.js';

export interface Tally {
  records: number;
  bytes: number;
}

export interface Ledger {
  records: number;
  bytes: number;
  ops: Record<string, Tally>;
  users: Record<string, Tally>;
  /**
   * With --reconnect: every connection made, by its local address, with the records written
   * on it and whether the receiver broke it. What a receiver killed mid-stream had passed on
   * from that address (its --state says) subtracted from `records` is what the kill lost.
   */
  connections?: ConnectionTally[];
}

export interface ConnectionTally {
  local: string;
  records: number;
  broken: boolean;
}

export function createLedger(): Ledger {
  return { records: 0, bytes: 0, ops: {}, users: {} };
}

/** Adds to the tally of `key` in `table`. */
export function addTally(table: Record<string, Tally>, key: string, records: number, bytes: number): void {
  const t = (table[key] ??= { records: 0, bytes: 0 });
  t.records += records;
  t.bytes += bytes;
}

export function addToLedger(l: Ledger, r: SmbRecord, times = 1): void {
  l.records += times;
  l.bytes += r.bytes * times;
  addTally(l.ops, opName(r.op), times, r.bytes * times);
  addTally(l.users, r.user, times, r.bytes * times);
}

export function mergeLedgers(ls: readonly Ledger[]): Ledger {
  const out = createLedger();
  for (const l of ls) {
    out.records += l.records;
    out.bytes += l.bytes;
    for (const [k, t] of Object.entries(l.ops)) addTally(out.ops, k, t.records, t.bytes);
    for (const [k, t] of Object.entries(l.users)) addTally(out.users, k, t.records, t.bytes);
  }
  return out;
}
