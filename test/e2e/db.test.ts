/**
 * smbta-db against real stores: expiry at once and while loading, and a PostgreSQL
 * restart in the middle of a live load that loses nothing and doubles nothing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { createTraffic } from '../../src/synth/traffic.js';
import type { Ledger } from '../../src/torture/ledger.js';
import { NO_POSTGRES, postgresBin, startPostgres } from '../helpers/postgres.js';
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
