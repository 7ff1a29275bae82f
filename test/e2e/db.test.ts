/**
 * smbta-db against real stores: expiry at once and while loading, and a PostgreSQL
 * restart in the middle of a live load that loses nothing and doubles nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { opId } from '../../src/record/fields.js';
import { createTraffic } from '../../src/synth/traffic.js';
import type { Ledger } from '../../src/torture/ledger.js';
import { NO_POSTGRES, postgresBin, startPostgres, testDatabase } from '../helpers/postgres.js';
import { servingReceiver, startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { encodeRecords } from '../helpers/stream.js';
import { waitUntil } from '../helpers/wait.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const DAY = 86_400_000;

async function count(db: string, where = ''): Promise<number> {
  const r = await runBin('smbta-query', ['--db', db, '--csv', '-q', `SELECT COUNT(*) AS n FROM smbta_records ${where}`]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.toString().split('\n')[1]);
}

function trafficAt(start: number, n: number, seed: number) {
  const t = createTraffic({ seed, users: 10, start, gapMs: 100 });
  return Array.from({ length: n }, () => t.next());
}

async function torture(port: number, args: string[]): Promise<Ledger> {
  const r = await runBin('smbta-torture', ['-d', `127.0.0.1:${port}`, '-c', '2', ...args], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as Ledger;
}

test('expire deletes exactly the records older than the age; init is idempotent', () =>
  withTmpDir(async (dir) => {
    const now = Date.now();
    const old = trafficAt(now - 3 * DAY, 3000, 1);
    const recent = trafficAt(now - DAY / 2, 2000, 2);
    writeFileSync(`${dir}/in.smbta`, encodeRecords([...old, ...recent]));
    const db = `${dir}/x.db`;
    for (let k = 0; k < 2; k++) assert.equal((await runBin('smbta-db', ['init', '--db', db])).code, 0);
    assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/in.smbta`, '--db', db])).code, 0);
    const r = await runBin('smbta-db', ['expire', '--older-than', '1d', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /expired 3000 records/);
    assert.equal(await count(db), 2000);
    assert.equal(await count(db, `WHERE time < ${now - DAY}`), 0);
    const bad = await runBin('smbta-db', ['expire', '--db', db]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expire needs --older-than AGE/);
  }));

test('expire gives the space back: a SQLite file shrinks with its data, a file made before that once converted', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/in.smbta`, encodeRecords(trafficAt(Date.now() - 10 * DAY, 60_000, 3)));
    const made = `${dir}/new.db`;
    const older = `${dir}/older.db`;
    for (const db of [made, older]) assert.equal((await runBin('smbta-db', ['init', '--db', db])).code, 0);
    // As files made before smbta set auto_vacuum: none.
    assert.equal(spawnSync('sqlite3', [older, 'PRAGMA auto_vacuum = NONE; VACUUM;']).status, 0);
    for (const db of [made, older]) {
      assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/in.smbta`, '--db', db])).code, 0);
      const full = statSync(db).size;
      assert.ok(full > 4_000_000, `${db}: ${full} bytes loaded`);
      // The rollups go too: kept a day here.
      const r = await runBin('smbta-db', ['expire', '--older-than', '1d', '--rollup-keep', '1m=1d,1h=1d,1d=1d', '--db', db]);
      assert.match(r.stderr, /expired 60000 records/);
      const left = statSync(db).size;
      assert.ok(left * 10 < full, `${db}: ${full} bytes before expire, ${left} after`);
      assert.equal(await count(db), 0);
    }
    // Converted: the next expiry gives back without rewriting the file.
    assert.equal(spawnSync('sqlite3', [older, 'PRAGMA auto_vacuum']).stdout.toString().trim(), '2');
  }));

test('load --expire-every expires while a live load goes on, and keeps every new record', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/old.smbta`, encodeRecords(trafficAt(Date.now() - 3 * DAY, 1000, 3)));
    const src = await servingReceiver();
    const db = `${dir}/live.db`;
    const load = startProc('smbta-db', [
      'load',
      '-r',
      `${dir}/old.smbta`,
      '-S',
      `127.0.0.1:${src.serve}`,
      '--db',
      db,
      '--expire-every',
      '300ms',
      '--older-than',
      '1d',
    ]);
    await src.p.waitFor(/reader .* connected/);
    const ledger = await torture(src.port, ['-n', '3000', '--rate', '3000']);
    await load.waitFor(/expired 1000 records/, 20000);
    await waitUntil('every record sent to be stored', async () => (await count(db)) === ledger.records);
    assert.equal(await load.stop(), 0, load.stderr());
    await src.p.stop();
    assert.equal(await count(db), ledger.records);
  }));

test(
  'a PostgreSQL restart in the middle of a live load: the loader waits, reconnects, and loses and doubles nothing',
  { skip: NO_POSTGRES || (!postgresBin() && 'needs PostgreSQL binaries to restart a server of its own') },
  async () => {
    const pg = await startPostgres();
    const src = await servingReceiver();
    try {
      const load = startProc('smbta-db', ['load', '-S', `127.0.0.1:${src.serve}`, '--db', pg.url, '--batch-records', '500']);
      await src.p.waitFor(/reader .* connected/);
      const sending = torture(src.port, ['--rate', '2000', '--duration', '6s']);
      await waitUntil('the load to store its first records', async () => (await count(pg.url)) > 0);
      pg.restart();
      const ledger = await sending;
      await load.waitFor(/database unavailable .*; keeping the batch, retrying/, 20000);
      // Everything sent is stored once the loader has caught up.
      await waitUntil('every record sent to be stored', async () => (await count(pg.url)) >= ledger.records, 30000, 200);
      assert.equal(await load.stop(), 0, load.stderr());
      assert.equal(await count(pg.url), ledger.records);
      const perUser = await runBin('smbta-query', ['--db', pg.url, '--json', '-q', `top 1000 users rw;`]);
      const got = Object.fromEntries((JSON.parse(perUser.stdout.toString()) as { rows: { user: string; bytes: number }[] }).rows.map((r) => [r.user, r.bytes]));
      for (const [user, t] of Object.entries(ledger.users)) if (t.bytes > 0) assert.equal(got[user], t.bytes, user);
    } finally {
      await src.p.stop();
      pg.stop();
    }
  },
);

test('SIGHUP with -c: a new --older-than applies to a running load at once', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/old.smbta`, encodeRecords(trafficAt(Date.now() - 3 * DAY, 1000, 5)));
    const db = `${dir}/hup.db`;
    writeFileSync(`${dir}/smbta.ini`, `[smbta-db]\ndb = ${db}\nexpire-every = 1h\nolder-than = 30d\n`);
    const src = await servingReceiver();
    const load = startProc('smbta-db', ['load', '-c', `${dir}/smbta.ini`, '-r', `${dir}/old.smbta`, '-S', `127.0.0.1:${src.serve}`]);
    await src.p.waitFor(/reader .* connected/);
    await waitUntil('the archive to be loaded', async () => (await count(db)) >= 1000);
    assert.equal(await count(db), 1000, 'loaded, and none expired at 30 days');
    writeFileSync(`${dir}/smbta.ini`, `[smbta-db]\ndb = ${db}\nexpire-every = 1h\nolder-than = 1d\n`);
    load.proc.kill('SIGHUP');
    await load.waitFor(/SIGHUP: .*smbta\.ini re-read; applied older-than/);
    await load.waitFor(/expired 1000 records/);
    assert.equal(await load.stop(), 0, load.stderr());
    await src.p.stop();
    assert.equal(await count(db), 0);
  }));

/** Rows of a SELECT through smbta-query (CSV, header dropped). */
async function select(db: string, sql: string): Promise<string[]> {
  const r = await runBin('smbta-query', ['--db', db, '--csv', '-q', sql]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.toString().trim().split('\n').slice(1);
}

const PARTITIONS = "SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'smbta_records'::regclass ORDER BY 1";
const dayName = (t: number): string => `smbta_records_d${new Date(t).toISOString().slice(0, 10).replaceAll('-', '')}`;

test(
  'PostgreSQL: records partitioned by day as they load, the next day made ahead, stray times in the default partition; expire drops whole days, exact',
  { skip: NO_POSTGRES },
  () =>
    withTmpDir(async (dir) => {
      const pg = await testDatabase();
      try {
        const today = Math.floor(Date.now() / DAY) * DAY;
        // 300 records on each of the five days before today (from 01:00), 40 in 1990, 100 today.
        const days = [5, 4, 3, 2, 1].map((k) => trafficAt(today - k * DAY + 3_600_000, 300, 10 + k));
        const stray = trafficAt(Date.UTC(1990, 0, 1), 40, 20);
        const now = trafficAt(Date.now() - 60_000, 100, 21);
        writeFileSync(`${dir}/in.smbta`, encodeRecords([...days.flat(), ...stray, ...now]));
        const load = await runBin('smbta-db', ['load', '-r', `${dir}/in.smbta`, '--db', pg.url]);
        assert.equal(load.code, 0, load.stderr);
        assert.equal(await count(pg.url), 5 * 300 + 40 + 100);
        const made = await select(pg.url, PARTITIONS);
        for (let k = -5; k <= 1; k++) assert.ok(made.includes(dayName(today + k * DAY)), `${dayName(today + k * DAY)} in ${made.join(' ')}`);
        assert.ok(made.includes('smbta_records_other'));
        assert.deepEqual(await select(pg.url, 'SELECT COUNT(*) FROM smbta_records_other'), ['40']);
        assert.deepEqual(await select(pg.url, `SELECT COUNT(*) FROM ${dayName(today - 3 * DAY)}`), ['300']);

        // Older than 2.5 days: days -5 and -4 wholly (dropped), day -3's older rows (deleted), and 1990's.
        const cutoff = Date.now() - 2.5 * DAY;
        const older = [...days.flat(), ...stray].filter((r) => r.time < cutoff).length;
        const expired = await runBin('smbta-db', ['expire', '--older-than', '60h', '--db', pg.url]);
        assert.equal(expired.code, 0, expired.stderr);
        const said = Number(/expired (\d+) records/.exec(expired.stderr)?.[1]);
        // Records within a second of the cutoff may fall either side of the program's own clock.
        assert.ok(Math.abs(said - older) <= 2, `expired ${said}, ${older} were older`);
        assert.equal(await count(pg.url), 5 * 300 + 40 + 100 - said);
        const left = await select(pg.url, PARTITIONS);
        for (const k of [5, 4]) assert.ok(!left.includes(dayName(today - k * DAY)), `${dayName(today - k * DAY)} dropped`);
        assert.ok(left.includes(dayName(today - 2 * DAY)));
        assert.deepEqual(await select(pg.url, 'SELECT COUNT(*) FROM smbta_records_other'), ['0']);
        // The readable view, for people writing their own SQL.
        const ops = await select(pg.url, "SELECT DISTINCT op FROM smbta_ops WHERE time > now() - interval '1 day'");
        assert.ok(ops.length > 0 && ops.every((op) => opId(op) >= 0 && !/^op\d+$/.test(op)), ops.join(' '));
      } finally {
        await pg.close();
      }
    }),
);

test(
  'PostgreSQL: two loaders at once into one store make each day once and store every record once; a store made before partitions keeps its table',
  { skip: NO_POSTGRES },
  () =>
    withTmpDir(async (dir) => {
      const pg = await testDatabase();
      try {
        const start = Math.floor(Date.now() / DAY) * DAY - 6 * DAY;
        for (const k of [1, 2]) writeFileSync(`${dir}/in${k}.smbta`, encodeRecords(createTrafficSpread(start, 4000, 30 + k)));
        const loads = await Promise.all([1, 2].map((k) => runBin('smbta-db', ['load', '-r', `${dir}/in${k}.smbta`, '--db', pg.url, '--batch-records', '200'])));
        for (const l of loads) assert.equal(l.code, 0, l.stderr);
        assert.equal(await count(pg.url), 8000);
        const made = await select(pg.url, PARTITIONS);
        assert.equal(new Set(made).size, made.length);
        assert.ok(made.length >= 7, made.join(' '));
      } finally {
        await pg.close();
      }
      // Made by an older smbta: one plain table. It loads and expires as before, row by row.
      const old = await testDatabase();
      try {
        const { default: pgClient } = await import('pg');
        const c = new pgClient.Client({ connectionString: old.url });
        await c.connect();
        await c.query(
          'CREATE TABLE smbta_records (id BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL, end_time BIGINT NOT NULL, op BIGINT NOT NULL, user_name TEXT NOT NULL, sid TEXT NOT NULL, domain TEXT NOT NULL, share TEXT NOT NULL, path TEXT NOT NULL, path2 TEXT NOT NULL, client TEXT NOT NULL, server TEXT NOT NULL, bytes BIGINT NOT NULL, count BIGINT NOT NULL, mode BIGINT NOT NULL, result BIGINT NOT NULL, latency BIGINT NOT NULL, latency_max BIGINT NOT NULL, user_key INTEGER NOT NULL, share_key INTEGER NOT NULL)',
        );
        await c.end();
        writeFileSync(`${dir}/old.smbta`, encodeRecords(trafficAt(Date.now() - 3 * DAY, 500, 40)));
        assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/old.smbta`, '--db', old.url])).code, 0);
        assert.deepEqual(await select(old.url, PARTITIONS), []);
        const r = await runBin('smbta-db', ['expire', '--older-than', '1d', '--db', old.url]);
        assert.match(r.stderr, /expired 500 records/);
        assert.equal(await count(old.url), 0);
      } finally {
        await old.close();
      }
    }),
);

for (const dialect of ['SQLite', 'PostgreSQL'] as const) {
  test(
    `${dialect}: three loaders loading the same records at once (one a file, two the directory holding it and another) store each record once`,
    { skip: dialect === 'PostgreSQL' && NO_POSTGRES },
    () =>
      withTmpDir(async (dir) => {
        const pg = dialect === 'PostgreSQL' ? await testDatabase() : undefined;
        const db = pg?.url ?? `${dir}/s.db`;
        try {
          await runBin('smbta-db', ['init', '--db', db]);
          mkdirSync(`${dir}/in`);
          for (const k of [1, 2]) writeFileSync(`${dir}/in/in${k}.smbta`, encodeRecords(trafficAt(Date.now() - DAY, 6000, 50 + k)));
          const loads = await Promise.all([
            runBin('smbta-db', ['load', '-r', `${dir}/in/in1.smbta`, '--db', db, '--batch-records', '150']),
            runBin('smbta-db', ['load', '-R', `${dir}/in`, '--db', db, '--batch-records', '150']),
            runBin('smbta-db', ['load', '-R', `${dir}/in`, '--db', db, '--batch-records', '150']),
          ]);
          for (const l of loads) assert.equal(l.code, 0, l.stderr);
          assert.equal(await count(db), 12_000);
          // Every record is accounted for once: stored by one loader, skipped by the others.
          const said = (re: RegExp): number => loads.reduce((n, l) => n + Number(re.exec(l.stderr)?.[1] ?? 0), 0);
          assert.equal(said(/stored (\d+) records/), 12_000);
          assert.equal(said(/skipped (\d+) already stored/), 6000 + 12_000 + 12_000 - 12_000);
          // The ranges kept say so too: a fourth load stores nothing.
          const again = await runBin('smbta-db', ['load', '-R', `${dir}/in`, '--db', db]);
          assert.match(again.stderr, /stored 0 records .*skipped 12000 already stored/);
        } finally {
          await pg?.close();
        }
      }),
  );
}

/** `n` records spread evenly over the six days from `start`. */
function createTrafficSpread(start: number, n: number, seed: number) {
  const t = createTraffic({ seed, users: 10, start, gapMs: Math.floor((6 * DAY) / n) });
  return Array.from({ length: n }, () => t.next());
}
