// Hostile input, round two: what a sender, a file or a query could do to delete, freeze, poison or silently drop.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { createLocalFormatter } from '../../src/format/time.js';
import type { SmbRecord } from '../../src/record/fields.js';
import { BlockKind, frameBlock } from '../../src/stream/format.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { encodeV2Message } from '../../src/wire/encode.js';
import { NO_POSTGRES, testDatabase } from '../helpers/postgres.js';
import { startRecv } from '../helpers/recv.js';
import { runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
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
