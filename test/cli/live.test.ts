import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { startProc } from '../helpers/proc.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const good = readFileSync(`${ROOT}test/fixtures/traffic-2000.smbta`);
/** Offset of the third block: the fixture has four blocks of 500 records. */
const half = (() => {
  let at = 0;
  for (let k = 0; k < 2; k++) at += 40 + good.readUInt32LE(at + 8);
  return at;
})();

/** A stream server that hands out the next piece to each new connection, then keeps it open. */
function pieceServer(pieces: Buffer[], closeAfter: boolean[]): Server {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    const k = n++;
    if (k >= pieces.length) return;
    s.write(pieces[k]!, () => (closeAfter[k] ? s.end() : undefined));
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  const close = server.close.bind(server);
  server.close = (cb) => {
    sockets.forEach((s) => s.destroy());
    return close(cb);
  };
  return server;
}

function listen(server: Server, where: number | string): Promise<string> {
  const opts = typeof where === 'number' ? { port: where, host: '127.0.0.1' } : { path: where };
  return new Promise((resolve) =>
    server.listen(opts, () => {
      const a = server.address();
      resolve(typeof a === 'string' ? `unix:${a}` : `127.0.0.1:${a!.port}`);
    }),
  );
}

test('-S HOST:PORT reads a live stream, reconnects when it drops, says so, and -N ends the run', async () => {
  const server = pieceServer([good.subarray(0, half), good.subarray(half)], [true, false]);
  const addr = await listen(server, 0);
  try {
    const r = await runBin('smbta-json', ['-S', addr, '-N', '2000', '-s', 'time'], { timeoutMs: 15000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString().trim().split('\n').length, 2000);
    assert.match(r.stderr, new RegExp(`${addr}: connection closed; reconnecting in 0.25s`));
  } finally {
    server.close();
  }
});

test('-S unix:PATH waits for a server that is not there yet, with backoff, then reads', () =>
  withTmpDir(async (dir) => {
    const path = `${dir}/feed.sock`;
    const reader = startProc('smbta-json', ['-S', `unix:${path}`, '-N', '500']);
    // Two refusals, with the delay doubled, before the server comes.
    await reader.waitFor(/unix:.*feed.sock: no such file or directory; reconnecting in 0.25s\n.*reconnecting in 0.5s/);
    const server = pieceServer([good], [false]);
    await listen(server, path);
    try {
      assert.equal(await reader.exited, 0, reader.stderr());
      assert.equal(reader.stdout().toString().trim().split('\n').length, 500);
      assert.match(reader.stderr(), /feed.sock: connected/);
    } finally {
      server.close();
    }
  }));

test('a live source that stops mid-block: the partial block is reported, the rest is read after reconnecting', async () => {
  const cut = half + 100;
  const server = pieceServer([good.subarray(0, cut), good.subarray(half)], [true, false]);
  const addr = await listen(server, 0);
  try {
    const r = await runBin('smbta-json', ['-S', addr, '-N', '2000'], { timeoutMs: 15000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /last block incomplete at offset \d+ \(100 bytes ignored/);
  } finally {
    server.close();
  }
});
