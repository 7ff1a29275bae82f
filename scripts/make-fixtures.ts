/**
 * Writes the deterministic fixture streams of test/fixtures (see its README.md).
 * Run with `npm run fixtures`; the output must not change unless the format does.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { everyOpRecords } from '../test/helpers/records.js';
import { encodeRecords } from '../src/stream/builder.js';
import { createTraffic } from '../src/synth/traffic.js';

const dir = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

writeFileSync(dir + 'every-op.smbta', encodeRecords(everyOpRecords(), 5));
const t = createTraffic({ seed: 7, users: 20, files: 200 });
writeFileSync(
  dir + 'traffic-2000.smbta',
  encodeRecords(
    Array.from({ length: 2000 }, () => t.next()),
    500,
  ),
);
