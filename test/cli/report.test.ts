/**
 * smbta-report over a fixed day: the text form byte for byte against its golden file, its
 * numbers against smbta-query's answers and against a tally of the fixture's own records,
 * the mail as Python's email package reads it, and --out's dated files, index and expiry.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { displayWidth } from '../../src/format/width.js';
import { OPS } from '../../src/record/fields.js';
import { parseArgs } from '../../src/cli/parse.js';
import { PROGRAMS } from '../../src/commands/index.js';
import { report } from '../../src/commands/report.js';
import type { ReportData } from '../../src/report/aggregate.js';
import { VERSION } from '../../src/version.js';
import { fixtureRecords, writeReportFixture } from '../helpers/report-fixture.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { servingReceiver, startProc } from '../helpers/proc.js';

const DAY = ['--day', '2026-11-23', '--now', '2026-11-24T06:00'];
const GOLDEN = join(ROOT, 'test/golden/report-day.txt');

test('smbta-report --text: the fixture day as its golden file, byte for byte, in 80 columns', () =>
  withTmpDir(async (dir) => {
    writeReportFixture(`${dir}/day.smbta`);
    const r = await runBin('smbta-report', ['-r', 'day.smbta', ...DAY, '--text'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'smbta-report: day.smbta: gap in the stream: 120 records lost upstream (client too slow)\n');
    const text = r.stdout.toString().replaceAll(VERSION, 'VERSION');
    if (process.env.SMBTA_UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
    assert.equal(text, readFileSync(GOLDEN, 'utf8'));
    const widest = Math.max(...r.stdout.toString().split('\n').map(displayWidth));
    assert.ok(widest <= 80, `every line within 80 columns (the widest is ${widest})`);
  }));

test("smbta-report's numbers are smbta-query's answers, and a tally of the fixture's records", () =>
  withTmpDir(async (dir) => {
    writeReportFixture(`${dir}/day.smbta`);
    const r = await runBin('smbta-report', ['-r', `${dir}/day.smbta`, ...DAY, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout.toString()) as ReportData;
    const query = async (statement: string): Promise<Record<string, string | number>[]> => {
      const q = await runBin('smbta-query', ['-r', `${dir}/day.smbta`, '-t', '2026-11-23', '-q', statement, '--json']);
      assert.equal(q.code, 0, q.stderr);
      return (JSON.parse(q.stdout.toString()) as { rows: Record<string, string | number>[] }).rows;
    };
    const users = await query('global, top 10 users rw;');
    assert.deepEqual(
      d.users.map((u) => [u.name, u.read + u.written]),
      users.map((u) => [`${u.domain}\\${u.user}`, u.bytes]),
    );
    const shares = await query('global, top 10 shares rw;');
    assert.deepEqual(
      d.shares.map((s) => [s.name, s.read + s.written]),
      shares.map((s) => [s.share, s.bytes]),
    );
    const files = await query('global, top 10 files rw;');
    assert.deepEqual(
      d.files.map((f) => [f.name, f.read + f.written]),
      files.map((f) => [`//${f.server}/${f.share}/${f.file}`, f.bytes]),
    );
    const [read] = await query('global, total r;');
    const [written] = await query('global, total w;');
    assert.deepEqual([d.totals.read, d.totals.written], [read!.bytes, written!.bytes]);

    // The fixture's own records, counted here.
    const { day, before } = fixtureRecords();
    const count = (rs: typeof day, ops: string[]): number => rs.filter((x) => ops.includes(OPS[x.op]!)).length;
    assert.deepEqual(
      [d.totals.records, d.totals.deletes, d.totals.renames, d.totals.failures],
      [day.length, count(day, ['delete', 'rmdir']), count(day, ['rename']), day.filter((x) => x.result < 0).length],
    );
    assert.deepEqual([d.previous.records, d.previous.deletes], [before.length, count(before, ['delete', 'rmdir'])]);
    assert.deepEqual(
      d.ops.map((o) => [o.op, o.count]).sort(),
      OPS.map((o) => [o, count(day, [o])] as [string, number])
        .filter(([, n]) => n > 0)
        .sort(),
    );
    assert.deepEqual(
      d.alerts.map((a) => [a.rule, a.group]),
      [['mass-rename', { user: 'user3' }]],
    );
    assert.deepEqual(d.senders, [
      ['fs1', 'V2.0'],
      ['fs2', 'V2.0 AES'],
    ]);
    assert.deepEqual(
      d.losses.map((l) => l.records),
      [120],
    );
    assert.equal(d.series.lost[14], 120, 'the loss is marked in the hour it happened');
  }));

test('smbta-report: an empty period says so in every section; mistakes are exit 2', () =>
  withTmpDir(async (dir) => {
    writeReportFixture(`${dir}/day.smbta`);
    const r = await runBin('smbta-report', ['-r', `${dir}/day.smbta`, '--day', '2026-11-01', '--text']);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString();
    for (const said of [
      'No records in this period',
      'No data read or written',
      'No users in this period',
      'Nobody deleted',
      'No operation failed',
      'No alerts',
      'Nothing was lost',
    ])
      assert.ok(text.includes(said), said);
    const missing = await runBin('smbta-report', ['-r', `${dir}/day.smbta`, `${dir}/gone.smbta`, ...DAY, '--text']);
    assert.equal(missing.code, 1, 'input missing: exit 1, the report still written');
    assert.match(missing.stderr, /gone\.smbta/);
    assert.equal(
      missing.stdout.toString().split('\n\n')[1]!.replace(/\n/g, ' '),
      'Some input could not be read (stderr says which): the numbers below may be short.',
      'said after the header',
    );
    const bad = async (args: string[], message: string): Promise<void> => {
      const b = await runBin('smbta-report', ['-r', `${dir}/day.smbta`, ...args]);
      assert.deepEqual([b.code, b.stderr.split('\n')[0]], [2, `smbta-report: ${message}`]);
    };
    await bad(['--day', 'monday'], '--day monday: expected yesterday, today or a date (2026-12-07)');
    await bad(['--day', 'today', '--week', 'last'], 'give one of --day, --week, --month and -t, not --day and --week');
    await bad(['--keep', '90d'], '--keep expires the reports kept by --out DIR: give --out');
    await bad(['--mail', 'a@b', '--text'], '--mail sends the text and the HTML together: leave out --text');
    await bad(['-t', '-1h'], '-t -1h: a report needs a range with both ends (2026-12-01..2026-12-07)');
  }));

test('smbta-report --mail: a multipart/alternative mail whose parts are the text and the HTML reports', () =>
  withTmpDir(async (dir) => {
    writeReportFixture(`${dir}/day.smbta`);
    const args = ['-r', `${dir}/day.smbta`, ...DAY];
    const mail = await runBin('smbta-report', [...args, '--mail', 'admin@example.org', '--mail', 'ops@example.org', '--mail-from', 'smbta <smbta@hub>']);
    assert.equal(mail.code, 0, mail.stderr);
    const text = (await runBin('smbta-report', [...args, '--text'])).stdout.toString();
    const html = (await runBin('smbta-report', [...args, '--html'])).stdout.toString();
    const parse = spawnSync(
      'python3',
      [
        '-c',
        `import email, email.policy, json, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
print(json.dumps({"to": m["To"], "from": m["From"], "subject": m["Subject"], "type": m.get_content_type(),
  "parts": [[p.get_content_type(), p.get_content()] for p in m.iter_parts()]}))`,
      ],
      { input: mail.stdout },
    );
    assert.equal(parse.status, 0, parse.stderr.toString());
    const m = JSON.parse(parse.stdout.toString()) as { to: string; from: string; subject: string; type: string; parts: [string, string][] };
    assert.deepEqual(
      [m.to, m.from, m.subject, m.type],
      ['admin@example.org, ops@example.org', 'smbta <smbta@hub>', 'File server activity: Monday, 23 November 2026', 'multipart/alternative'],
    );
    assert.deepEqual(m.parts, [
      ['text/plain', text],
      ['text/html', html],
    ]);
  }));

test('smbta-report --out: a dated file per report and an index, the oldest expired by --keep', () =>
  withTmpDir(async (dir) => {
    writeReportFixture(`${dir}/day.smbta`);
    const out = `${dir}/reports`;
    mkdirSync(out);
    writeFileSync(`${out}/day-2026-01-01.html`, 'old');
    utimesSync(`${out}/day-2026-01-01.html`, new Date('2026-01-02'), new Date('2026-01-02'));
    writeFileSync(`${out}/notes.html`, 'not a report: never removed');
    utimesSync(`${out}/notes.html`, new Date('2026-01-02'), new Date('2026-01-02'));
    for (const [flag, value] of [
      ['--day', '2026-11-23'],
      ['--day', '2026-11-22'],
      ['--week', '2026-11-23'],
    ] as const) {
      const r = await runBin('smbta-report', ['-r', `${dir}/day.smbta`, flag, value, '--out', out, '--keep', '90d']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, 0, 'quiet on stdout, for cron');
    }
    assert.deepEqual(readdirSync(out).sort(), ['day-2026-11-22.html', 'day-2026-11-23.html', 'index.html', 'notes.html', 'week-2026-11-23.html']);
    const index = readFileSync(`${out}/index.html`, 'utf8');
    assert.deepEqual(
      [...index.matchAll(/href="([^"]+)"/g)].map((m) => m[1]),
      ['week-2026-11-23.html', 'day-2026-11-23.html', 'day-2026-11-22.html'],
    );
    assert.ok(existsSync(`${out}/day-2026-11-23.html`) && readFileSync(`${out}/day-2026-11-23.html`, 'utf8').startsWith('<!DOCTYPE html>'));
  }));

test("docs/report.md's cron lines: five time fields and an smbta-report command its parser takes", async () => {
  const doc = readFileSync(join(ROOT, 'docs/report.md'), 'utf8');
  const lines = [...doc.matchAll(/```cron\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split('\n'));
  assert.equal(lines.length, 2);
  for (const line of lines) {
    const fields = line.split(/\s+/);
    assert.ok(
      fields.slice(0, 5).every((f) => /^[\d*,/-]+$/.test(f)),
      line,
    );
    const [command, ...pipe] = fields.slice(5).join(' ').split(' | ');
    const [name, ...args] = command!.split(' ');
    assert.equal(name, 'smbta-report');
    await assert.doesNotReject(
      parseArgs(report, args, async () => PROGRAMS),
      command,
    );
    assert.ok(pipe.length === 0 || pipe[0] === '/usr/sbin/sendmail -t', line);
  }
  assert.ok(
    readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8').includes(lines[1]!.replace(/^30 6 \* \* \*\s+/, '')),
    "deploy.md's crontab keeps the reports as this page says",
  );
});

test('smbta-report -S: a live stream is read until the period ends, then reported; a period already over is refused', async () => {
  const recv = await servingReceiver();
  try {
    const rep = startProc('smbta-report', ['-S', `127.0.0.1:${recv.serve}`, '-t', 'now..+8s', '--json']);
    await rep.waitFor(/reading the live stream until /);
    await recv.p.waitFor(/connected$/m);
    const fed = await runBin('smbta-torture', ['-d', `127.0.0.1:${recv.port}`, '-c', '1', '-n', '500', '--seed', '3']);
    assert.equal(fed.code, 0, fed.stderr);
    assert.equal(await rep.exited, 0, rep.stderr());
    const d = JSON.parse(rep.stdout().toString()) as ReportData;
    assert.equal(d.totals.records, 500);
    // On a terminal (script(1) gives it one), the records read so far, every second, then the text report.
    const tty = spawnSync('script', ['-qec', `TZ=UTC ${process.execPath} ${ROOT}bin/smbta-report.js -S 127.0.0.1:${recv.serve} -t now..+3s`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /\r0 records read/);
    const cleared = tty.stdout.lastIndexOf('\r\u001b[K');
    assert.ok(cleared > 0 && tty.stdout.indexOf('File server activity: ') > cleared, 'the progress line cleared, then the text report');
    const over = await runBin('smbta-report', ['-S', `127.0.0.1:${recv.serve}`, '--day', 'yesterday']);
    assert.deepEqual(
      [over.code, over.stderr.split('\n')[0]],
      [2, 'smbta-report: a live source (-S) brings what happens from now on, and this period is over: report from the archive (-R) or the store (--db)'],
    );
  } finally {
    await recv.p.stop();
  }
});
