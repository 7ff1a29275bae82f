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
}

export function createLedger(): Ledger {
  return { records: 0, bytes: 0, ops: {}, users: {} };
}

export function addToLedger(l: Ledger, r: SmbRecord, times = 1): void {
  l.records += times;
  l.bytes += r.bytes * times;
  const op = (l.ops[opName(r.op)] ??= { records: 0, bytes: 0 });
  op.records += times;
  op.bytes += r.bytes * times;
  const user = (l.users[r.user] ??= { records: 0, bytes: 0 });
  user.records += times;
  user.bytes += r.bytes * times;
}

export function mergeLedgers(ls: readonly Ledger[]): Ledger {
  const out = createLedger();
  for (const l of ls) {
    out.records += l.records;
    out.bytes += l.bytes;
    for (const [table, into] of [[l.ops, out.ops], [l.users, out.users]] as const) {
      for (const [k, t] of Object.entries(table)) {
        const o = (into[k] ??= { records: 0, bytes: 0 });
        o.records += t.records;
        o.bytes += t.bytes;
      }
    }
  }
  return out;
}
