import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { createReporter } from '../../src/io/report.js';
import { listenServing, servingFor } from '../../src/runtime/serve.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { encodeRecords } from '../helpers/stream.js';

test('a reader that never reads loses the oldest data past the bound, and a bound lowered later (SIGHUP) applies', async () => {
  const t = createTraffic({ seed: 2, users: 10, files: 100 });
  const block = encodeRecords(
    Array.from({ length: 8192 }, () => t.next()),
    8192,
  );
  const limits = { maxClientBuffer: 256 << 20 };
  const a = { serve: { port: 0 }, bind: '127.0.0.1' };
  const server = servingFor(a, { report: createReporter('test', () => undefined), signal: new AbortController().signal }, limits)!;
  const port = Number((await listenServing(server, a)).split(':').at(-1));
  const reader = connect(port, '127.0.0.1');
  reader.pause();
  await server.waitForClients(1);
  const send = (n: number): void => {
    for (let k = 0; k < n; k++) server.write(block);
  };
  try {
    send(100);
    assert.equal(server.lostRecords, 0, 'within the bound, nothing is lost');
    limits.maxClientBuffer = 1 << 20;
    send(100);
    assert.ok(server.lostRecords > 0, 'past the lowered bound, the oldest blocks go');
  } finally {
    reader.destroy();
    await server.close();
  }
});
