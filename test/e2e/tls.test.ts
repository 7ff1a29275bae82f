/**
 * The links smbta owns, secured: TLS with certificates made by openssl, client certificates,
 * shared tokens, and a serving program that refuses to serve beyond loopback in the clear.
 * Every case runs real programs over real sockets on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkServingBind, isLoopback } from '../../src/io/link-security.js';
import { makePki, opensslMissing } from '../helpers/pki.js';
import { startProc, type Proc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const skip = opensslMissing();
const N = 300;

/** A receiver serving readers (-P) with these security options: its sender and reader ports. */
async function receiver(args: string[]): Promise<{ p: Proc; port: number; serve: number }> {
  const p = startProc('smbta-recv', ['-i', '0', '-P', '0', ...args]);
  const m = await p.waitFor(/listening on 127\.0\.0\.1:(\d+); serving readers on 127\.0\.0\.1:(\d+)/);
  return { p, port: Number(m[1]), serve: Number(m[2]) };
}

/** Starts a reader, sends N records once the receiver has admitted it, and returns the records it printed. */
async function readsAll(recv: { p: Proc; port: number }, readerArgs: string[]): Promise<number> {
  const from = recv.p.stderr().length;
  const reader = startProc('smbta-json', ['-N', String(N), ...readerArgs]);
  await said(recv.p, from, / connected$/m);
  const sent = await runBin('smbta-torture', ['-d', `127.0.0.1:${recv.port}`, '-n', String(N)], { timeoutMs: 30000 });
  assert.equal(sent.code, 0);
  assert.equal(await reader.exited, 0, reader.stderr());
  return reader
    .stdout()
    .toString()
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{')).length;
}

/** Waits until `p` says something matching `re` after the first `from` characters of its stderr. */
async function said(p: Proc, from: number, re: RegExp): Promise<void> {
  for (const until = Date.now() + 15000; !re.test(p.stderr().slice(from));) {
    if (Date.now() > until) throw new Error(`no ${re} on stderr within 15 s:\n${p.stderr().slice(from)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A reader that must not get in: the receiver says why (and the reader, what it was told), and the reader gets nothing. */
async function refused(recv: { p: Proc }, readerArgs: string[], why: RegExp, readerSays?: RegExp): Promise<Proc> {
  const from = recv.p.stderr().length;
  const reader = startProc('smbta-json', readerArgs);
  try {
    await said(recv.p, from, why);
    if (readerSays) await said(reader, 0, readerSays);
  } finally {
    await reader.stop();
  }
  assert.equal(reader.stdout().length, 0);
  assert.doesNotMatch(recv.p.stderr().slice(from), / connected$/m);
  return reader;
}

test('TLS: a reader that trusts the CA reads; a plain reader and one trusting another CA are refused', { skip }, () =>
  withTmpDir(async (dir) => {
    makePki(dir);
    const recv = await receiver(['--tls-cert', `${dir}/server.pem`, '--tls-key', `${dir}/server.key`]);
    try {
      assert.equal(await readsAll(recv, ['-S', `tls://127.0.0.1:${recv.serve}`, '--tls-ca', `${dir}/ca.pem`]), N);
      assert.equal(await readsAll(recv, ['-S', `tls://localhost:${recv.serve}`, '--tls-ca', `${dir}/ca.pem`]), N, 'by name too');
      // A plain reader is told, on its side too: one that says nothing after a wait (5 s), one
      // that speaks first, in the clear (its token), at once.
      writeFileSync(`${dir}/token`, 'c0ffee0123456789abcdef0123456789\n');
      for (const extra of [['--token-file', `${dir}/token`], []]) {
        await refused(
          recv,
          ['-S', `127.0.0.1:${recv.serve}`, ...extra],
          /refused: this port speaks TLS: read it with -S tls:\/\/HOST:PORT/,
          /127\.0\.0\.1:\d+: the server refused this reader: this port speaks TLS: read it with -S tls:\/\/HOST:PORT \(and --tls-ca\)/,
        );
      }
      // The reader refuses the server: it says why, and the server sees it hang up.
      const doubter = await refused(recv, ['-S', `tls://127.0.0.1:${recv.serve}`, '--tls-ca', `${dir}/rogue-ca.pem`], /refused: TLS/);
      assert.match(
        doubter.stderr(),
        /tls:\/\/127\.0\.0\.1:\d+: (self-signed certificate|unable to verify the first certificate): give --tls-ca with the CA that signed the server's certificate; reconnecting/i,
      );
    } finally {
      await recv.p.stop();
    }
    // An impostor server with a certificate from another CA: the reader does not read from it.
    const impostor = await receiver(['--tls-cert', `${dir}/impostor.pem`, '--tls-key', `${dir}/impostor.key`]);
    try {
      const fooled = await refused(impostor, ['-S', `tls://127.0.0.1:${impostor.serve}`, '--tls-ca', `${dir}/ca.pem`], /refused: TLS/);
      assert.match(fooled.stderr(), /unable to verify the first certificate|self-signed/i);
    } finally {
      await impostor.p.stop();
    }
  }),
);

test('client certificates: a server with --tls-client-ca serves only readers with a certificate its CA signed', { skip }, () =>
  withTmpDir(async (dir) => {
    makePki(dir);
    const recv = await receiver(['--tls-cert', `${dir}/server.pem`, '--tls-key', `${dir}/server.key`, '--tls-client-ca', `${dir}/ca.pem`]);
    try {
      const trust = ['-S', `tls://127.0.0.1:${recv.serve}`, '--tls-ca', `${dir}/ca.pem`];
      await refused(recv, trust, /refused: TLS/);
      await refused(recv, [...trust, '--tls-cert', `${dir}/impostor.pem`, '--tls-key', `${dir}/impostor.key`], /refused: TLS/);
      assert.equal(await readsAll(recv, [...trust, '--tls-cert', `${dir}/client.pem`, '--tls-key', `${dir}/client.key`]), N);
    } finally {
      await recv.p.stop();
    }
  }),
);

test('tokens: through a TLS mux, only readers with the token read; wrong and missing tokens are refused', { skip, timeout: 60000 }, () =>
  withTmpDir(async (dir) => {
    makePki(dir);
    writeFileSync(`${dir}/token`, 'c0ffee0123456789abcdef0123456789\n');
    writeFileSync(`${dir}/wrong`, 'deadbeef0123456789abcdef01234567\n');
    const tls = ['--tls-cert', `${dir}/server.pem`, '--tls-key', `${dir}/server.key`];
    const recv = await receiver([...tls, '--token-file', `${dir}/token`]);
    // The mux reads the receiver over TLS with the token, and serves over TLS with it too.
    const mux = startProc('smbta-mux', ['-S', `tls://127.0.0.1:${recv.serve}`, '--tls-ca', `${dir}/ca.pem`, '--token-file', `${dir}/token`, '-P', '0', ...tls]);
    try {
      const served = Number((await mux.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]);
      await recv.p.waitFor(/ connected/);
      const hub = { p: mux, port: recv.port };
      const reader = ['-S', `tls://127.0.0.1:${served}`, '--tls-ca', `${dir}/ca.pem`];
      await refused(hub, [...reader, '--token-file', `${dir}/wrong`], /refused: wrong token/);
      await refused(hub, reader, /refused: no token within 5s/);
      assert.equal(await readsAll(hub, [...reader, '--token-file', `${dir}/token`]), N);
      const short = await runBin('smbta-cat', ['-S', '127.0.0.1:1', '--token-file', `${dir}/server.pem`]);
      assert.equal(short.code, 2);
      assert.match(short.stderr, /--token-file .*: expected one token of 16 to 512 characters without spaces/);
    } finally {
      await mux.stop();
      await recv.p.stop();
    }
  }),
);

test('serving beyond loopback needs TLS or --insecure', async () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', 'fs1.example.org', '::ffff:10.0.0.5']) assert.ok(!isLoopback(h), h);
  const said: string[] = [];
  assert.throws(
    () => checkServingBind('0.0.0.0', {}, false, (m) => said.push(m)),
    /-B 0\.0\.0\.0 serves the stream beyond this host: give --tls-cert and --tls-key/,
  );
  checkServingBind('0.0.0.0', {}, true, (m) => said.push(m));
  assert.match(said[0]!, /without TLS \(--insecure\): anyone who can reach it reads every record/);
  checkServingBind('0.0.0.0', { cert: Buffer.from('x'), key: Buffer.from('y') }, false, (m) => said.push(m));
  assert.equal(said.length, 1);
  // Refused before anything listens, by every serving program.
  for (const [program, args] of [
    ['smbta-recv', ['-i', '0']],
    ['smbta-mux', ['-S', '127.0.0.1:1']],
    ['smbta-probe', ['-r', '/dev/null']],
  ] as const) {
    const r = await runBin(program, [...args, '-P', '0', '-B', '0.0.0.0']);
    assert.equal(r.code, 2, `${program}: ${r.stderr}`);
    assert.match(r.stderr, /-B 0\.0\.0\.0 serves the stream beyond this host/);
  }
  const half = await runBin('smbta-recv', ['-i', '0', '-P', '0', '--tls-cert', '/dev/null']);
  assert.match(half.stderr, /--tls-cert and --tls-key go together/);
});
