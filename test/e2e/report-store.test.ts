/**
 * smbta-report --db: the fixture day stored by smbta-db in SQLite and in a real PostgreSQL
 * gives the report the stream gives, bar the alerts, which a store does not keep (and says so).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
  const stream = await reportOf(['-r', `${dir}/day.smbta`]);
  const stored = await reportOf(['--db', db]);
  assert.deepEqual({ ...stored, alerts: [], alertsKept: true }, { ...stream, alerts: [] }, 'every number the same');
  assert.equal(stream.alerts.length, 1);
  assert.equal(stored.alertsKept, false);
  const text = await runBin('smbta-report', ['--db', db, ...DAY, '--text']);
  assert.match(text.stdout.toString(), /\nALERTS RAISED\nThe SQL store keeps no alerts: a report from the archive \(-R\) shows them\.\n/);
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
