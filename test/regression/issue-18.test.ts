// Hostile input, round two: what a sender, a file or a query could do to delete, freeze, poison or silently drop.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLocalFormatter } from '../../src/format/time.js';
import { createReporter } from '../../src/io/report.js';
import { Receiver } from '../../src/recv/receiver.js';
import { openBinaryOutput } from '../../src/runtime/output.js';
import type { SmbRecord } from '../../src/record/fields.js';
import { BlockKind, frameBlock } from '../../src/stream/format.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { WireConnection } from '../../src/wire/connection.js';
import { encodeV2Message } from '../../src/wire/encode.js';
import { createLocalTimeConverter } from '../../src/wire/local-time.js';
import { track } from '../helpers/children.js';
import { makePki, opensslMissing } from '../helpers/pki.js';
import { NO_POSTGRES, testDatabase } from '../helpers/postgres.js';
import { startProc } from '../helpers/proc.js';
import { recvReceived, startRecv } from '../helpers/recv.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { toolMissing } from '../helpers/tools.js';
import { waitUntil } from '../helpers/wait.js';

const traffic = (n: number, seed = 1): SmbRecord[] => {
  const t = createTraffic({ seed, start: Date.UTC(2026, 10, 23, 9) });
  return Array.from({ length: n }, () => t.next());
};

const count = async (db: string): Promise<string> =>
  (await runBin('smbta-query', ['--db', db, '--csv', '-q', 'SELECT COUNT(*) AS n FROM smbta_records'])).stdout.toString();

test('raw SQL runs exactly one statement, read-only: a COMMIT and DELETE behind a quote in a comment delete nothing', async () => {
  const attacks = [
    "SELECT 1 /* ' */; COMMIT; DELETE FROM smbta_records; /* ' */",
    'SELECT 1; DELETE FROM smbta_records',
    'SELECT 1 FROM (SELECT 1) AS x; COMMIT',
  ];
  await withTmpDir(async (dir) => {
    writeFileSync(`${dir}/a.smbta`, encodeRecords(traffic(500)));
    const stores = [`${dir}/a.db`];
    const pg = NO_POSTGRES ? undefined : await testDatabase();
    if (pg) stores.push(pg.url);
    try {
      for (const db of stores) {
        assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/a.smbta`, '--db', db])).code, 0);
        for (const sql of attacks) {
          const r = await runBin('smbta-query', ['--db', db, '-q', sql]);
          assert.notEqual(r.code, 0, `${db}: ${sql} was run`);
          assert.equal(await count(db), 'n\n500\n', `${db}: ${sql}`);
        }
        const write = await runBin('smbta-query', ['--db', db, '-q', 'SELECT * FROM smbta_records FOR UPDATE']);
        assert.equal(await count(db), 'n\n500\n', `${db}: ${write.stderr}`);
      }
    } finally {
      await pg?.close();
    }
  });
});

test('a NUL in a name from a sender is replaced and counted; every store then takes every record', () =>
  withTmpDir(async (dir) => {
    const recv = await startRecv(['-w', `${dir}/nul.smbta`]);
    const stamp = createLocalFormatter();
    const recs = traffic(3001, 2).map((r, k) => (k % 3 === 0 ? { ...r, user: 'eve\0', path: `a\0b${k}` } : r));
    const wire = Buffer.concat(recs.map((r) => encodeV2Message(r, stamp)));
    await new Promise<void>((resolve, reject) => {
      const s = connect(recv.port, '127.0.0.1', () => s.end(wire, () => resolve()));
      s.on('error', reject);
    });
    await recv.received(3001);
    const { stderr } = await recv.stop();
    assert.match(stderr, /NUL replaced in 1001 records/);
    const got = decodeAll(await import('node:fs').then((fs) => fs.readFileSync(`${dir}/nul.smbta`))).records;
    assert.equal(got.length, 3001);
    assert.equal(got.filter((r) => r.user === 'eve\uFFFD').length, 1001);
    // A stream that still carries NUL (written by anything) is stored whole, with the count said.
    writeFileSync(`${dir}/raw.smbta`, encodeRecords(recs));
    const stores = [`${dir}/a.db`];
    const pg = NO_POSTGRES ? undefined : await testDatabase();
    if (pg) stores.push(pg.url);
    try {
      for (const db of stores) {
        const load = await runBin('smbta-db', ['load', '-r', `${dir}/raw.smbta`, '--db', db, '--batch-records', '500']);
        assert.equal(load.code, 0, load.stderr);
        assert.match(load.stderr, /stored 3001 records .*; 2002 names held a NUL, stored with U\+FFFD/);
        assert.equal(await count(db), 'n\n3001\n');
      }
    } finally {
      await pg?.close();
    }
  }));

test('a block claiming more records than a block may hold is damage: counted, skipped, and the stream goes on', () =>
  withTmpDir(async (dir) => {
    const [before, after] = [encodeRecords(traffic(100, 1)), encodeRecords(traffic(100, 2))];
    // A valid 42-byte records block (no strings, no columns) claiming 2^32-1 and 50M records.
    const empty = Buffer.from([0, 0]);
    const claims = [0xffffffff, 50_000_000, 65_537].map((n) => frameBlock(BlockKind.Records, empty, n, 0, 0));
    writeFileSync(`${dir}/a.smbta`, Buffer.concat([before, ...claims, after]));
    for (const program of ['smbta-cat', 'smbta-filter', 'smbta-db']) {
      const args =
        program === 'smbta-db'
          ? ['load', '-r', `${dir}/a.smbta`, '--db', `${dir}/a.db`]
          : ['-r', `${dir}/a.smbta`, ...(program === 'smbta-filter' ? ['-w', `${dir}/f.smbta`] : ['-n'])];
      const r = await runBin(program, args, { timeoutMs: 60_000 });
      assert.equal(r.code, 1, `${program}: damage is an error at the end`);
      assert.match(r.stderr, /absurd record count 4294967295 \(a block holds at most 65536\)/, program);
    }
    assert.equal(decodeAll(await import('node:fs').then((fs) => fs.readFileSync(`${dir}/f.smbta`))).records.length, 200);
    assert.equal(await count(`${dir}/a.db`), 'n\n200\n');
  }));

test('globs and regular expressions match in linear time: patterns that backtrack for hours answer at once', { timeout: 120_000 }, () =>
  withTmpDir(async (dir) => {
    const deep = `${'d/'.repeat(200)}x`;
    const long = 'a'.repeat(4096);
    writeFileSync(`${dir}/a.smbta`, encodeRecords(traffic(50).map((r, k) => ({ ...r, path: k % 2 ? deep : long }))));
    for (const filter of ['path=*/*/*/*/*.docx', 'path=*a*a*a*a*a*a*a*b', "path~'^(a+)+$'", "path~'(a|aa)*c'", 'path=*a*a*a*a*a*a*a*a']) {
      const r = await runBin('smbta-cat', ['-r', `${dir}/a.smbta`, '-n', '-s', 'path', filter], { timeoutMs: 60_000 });
      assert.notEqual(r.code, null, filter);
      const n = r.stdout
        .toString()
        .split('\n')
        .filter((l) => l && !l.startsWith('PATH')).length;
      assert.equal(n, filter === "path~'^(a+)+$'" || filter === 'path=*a*a*a*a*a*a*a*a' ? 25 : 0, filter);
    }
    const search = await runBin('smbta-query', ['-r', `${dir}/a.smbta`, '--csv', '-q', 'global, search %a%a%a%a%a%a%a%b;'], { timeoutMs: 60_000 });
    assert.equal(search.stdout.toString(), 'kind,name,share,user,domain\n');
  }),
);

test('slowloris: a trickled message is closed by its whole time, and a full house makes room for a real sender', () =>
  withTmpDir(async (dir) => {
    const recv = await startRecv(['-w', `${dir}/out.smbta`, '--max-connections', '5', '--stall-timeout', '3s']);
    const stamp = createLocalFormatter();
    const message = encodeV2Message(traffic(1)[0]!, stamp);
    const opened: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      // Five connections that send one byte of a message every 300 ms: each byte is "activity".
      for (let k = 0; k < 5; k++) {
        const s = connect(recv.port, '127.0.0.1');
        s.on('error', () => undefined);
        opened.push(s);
        let at = 0;
        timers.push(setInterval(() => !s.destroyed && at < message.length - 1 && s.write(message.subarray(at, ++at)), 300));
      }
      await new Promise((r) => setTimeout(r, 1000));
      // Every slot is taken by a connection that has delivered nothing: the real sender gets in.
      const real = traffic(100, 3);
      await new Promise<void>((resolve, reject) => {
        const s = connect(recv.port, '127.0.0.1', () => s.end(Buffer.concat(real.map((r) => encodeV2Message(r, stamp))), () => resolve()));
        s.on('error', reject);
      });
      await recv.received(100);
      // And the tricklers go when their message has taken 3 s, though they never went quiet.
      await waitUntil('the trickling connections to be closed', () => opened.every((s) => s.destroyed || s.closed), 15_000);
    } finally {
      timers.forEach(clearInterval);
      opened.forEach((s) => s.destroy());
    }
    const { stderr } = await recv.stop();
    assert.match(stderr, /closed to make room, as it had delivered no record/);
    assert.match(stderr, /a message took more than 3s \(--stall-timeout\)/);
    assert.equal(decodeAll(readFileSync(`${dir}/out.smbta`)).records.length, 100);
  }));

test('token and TLS readers cannot be locked out by a flood of connections that never prove themselves', { skip: opensslMissing() }, () =>
  withTmpDir(async (dir) => {
    makePki(dir);
    writeFileSync(`${dir}/token`, 'a-reader-token-of-some-length');
    const recv = startProc('smbta-recv', [
      ...['-i', '0', '-P', '0', '-w', `${dir}/out.smbta`],
      ...['--tls-cert', `${dir}/server.pem`, '--tls-key', `${dir}/server.key`, '--token-file', `${dir}/token`],
    ]);
    const m = await recv.waitFor(/listening on 127\.0\.0\.1:(\d+); serving readers on 127\.0\.0\.1:(\d+)/);
    const [port, serve] = [Number(m[1]), Number(m[2])];
    // 600 connections, more than twice the 256 that may wait: half start a TLS handshake and stall,
    // half say nothing; each that is closed is opened again at once.
    let flooding = true;
    const flood = new Set<Socket>();
    const open = (k: number): void => {
      if (!flooding) return;
      const s = connect(serve, '127.0.0.1', () => k % 2 === 0 && s.write(Buffer.from([0x16, 3, 1])));
      s.on('error', () => undefined);
      s.on('close', () => {
        flood.delete(s);
        open(k);
      });
      flood.add(s);
    };
    try {
      for (let k = 0; k < 600; k++) open(k);
      await waitUntil('the flood to fill the waiting room', () => /the longest waiting made room/.test(recv.stderr()));
      const reader = startProc('smbta-json', ['-N', '500', '-S', `tls://127.0.0.1:${serve}`, '--tls-ca', `${dir}/ca.pem`, '--token-file', `${dir}/token`]);
      await waitUntil('the reader to be let in', () => / connected$/m.test(recv.stderr()), 30_000);
      const sent = await runBin('smbta-torture', ['-d', `127.0.0.1:${port}`, '-n', '500'], { timeoutMs: 30_000 });
      assert.equal(sent.code, 0);
      assert.equal(await reader.exited, 0, reader.stderr());
      assert.equal(reader.stdout().toString().trim().split('\n').length, 500);
      // The waiting room stayed bounded by closing the longest waiting, not the newcomer.
      assert.match(recv.stderr(), /refused: 256 connections waiting to authenticate; the longest waiting made room/);
    } finally {
      flooding = false;
      flood.forEach((s) => s.destroy());
      await recv.stop();
    }
  }),
);

test('an idle sender holds no socket chunk: the decoder keeps copies of at most a few hundred bytes', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const message = encodeV2Message(traffic(1)[0]!, createLocalFormatter());
  const conns: WireConnection[] = [];
  gc();
  const before = process.memoryUsage().arrayBuffers;
  // 200 senders, each of whose one message arrived at the start of a 1 MiB chunk, then nothing more.
  for (let k = 0; k < 200; k++) {
    const chunk = Buffer.alloc(1 << 20);
    message.copy(chunk);
    const conn = new WireConnection({ maxBody: 65536, maxLine: 65536 }, createLocalTimeConverter('UTC'), {
      record: () => undefined,
      dropped: () => undefined,
      reject: (why) => assert.fail(why),
      notice: () => undefined,
    });
    assert.ok(conn.push(chunk.subarray(0, message.length)));
    conns.push(conn);
  }
  gc();
  const held = process.memoryUsage().arrayBuffers - before;
  assert.ok(held < 20 << 20, `${conns.length} idle senders hold ${(held / 1048576).toFixed(0)} MiB`);
});

test('a receiver without --state keeps nothing per sender once it has gone; with it, a closed sender is listed once', () =>
  withTmpDir(async (dir) => {
    for (const perSender of [false, true]) {
      const writer = openBinaryOutput('smbta-recv', { write: `${dir}/${perSender}.smbta`, force: false });
      const limits = { maxBody: 65536, maxConnections: 50, idleMs: 0, stallMs: 5000, maxBuffer: 1 << 20, maxBacklog: 1 << 26 };
      const receiver = new Receiver({
        ...{ unix: `${dir}/sock-${perSender}`, toUtc: createLocalTimeConverter('UTC'), serverNames: new Map(), anonymize: () => undefined },
        ...{ limits, writer, report: createReporter('test', () => undefined), perSender },
      });
      await receiver.start();
      const message = encodeV2Message(traffic(1)[0]!, createLocalFormatter());
      for (let k = 0; k < 300; k++)
        await new Promise<void>((resolve, reject) => {
          const s = connect(`${dir}/sock-${perSender}`, () => s.end(message));
          s.on('error', reject).on('close', () => resolve());
        });
      await waitUntil('every sender to be seen gone', () => receiver.stats.connectionsOpen === 0 && receiver.stats.records === 300);
      assert.equal(Object.keys(receiver.passedOnBySender()).length, perSender ? 300 : 0);
      assert.equal(Object.keys(receiver.passedOnBySender()).length, 0, 'closed senders are listed once, then forgotten');
      await receiver.close();
      await writer.close();
    }
  }));

/** Feeds `data` to one wire connection: what it decodes and what it rejects. */
function feedWire(data: Buffer): { records: SmbRecord[]; rejected: string[] } {
  const records: SmbRecord[] = [];
  const rejected: string[] = [];
  const conn = new WireConnection({ maxBody: 65536, maxLine: 65536 }, createLocalTimeConverter('UTC'), {
    record: (r) => void records.push(r),
    dropped: () => undefined,
    reject: (_, detail) => void rejected.push(detail),
    notice: () => undefined,
  });
  conn.push(data);
  return { records, rejected };
}

test('a V1 timestamp with four millisecond digits is one rejected record, not a line glued to the next', () => {
  const line = (user: string, stamp: string): string => `V1,4096,"${user}","EXAMPLE","W","/srv/share","${user}.txt","${stamp}"\n`;
  const { records, rejected } = feedWire(Buffer.from(line('bob', '2012-07-31 13:06:34.1234') + line('alice', '2012-07-31 13:07:00.500')));
  assert.deepEqual(
    records.map((r) => [r.user, r.path, r.time]),
    [['alice', '/srv/share/alice.txt', Date.UTC(2012, 6, 31, 13, 7, 0, 500)]],
  );
  assert.equal(rejected.length, 1);
  assert.match(rejected[0]!, /bad timestamp '2012-07-31 13:06:34\.1234'/);
});

test('wire dates that do not exist are rejected: years 0000-0099, Feb 31, Feb 29 outside leap years', () => {
  const r = traffic(1)[0]!;
  for (const stamp of ['0050-06-01 10:00:00.000', '0000-01-01 00:00:00.000', '2026-02-31 10:00:00.000', '2025-02-29 10:00:00.000', '2026-04-31 10:00:00']) {
    const { records, rejected } = feedWire(encodeV2Message(r, () => stamp));
    assert.equal(records.length, 0, stamp);
    assert.match(rejected[0]!, /bad timestamp/, stamp);
  }
  const year100 = new Date(Date.UTC(2000, 2, 1));
  year100.setUTCFullYear(100);
  for (const [stamp, ms] of [
    ['2024-02-29 10:00:00.000', Date.UTC(2024, 1, 29, 10)],
    ['1969-12-31 23:59:59.999', -1],
    ['0100-03-01 00:00:00', year100.getTime()],
  ] as const)
    assert.equal(feedWire(encodeV2Message(r, () => stamp)).records[0]?.time, ms, stamp);
});

test("what a sender sends reaches recv's messages escaped: no newline, ESC or CSI reaches the terminal raw", () =>
  withTmpDir(async (dir) => {
    const recv = await startRecv(['-w', `${dir}/out.smbta`]);
    const evil = encodeV2Message(traffic(1)[0]!, () => '2012\x1b]0;pwned\x07\nforged\x9b2J');
    await new Promise<void>((resolve, reject) => {
      const s = connect(recv.port, '127.0.0.1', () => s.end(evil, () => resolve()));
      s.on('error', reject);
    });
    await waitUntil('the rejection to be said', () => /record rejected/.test(recv.stderr()));
    const { stderr } = await recv.stop();
    const said = stderr.split('\n').find((l) => l.includes('record rejected'))!;
    for (const raw of ['\x07', '\x1b', '\x9b']) assert.ok(!stderr.includes(raw), JSON.stringify(raw));
    assert.doesNotMatch(stderr, /^forged/m);
    assert.match(said, /\\u001b\]0;pwned\\u0007/);
  }));

test('operation ids a newer source sends print as op<N> and can be selected, whatever N', () =>
  withTmpDir(async (dir) => {
    const [a, b, c] = traffic(3);
    writeFileSync(`${dir}/in.smbta`, encodeRecords([{ ...a!, op: 300 }, { ...b!, op: 70000 }, c!]));
    const one = await runBin('smbta-json', ['-r', `${dir}/in.smbta`, 'op=op300']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(
      one.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { op: string }).op),
      ['op300'],
    );
    const rest = await runBin('smbta-json', ['-r', `${dir}/in.smbta`, 'op not in (op300, op70000)']);
    assert.equal(rest.stdout.toString().trim().split('\n').length, 1);
  }));

test('-M size 100K writes files under 100K (and refuses sizes a file cannot honour), every record once', () =>
  withTmpDir(async (dir) => {
    const recs = traffic(60_000);
    writeFileSync(`${dir}/in.smbta`, encodeRecords(recs));
    const r = await runBin('smbta-rotate', ['-r', `${dir}/in.smbta`, '-w', `${dir}/out/x.smbta`, '-M', 'size', '100K']);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(`${dir}/out`);
    assert.ok(files.length > 5, `${files.length} files`);
    for (const f of files) assert.ok(statSync(`${dir}/out/${f}`).size <= 100 * 1024, `${f}: ${statSync(`${dir}/out/${f}`).size} bytes`);
    const back = files.flatMap((f) => decodeAll(readFileSync(`${dir}/out/${f}`)).records);
    assert.equal(back.length, recs.length);
    assert.equal(
      new Set(back.map((x) => `${x.time} ${x.path} ${x.user} ${x.op} ${x.bytes}`)).size,
      new Set(recs.map((x) => `${x.time} ${x.path} ${x.user} ${x.op} ${x.bytes}`)).size,
    );
    const tiny = await runBin('smbta-rotate', ['-r', `${dir}/in.smbta`, '-w', `${dir}/tiny/x.smbta`, '-M', 'size', '300']);
    assert.equal(tiny.code, 2);
  }));

test('an empty or short --anon-key and a state file holding null are refused, not taken', () =>
  withTmpDir(async (dir) => {
    for (const key of ['', '\n', 'short'] as const) {
      writeFileSync(`${dir}/anon`, key);
      const r = await runBin('smbta-recv', ['--anonymize', 'user', '--anon-key', `${dir}/anon`, '-w', `${dir}/x.smbta`]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--anon-key .*anon: \d+ bytes; a key of at least 16 is needed/);
    }
    for (const text of ['null', '42', '[]', '"x"']) {
      writeFileSync(`${dir}/state`, text);
      const r = await runBin('smbta-recv', ['--state', `${dir}/state`, '-w', `${dir}/x.smbta`]);
      assert.equal(r.code, 2, text);
      assert.match(r.stderr, /--state .*state: damaged \(remove it to start a new run\)/, text);
    }
  }));

test(
  'one unreadable file in an -R archive is skipped and said; the rest is read, and the exit status is 1',
  { skip: process.getuid?.() !== 0 && 'needs root to read as another user' },
  () =>
    withTmpDir(async (dir) => {
      mkdirSync(`${dir}/arch/2026-11-23`, { recursive: true });
      chmodSync(dir, 0o755);
      writeFileSync(`${dir}/arch/2026-11-23/a.smbta`, encodeRecords(traffic(5000)));
      writeFileSync(`${dir}/arch/2026-11-23/b.smbta`, encodeRecords(traffic(10, 2)), { mode: 0o600 });
      const r = await runBin('smbta-json', ['-R', `${dir}/arch`], { as: { uid: 65534, gid: 65534 } });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /b\.smbta: permission denied/);
      assert.equal(r.stdout.toString().trim().split('\n').length, 5000);
    }),
);

test('--audit-file decodes names whose characters straddle a 64 KiB read whole', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/audit.log`, '');
    const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', `${dir}/audit.log`, '-w', `${dir}/out.smbta`]);
    // 20,000 lines of varying length with 2-, 3- and 4-byte characters: many cross a read boundary.
    const names = Array.from({ length: 20_000 }, (_, k) => `/srv/projects/${'ü'.repeat(k % 7)}€${'x'.repeat(k % 5)}😀-${k}`);
    try {
      await recv.waitFor(/listening on/);
      appendFileSync(`${dir}/audit.log`, names.map((n) => `Nov 23 23:42:45 fs3 smbd_audit: alice|10.0.0.5|pc|projects|mkdirat|ok|${n}\n`).join(''));
      await recvReceived(recv.proc, () => recv.stderr(), names.length);
    } finally {
      await recv.stop();
    }
    const got = decodeAll(readFileSync(`${dir}/out.smbta`)).records.map((r) => r.path);
    assert.equal(got.filter((p) => p.includes('\uFFFD')).length, 0);
    assert.deepEqual(got, names);
  }));

test('smbta-recv -w FILE killed with SIGKILL: the next start keeps what it wrote under a name of its own, and never replaces FILE', () =>
  withTmpDir(async (dir) => {
    const first = await startRecv(['-w', `${dir}/out.smbta`]);
    const stamp = createLocalFormatter();
    await new Promise<void>((resolve, reject) => {
      const s = connect(first.port, '127.0.0.1', () => s.end(Buffer.concat(traffic(300).map((r) => encodeV2Message(r, stamp))), () => resolve()));
      s.on('error', reject);
    });
    await first.received(300);
    // The receiver writes a block at most 100 ms after its records came.
    await waitUntil('the block to reach the temporary file', () => readdirSync(dir).some((n) => n.endsWith('.tmp') && statSync(`${dir}/${n}`).size > 1000));
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    const second = await startRecv(['-w', `${dir}/out.smbta`]);
    const { stderr } = await second.stop();
    assert.match(stderr, /out-1\.smbta: recovered what process \d+ had written to .*out\.smbta before it was killed/);
    assert.equal(decodeAll(readFileSync(`${dir}/out-1.smbta`)).records.length, 300);
    assert.equal(decodeAll(readFileSync(`${dir}/out.smbta`)).records.length, 0);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
    // A finished file is never replaced without --force.
    const third = await runBin('smbta-recv', ['-i', '0', '-w', `${dir}/out.smbta`]);
    assert.equal(third.code, 2);
    assert.match(third.stderr, /out\.smbta: exists; give --force to replace it/);
  }));

test(
  'a .bz2 file from stock bzip2, one stream of more than 256 MiB, is read whole',
  { timeout: 400_000, skip: toolMissing('bzip2', 'bzip2', ['--help']) },
  () =>
    withTmpDir(async (dir) => {
      // 150 copies of a 100,000-record stream: 15,000,000 records, about 280 MiB, one bzip2 stream.
      const part = encodeRecords(traffic(100_000));
      const copies = 150;
      assert.ok(part.length * copies > 256 << 20);
      const bzip2 = spawn('bzip2', ['-c', '-1'], { stdio: ['pipe', openSync(`${dir}/big.smbta.bz2`, 'w'), 'inherit'] });
      const input = bzip2.stdin!;
      for (let k = 0; k < copies; k++) if (!input.write(part)) await new Promise((r) => input.once('drain', r));
      input.end();
      assert.equal(await new Promise((r) => bzip2.once('exit', r)), 0);
      const r = await runBin('smbta-query', ['-r', `${dir}/big.smbta.bz2`, '--csv', '-q', 'system, smbtad-report short;'], { timeoutMs: 380_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.toString(), new RegExp(`^records,${100_000 * copies}$`, 'm'));
    }),
);

test('one record dated 2999 (or year 50, or past 2^52 ms) goes to quarantine: no file storm, no NaN paths, no changed times', () =>
  withTmpDir(async (dir) => {
    const now = Date.now();
    // Three hours of records in blocks of 100, the odd ones early among them.
    const recs = traffic(3000).map((r, k) => ({ ...r, time: now - 3 * 3_600_000 + k * 3600, end: now - 3 * 3_600_000 + k * 3600 }));
    const year50 = new Date(Date.UTC(2000, 5, 1));
    year50.setUTCFullYear(50);
    const odd = [Date.UTC(2999, 0, 1), year50.getTime(), 2 ** 52 + 5];
    odd.forEach((t, k) => (recs[100 + k] = { ...recs[100 + k]!, time: t, end: t }));
    writeFileSync(`${dir}/in.smbta`, encodeRecords(recs, 100));
    const r = await runBin('smbta-rotate', ['-r', `${dir}/in.smbta`, '-M', 'time', '1h', '-w', `${dir}/a/%Y-%m-%d/%H.smbta`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /records dated outside the present \(the first: 2999-01-01T00:00:00\.000Z\) are kept apart in .*a\/quarantine\.smbta \(--future\)/);
    assert.match(r.stderr, /3 records dated outside the present kept in .*a\/quarantine\.smbta/);
    const files = (readdirSync(`${dir}/a`, { recursive: true }) as string[]).filter((f) => f.endsWith('.smbta'));
    assert.ok(!files.some((f) => f.includes('NaN')), files.join(' '));
    assert.ok(files.length <= 6, `${files.length} files: ${files.join(' ')}`);
    const apart = decodeAll(readFileSync(`${dir}/a/quarantine.smbta`)).records;
    assert.deepEqual(
      apart.map((x) => x.time),
      odd,
    );
    const all = files.flatMap((f) => decodeAll(readFileSync(`${dir}/a/${f}`)).records);
    assert.equal(all.length, recs.length);
  }));

/**
 * smbta-rotate -M count 5000 onto a 2 MiB file system of its own (in a mount namespace) with
 * `fill` KiB taken; the filler is removed once rotate has said `until`. What rotate said, how
 * many records the archive holds, and what a reader of it said.
 */
function rotateOnFullDisk(dir: string, fill: number, until: string, args: string[] = []): { said: string; count: number; reader: string; names: string } {
  writeFileSync(`${dir}/in.smbta`, encodeRecords(traffic(20_000), 500));
  mkdirSync(`${dir}/disk`);
  const script = `
    set -e
    mount -t tmpfs -o size=2m tmpfs disk
    dd if=/dev/zero of=disk/filler bs=1k count=${fill} 2>/dev/null
    mkfifo feed
    "${process.execPath}" "${ROOT}bin/smbta-rotate.js" -r - -M count 5000 ${args.join(' ')} -w 'disk/a/x.smbta' < feed 2> rotate.err &
    pid=$!
    exec 3> feed
    cat in.smbta >&3
    for i in $(seq 200); do grep -q '${until}' rotate.err && break; sleep 0.05; done
    rm disk/filler
    exec 3>&-
    wait $pid || echo "rotate exited $?" >> rotate.err
    "${process.execPath}" "${ROOT}bin/smbta-json.js" -R disk/a 2> reader.err | wc -l > count
    ls -a disk/a > names`;
  const r = spawnSync('unshare', ['-m', 'bash', '-c', script], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const read = (f: string): string => readFileSync(`${dir}/${f}`, 'utf8');
  return { said: read('rotate.err'), count: Number(read('count')), reader: read('reader.err'), names: read('names') };
}

test('rotate on a full disk says so, holds the records, and writes them all once space returns', { skip: toolMissing('unshare', 'util-linux') }, () =>
  withTmpDir(async (dir) => {
    const { said, count, names } = rotateOnFullDisk(dir, 1900, 'no space left');
    assert.match(said, /cannot write .*disk\/a\/x(-\d+)?\.smbta: no space left on device; holding its records in memory .* and retrying/);
    assert.match(said, /writing again/);
    assert.doesNotMatch(said, /records dropped|could not be written|at .*\.js:\d+/);
    assert.equal(count, 20_000, said);
    assert.doesNotMatch(names, /\.tmp/);
  }),
);

test(
  'rotate past --max-held on a full disk drops the oldest records, counts them, and the archive says where',
  { skip: toolMissing('unshare', 'util-linux') },
  () =>
    withTmpDir(async (dir) => {
      const { said, count, reader } = rotateOnFullDisk(dir, 2048, 'records dropped', ['--max-held', '64K']);
      const dropped = [...said.matchAll(/: (\d+) records dropped \(not written: no space left on device, and 64\.0 KiB already held\)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      const told = [...reader.matchAll(/gap in the stream: (\d+) records lost upstream \(not written: no space left on device\)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      assert.ok(dropped > 0, said);
      assert.equal(told, dropped, reader);
      assert.equal(count + dropped, 20_000, said);
    }),
);

test(
  'rotate into a directory it may not write says permission denied (a local error, not a link one) and loses nothing once allowed',
  { skip: process.getuid?.() !== 0 && 'needs root to run as another user' },
  () =>
    withTmpDir(async (dir) => {
      chmodSync(dir, 0o755);
      writeFileSync(`${dir}/in.smbta`, encodeRecords(traffic(6000), 500));
      mkdirSync(`${dir}/ro`, { mode: 0o755 });
      const rotate = track(
        spawn(process.execPath, [`${ROOT}bin/smbta-rotate.js`, '-r', `${dir}/in.smbta`, '-M', 'count', '2000', '-w', `${dir}/ro/a/x.smbta`], {
          uid: 65534,
          gid: 65534,
          stdio: ['ignore', 'ignore', 'pipe'],
        }),
      );
      let said = '';
      rotate.stderr.on('data', (d: Buffer) => (said += d.toString()));
      const exited = new Promise<number | null>((r) => rotate.once('exit', r));
      await waitUntil('rotate to say it cannot write', () => /permission denied/.test(said));
      chmodSync(`${dir}/ro`, 0o777);
      assert.equal(await exited, 1, said);
      assert.match(said, /cannot write .*ro\/a\/x\.smbta: permission denied; holding its records in memory/);
      assert.match(said, /writing again/);
      assert.doesNotMatch(said, /in transit|records dropped|could not be written/);
      const files = readdirSync(`${dir}/ro/a`);
      assert.equal(files.flatMap((f) => decodeAll(readFileSync(`${dir}/ro/a/${f}`)).records).length, 6000);
    }),
);

test('an output that cannot be made stops the program before it listens: a missing directory exits 1, a URL exits 2', () =>
  withTmpDir(async (dir) => {
    const missing = await runBin('smbta-recv', ['-i', '0', '-w', `${dir}/nodir/out.smbta`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /-w .*nodir\/out\.smbta: cannot create it: no such file or directory/);
    assert.doesNotMatch(missing.stderr, /listening/);
    // (nats:// is an output since JetStream: jetstream.test.ts.)
    const url = await runBin('smbta-recv', ['-i', '0', '-w', 'http://127.0.0.1/smbta']);
    assert.equal(url.code, 2);
    assert.match(url.stderr, /-w http:\/\/127\.0\.0\.1\/smbta: expected a file name \(or - for stdout\); outputs are files/);
    assert.doesNotMatch(url.stderr, /listening/);
  }));

test(
  'another user can query a world-readable SQLite database: it is opened read-only when only read',
  { skip: process.getuid?.() !== 0 && 'needs root to run as another user' },
  () =>
    withTmpDir(async (dir) => {
      chmodSync(dir, 0o755);
      writeFileSync(`${dir}/in.smbta`, encodeRecords(traffic(500)));
      const load = await runBin('smbta-db', ['load', '--db', `${dir}/smbta.db`, '-r', `${dir}/in.smbta`]);
      assert.equal(load.code, 0, load.stderr);
      chmodSync(`${dir}/smbta.db`, 0o644);
      const q = await runBin('smbta-query', ['--db', `${dir}/smbta.db`, '--csv', '-q', 'system, smbtad-report short;'], { as: { uid: 65534, gid: 65534 } });
      assert.equal(q.code, 0, q.stderr);
      assert.match(q.stdout.toString(), /^records,500$/m);
    }),
);

test('a burst of connections in one instant cannot take more than --max-connections slots between them', () =>
  withTmpDir(async (dir) => {
    const recv = await startRecv(['-w', `${dir}/out.smbta`, '--max-connections', '5']);
    const burst: Socket[] = [];
    try {
      for (let k = 0; k < 60; k++) burst.push(connect(recv.port, '127.0.0.1').on('error', () => undefined));
      await waitUntil('the burst to be handled', () => /closed to make room/.test(recv.stderr()));
      await new Promise((r) => setTimeout(r, 500));
      const s = await recv.stats();
      assert.ok(s.open <= 5, `${s.open} connections open`);
    } finally {
      burst.forEach((s) => s.destroy());
      await recv.stop();
    }
  }));
