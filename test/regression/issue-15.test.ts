// A filter written after -r, -R, -S or -M was swallowed by them; -w replaced /dev/null; a second signal lost the output; and the stumbles new users met.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { splitArgv } from '../../src/cli/argv.js';
import { SHARED } from '../../src/cli/options.js';
import { looksLikeFilter } from '../../src/filter/looks-like.js';
import { UsageError } from '../../src/language/errors.js';
import { looksLikeQuestion } from '../../src/query/friendly.js';
import { TopFeed } from '../../src/tui/feed.js';
import { splitKeys } from '../../src/tui/keys.js';
import { startProc } from '../helpers/proc.js';
import { runBin, ROOT } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';
import { track } from '../helpers/children.js';
import { KNOWN, T0, batchOf } from '../helpers/top-input.js';
import { createTraffic } from '../../src/synth/traffic.js';

const TRAFFIC = `${ROOT}test/fixtures/traffic-2000.smbta`;
const lines = (b: Buffer): number => b.toString().split('\n').filter(Boolean).length;
const OPTS = {
  read: SHARED.read,
  recursive: SHARED.recursive,
  remote: SHARED.remote,
  mode: SHARED.mode,
  share: { kind: 'text', many: true, group: 'Query', describe: '' },
} as const;

test('one rule for options with several values: files, directories and addresses until the trailing words begin', () => {
  const split = (argv: string[]) => splitArgv(argv, OPTS, looksLikeFilter);
  assert.deepEqual(split(['-r', TRAFFIC, 'user=bob']), { options: [`--read=${TRAFFIC}`], words: ['user=bob'], written: new Map([['read', '-r']]) });
  assert.deepEqual(split(['-R', 'test', 'test/fixtures', 'share~^proj and bytes>=1M']).words, ['share~^proj and bytes>=1M']);
  assert.deepEqual(split(['-S', 'localhost:3491', '[::1]:3491', 'tls://hub:3499', 'unix:/run/s', '3491', 'write and bytes>=64K']).options, [
    '--remote=localhost:3491',
    '--remote=[::1]:3491',
    '--remote=tls://hub:3499',
    '--remote=unix:/run/s',
    '--remote=3491',
  ]);
  assert.deepEqual(split(['-M', 'time', '1h', 'share=projects']), {
    options: ['--mode=time 1h'],
    words: ['share=projects'],
    written: new Map([['mode', '-M']]),
  });
  // Options may follow the trailing words; -- ends the options.
  assert.deepEqual(split(['user=bob', '-r', TRAFFIC]).words, ['user=bob']);
  assert.deepEqual(split(['-r', TRAFFIC, '--', '-r']).words, ['-r']);
  // A missing file is a file (and "no such file" later), not a filter.
  assert.deepEqual(split(['-r', 'missing.smbta', 'read']).options, ['--read=missing.smbta']);
  // Every other repeatable option takes one value: the rest are the question.
  assert.deepEqual(splitArgv(['--share', 'projects', 'top', 'users', '-R', 'test'], OPTS, looksLikeQuestion).words, ['top', 'users']);
  assert.throws(
    () => split(['-r', 'user=bob']),
    (e: Error) => e instanceof UsageError && /-r needs a FILE\.\.\. before 'user=bob'/.test(e.message),
  );
});

test('a word that names a file here and reads as a filter is refused, with what to do', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/read`, '');
    const r = spawnSync(process.execPath, [`${ROOT}bin/smbta-cat.js`, '-r', TRAFFIC, 'read'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /'read' names a file here and reads as what follows the options: write \.\/read for the file, or put -- before the rest/);
    const ok = spawnSync(process.execPath, [`${ROOT}bin/smbta-cat.js`, '-r', TRAFFIC, '--', 'read'], { cwd: dir, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
  }));

test('the trailing filter is always the filter: after -r, -R, -S and -M, in every program', () =>
  withTmpDir(async (dir) => {
    mkdirSync(`${dir}/archive/day`, { recursive: true });
    writeFileSync(`${dir}/archive/day/a.smbta`, readFileSync(TRAFFIC));
    const all = await runBin('smbta-json', ['-R', `${dir}/archive`]);
    const bob = await runBin('smbta-json', ['-R', `${dir}/archive`, 'user=bob']);
    assert.equal(bob.code, 0, bob.stderr);
    assert.ok(lines(bob.stdout) > 0 && lines(bob.stdout) < lines(all.stdout), 'bob only');
    const big = await runBin('smbta-filter', ['-R', `${dir}/archive`, 'share~^proj and bytes>=64K', '-w', `${dir}/big.smbta.bz2`]);
    assert.equal(big.code, 0, big.stderr);
    const json = await runBin('smbta-json', ['-r', `${dir}/big.smbta.bz2`]);
    const recs = json.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { share: string; bytes: number });
    assert.ok(recs.length > 0 && recs.every((r) => r.share.startsWith('proj') && r.bytes >= 65536));
    const hourly = await runBin('smbta-cluster', ['-R', `${dir}/archive`, '-M', 'time', '1h', 'share=projects']);
    assert.equal(hourly.code, 0, hourly.stderr);
    assert.ok(decodeAll(hourly.stdout).records.every((r) => r.share === 'projects'));
    const question = await runBin('smbta-query', ['--share', 'projects', 'top', 'users', '-R', `${dir}/archive`]);
    assert.equal(question.code, 0, question.stderr);
    assert.match(question.stdout.toString(), /^# share projects, top 10 users rw desc;\nUSER +DOMAIN +BYTES\n/);
    // A program that takes no trailing words says so rather than dropping one.
    const stray = await runBin('smbta-recv', ['--server-name', 'a=b', 'c=d']);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /unexpected argument 'c=d': give --server-name once for each value/);
  }));

test('-w onto a FIFO, a symlink to one, or a symlink to a file writes through and leaves them as they were; an existing file needs --force', () =>
  withTmpDir(async (dir) => {
    spawnSync('mkfifo', [`${dir}/fifo`]);
    symlinkSync(`${dir}/fifo`, `${dir}/link-to-fifo`);
    for (const target of [`${dir}/fifo`, `${dir}/link-to-fifo`]) {
      const reader = spawnSync('sh', ['-c', `cat ${dir}/fifo > ${dir}/got & ${process.execPath} ${ROOT}bin/smbta-filter.js -r ${TRAFFIC} -w ${target}; wait`], {
        encoding: 'utf8',
      });
      assert.equal(reader.status, 0, reader.stderr);
      assert.equal(decodeAll(readFileSync(`${dir}/got`)).records.length, 2000, target);
      assert.ok(lstatSync(`${dir}/fifo`).isFIFO(), 'the FIFO is still a FIFO');
      assert.ok(lstatSync(`${dir}/link-to-fifo`).isSymbolicLink(), 'the link is still a link');
    }
    writeFileSync(`${dir}/real.smbta`, '');
    symlinkSync(`${dir}/real.smbta`, `${dir}/link.smbta`);
    const refused = await runBin('smbta-filter', ['-r', TRAFFIC, '-w', `${dir}/link.smbta`]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /link\.smbta: exists; give --force to replace it, or another name/);
    const forced = await runBin('smbta-filter', ['-r', TRAFFIC, '-w', `${dir}/link.smbta`, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readlinkSync(`${dir}/link.smbta`), `${dir}/real.smbta`, 'the link still points where it did');
    assert.equal(decodeAll(readFileSync(`${dir}/real.smbta`)).records.length, 2000, 'and its file was written');
    // rrdtool and SQLite would write beside or over what is not a regular file: refused.
    const rrd = await runBin('smbta-rrd', ['-r', TRAFFIC, '--rrd', `${dir}/fifo`]);
    assert.equal(rrd.code, 2);
    assert.match(rrd.stderr, /--rrd .*fifo: not a regular file/);
    const db = await runBin('smbta-db', ['init', '--db', `sqlite:${dir}/fifo`]);
    assert.equal(db.code, 1);
    assert.match(db.stderr, /fifo: not a regular file/);
    assert.ok(lstatSync(`${dir}/fifo`).isFIFO());
    // smbta-cluster, as smbta-rotate: never over a finished file unless told.
    writeFileSync(`${dir}/day.smbta.bz2`, 'an earlier compaction');
    const again = await runBin('smbta-cluster', ['-r', TRAFFIC, '-w', `${dir}/day.smbta.bz2`]);
    assert.equal(again.code, 2);
    assert.equal(readFileSync(`${dir}/day.smbta.bz2`, 'utf8'), 'an earlier compaction');
  }));

test('a second SIGTERM during shutdown keeps what was written under the file name, and exits 143', () =>
  withTmpDir(async (dir) => {
    // Reading a pipe, a first SIGTERM drains it for a while (the programs before it are stopping
    // too): a second one comes during that shutdown.
    const filter = track(spawn(process.execPath, [`${ROOT}bin/smbta-filter.js`, '-w', `${dir}/out.smbta`], { stdio: ['pipe', 'ignore', 'pipe'] }));
    let err = '';
    filter.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => filter.on('exit', (code) => r(code)));
    filter.stdin.write(readFileSync(TRAFFIC));
    await waitUntil('the records in the temporary file', () => readdirSync(dir).some((f) => f.endsWith('.tmp') && statSync(`${dir}/${f}`).size > 1000));
    filter.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    filter.kill('SIGTERM');
    assert.equal(await exited, 143, err);
    filter.stdin.destroy();
    assert.match(err, /SIGTERM during shutdown: .*out\.smbta: kept as written so far \(\d+ bytes\)/);
    assert.equal(decodeAll(readFileSync(`${dir}/out.smbta`)).records.length, 2000, 'everything handed over is in the file, under its own name');
    assert.deepEqual(readdirSync(dir), ['out.smbta'], 'no temporary file left');
  }));

test('zero or negative intervals and a missing database directory are refused, saying what is expected', async () => {
  for (const [prog, args, want] of [
    ['smbta-recv', ['--status-every', '0'], /--status-every 0: expected a duration above 0/],
    ['smbta-recv', ['--stall-timeout', '-5s'], /--stall-timeout -5s: expected a duration above 0/],
    ['smbta-rotate', ['-w', 'x/%H.smbta', '--late', 'soon'], /--late soon: expected a duration \(0 or more\)/],
    ['smbta-top', ['-r', TRAFFIC, '--refresh', '0'], /--refresh 0: expected a duration of at least 10ms/],
  ] as const) {
    const r = await runBin(prog, [...args]);
    assert.equal(r.code, 2, `${prog} ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
  const db = await runBin('smbta-db', ['init', '--db', '/nonexistent/dir/x.db']);
  assert.equal(db.code, 1);
  assert.match(db.stderr, /--db \/nonexistent\/dir\/x\.db: no such directory \/nonexistent\/dir/);
  assert.ok(!existsSync('/nonexistent'), 'nothing was made');
});

test('what new users stumbled on: a missing file, an empty pipe, no match, a busy port, audit-only receivers', () =>
  withTmpDir(async (dir) => {
    const missing = await runBin('smbta-query', ['-r', `${dir}/missing.smbta`, 'top', 'users']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing\.smbta: no such file or directory/);
    const empty = await runBin('smbta-query', ['top', 'users'], { input: '' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /stdin held no smbta stream/);
    assert.equal(empty.stdout.length, 0, 'no answer from nothing');
    const nothing = await runBin('smbta-cat', ['-r', TRAFFIC, 'user=nobody']);
    assert.deepEqual([nothing.code, nothing.stdout.length], [0, 0]);
    assert.match(nothing.stderr, /no records matched the selection/);
    // full_audit inputs alone leave the module's port closed; a busy port is said once, with its address.
    const audit = startProc('smbta-recv', ['--audit-udp', '0']);
    await audit.waitFor(/listening on full_audit syslog on udp 127\.0\.0\.1:\d+$/m);
    await audit.stop();
    const first = startProc('smbta-recv', ['-i', '0']);
    const port = (await first.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]!;
    const second = await runBin('smbta-recv', ['-i', port]);
    assert.equal(second.code, 1);
    assert.equal(second.stderr.match(/in use/g)?.length, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`127\\.0\\.0\\.1:${port}: address in use`));
    await first.stop();
  }));

test('wide characters keep the columns of smbta-cat and smbta-query aligned', () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 3, users: 4, files: 10 });
    const recs = Array.from({ length: 40 }, (_, k) => ({ ...t.next(), user: k % 2 ? '田中' : 'bob', bytes: 1000 + k }));
    writeFileSync(`${dir}/w.smbta`, encodeRecords(recs));
    const cat = await runBin('smbta-cat', ['-r', `${dir}/w.smbta`, '-s', 'user,share,bytes']);
    const shareAt = (l: string): number => {
      const m = /^(\S+)(\s+)/.exec(l)!;
      // Display columns: a wide character takes two.
      return [...(m[1] ?? '')].reduce((n, ch) => n + (/[\u3000-\u9fff]/.test(ch) ? 2 : 1), 0) + (m[2] ?? '').length;
    };
    const rows = cat.stdout.toString().trim().split('\n');
    assert.equal(new Set(rows.map(shareAt)).size, 1, rows.join('\n'));
    const q = await runBin('smbta-query', ['-r', `${dir}/w.smbta`, 'top', 'users']);
    const qrows = q.stdout.toString().trim().split('\n').slice(1);
    assert.equal(new Set(qrows.map((l) => [...l].reduce((n, ch) => n + (/[\u3000-\u9fff]/.test(ch) ? 2 : 1), 0))).size, 1, qrows.join('\n'));
  }));

test(
  'smbta-torture keeps its ledger off a terminal unless asked; --ledger - prints it',
  { skip: spawnSync('script', ['--version']).status !== 0 && 'needs script (bsdutils)' },
  () =>
    withTmpDir(async (dir) => {
      const recv = startProc('smbta-recv', ['-i', '0', '-w', `${dir}/r.smbta`]);
      const port = (await recv.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]!;
      const onTty = (extra: string): string =>
        spawnSync('script', ['-qec', `${process.execPath} ${ROOT}bin/smbta-torture.js -d 127.0.0.1:${port} -n 10 ${extra}`, '/dev/null'], { encoding: 'utf8' })
          .stdout;
      assert.doesNotMatch(onTty(''), /"records":10/);
      assert.match(onTty(''), /the ledger of what was sent is not printed to a terminal: give --ledger FILE, or --ledger - to see it/);
      assert.match(onTty('--ledger -'), /"records":10/);
      await recv.stop();
    }),
);

test("smbta-top's filter prompt takes several backspaces at once and Ctrl-H; a replay's clock stops at the archive's end", async () => {
  assert.deepEqual(splitKeys('\x7f\x7f\x7f', {}), [
    ['', { backspace: true }],
    ['', { backspace: true }],
    ['', { backspace: true }],
  ]);
  assert.deepEqual(splitKeys('h', { ctrl: true }), [['', { backspace: true }]]);
  assert.deepEqual(splitKeys('ab\b', {}), [
    ['a', {}],
    ['b', {}],
    ['', { backspace: true }],
  ]);
  const ac = new AbortController();
  const feed = new TopFeed({ replaySpeed: 1000, filter: undefined, signal: ac.signal });
  const recs = KNOWN.map((r, k) => ({ ...r, time: T0 + k * 10, end: T0 + k * 10 }));
  await feed.add(batchOf(recs), null, recs.length);
  feed.end();
  const last = T0 + (recs.length - 1) * 10;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(feed.clock(), last, 'the clock stays at the last record');
});
