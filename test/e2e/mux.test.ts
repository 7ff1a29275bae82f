import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import type { SmbRecord } from '../../src/record/fields.js';
import { mergeLedgers, type Ledger } from '../../src/torture/ledger.js';
import { tallyBy as byUser } from '../helpers/tally.js';
import { servingReceiver, startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { waitUntil } from '../helpers/wait.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { BatchBuilder } from '../../src/stream/builder.js';
import { BlockKind } from '../../src/stream/format.js';

async function torture(port: number, n: number, seed: number, extra: string[] = []): Promise<Ledger> {
  const r = await runBin('smbta-torture', ['-d', `127.0.0.1:${port}`, '-c', '2', '-n', String(n), '--seed', String(seed), ...extra], { timeoutMs: 120000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as Ledger;
}

function jsonRecords(out: Buffer): SmbRecord[] {
  return out
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SmbRecord);
}

test('mux: 3 sources, 5 readers, one source restarted mid-run: every reader gets every record', async () => {
  const sources = await Promise.all([servingReceiver(), servingReceiver(), servingReceiver()]);
  const mux = startProc('smbta-mux', [...sources.flatMap((s) => ['-S', `127.0.0.1:${s.serve}`]), '-P', '0']);
  const muxPort = Number((await mux.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]);
  await Promise.all(sources.map((s) => s.p.waitFor(/reader .* connected/)));
  const total = 3 * 1500 + 1000;
  const readers = Array.from({ length: 5 }, () =>
    runBin('smbta-json', ['-n', '-S', `127.0.0.1:${muxPort}`, '-N', String(total), '-s', 'user,bytes'], { timeoutMs: 60000 }),
  );
  await mux.waitFor(/(reader .* connected[\s\S]*){5}/);
  const ledgers = await Promise.all(sources.map((s, k) => torture(s.port, 1500, k + 1)));
  // Restart the first source on the same port; wait until mux is back before sending to it.
  await sources[0].p.stop();
  const again = await servingReceiver(sources[0].serve);
  await mux.waitFor(new RegExp(`127\\.0\\.0\\.1:${sources[0].serve}: connection closed; reconnecting`));
  await again.p.waitFor(/reader .* connected/);
  ledgers.push(await torture(again.port, 1000, 9));
  const want = mergeLedgers(ledgers).users;
  for (const r of await Promise.all(readers)) {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(byUser(jsonRecords(r.stdout)), want);
  }
  assert.equal(await mux.stop(), 0);
  await Promise.all([again.p.stop(), sources[1].p.stop(), sources[2].p.stop()]);
});

test('mux: a reader that reads nothing for a minute stays within its bound, loses the oldest data, and is told', async () => {
  const src = await servingReceiver();
  const mux = startProc('smbta-mux', ['-S', `127.0.0.1:${src.serve}`, '-P', '0', '--client-buffer', '2M']);
  const muxPort = Number((await mux.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]);
  await src.p.waitFor(/reader .* connected/);
  const slow = startProc('smbta-json', ['-n', '-S', `127.0.0.1:${muxPort}`, '-s', 'user,bytes']);
  const fast = startProc('smbta-json', ['-n', '-S', `127.0.0.1:${muxPort}`, '-s', 'user,bytes']);
  await mux.waitFor(/(reader .* connected[\s\S]*){2}/);
  slow.proc.kill('SIGSTOP');
  const ledger = await torture(src.port, 600_000, 5, ['--rate', '10000', '--duration', '60s']);
  // The fast reader kept up the whole time, undelayed.
  await waitUntil('the fast reader to have every record', () => jsonRecords(fast.stdout()).length >= ledger.records);
  const rss = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${mux.proc.pid}/status`, 'utf8'))![1]) / 1024;
  assert.deepEqual(byUser(jsonRecords(fast.stdout())), ledger.users);
  slow.proc.kill('SIGCONT');
  // The woken reader drains what mux kept for it: wait for the account to close (a loaded
  // machine takes longer than an idle one), then stop the live readers, which would reconnect.
  // Each gap is said once, with its numbers: what the server dropped for this reader.
  const lostOf = (): number =>
    [
      ...slow
        .stderr()
        .matchAll(/lost (\d+) records in transit \(numbers [\d-]+ of run \w+\): this reader was too slow, and the server dropped them \(client too slow\)/g),
    ].reduce((n, m) => n + Number(m[1]), 0);
  const lines = (b: Buffer): number => {
    let n = 0;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
    return n;
  };
  await waitUntil('the slow reader to account for every record', () => lines(slow.stdout()) + lostOf() >= ledger.records, 60_000, 200);
  assert.deepEqual(await Promise.all([slow.stop(), fast.stop()]), [0, 0]);
  assert.equal(await mux.stop(), 0);
  await src.p.stop();
  const lost = lostOf();
  const got = jsonRecords(slow.stdout()).length;
  assert.ok(lost > 0, slow.stderr());
  assert.doesNotMatch(slow.stderr(), /gap in the stream/, 'a gap of its own link is not said twice');
  assert.equal(got + lost, ledger.records, `slow reader: ${got} received + ${lost} reported lost`);
  assert.ok(rss < 200, `mux peak RSS ${rss} MiB`);
  assert.match(mux.stderr(), /slow readers lost \d+ records in all/);
});

test('mux: replaying files, a reader that stops reading holds the replay back and loses nothing; the others wait with it', () =>
  withTmpDir(async (dir) => {
    // 1,000,000 records (~16 MB): well over --client-buffer and what the sockets buffer (~6 MB here).
    const t = createTraffic({ seed: 12, users: 30 });
    const b = new BatchBuilder();
    const blocks: Uint8Array[] = [];
    for (let k = 0; k < 1_000_000; k++) {
      b.add(t.next());
      if (b.length === 8192) blocks.push(b.encode());
    }
    blocks.push(b.encode());
    writeFileSync(`${dir}/in.smbta`, Buffer.concat(blocks));
    const mux = startProc('smbta-mux', ['-r', `${dir}/in.smbta`, '-P', '0', '--client-buffer', '1M', '--wait-readers', '2']);
    const port = Number((await mux.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]);
    const reader = (): { socket: Socket; got: Buffer[]; done: Promise<Buffer> } => {
      const socket = connect(port, '127.0.0.1');
      const got: Buffer[] = [];
      const done = new Promise<Buffer>((resolve, reject) => {
        socket
          .on('data', (d) => got.push(d))
          .on('end', () => resolve(Buffer.concat(got)))
          .on('error', reject);
      });
      return { socket, got, done };
    };
    const slow = reader();
    slow.socket.pause();
    await mux.waitFor(/reader .* connected/);
    const fast = reader();
    // The reader that stopped holds everyone back: the other has far from all of it.
    await new Promise((r) => setTimeout(r, 3000));
    const size = readFileSync(`${dir}/in.smbta`).length;
    const early = fast.got.reduce((n, d) => n + d.length, 0);
    assert.ok(early < size * 0.7, `the other reader had ${early} of ${size} bytes while one reader read nothing`);
    slow.socket.resume();
    const [a, z] = await Promise.all([slow.done, fast.done]);
    assert.equal(await mux.stop(), 0);
    assert.doesNotMatch(mux.stderr(), /lost/);
    for (const s of [a, z]) {
      const d = decodeAll(s);
      assert.deepEqual(d.damage, []);
      assert.equal(d.records.length, 1_000_000);
      assert.deepEqual(
        d.side.filter((x) => x.kind === BlockKind.Gap),
        [],
      );
    }
    // Told to stop, it does not wait for ever on a reader that stopped reading.
    const again = startProc('smbta-mux', ['-r', `${dir}/in.smbta`, '-P', '0', '--client-buffer', '1M', '--wait-readers', '1']);
    const stuck = connect(Number((await again.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]), '127.0.0.1').on('error', () => undefined);
    stuck.pause();
    await again.waitFor(/reader .* connected/);
    await new Promise((r) => setTimeout(r, 1000));
    const stopped = await Promise.race([again.stop(), new Promise<string>((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10_000))]);
    if (typeof stopped === 'string') await again.stop('SIGKILL');
    stuck.destroy();
    assert.equal(stopped, 0);
  }));

test('mux: 256 readers at once each get the whole stream, through its trailing filter', () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 31, users: 20 });
    const recs = Array.from({ length: 20000 }, () => t.next());
    writeFileSync(`${dir}/in.smbta`, encodeRecords(recs, 1000));
    const mux = startProc('smbta-mux', ['-r', `${dir}/in.smbta`, '-P', '0', '--wait-readers', '256', 'user=bob or op=write']);
    const port = Number((await mux.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]);
    const streams = await Promise.all(
      Array.from(
        { length: 256 },
        () =>
          new Promise<Buffer>((resolve, reject) => {
            const chunks: Buffer[] = [];
            connect(port, '127.0.0.1')
              .on('data', (d) => chunks.push(d))
              .on('end', () => resolve(Buffer.concat(chunks)))
              .on('error', reject);
          }),
      ),
    );
    assert.equal(await mux.stop(), 0);
    const want = byUser(recs.filter((r) => r.user === 'bob' || r.op === 2));
    assert.ok(Object.keys(want).length > 5);
    for (const s of streams) {
      const d = decodeAll(s);
      assert.deepEqual(d.damage, []);
      assert.deepEqual(byUser(d.records), want);
    }
  }));
