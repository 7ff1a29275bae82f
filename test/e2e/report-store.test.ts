/**
 * smbta-report --db: the fixture day stored by smbta-db (twice) in SQLite and in a real
 * PostgreSQL gives the report the stream gives, its alert and loss included; a store made
 * before smbta-db kept alerts says it has none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { ReportData } from '../../src/report/aggregate.js';
import { NO_POSTGRES, postgresBin, startPostgres } from '../helpers/postgres.js';
import { writeReportFixture } from '../helpers/report-fixture.js';
import { runBin } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const DAY = ['--day', '2026-11-23', '--now', '2026-11-24T06:00'];

async function reportOf(args: string[]): Promise<ReportData> {
  const r = await runBin('smbta-report', [...args, ...DAY, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as ReportData;
}

async function sameAsStream(dir: string, db: string): Promise<void> {
  const load = await runBin('smbta-db', ['load', '-r', `${dir}/day.smbta`, '--db', db], { timeoutMs: 60_000 });
  assert.equal(load.code, 0, load.stderr);
  // Loaded twice: each record, loss and alert is stored once.
  const again = await runBin('smbta-db', ['load', '-r', `${dir}/day.smbta`, '--db', db], { timeoutMs: 60_000 });
  assert.equal(again.code, 0, again.stderr);
  const stream = await reportOf(['-r', `${dir}/day.smbta`]);
  const stored = await reportOf(['--db', db]);
  assert.deepEqual(stored, stream, 'every number the same, the alert and the loss too');
  assert.equal(stream.alerts.length, 1);
  const share = await reportOf(['--db', db, 'share=projects']);
  assert.deepEqual(
    share.shares.map((s) => s.name),
    ['projects'],
    'a trailing filter narrows the store too',
  );
  const both = await runBin('smbta-report', ['--db', db, '-r', `${dir}/day.smbta`]);
  assert.deepEqual([both.code, both.stderr.split('\n')[0]], [2, 'smbta-report: --db is the source: leave out -r, -R and -S (or --db)']);
}

test('smbta-report --db sqlite: the report the stream gives', () =>
  withTmpDir(async (dir) => {
    writeReportFixture(`${dir}/day.smbta`);
    await sameAsStream(dir, `${dir}/store.db`);
    // A store made before smbta-db kept alerts, and loaded by none since.
    const db = new Database(`${dir}/store.db`);
    db.exec('DROP TABLE smbta_alerts');
    db.close();
    const text = await runBin('smbta-report', ['--db', `${dir}/store.db`, ...DAY, '--text']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout.toString(),
      /\nALERTS RAISED\nThis store has no alerts table \(made before smbta-db kept alerts\): a report from\nthe archive \(-R\) shows them\.\n/,
    );
  }));

test(
  'smbta-report --db postgres://: the report the stream gives',
  { skip: NO_POSTGRES || (!postgresBin() && 'needs PostgreSQL binaries to start a server of its own') },
  () =>
    withTmpDir(async (dir) => {
      writeReportFixture(`${dir}/day.smbta`);
      const pg = await startPostgres();
      try {
        await sameAsStream(dir, pg.url);
      } finally {
        pg.stop();
      }
    }),
);
