import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SmbRecord } from '../../src/record/fields.js';
import { mergeLedgers, type Ledger } from '../../src/torture/ledger.js';
import { tallyBy as byUser } from '../helpers/tally.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

function readAll(paths: string[]): SmbRecord[] {
  return paths.flatMap((p) => decodeAll(readFileSync(p)).records);
}

const streamFiles = (dir: string): string[] => files(dir).filter((f) => /\.smbta(\.bz2)?$/.test(f) && !f.includes('/.'));

test('time files by record time and $share; late records land in their period; nothing is left half-written', () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 2, users: 20, files: 100, gapMs: 200, start: Date.UTC(2026, 10, 23, 9, 55) });
    const recs = Array.from({ length: 20000 }, () => t.next());
    // Some records arrive 3 s late, across period boundaries.
    for (let k = 100; k < recs.length; k += 97) [recs[k - 15], recs[k]] = [recs[k]!, recs[k - 15]!];
    const r = await runBin('smbta-rotate', ['-M', 'time', '10m', '-w', `${dir}/a/$share/%Y%m%d-%H%M.smbta`], { input: encodeRecords(recs, 1000) });
    assert.equal(r.code, 0, r.stderr);
    const out = streamFiles(dir);
    assert.ok(out.length > 20, `${out.length} files`);
    for (const f of out) {
      const m = /a\/([^/]+)\/(\d{8})-(\d{2})(\d{2})\.smbta$/.exec(f)!;
      const start = Date.UTC(2026, 10, 23, Number(m[3]), Number(m[4]));
      for (const x of decodeAll(readFileSync(f)).records) {
        assert.equal(x.share, m[1]);
        assert.ok(x.time >= start && x.time < start + 600_000, `${f}: ${new Date(x.time).toISOString()}`);
      }
    }
    assert.deepEqual(byUser(readAll(out)), byUser(recs));
    assert.deepEqual(
      files(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  }));

test('a restart in the middle never overwrites: the same period gets a -1 file, and totals hold', () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 3, users: 10, files: 50, gapMs: 100 });
    const recs = Array.from({ length: 10000 }, () => t.next());
    const pattern = `${dir}/%Y-%m-%d/smbta.%H%M.smbta`;
    for (const part of [recs.slice(0, 5000), recs.slice(5000)]) {
      const r = await runBin('smbta-rotate', ['-w', pattern, '-M', 'time', '10m'], { input: encodeRecords(part) });
      assert.equal(r.code, 0, r.stderr);
    }
    const out = streamFiles(dir);
    assert.ok(
      out.some((f) => /\.\d{4}-1\.smbta$/.test(f)),
      out.join('\n'),
    );
    assert.deepEqual(byUser(readAll(out)), byUser(recs));
  }));

test('kill -9 in the middle: the next start finishes what was left, hands it to -f, and totals hold', () =>
  withTmpDir(async (dir) => {
    const recv = startProc('smbta-recv', ['-i', '0', '-P', '0']);
    const m = await recv.waitFor(/listening on 127\.0\.0\.1:(\d+); serving readers on 127\.0\.0\.1:(\d+)/);
    const [port, serve] = [m[1]!, m[2]!];
    const args = ['-S', `127.0.0.1:${serve}`, '-M', 'time', '1h', '-w', `${dir}/%Y/%m%d-%H.smbta`, '-f', `echo >> ${dir}/closed.log`];
    const send = async (seed: number): Promise<Ledger> => {
      const r = await runBin('smbta-torture', ['-d', `127.0.0.1:${port}`, '-c', '2', '-n', '3000', '--rate', '3000', '--seed', String(seed)], {
        timeoutMs: 30000,
      });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout.toString()) as Ledger;
    };
    const first = startProc('smbta-rotate', args);
    await recv.waitFor(/reader .* connected/);
    const a = await send(1);
    // Everything sent has reached the temporary file (commits every 100 ms) before the kill.
    await waitUntil('the first records to be committed', () => readAll(files(dir).filter((f) => f.endsWith('.tmp'))).length >= a.records);
    await first.stop('SIGKILL');
    assert.ok(
      files(dir).some((f) => f.endsWith('.tmp')),
      'a temporary file was left behind',
    );
    const second = startProc('smbta-rotate', args);
    await second.waitFor(/recovered .*, left unfinished by process \d+/);
    await recv.waitFor(/(reader .* connected[\s\S]*){2}/);
    const b = await send(2);
    await waitUntil('the second records to be committed', () => readAll(files(dir).filter((f) => /\.(smbta|tmp)$/.test(f))).length >= a.records + b.records);
    assert.equal(await second.stop(), 0);
    await recv.stop();
    const out = streamFiles(dir);
    assert.deepEqual(
      files(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
    assert.deepEqual(byUser(readAll(out)), mergeLedgers([a, b]).users);
    const closed = readFileSync(`${dir}/closed.log`, 'utf8').trim().split('\n');
    assert.deepEqual(closed.sort(), out.sort());
  }));

test("-z compresses finished files, -f runs on each, --keep deletes only this pattern's old files", () =>
  withTmpDir(async (dir) => {
    mkdirSync(`${dir}/arch/2026-01-01`, { recursive: true });
    const old = `${dir}/arch/2026-01-01/smbta.0000.smbta.bz2`;
    const stranger = `${dir}/arch/2026-01-01/notes.txt`;
    writeFileSync(old, 'old');
    writeFileSync(stranger, 'keep me');
    const longAgo = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(old, longAgo, longAgo);
    utimesSync(stranger, longAgo, longAgo);
    const t = createTraffic({ seed: 4, users: 5, files: 20, gapMs: 100 });
    const recs = Array.from({ length: 5000 }, () => t.next());
    const r = await runBin('smbta-rotate', ['-w', `${dir}/arch/%Y-%m-%d/smbta.%H%M.smbta`, '-z', '-f', `echo >> ${dir}/log`, '--keep', '30d'], {
      input: encodeRecords(recs),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(old) && existsSync(stranger));
    assert.match(r.stderr, /expired .*smbta\.0000\.smbta\.bz2 \(--keep\)/);
    const out = streamFiles(`${dir}/arch`);
    assert.ok(out.length >= 1 && out.every((f) => f.endsWith('.smbta.bz2')));
    const read = await runBin('smbta-json', ['-n', '-s', 'user,bytes', '-r', ...out]);
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(
      byUser(
        read.stdout
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as SmbRecord),
      ),
      byUser(recs),
    );
    assert.deepEqual(readFileSync(`${dir}/log`, 'utf8').trim().split('\n').sort(), out.sort());
  }));

test('-M count splits by records; a bad pattern or mode is a usage error', async () => {
  await withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 5 });
    const recs = Array.from({ length: 2500 }, () => t.next());
    const r = await runBin('smbta-rotate', ['-M', 'count', '1000', '-w', `${dir}/part.smbta`], { input: encodeRecords(recs) });
    assert.equal(r.code, 0, r.stderr);
    const out = streamFiles(dir);
    assert.deepEqual(out.map((f) => decodeAll(readFileSync(f)).records.length).sort(), [1000, 1000, 500]);
    assert.deepEqual(byUser(readAll(out)), byUser(recs));
  });
  for (const [args, want] of [
    [['-w', 'x/%Q.smbta'], /'%Q' is not a supported field/],
    [['-w', 'x/$client.smbta'], /'\$client' is not a supported field/],
    [['-w', 'x.smbta', '-M', 'weekly'], /-M weekly: expected/],
    [[], /give -w PATTERN/],
  ] as const) {
    const r = await runBin('smbta-rotate', [...args], { input: '' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, want);
  }
});
