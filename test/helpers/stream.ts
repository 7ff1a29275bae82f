/** Decoding helpers for tests: bytes in, records and every report out. */
import type { SmbRecord } from '../../src/record/fields.js';
export { encodeRecords } from '../../src/stream/builder.js';
import { StreamDecoder, type DecoderStats, type SideBlock } from '../../src/stream/decoder.js';

export interface Decoded {
  records: SmbRecord[];
  side: SideBlock[];
  damage: { offset: number; length: number; reason: string }[];
  truncated: { offset: number; length: number }[];
  notices: string[];
  stats: DecoderStats;
}

/** Decodes `data`, pushed in chunks of `chunk` bytes (default: all at once). */
export function decodeAll(data: Buffer, chunk = data.length || 1): Decoded {
  const out: Decoded = { records: [], side: [], damage: [], truncated: [], notices: [], stats: undefined! };
  const d = new StreamDecoder({
    batch: (b) => {
      for (let i = 0; i < b.length; i++) out.records.push(b.record(i));
    },
    side: (s) => void out.side.push(s),
    damage: (offset, length, reason) => void out.damage.push({ offset, length, reason }),
    truncated: (offset, length) => void out.truncated.push({ offset, length }),
    notice: (m) => void out.notices.push(m),
  });
  for (let i = 0; i < data.length; i += chunk) d.push(data.subarray(i, i + chunk));
  d.end();
  out.stats = d.stats;
  return out;
}
