/**
 * The stores' rollups (per minute, hour, day and week) answer exactly: every question a rollup can
 * answer gives, from SQLite and from PostgreSQL, the answer the archive of the same records
 * gives, with ragged edges from the records; -v says which tables answered; an expired
 * rollup is not read where it was expired; a store made before rollups is filled once, one
 * made before the weekly rollup gets it from its daily one.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SmbRecord } from '../../src/record/fields.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { NO_POSTGRES, testDatabase } from '../helpers/postgres.js';
import { startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { waitUntil } from '../helpers/wait.js';
import { encodeRecords } from '../helpers/stream.js';

/** Four days and a bit of traffic, from a ragged start: 80,000 records, one every 4.5 s. */
const START = Date.UTC(2026, 10, 20, 7, 13, 21, 123);
const records: SmbRecord[] = (() => {
  const t = createTraffic({ seed: 8, users: 12, start: START, gapMs: 4500 });
  return Array.from({ length: 80_000 }, () => t.next());
})();

/** Questions in the command-line form: every kind a rollup can answer, with ragged and whole spans. */
const QUESTIONS: string[][] = [
  ['total', '--mode', 'rw'],
  ['top', 'users', '-n', '50'],
  ['top', 'shares', '--mode', 'w', '--since', '2026-11-21 03:17:45', '--until', '2026-11-23 12:03:07'],
  ['top', 'domains', '--since', '2026-11-21', '--until', '2026-11-23'],
  ['top', 'users', '--mode', 'r', '--share', 'projects', '--since', '2026-11-22 10:00:01'],
  ['usage', '--mode', 'w'],
  ['24h_usage', '--mode', 'rw', '--since', '2026-11-21 00:07:00'],
];

async function ask(src: string[], q: string[], verbose = false): Promise<{ out: string; said: string }> {
  const r = await runBin('smbta-query', [...q, ...src, '--csv', ...(verbose ? ['-v'] : [])], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${q.join(' ')}: ${r.stderr}`);
  return { out: r.stdout.toString(), said: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'smbta-rollups-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(() => writeFileSync(`${dir}/in.smbta`, encodeRecords(records)));

/** The database answers as the archive does, and says it used rollups for the whole days. */
async function sameAsArchive(db: string): Promise<void> {
  for (const q of QUESTIONS) {
    const fromDb = await ask(['--db', db], q, true);
    assert.equal(fromDb.out, (await ask(['-r', `${dir}/in.smbta`], q)).out, q.join(' '));
    assert.match(fromDb.said, /from .*smbta_rollup_1/, `${q.join(' ')} used a rollup: ${fromDb.said}`);
  }
  // All of time is whole weeks: the coarsest rollup answers alone.
  assert.match((await ask(['--db', db], QUESTIONS[0]!, true)).said, /from smbta_rollup_1w \[the first, the last\)$/m);
  const ragged = await ask(['--db', db], QUESTIONS[2]!, true);
  assert.match(
    ragged.said,
    /from smbta_records \[2026-11-21T03:17:45\.000Z, 2026-11-21T03:18Z\) \+ smbta_rollup_1m .* \+ smbta_rollup_1d \[2026-11-22T00:00Z, 2026-11-23T00:00Z\) .* \+ smbta_records \[2026-11-23T12:03Z, 2026-11-23T12:03:07\.000Z\)/,
  );
  // A file named: only the records know files.
  const file = records[100]!.path;
  const byFile = await ask(['--db', db], ['total', '--path', file], true);
  assert.equal(byFile.out, (await ask(['-r', `${dir}/in.smbta`], ['total', '--path', file])).out);
  assert.match(byFile.said, /from smbta_records \[the first, the last\)$/m);
}

test('SQLite: rollups answer every question exactly, ragged edges from the records', async () => {
  const db = `${dir}/r.db`;
  assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/in.smbta`, '--db', db], { timeoutMs: 120_000 })).code, 0);
  await sameAsArchive(db);
});

test('PostgreSQL: rollups answer every question exactly, kept by two loaders at once', { skip: NO_POSTGRES }, async () => {
  const pg = await testDatabase();
  try {
    // Two loaders, each half of the records, at once: the rollups add up in either order.
    writeFileSync(`${dir}/even.smbta`, encodeRecords(records.filter((_, k) => k % 2 === 0)));
    writeFileSync(`${dir}/odd.smbta`, encodeRecords(records.filter((_, k) => k % 2 === 1)));
    const loads = await Promise.all(
      ['even', 'odd'].map((h) => runBin('smbta-db', ['load', '-r', `${dir}/${h}.smbta`, '--db', pg.url, '--batch-records', '1000'], { timeoutMs: 120_000 })),
    );
    for (const l of loads) assert.equal(l.code, 0, l.stderr);
    await sameAsArchive(pg.url);
  } finally {
    await pg.close();
  }
});

test('an expired rollup is not read where it was expired; a store made before rollups is filled from its records once', async () => {
  const db = `${dir}/e.db`;
  assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/in.smbta`, '--db', db], { timeoutMs: 120_000 })).code, 0);
  // Records kept for years, minute sums for a day: the old ragged edges come from the records.
  const r = await runBin('smbta-db', ['expire', '--older-than', '3650d', '--rollup-keep', '1m=1d', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sqlite(db, 'SELECT COUNT(*) FROM smbta_rollup_1m'), '0');
  const q = QUESTIONS[2]!;
  const answered = await ask(['--db', db], q, true);
  assert.equal(answered.out, (await ask(['-r', `${dir}/in.smbta`], q)).out);
  assert.doesNotMatch(answered.said, /smbta_rollup_1m/);
  assert.match(answered.said, /from smbta_records \[2026-11-21T03:17:45\.000Z, 2026-11-21T04:00Z\) \+ smbta_rollup_1h/);

  // As a store of an older smbta: no rollups. init sums the records into them.
  sqlite(
    db,
    "DROP TABLE smbta_rollup_1m; DROP TABLE smbta_rollup_1h; DROP TABLE smbta_rollup_1d; DROP TABLE smbta_rollup_1w; DELETE FROM smbta_meta WHERE key LIKE 'rollups%' OR key LIKE 'expired_before %'",
  );
  assert.doesNotMatch((await ask(['--db', db], QUESTIONS[0]!, true)).said, /rollup/, 'no rollups: the records answer');
  assert.equal((await runBin('smbta-db', ['init', '--db', db])).code, 0);
  for (const t of ['smbta_rollup_1d', 'smbta_rollup_1w']) assert.equal(sqlite(db, `SELECT SUM(records) FROM ${t}`), String(records.length), t);
  await sameAsArchive(db);
  const bad = await runBin('smbta-db', ['expire', '--older-than', '1d', '--rollup-keep', '1y=30d', '--db', db]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rollup-keep 1y=30d: '1y' is not a rollup \(1m, 1h, 1d, 1w\)/);
});

test('a store made before the weekly rollup gets it from its daily one, from where that was expired', async () => {
  const db = `${dir}/w.db`;
  assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/in.smbta`, '--db', db], { timeoutMs: 120_000 })).code, 0);
  // As an older smbta left it: minutes, hours and days; no weeks.
  sqlite(db, "DROP TABLE smbta_rollup_1w; DELETE FROM smbta_meta WHERE key = 'rollups 1w'");
  assert.doesNotMatch((await ask(['--db', db], QUESTIONS[0]!, true)).said, /smbta_rollup_1w/, 'no weekly sums yet: the daily ones answer');
  assert.equal((await runBin('smbta-db', ['init', '--db', db])).code, 0);
  assert.equal(sqlite(db, 'SELECT SUM(records) FROM smbta_rollup_1w'), String(records.length));
  await sameAsArchive(db);

  // Days expired before the 21st (a Saturday): the weeks made from them answer from the first whole week after.
  const cut = Date.UTC(2026, 10, 21);
  sqlite(db, `DELETE FROM smbta_rollup_1d WHERE time < ${cut}; INSERT INTO smbta_meta VALUES ('expired_before smbta_rollup_1d', '${cut}')`);
  sqlite(db, "DELETE FROM smbta_meta WHERE key = 'rollups 1w'");
  assert.equal((await runBin('smbta-db', ['init', '--db', db])).code, 0);
  assert.equal(sqlite(db, "SELECT value FROM smbta_meta WHERE key = 'expired_before smbta_rollup_1w'"), String(cut));
  const q = ['total', '--mode', 'rw'];
  const answered = await ask(['--db', db], q, true);
  assert.equal(answered.out, (await ask(['-r', `${dir}/in.smbta`], q)).out);
  assert.match(
    answered.said,
    /smbta_rollup_1h \[the first, 2026-11-21T00:00Z\) \+ smbta_rollup_1d \[2026-11-21T00:00Z, 2026-11-26T00:00Z\) \+ smbta_rollup_1w \[2026-11-26T00:00Z, the last\)/,
  );
});

test('a bulk load adds to rollups that outlived their records, and a load cut short is added in by the next run', async () => {
  const db = `${dir}/bulk.db`;
  assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/in.smbta`, '--db', db], { timeoutMs: 120_000 })).code, 0);
  // Every record expired, every sum kept.
  const r = await runBin('smbta-db', ['expire', '--older-than', '1d', '--rollup-keep', '1m=forever,1h=forever', '--db', db]);
  assert.match(r.stderr, /expired 80000 records/);
  const more = createTraffic({ seed: 9, users: 3, start: Date.UTC(2026, 10, 25, 9), gapMs: 1000 });
  writeFileSync(`${dir}/more.smbta`, encodeRecords(Array.from({ length: 1000 }, () => more.next())));
  assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/more.smbta`, '--db', db])).code, 0);
  for (const t of ['smbta_rollup_1m', 'smbta_rollup_1h', 'smbta_rollup_1d', 'smbta_rollup_1w'])
    assert.equal(sqlite(db, `SELECT SUM(records) FROM ${t}`), '81000', t);

  // A bulk load killed in the middle: what it committed is in the rollups after the next run.
  // It reads a FIFO given half the archive, so it is still loading, whatever the machine's speed, when it is killed.
  const cut = `${dir}/cut.db`;
  const fifo = `${dir}/half.fifo`;
  execFileSync('mkfifo', [fifo]);
  const load = startProc('smbta-db', ['load', '-r', fifo, '--db', cut, '--batch-records', '500']);
  // (Killing the load breaks the pipe: that is expected.)
  const feed = createWriteStream(fifo).on('error', () => undefined);
  const whole = readFileSync(`${dir}/in.smbta`);
  feed.write(whole.subarray(0, whole.length >> 1));
  // Watched by the file's size, not by opening it: a reader with the file open as the load
  // starts keeps it from leaving WAL mode, and the load then goes row by row (no 'pending').
  const size = (): number => (existsSync(cut) ? statSync(cut).size : 0);
  await waitUntil('the load to commit some batches', () => size() > 512 * 1024, 60_000, 20);
  await load.stop('SIGKILL');
  feed.destroy();
  assert.ok(Number(sqlite(cut, 'SELECT COUNT(*) FROM smbta_records')) > 0);
  assert.match(sqlite(cut, "SELECT value FROM smbta_meta WHERE key = 'rollups'"), /^pending \d+$/);
  assert.doesNotMatch((await ask(['--db', cut], QUESTIONS[0]!, true)).said, /rollup/, 'pending: the records answer');
  assert.equal((await runBin('smbta-db', ['init', '--db', cut])).code, 0);
  const stored = sqlite(cut, 'SELECT COUNT(*) FROM smbta_records');
  for (const t of ['smbta_rollup_1m', 'smbta_rollup_1h', 'smbta_rollup_1d', 'smbta_rollup_1w'])
    assert.equal(sqlite(cut, `SELECT SUM(records) FROM ${t}`), stored, t);
  assert.equal(sqlite(cut, 'SELECT COUNT(*) FROM smbta_rollup_pending'), '0');
  assert.match((await ask(['--db', cut], QUESTIONS[0]!, true)).said, /smbta_rollup_1w/);
});

function sqlite(db: string, sql: string): string {
  const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}
