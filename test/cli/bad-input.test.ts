import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import { test } from 'node:test';
import { createRandom, createTraffic } from '../../src/synth/traffic.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const TRAFFIC = `${ROOT}test/fixtures/traffic-2000.smbta`;
const good = readFileSync(TRAFFIC); // four blocks of 500 records

function lines(buf: Buffer): string[] {
  return buf.toString().split('\n').filter(Boolean);
}

test('random bytes: a clear message, no records, exit 1, no hang', () =>
  withTmpDir(async (dir) => {
    const rnd = createRandom(5);
    writeFileSync(`${dir}/junk`, Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(rnd() * 256))));
    const r = await runBin('smbta-json', ['-r', `${dir}/junk`]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(r.stderr, /junk: no smbta blocks found in 100000 bytes; is this an smbta stream\?/);
  }));

test('a file cut in the middle of a block: the whole blocks come out, a warning, exit 0', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/cut`, good.subarray(0, Math.floor(good.length * 0.6)));
    const r = await runBin('smbta-json', ['-r', `${dir}/cut`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lines(r.stdout).length, 1000);
    assert.match(r.stderr, /cut: last block incomplete at offset \d+ \(\d+ bytes ignored; still being written\?\)/);
  }));

test('a wrong checksum mid-file: the other blocks come out, the damage is reported, exit 1', () =>
  withTmpDir(async (dir) => {
    const bad = Buffer.from(good);
    const mid = Math.floor(bad.length / 2);
    bad[mid] = (bad[mid] ?? 0) ^ 0x5a;
    writeFileSync(`${dir}/flipped`, bad);
    const r = await runBin('smbta-json', ['-r', `${dir}/flipped`]);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stdout).length, 1500);
    assert.match(r.stderr, /flipped: skipped \d+ bytes at offset \d+ \(bad checksum\)/);
  }));

test('an empty file is an empty stream, and the printer says it had nothing to print', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/empty`, '');
    const r = await runBin('smbta-cat', ['-r', `${dir}/empty`]);
    assert.deepEqual([r.code, r.stdout.length, r.stderr], [0, 0, 'smbta-cat: no records in the input\n']);
  }));

test('a missing file is reported and the others are still read', async () => {
  const r = await runBin('smbta-json', ['-r', '/nonexistent/a.smbta', TRAFFIC]);
  assert.equal(r.code, 1);
  assert.equal(lines(r.stdout).length, 2000);
  assert.match(r.stderr, /^smbta-json: \/nonexistent\/a.smbta: no such file or directory$/m);
});

test('a link to itself, and a directory, given as files: each said, the others still read', () =>
  withTmpDir(async (dir) => {
    symlinkSync(`${dir}/loop.smbta`, `${dir}/loop.smbta`);
    const r = await runBin('smbta-json', ['-r', `${dir}/loop.smbta`, dir, TRAFFIC]);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stdout).length, 2000);
    assert.match(r.stderr, /loop\.smbta: .*(too many|symbolic links)/i);
    assert.match(r.stderr, /is a directory \(use -R to read a directory\)/);
  }));

test('bad options and filters are usage errors (exit 2) that say what to do', async () => {
  const cases: [string, string[], RegExp][] = [
    ['smbta-filter', ['user=bob and ('], /expected a field name, found end of expression at column 15/],
    ['smbta-cat', ['-r', TRAFFIC, 'usr=bob'], /unknown field 'usr' at column 1; did you mean 'user'\?\n {2}usr=bob\n {2}\^\^\^/],
    ['smbta-csv', ['-r', TRAFFIC, 'client in 10.0.0.0/33'], /prefix length \/33 is longer than 32 bits of IPv4 at column 11/],
    ['smbta-json', ['--frobnicate'], /Unknown argument: frobnicate\nTry 'smbta-json --help'/],
    ['smbta-cat', ['-S', 'nohost'], /-S nohost: expected HOST:PORT/],
    ['smbta-cat', ['-r', TRAFFIC, '-t', 'tomorrowish'], /-t tomorrowish: expected a time range such as 2026-11-23/],
  ];
  for (const [prog, args, want] of cases) {
    const r = await runBin(prog, args);
    assert.equal(r.code, 2, `${prog} ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stdout.length, 0);
  }
  const check = await runBin('smbta-filter', ['--check', 'user=bob and (read or write)']);
  assert.deepEqual([check.code, check.stderr], [0, '']);
});

test('.bz2 is written and read transparently, detected by content', () =>
  withTmpDir(async (dir) => {
    const w = await runBin('smbta-filter', ['-r', TRAFFIC, '-w', `${dir}/out.smbta.bz2`, 'share=projects']);
    assert.equal(w.code, 0, w.stderr);
    const bz = readFileSync(`${dir}/out.smbta.bz2`);
    assert.equal(bz.subarray(0, 3).toString(), 'BZh');
    writeFileSync(`${dir}/no-extension`, bz);
    const want = decodeAll(good).records.filter((x) => x.share === 'projects');
    for (const name of ['out.smbta.bz2', 'no-extension']) {
      const r = await runBin('smbta-json', ['-n', '-r', `${dir}/${name}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(lines(r.stdout).length, want.length);
    }
    const piped = await runBin('smbta-json', [], { input: bz });
    assert.equal(lines(piped.stdout).length, want.length);
    const hasBzip2 = spawnSync('bzip2', ['--help']).error === undefined;
    if (hasBzip2) assert.equal(spawnSync('bzip2', ['-t', `${dir}/out.smbta.bz2`]).status, 0);
    writeFileSync(`${dir}/cut.bz2`, bz.subarray(0, bz.length - 100));
    const cut = await runBin('smbta-json', ['-r', `${dir}/cut.bz2`]);
    assert.equal(cut.code, 0);
    assert.match(cut.stderr, /compressed data ends early/);
  }));

test('-R reads a directory tree in time order and skips temporary and hidden files', () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 9, start: Date.UTC(2026, 10, 23) });
    const chunks = [0, 1, 2].map(() => Array.from({ length: 100 }, () => t.next()));
    mkdirSync(`${dir}/a/b`, { recursive: true });
    // Names sort opposite to time; mtimes lie too.
    writeFileSync(`${dir}/z-first.smbta`, encodeRecords(chunks[0]!));
    writeFileSync(`${dir}/a/b/m-second.smbta`, encodeRecords(chunks[1]!));
    writeFileSync(`${dir}/a/a-third.smbta`, encodeRecords(chunks[2]!));
    utimesSync(`${dir}/z-first.smbta`, new Date(), new Date());
    writeFileSync(`${dir}/a/.half.smbta.123.tmp`, Buffer.from('partial'));
    writeFileSync(`${dir}/.hidden`, Buffer.from('hidden'));
    const r = await runBin('smbta-json', ['-n', '-R', dir, '-s', 'time']);
    assert.equal(r.code, 0, r.stderr);
    const times = lines(r.stdout).map((l) => (JSON.parse(l) as { time: number }).time);
    assert.deepEqual(
      times,
      chunks.flat().map((x) => x.time),
    );
  }));

test('binary output to a terminal is refused; text output to a closed pipe exits quietly', async () => {
  const script = spawnSync('script', ['-qec', `node ${ROOT}bin/smbta-filter.js -r ${TRAFFIC}`, '/dev/null'], { encoding: 'utf8' });
  assert.equal(script.status, 2);
  assert.match(script.stdout, /refusing to write the binary stream to a terminal; pipe it into smbta-cat/);
  const noInput = spawnSync('script', ['-qec', `node ${ROOT}bin/smbta-cat.js`, '/dev/null'], { encoding: 'utf8' });
  assert.equal(noInput.status, 2);
  assert.match(noInput.stdout, /no input: give -r FILE, -R DIR or -S HOST:PORT, or pipe a stream in/);
  const big = [good, good, good, good, good, good, good, good];
  const head = spawnSync('bash', ['-c', `node ${ROOT}bin/smbta-csv.js | head -c 100 > /dev/null; echo "\${PIPESTATUS[0]}"`], { input: Buffer.concat(big) });
  assert.equal(head.stdout.toString().trim(), '0');
  assert.equal(head.stderr.toString(), '');
});
