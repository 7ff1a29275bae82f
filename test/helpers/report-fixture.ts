/**
 * A fixed day for smbta-report's tests: 2026-11-23 (UTC) and the day before, with deletes,
 * renames and failures from the synthetic traffic, an alert block, a receiver's status
 * block naming its senders, and a gap block for 120 records lost in the afternoon.
 */
import { writeFileSync } from 'node:fs';
import type { SmbRecord } from '../../src/record/fields.js';
import { encodeRecords } from '../../src/stream/builder.js';
import { BlockKind, frameBlock } from '../../src/stream/format.js';
import { createTraffic } from '../../src/synth/traffic.js';

export const FIXTURE_DAY = Date.UTC(2026, 10, 23);
const HOUR = 3_600_000;

function day(start: number, seed: number, n: number, gapMs: number): SmbRecord[] {
  const t = createTraffic({ seed, users: 12, files: 200, start, gapMs });
  return Array.from({ length: n }, () => t.next());
}

/** The records of the day (and of the day before), as the fixture file holds them. */
export function fixtureRecords(): { before: SmbRecord[]; day: SmbRecord[] } {
  return { before: day(FIXTURE_DAY - 24 * HOUR, 5, 4000, 20_000), day: day(FIXTURE_DAY, 7, 10_000, 8000) };
}

const side = (kind: number, body: Record<string, unknown>, t: number): Buffer => frameBlock(kind, Buffer.from(JSON.stringify(body)), 0, t, t);

/** Writes the fixture stream to `path`. */
export function writeReportFixture(path: string): void {
  const { before, day: recs } = fixtureRecords();
  const alertAt = FIXTURE_DAY + 9 * HOUR + 2 * 60_000;
  const alert = {
    kind: 'alert',
    rule: 'mass-rename',
    severity: 'high',
    time: new Date(alertAt).toISOString(),
    group: { user: 'user3' },
    measure: 'operations',
    value: 501,
    above: 500,
    overMs: 60_000,
    quietForMs: 600_000,
    path: 'q3/report500.docx',
    path2: 'q3/report500.docx.locked',
    client: '10.1.0.4',
  };
  const lossFrom = FIXTURE_DAY + 14 * HOUR;
  writeFileSync(
    path,
    Buffer.concat([
      encodeRecords(before, 1000),
      side(BlockKind.Status, { source: 'smbta-recv@hub', records: 14000, dropped: {}, senders: { fs1: 'V2.0', fs2: 'V2.0 AES' } }, FIXTURE_DAY),
      encodeRecords(recs, 1000),
      side(BlockKind.Alert, alert, alertAt),
      // As a multiplexer tells a slow reader: the run and first number lost make the loss known once.
      side(
        BlockKind.Gap,
        { records: 120, reason: 'client too slow', source: 'smbta-mux@hub', from: lossFrom, to: lossFrom + 600_000, run: '5eed5eed5eed5eed', first: 9000 },
        lossFrom + 600_000,
      ),
    ]),
  );
}
