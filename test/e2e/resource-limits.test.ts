/**
 * Resource limits under abuse: 1,000 idle senders, 1,000 idle readers that never read,
 * 10,000 connection attempts fired as fast as this machine makes them, all at once against
 * one receiver and one mux. Their memory stays under a bound, and a good sender and a good
 * reader beside them lose nothing. The flood comes from 127.0.0.2 and 127.0.0.3 and ends
 * each attempt with a reset, so it leaves no TIME_WAIT ports behind for other tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { waitUntil } from '../helpers/wait.js';
import { startProc, type Proc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';

const IDLE = 1000;
const ATTEMPTS = 10_000;
const RECORDS = 200_000;
/** Resident memory neither program may pass (each idles at ~60-90 MiB). */
const BOUND_MIB = 300;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Opens `n` connections that then say and read nothing. */
async function idle(port: number, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let k = 0; k < n; k += 100) {
    await Promise.all(
      Array.from(
        { length: Math.min(100, n - k) },
        () =>
          new Promise<void>((resolve) => {
            const s = connect(port, '127.0.0.1', () => resolve());
            s.on('error', () => resolve());
            s.pause(); // never reads
            out.push(s);
          }),
      ),
    );
  }
  return out;
}

/** Connects and resets `total` times, `parallel` at a time, from two loopback addresses. */
async function flood(port: number, total: number, parallel = 200): Promise<number> {
  let started = 0;
  let connected = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const s = connect({ port, host: '127.0.0.1', localAddress: started % 2 ? '127.0.0.2' : '127.0.0.3' });
      started++;
      s.once('connect', () => (connected++, s.resetAndDestroy(), resolve()));
      s.once('error', () => (s.destroy(), resolve()));
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (started < total) await one();
    }),
  );
  return connected;
}

test(
  '1,000 idle senders and readers, readers that never read and 10,000 connection attempts: memory stays bounded and good traffic loses nothing',
  { timeout: 180000 },
  async (t) => {
    // Room for the idle senders and the flood's 200 attempts in flight: a sender that connects
    // while the flood fills --max-connections is refused, which is that limit's whole point.
    const recv = startProc('smbta-recv', ['-i', '0', '-P', '0', '--max-connections', String(IDLE + 1000)]);
    const [, port, serve] = (await recv.waitFor(/listening on 127\.0\.0\.1:(\d+); serving readers on 127\.0\.0\.1:(\d+)/)).map(Number);
    // A small --client-buffer, so the readers that never read overflow theirs.
    const mux = startProc('smbta-mux', ['-S', `127.0.0.1:${serve}`, '-P', '0', '--client-buffer', '1M']);
    const muxPort = Number((await mux.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]);
    const procs: Proc[] = [recv, mux];
    let peak = 0;
    const sampler = setInterval(() => procs.forEach((p) => (peak = Math.max(peak, rssMiB(p.proc.pid!)))), 100);
    const sockets: Socket[] = [];
    const readers: Proc[] = [];
    try {
      await recv.waitFor(/ connected$/m);
      sockets.push(...(await idle(port!, IDLE)), ...(await idle(serve!, IDLE)), ...(await idle(muxPort, IDLE)));
      const reader = startProc('smbta-json', ['-S', `127.0.0.1:${muxPort}`, '-N', String(RECORDS)]);
      const direct = startProc('smbta-json', ['-S', `127.0.0.1:${serve}`, '-N', String(RECORDS)]);
      readers.push(reader, direct);
      const connected = (p: Proc): number => p.stderr().match(/ connected$/gm)?.length ?? 0;
      await waitUntil('both readers to be connected', () => connected(mux) >= IDLE + 1 && connected(recv) >= IDLE + 2);
      // The good sender and the flood at the same time.
      const [sent, reached] = await Promise.all([
        runBin('smbta-torture', ['-d', `127.0.0.1:${port}`, '-n', String(RECORDS), '-c', '4'], { timeoutMs: 120000 }),
        flood(port!, ATTEMPTS).then(async (n) => n + (await flood(muxPort, ATTEMPTS / 2))),
      ]);
      assert.equal(sent.code, 0, `${sent.stderr}\n${recv.stderr().slice(-2000)}`);
      assert.ok(reached > ATTEMPTS / 2, `${reached} of ${ATTEMPTS * 1.5} attempts connected`);
      for (const r of [reader, direct]) {
        assert.equal(await r.exited, 0, r.stderr());
        assert.equal(r.stdout().toString().trim().split('\n').length, RECORDS, 'every record reached the good readers');
      }
      t.diagnostic(`peak resident memory ${peak.toFixed(0)} MiB; ${reached} flood connections reached`);
      assert.ok(peak < BOUND_MIB, `peak resident memory ${peak.toFixed(0)} MiB`);
      // Still serving: a new sender is accepted and counted.
      const again = await runBin('smbta-torture', ['-d', `127.0.0.1:${port}`, '-n', '10']);
      assert.equal(again.code, 0, again.stderr);
    } finally {
      clearInterval(sampler);
      sockets.forEach((s) => s.destroy());
      await Promise.all(readers.map((r) => r.stop()));
      await mux.stop();
      await recv.stop();
    }
    // The idle senders fit under --max-connections and were held; the readers that never read were told of their loss.
    assert.doesNotMatch(recv.stderr(), /refused/);
    assert.match(mux.stderr(), /slow readers lost \d+ records in all \(each was told\)/);
  },
);
