/** A small known input for smbta-top's tests, with the numbers worked out by hand. */
import type { SmbRecord } from '../../src/record/fields.js';
import type { RecordBatch } from '../../src/stream/batch.js';
import { BatchBuilder } from '../../src/stream/builder.js';

export const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function rec(over: Partial<SmbRecord>): SmbRecord {
  return {
    time: T0,
    end: T0,
    op: 0,
    user: 'bob',
    sid: '',
    domain: 'EX',
    share: 'projects',
    path: 'a.txt',
    path2: '',
    client: '10.0.0.1',
    server: 'fs1',
    bytes: 0,
    count: 1,
    mode: 0,
    result: 0,
    latency: 0,
    latency_max: 0,
    ...over,
  };
}

/** Two seconds of traffic: bob reads 3 MiB and writes 1 MiB, eve writes 4 MiB, with a rename in between. */
export const KNOWN: SmbRecord[] = [
  rec({ op: 0, bytes: 1 << 20, time: T0 }),
  rec({ op: 1, bytes: 2 << 20, time: T0 + 500, path: 'b.iso' }),
  rec({ op: 3, bytes: 1 << 20, time: T0 + 900, share: 'home' }),
  rec({ op: 2, bytes: 4 << 20, time: T0 + 1500, user: 'eve', client: '10.0.0.2', share: 'home', path: 'big.bin' }),
  rec({ op: 6, time: T0 + 1900, user: 'eve', path: 'x', path2: 'y', result: -1 }),
];

export function batchOf(recs: readonly SmbRecord[]): RecordBatch {
  const b = new BatchBuilder();
  recs.forEach((r) => b.add(r));
  return b.toBatch();
}
