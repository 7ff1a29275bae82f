/**
 * The soak, short: torture -> recv -> mux -> rotate and db under load, each killed with
 * SIGKILL and started again, and the account of every record sent must balance: stored
 * exactly once, or counted lost by the component that said so (scripts/soak.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/run-bin.js';

test('killing each component in turn loses nothing that is not counted, stores nothing twice, and the stores say what they miss', async () => {
  const { stderr } = await promisify(execFile)(process.execPath, [`${ROOT}dist/scripts/soak.js`], {
    env: { ...process.env, SMBTA_SOAK_SECONDS: '16', SMBTA_SOAK_RATE: '1000' },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  }).catch((err: { stderr?: string; message: string }) => assert.fail(`soak failed:\n${err.stderr ?? err.message}`));
  assert.match(stderr, /^archive \(smbta-rotate\): \d+ present, \d+ missing, \d+ counted lost, 0 present twice, 0 never sent: balanced$/m);
  assert.match(stderr, /^database \(smbta-db\): \d+ present, \d+ missing, \d+ counted lost, 0 present twice, 0 never sent: balanced$/m);
  // And the stores say it themselves: losses kept where the records are, in reports and charts.
  assert.match(
    stderr,
    /^archive \(smbta-rotate\) says: (\d+) records lost upstream \(\1 counted on the way\), \1 marked in its usage chart, [1-9]\d* senders seen: kept$/m,
  );
  assert.match(
    stderr,
    /^database \(smbta-db\) says: (\d+) records lost upstream \(\1 counted on the way\), \1 marked in its usage chart, [1-9]\d* senders seen: kept$/m,
  );
  // Every kill was said: recv's senders from its state, and the readers' numbering.
  assert.match(stderr, /smbta-recv: .*recv\.state: sender 127\.0\.0\.1:\d+ had \d+ records passed on/);
  for (const who of ['smbta-mux', 'smbta-rotate', 'smbta-db']) assert.match(stderr, new RegExp(`${who}: 127\\.0\\.0\\.1:\\d+: lost \\d+ records in transit`));
});
