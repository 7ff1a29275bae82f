/**
 * smbta-query gives the same answers from an archive, from SQLite and from PostgreSQL (all
 * real), and those answers equal totals computed here independently, names that look like
 * SQL included.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SmbRecord } from '../../src/record/fields.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { NO_POSTGRES, testDatabase } from '../helpers/postgres.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { encodeRecords } from '../helpers/stream.js';

const EVIL_USER = "x' OR '1'='1";
const EVIL_SHARE = "Robert'); DROP TABLE --";
const NOW = '2026-11-24 12:00:00';
const NOW_MS = Date.UTC(2026, 10, 24, 12);

function records(): SmbRecord[] {
  const t = createTraffic({ seed: 77, users: 40, shares: 5, files: 400, gapMs: 8000 });
  const recs = Array.from({ length: 20000 }, () => t.next());
  // Names that break SQL pasted together, and one user in two domains.
  for (let k = 0; k < 300; k += 3) {
    const r = recs[k * 60]!;
    recs[k * 60] = { ...r, user: EVIL_USER, share: EVIL_SHARE, op: 2, bytes: 1000 + k };
    recs[k * 60 + 1] = { ...recs[k * 60 + 1]!, user: 'bob', domain: k % 2 ? 'OTHER' : 'EXAMPLE', op: 0, bytes: 500 };
  }
  return recs;
}

const STATEMENTS = [
  'global, total rw;',
  'total r;',
  'global, total w;',
  'share projects, total rw;',
  'list users;',
  'list shares;',
  'list files;',
  'list domains;',
  'top 10 users rw;',
  'top 5 shares r asc;',
  'top 10 files w desc;',
  'top 3 domains rw;',
  'share projects since 2026-11-24, top 10 users rw;',
  "user user0 from '2026-11-23 12:00:00' to '2026-11-24 00:00:00', top 5 files rw;",
  'domain EXAMPLE from 2026-11-23 to 2026-11-24, total rw;',
  'file dir3/sub3/file3.txt, total r;',
  'global, last_activity 25;',
  'global, 24h_usage rw;',
  'share home, usage w;',
  'global from 2026-11-23 to 2026-11-24, usage rw;',
  'global, search %file1%;',
  'global, search user_;',
  'global, throughput 6 hours rw;',
  `user '${EVIL_USER.replace(/'/g, "''")}', total rw;`,
  `share '${EVIL_SHARE.replace(/'/g, "''")}', top 5 users rw, list users;`,
  "user 'EXAMPLE\\bob', total rw;",
  'user bob, share projects, global, total rw;',
];

let dir = '';
let pg: { url: string; close(): Promise<void> } | undefined;
const recs = records();
const stmtArgs = STATEMENTS.flatMap((s) => ['-q', s]);

interface JsonAnswer {
  statement: string;
  command: string;
  rows: Record<string, unknown>[];
}

async function answers(source: string[]): Promise<JsonAnswer[]> {
  const r = await runBin('smbta-query', [...source, '--now', NOW, '--json', ...stmtArgs], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JsonAnswer);
}

async function load(db: string): Promise<void> {
  const r = await runBin('smbta-db', ['load', '-r', `${dir}/day.smbta`, '--db', db, '--batch-records', '3000'], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`stored ${recs.length} records in 7 transactions`));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smbta-query-'));
  writeFileSync(`${dir}/day.smbta`, encodeRecords(recs));
  await load(`${dir}/day.db`);
  if (!NO_POSTGRES) {
    pg = await testDatabase();
    await load(pg.url);
  }
});
after(async () => {
  await pg?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sum = (rs: SmbRecord[]): number => rs.reduce((a, r) => a + r.bytes, 0);
const rw = (r: SmbRecord): boolean => r.op <= 3;
const utf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

test('an archive and SQLite give identical answers, equal to totals computed here', async () => {
  const fromArchive = await answers(['-r', `${dir}/day.smbta`]);
  const fromSqlite = await answers(['--db', `${dir}/day.db`]);
  assert.equal(fromArchive.length, STATEMENTS.length + 1);
  assert.deepEqual(fromSqlite, fromArchive);
  const byTitle = (prefix: string, k = 0) => fromArchive.filter((a) => a.statement.startsWith(prefix))[k]!.rows;

  assert.deepEqual(byTitle('global, total rw;'), [{ bytes: sum(recs.filter(rw)) }]);
  assert.deepEqual(byTitle('total r;'), [{ bytes: sum(recs.filter((r) => r.op <= 1)) }]);
  assert.deepEqual(byTitle('share projects, total rw;'), [{ bytes: sum(recs.filter((r) => rw(r) && r.share === 'projects')) }]);
  assert.deepEqual(
    byTitle('list shares;').map((r) => r.share),
    [...new Set(recs.map((r) => r.share))].sort(utf8),
  );
  // A user is a name in a domain: EXAMPLE\bob and OTHER\bob are two rows.
  const perUser = new Map<string, number>();
  for (const r of recs.filter(rw)) perUser.set(`${r.user}\0${r.domain}`, (perUser.get(`${r.user}\0${r.domain}`) ?? 0) + r.bytes);
  const top = [...perUser]
    .sort((a, b) => b[1] - a[1] || utf8(a[0], b[0]))
    .slice(0, 10)
    .map(([key, bytes]) => ({ user: key.split('\0')[0], domain: key.split('\0')[1], bytes }));
  assert.deepEqual(byTitle('top 10 users rw;'), top);
  const hours = new Array(24).fill(0);
  for (const r of recs.filter(rw)) hours[new Date(r.time).getUTCHours()] += r.bytes;
  assert.deepEqual(
    byTitle('global, 24h_usage rw;').map((r) => r.bytes),
    hours,
  );
  const window = recs.filter((r) => rw(r) && r.time >= NOW_MS - 6 * 3_600_000 && r.time < NOW_MS);
  assert.deepEqual(byTitle('global, throughput 6 hours rw;'), [{ bytes: sum(window), seconds: 21600, 'per second': sum(window) / 21600 }]);
  assert.deepEqual(byTitle(`user '${EVIL_USER.replace(/'/g, "''")}'`), [{ bytes: sum(recs.filter((r) => rw(r) && r.user === EVIL_USER)) }]);
  assert.deepEqual([...new Set(byTitle(`share '${EVIL_SHARE.replace(/'/g, "''")}'`, 1).map((r) => r.user))], [EVIL_USER]);
  assert.deepEqual(byTitle("user 'EXAMPLE\\bob'"), [{ bytes: sum(recs.filter((r) => r.user === 'bob' && r.domain === 'EXAMPLE')) }]);
  assert.deepEqual(byTitle('user bob, share projects, global'), byTitle('global, total rw;'), 'global resets the selection');
  const latest = byTitle('global, last_activity 25;');
  assert.equal(latest.length, 25);
  assert.match(String(latest[0]!.activity), /^2026-11-2\d \d\d:\d\d:\d\d \S+ (read|wrote|opened|closed|created|removed|renamed|changed)/);
  const usage = byTitle('global from 2026-11-23 to 2026-11-24, usage rw;');
  assert.equal(usage.length, 48);
  assert.equal(
    usage.reduce((a, r) => a + Number(r.bytes), 0),
    sum(recs.filter((r) => rw(r) && r.time < Date.UTC(2026, 10, 24))),
  );
  // The names that look like SQL harmed nothing.
  const count = await runBin('smbta-query', ['--db', `${dir}/day.db`, '--csv', '-q', 'SELECT COUNT(*) AS n FROM smbta_records']);
  assert.equal(count.stdout.toString(), `n\n${recs.length}\n`);
});

test('PostgreSQL gives the same answers as the archive', { skip: NO_POSTGRES }, async () => {
  assert.deepEqual(await answers(['--db', pg!.url]), await answers(['-r', `${dir}/day.smbta`]));
});

test('an ambiguous user is reported with its candidates, never guessed, from every store', async () => {
  for (const source of [['-r', `${dir}/day.smbta`], ['--db', `${dir}/day.db`], ...(pg ? [['--db', pg.url]] : [])]) {
    const r = await runBin('smbta-query', [...source, '-q', 'user bob, total rw;']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /user 'bob' is ambiguous: EXAMPLE\\bob, OTHER\\bob; name one as 'DOMAIN\\bob'/);
  }
});

test('mistakes: a caret under the wrong word, raw SQL only on a database and only reading', async () => {
  const typo = await runBin('smbta-query', ['-r', `${dir}/day.smbta`, '-q', 'global, totl rw;']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown word 'totl' at column 9; did you mean 'total'\?\n {2}global, totl rw;\n {10}\^{4}/);
  const top = await runBin('smbta-query', ['-r', `${dir}/day.smbta`, '-q', 'top ten users r;']);
  assert.match(top.stderr, /expected a count such as 10, found 'ten'/);
  const raw = await runBin('smbta-query', ['-r', `${dir}/day.smbta`, '-q', 'SELECT 1']);
  assert.equal(raw.code, 2);
  assert.match(raw.stderr, /raw SQL needs a database \(--db\)/);
  const write = await runBin('smbta-query', ['--db', `${dir}/day.db`, '-q', 'DELETE FROM smbta_records']);
  assert.equal(write.code, 2, 'not a statement we know: a usage error');
  const sneaky = await runBin('smbta-query', ['--db', `${dir}/day.db`, '-q', 'SELECT 1; DELETE FROM smbta_records']);
  assert.notEqual(sneaky.code, 0);
  const count = await runBin('smbta-query', ['--db', `${dir}/day.db`, '--csv', '-q', 'SELECT COUNT(*) AS n FROM smbta_records']);
  assert.equal(count.stdout.toString(), `n\n${recs.length}\n`);
});

test('the command-line form asks the same as the statement; tables, charts and SVG for people', async () => {
  const friendly = await runBin('smbta-query', [
    'top',
    'users',
    '--since',
    '2026-11-24',
    '--share',
    'projects',
    '-n',
    '10',
    '--mode',
    'rw',
    '--db',
    `${dir}/day.db`,
    '--json',
  ]);
  const statement = await runBin('smbta-query', ['--db', `${dir}/day.db`, '--json', '-q', 'global since 2026-11-24, share projects, top 10 users rw desc;']);
  assert.equal(friendly.code, 0, friendly.stderr);
  const rowsOf = (r: { stdout: Buffer }): unknown => (JSON.parse(r.stdout.toString()) as { rows: unknown }).rows;
  assert.deepEqual(rowsOf(friendly), rowsOf(statement));
  const table = await runBin('smbta-query', ['-r', `${dir}/day.smbta`, '24h-usage', '--mode', 'w', '--svg', `${dir}/w.svg`], { env: { COLUMNS: '80' } });
  assert.equal(table.code, 0, table.stderr);
  const out = table.stdout.toString();
  assert.match(out, /^HOUR +BYTES +SHARE +LOST$/m);
  assert.match(out, /^00:00 - 01:00 +[\d.]+ (KiB|MiB|GiB) +[\d.]+% +0$/m);
  assert.match(out, /^08:00 - 09:00 │█+/m, 'a bar chart follows the table');
  const svg = readFileSync(`${dir}/w.svg`, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect x=/g)?.length, 24);
  const csv = await runBin('smbta-query', ['--db', `${dir}/day.db`, '--csv', '-q', 'total rw;']);
  assert.equal(csv.stdout.toString(), `bytes\n${sum(recs.filter(rw))}\n`);
});

test('statements from a file with comments, and one per line on stdin', async () => {
  writeFileSync(`${dir}/questions`, '# the busiest\ntop 3 users rw;\n# and how much\ntotal rw;\n');
  const file = await runBin('smbta-query', ['-r', `${dir}/day.smbta`, '-f', `${dir}/questions`, '--json']);
  assert.equal(file.code, 0, file.stderr);
  const stdin = await runBin('smbta-query', ['--db', `${dir}/day.db`, '--json'], { input: 'top 3 users rw\ntotal rw;\n' });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.deepEqual(stdin.stdout.toString(), file.stdout.toString());
});

test('with no sources and stdin from /dev/null (cron), the default database answers', async () => {
  const home = mkdtempSync(join(tmpdir(), 'smbta-xdg-'));
  try {
    const env = { ...process.env, XDG_DATA_HOME: home, TZ: 'UTC' };
    const load = spawnSync(process.execPath, [join(ROOT, 'bin/smbta-db.js'), 'load', '-r', `${dir}/day.smbta`], { env, encoding: 'utf8' });
    assert.equal(load.status, 0, load.stderr);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/smbta-query.js'), '--csv', '-q', 'total rw;'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `bytes\n${sum(recs.filter(rw))}\n`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
