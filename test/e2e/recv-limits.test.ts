import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { Ledger } from '../../src/torture/ledger.js';
import { startRecv } from '../helpers/recv.js';
import { runBin } from '../helpers/run-bin.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { WORKED_EXAMPLE } from '../helpers/wire-golden.js';

test('TCP and a Unix socket at once, senders on both', () =>
  withTmpDir(async (dir) => {
    const sock = `${dir}/stadsocket`;
    const recv = await startRecv(['-u', sock, '-w', `${dir}/out.smbta`]);
    assert.match(recv.stderr(), new RegExp(`listening on 127.0.0.1:\\d+ and unix:${sock}`));
    const [a, b] = await Promise.all(
      [`unix:${sock}`, `127.0.0.1:${recv.port}`].map(async (dest) => {
        const r = await runBin('smbta-torture', ['-d', dest, '-c', '3', '-n', '1000'], { timeoutMs: 30000 });
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout.toString()) as Ledger;
      }),
    );
    await recv.received(a!.records + b!.records, 0);
    const { code, stderr } = await recv.stop();
    assert.equal(code, 0, stderr);
    const recs = decodeAll(readFileSync(`${dir}/out.smbta`)).records;
    assert.equal(recs.length, a!.records + b!.records);
    assert.equal(
      recs.reduce((s, r) => s + r.bytes, 0),
      a!.bytes + b!.bytes,
    );
    // Unix-socket senders are named after this host, TCP ones after their address.
    assert.ok(recs.some((r) => r.server === '127.0.0.1') && recs.some((r) => r.server !== '127.0.0.1'));
  }));

test('--idle-timeout closes silent senders; --max-buffer closes a sender holding too much of one message', () =>
  withTmpDir(async (dir) => {
    const recv = await startRecv(['-w', `${dir}/out.smbta`, '--idle-timeout', '1', '--max-body', '1M', '--max-buffer', '64K']);
    const closedAfter = (data: string): Promise<number> =>
      new Promise((resolve) => {
        const t0 = Date.now();
        const s = connect(recv.port, '127.0.0.1', () => s.write(data));
        s.on('error', () => undefined);
        s.on('close', () => resolve(Date.now() - t0));
      });
    const idle = closedAfter(WORKED_EXAMPLE);
    const big = closedAfter(`V2.000000${'500000'.padStart(17, '0')}` + '0'.repeat(100_000));
    assert.ok((await idle) >= 900);
    assert.ok((await big) < 5000);
    const { code, stderr } = await recv.stop();
    assert.equal(code, 0);
    assert.match(stderr, /disconnected: idle for 1s \(--idle-timeout\)/);
    assert.match(stderr, /disconnected: more than 65536 bytes of one message buffered \(--max-buffer\)/);
    assert.equal(decodeAll(readFileSync(`${dir}/out.smbta`)).records.length, 1);
  }));
