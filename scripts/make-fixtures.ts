/**
 * Writes the deterministic fixture streams of test/fixtures (see its README.md).
 * Run with `npm run fixtures`; the output must not change unless the format does.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { everyOpRecords } from '../test/helpers/records.js';
import { BatchBuilder } from '../src/stream/builder.js';
import { createTraffic } from '../src/synth/traffic.js';

const dir = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

function encode(records: Iterable<import('../src/record/fields.js').SmbRecord>, perBlock: number): Buffer {
  const b = new BatchBuilder();
  const blocks: Buffer[] = [];
  for (const r of records) {
    b.add(r);
    if (b.length === perBlock) blocks.push(b.encode());
  }
  if (b.length) blocks.push(b.encode());
  return Buffer.concat(blocks);
}

writeFileSync(dir + 'every-op.smbta', encode(everyOpRecords(), 5));
const t = createTraffic({ seed: 7, users: 20, files: 200 });
writeFileSync(dir + 'traffic-2000.smbta', encode(Array.from({ length: 2000 }, () => t.next()), 500));
