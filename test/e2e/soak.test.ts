/**
 * The soak, short: torture -> recv -> mux -> rotate and db under load, each killed with
 * SIGKILL and started again, and the account of every record sent must balance: stored
 * exactly once, or counted lost by the component that said so (scripts/soak.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { NO_NATS } from '../helpers/nats.js';
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

test(
  'JetStream soak: recv -> a three-node cluster (three replicas) -> rotate and db with durable consumers; a NATS node, recv, rotate and db each SIGKILLed: after JetStream nothing is lost or doubled',
  { skip: NO_NATS },
  async () => {
    const { stderr } = await promisify(execFile)(process.execPath, [`${ROOT}dist/scripts/soak.js`, '--jetstream'], {
      env: { ...process.env, SMBTA_SOAK_SECONDS: '16', SMBTA_SOAK_RATE: '1000' },
      timeout: 180_000,
      maxBuffer: 64 << 20,
    }).catch((err: { stderr?: string; message: string }) => assert.fail(`soak failed:\n${err.stderr ?? err.message}`));
    assert.match(stderr, /each of smbta-recv, nats-server n0, smbta-rotate, smbta-db load killed once/);
    for (const store of ['archive \\(smbta-rotate\\)', 'database \\(smbta-db\\)']) {
      assert.match(stderr, new RegExp(`^${store}: \\d+ present, \\d+ missing, \\d+ counted lost, 0 present twice, 0 never sent: balanced$`, 'm'));
      assert.match(stderr, new RegExp(`^${store} against JetStream \\([1-9]\\d* records held\\): 0 missing, 0 extra or twice: exact$`, 'm'));
    }
    // The node's clients moved to the others: recv published on, and the readers read on.
    assert.match(stderr, /made JetStream stream SMBTA \(subjects smbta\.>, 3 replicas\)/);
  },
);
