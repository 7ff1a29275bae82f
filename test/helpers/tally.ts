/** Totals computed independently in tests from what came out of a program. */
import type { SmbRecord } from '../../src/record/fields.js';
import { addTally, type Tally } from '../../src/torture/ledger.js';

/** Records and bytes per value of `key` (by default the user). */
export function tallyBy(
  recs: readonly Pick<SmbRecord, 'user' | 'bytes' | 'op'>[],
  key: (r: Pick<SmbRecord, 'user' | 'bytes' | 'op'>) => string = (r) => r.user,
): Record<string, Tally> {
  const out: Record<string, Tally> = {};
  for (const r of recs) addTally(out, key(r), 1, r.bytes);
  return out;
}
