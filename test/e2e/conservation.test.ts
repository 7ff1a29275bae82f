import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import type { Ledger, Tally } from '../../src/torture/ledger.js';
import { tallyBy } from '../helpers/tally.js';
import { startRecv } from '../helpers/recv.js';
import { runBin } from '../helpers/run-bin.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';

/** Totals per user and per op, computed here from what came out of the receiver. */
function tally(recs: readonly SmbRecord[]): { users: Record<string, Tally>; ops: Record<string, Tally> } {
  return { users: tallyBy(recs), ops: tallyBy(recs, (r) => opName(r.op)) };
}

async function torture(args: string[]): Promise<Ledger> {
  const r = await runBin('smbta-torture', args, { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as Ledger;
}

for (const [name, extra] of [
  ['v2', []],
  ['v1', ['--v1']],
  ['encrypted', ['-k', 'KEY']],
  ['old modules', ['--old-modules']],
] as const) {
  test(`conservation, ${name}: 1, 10 and 100 senders, every record and byte per user and per op`, () =>
    withTmpDir(async (dir) => {
      writeFileSync(`${dir}/key`, 'abcdefghijklmnop');
      const keyArgs = (a: readonly string[]): string[] => a.map((x) => (x === 'KEY' ? `${dir}/key` : x));
      for (const senders of [1, 10, 100]) {
        const recv = await startRecv(['--force', '-w', `${dir}/out.smbta`, ...(name === 'encrypted' ? ['-k', `${dir}/key`] : [])]);
        const ledger = await torture([
          '-d',
          `127.0.0.1:${recv.port}`,
          '-c',
          String(senders),
          '-n',
          String(senders * 150 + 7),
          '--seed',
          String(senders),
          ...keyArgs(extra),
        ]);
        await recv.received(ledger.records, 0);
        const { code, stderr } = await recv.stop();
        assert.equal(code, 0, stderr);
        const got = tally(decodeAll(readFileSync(`${dir}/out.smbta`)).records);
        assert.equal(ledger.records, senders * 150 + 7);
        assert.deepEqual(got.users, ledger.users, `${name}, ${senders} senders`);
        assert.deepEqual(got.ops, ledger.ops, `${name}, ${senders} senders`);
        assert.match(stderr, /rejected: none; dropped: none; disconnected: none/);
        if (name === 'v1') assert.match(stderr, new RegExp(` ${ledger.records} V1 duplicates`));
      }
    }));
}

test('record and replay send the same bytes again', () =>
  withTmpDir(async (dir) => {
    const a = await startRecv(['-w', `${dir}/a.smbta`]);
    const sent = await torture(['-d', `127.0.0.1:${a.port}`, '-c', '3', '-n', '900', '--record', `${dir}/load.rec`]);
    await a.received(sent.records, 0);
    await a.stop();
    const b = await startRecv(['-w', `${dir}/b.smbta`]);
    const replayed = await torture(['-d', `127.0.0.1:${b.port}`, '--replay', `${dir}/load.rec`, '--speed', '0']);
    await b.received(replayed.records, 0);
    await b.stop();
    assert.deepEqual(replayed.users, sent.users);
    const strip = (f: string): unknown[] =>
      decodeAll(readFileSync(f))
        .records.map((r) => ({ ...r, server: '' }))
        .sort((x, y) => x.time - y.time || x.path.localeCompare(y.path) || x.op - y.op);
    assert.deepEqual(strip(`${dir}/b.smbta`), strip(`${dir}/a.smbta`));
  }));

function hostile(port: number, data: Buffer | string, close: boolean): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(data, () => (close ? s.end() : undefined)));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

test('hostile senders are disconnected with a log line while a good sender loses nothing', () =>
  withTmpDir(async (dir) => {
    const recv = await startRecv(['-w', `${dir}/out.smbta`, '--stall-timeout', '1', '--max-connections', '60']);
    const good = torture(['-d', `127.0.0.1:${recv.port}`, '-c', '4', '-n', '20000', '--rate', '5000']);
    const rnd = Buffer.from(Array.from({ length: 5000 }, (_, k) => (k * 7919) % 256));
    const header = (len: string): string => `V2.000000${len.padStart(17, '0')}`;
    const attacks = [
      hostile(recv.port, rnd, false), // garbage
      hostile(recv.port, header('99999999999999999'), false), // absurd length
      hostile(recv.port, header('100'), false), // header, then silence
      hostile(recv.port, header('100') + '0001700010', true), // half a body, then close
      hostile(recv.port, Buffer.alloc(70000, 'V2.'), false), // garbage that starts right
    ];
    // Once the good sender is sending and the silent header has timed out: a flood of
    // connections beyond --max-connections, which take slots from each other, never from a sender.
    await recv.received(1);
    await waitUntil('the stalled message to be closed', () => /a message took more than/.test(recv.stderr()));
    const flood = Array.from({ length: 150 }, () => hostile(recv.port, '', false));
    const ledger = await good;
    await Promise.all(attacks);
    await recv.received(ledger.records);
    const rss = peakRssMiB(recv.proc.pid!);
    const { code, stderr } = await recv.stop();
    await Promise.all(flood);
    assert.equal(code, 0, stderr);
    const got = tally(decodeAll(readFileSync(`${dir}/out.smbta`)).records);
    assert.equal(ledger.records, 20000);
    assert.deepEqual(got.users, ledger.users);
    assert.match(stderr, /disconnected: garbage: expected 'V1,' or 'V2\.'/);
    assert.match(stderr, /disconnected: body of 99999999999999999 bytes exceeds the limit of 65536 \(--max-body\)/);
    assert.match(stderr, /disconnected: a message took more than \ds \(--stall-timeout\)/);
    assert.match(stderr, /every slot \(--max-connections\) taken: closed to make room, as it had delivered no record/);
    assert.match(stderr, /rejected: incomplete at close \d+/);
    assert.ok(rss < 300, `receiver peak RSS ${rss} MiB`);
  }));
