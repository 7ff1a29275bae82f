// Right answers: every fault found by checking answers four ways, each from an archive and from the SQLite it loads.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import type { SmbRecord } from '../../src/record/fields.js';
import { BlockKind, frameBlock } from '../../src/stream/format.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { NO_POSTGRES, testDatabase } from '../helpers/postgres.js';
import { startRecv } from '../helpers/recv.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const T0 = Date.UTC(2026, 10, 23, 8);
const rec = (o: Partial<SmbRecord>): SmbRecord => ({ ...createTraffic({ seed: 1 }).next(), time: T0, end: T0, count: 1, latency: 0, latency_max: 0, ...o });

interface JsonAnswer {
  statement: string;
  command: string;
  note?: string;
  rows: Record<string, string | number>[];
}

/** Writes `recs` as an archive and loads it into SQLite; runs `fn` with the two ways to ask. */
function withStores(recs: SmbRecord[], fn: (sources: string[][], dir: string) => Promise<void>): Promise<void> {
  return withTmpDir(async (dir) => {
    writeFileSync(`${dir}/a.smbta`, encodeRecords(recs));
    const load = await runBin('smbta-db', ['load', '-r', `${dir}/a.smbta`, '--db', `${dir}/a.db`]);
    assert.equal(load.code, 0, load.stderr);
    await fn(
      [
        ['-r', `${dir}/a.smbta`],
        ['--db', `${dir}/a.db`],
      ],
      dir,
    );
  });
}

async function ask(
  source: string[],
  statements: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; answers: JsonAnswer[]; stderr: string }> {
  const r = await runBin('smbta-query', [...source, '--json', '--now', '2026-11-24 12:00:00', ...statements.flatMap((s) => ['-q', s])], { env });
  const answers = r.stdout
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonAnswer);
  return { code: r.code, answers, stderr: r.stderr };
}

test('top files are (server, share, path) and top users (domain, user), with the share and domain on every row', () =>
  withStores(
    [
      ...['projects', 'home', 'scans'].map((share, k) =>
        rec({ op: 0, share, path: 'README', bytes: 1000 * (k + 1), user: 'bob', domain: 'EXAMPLE', server: 'fs1' }),
      ),
      rec({ op: 2, share: 'home', path: 'README', bytes: 500, user: 'bob', domain: 'OTHER', server: 'fs2' }),
    ],
    async (sources) => {
      for (const source of sources) {
        const { code, answers } = await ask(source, ['top 10 files rw;', 'top 10 users rw;', 'list users;']);
        assert.equal(code, 0);
        assert.deepEqual(
          answers[0]!.rows.map((r) => [r.file, r.share, r.bytes]),
          [
            ['README', 'scans', 3000],
            ['README', 'home', 2000],
            ['README', 'projects', 1000],
            ['README', 'home', 500],
          ],
        );
        assert.deepEqual(
          answers[1]!.rows.map((r) => [r.user, r.domain, r.bytes]),
          [
            ['bob', 'EXAMPLE', 6000],
            ['bob', 'OTHER', 500],
          ],
        );
        assert.deepEqual(Object.keys(answers[2]!.rows[0]!), ['user', 'domain', 'sid'], 'list users shows the SID, as the original did');
      }
    },
  ));

test('an ambiguous name refuses its own questions; the others are answered and the status is 2', () =>
  withStores([rec({ op: 0, user: 'bob', domain: 'EXAMPLE', bytes: 10 }), rec({ op: 0, user: 'bob', domain: 'OTHER', bytes: 20 })], async (sources) => {
    for (const source of sources) {
      const r = await ask(source, ['global, total rw;', 'user bob, total rw;', "user 'OTHER\\bob', total rw;"]);
      assert.equal(r.code, 2, r.stderr);
      assert.deepEqual(
        r.answers.map((a) => a.rows[0]!.bytes),
        [30, 20],
      );
      assert.match(r.stderr, /user bob, total rw;: user 'bob' is ambiguous: EXAMPLE\\bob, OTHER\\bob/);
      assert.match(r.stderr, /1 of 3 questions not answered/);
    }
  }));

test('a selection without byte counts (full_audit) ranks by operations and says so', () =>
  withStores(
    [...Array.from({ length: 5 }, () => rec({ op: 0, user: 'eve', bytes: 0, share: 'pool1' })), rec({ op: 2, user: 'bob', bytes: 0, share: 'pool1' })],
    async (sources) => {
      for (const source of sources) {
        const { answers } = await ask(source, ['share pool1, top 5 users rw;']);
        assert.deepEqual(
          answers[0]!.rows.map((r) => [r.user, r.operations]),
          [
            ['eve', 5],
            ['bob', 1],
          ],
        );
        assert.match(answers[0]!.note ?? '', /no byte counts .* ranked by operations/);
      }
      const table = await runBin('smbta-query', [...sources[0]!, '-q', 'share pool1, top 5 users rw;']);
      assert.match(table.stdout.toString(), /^# note: no byte counts/m);
    },
  ));

test('throughput divides by the part of the window the selection leaves, and small rates print as people read them', () => {
  const now = Date.UTC(2026, 10, 24, 12);
  return withStores([rec({ op: 2, bytes: 171, time: now - 10 * 60_000 }), rec({ op: 2, bytes: 1_000_000, time: now - 50 * 60_000 })], async (sources) => {
    for (const source of sources) {
      const { answers } = await ask(source, ["global from '2026-11-24 11:30:00' to now, throughput 1 hours rw;", 'global, throughput 1 hours w;']);
      assert.deepEqual(answers[0]!.rows, [{ bytes: 171, seconds: 1800, 'per second': 171 / 1800 }]);
      assert.match(answers[0]!.note ?? '', /leaves 1800 of the 3600 seconds/);
      assert.deepEqual(answers[1]!.rows, [{ bytes: 1_000_171, seconds: 3600, 'per second': 1_000_171 / 3600 }]);
    }
    const table = await runBin('smbta-query', [
      ...sources[0]!,
      '--now',
      '2026-11-24 12:00:00',
      '-q',
      "global from '2026-11-24 11:30:00' to now, throughput 1 hours rw;",
    ]);
    assert.match(table.stdout.toString(), / 0\.1 B\/s$/m);
  });
});

test('usage steps start at local clock boundaries: Berlin days at midnight through the autumn change, Kolkata weeks on Mondays', () => {
  const t = createTraffic({ seed: 5, start: Date.UTC(2026, 9, 20), gapMs: 20 * 60_000 });
  const recs = Array.from({ length: 6000 }, () => t.next());
  return withStores(recs, async (sources) => {
    for (const [zone, statement, step] of [
      ['Europe/Berlin', 'global from 2026-10-21 to 2026-12-05, usage rw;', / 00:00:00$/],
      ['Asia/Kolkata', 'global from 2026-10-20 to 2026-12-20, usage rw;', / 00:00:00$/],
      ['Asia/Kolkata', 'global from 2026-10-21 to 2026-10-22, usage rw;', /:[03]0:00$/],
    ] as const) {
      const [archive, sqlite] = await Promise.all(sources.map((s) => ask(s, [statement], { TZ: zone })));
      assert.deepEqual(sqlite!.answers, archive!.answers, `${zone} ${statement}`);
      const rows = archive!.answers[0]!.rows;
      for (const r of rows) assert.match(String(r.from), step, `${zone} ${statement}`);
      if (statement.includes('2026-12-20'))
        for (const r of rows) assert.equal(new Date(`${String(r.from).replace(' ', 'T')}Z`).getUTCDay(), 1, 'a week starts on Monday');
      const within = recs.filter((r) => r.op <= 3 && r.time >= Date.parse('2026-10-20T22:00:00Z') && r.time < Date.parse('2026-12-04T23:00:00Z'));
      if (zone === 'Europe/Berlin')
        assert.equal(
          rows.reduce((a, r) => a + Number(r.bytes), 0),
          within.reduce((a, r) => a + r.bytes, 0),
        );
    }
    const chart = await ask(sources[0]!, ['global from 2026-10-21 to 2026-11-10, usage 40 8 rw;']);
    assert.ok(chart.answers[0]!.rows.length <= 8, "the original's usage W H MODE: at most H steps");
  });
});

test("24h_usage labels hours as the original did; search finds '#' and shows each name's share and domain; last_activity has fields", () =>
  withStores(
    [
      rec({ op: 2, path: 'plans #3.txt', share: 'projects', user: 'bob', domain: 'EXAMPLE', bytes: 7 }),
      rec({ op: 0, path: 'notes.txt', share: 'home', user: 'eve', domain: 'EXAMPLE', bytes: 9, time: T0 + 1000 }),
    ],
    async (sources) => {
      for (const source of sources) {
        const { answers } = await ask(source, ['global, 24h_usage rw;', 'global, search %#%;', 'global, last_activity 1;']);
        assert.equal(answers[0]!.rows[8]!.hour, '08:00 - 09:00');
        assert.deepEqual(answers[1]!.rows, [{ kind: 'file', name: 'plans #3.txt', share: 'projects', user: '', domain: '' }]);
        const last = answers[2]!.rows[0]!;
        assert.deepEqual(
          [last.op, last.user, last.domain, last.share, last.path, last.bytes, last.time],
          ['read', 'eve', 'EXAMPLE', 'home', 'notes.txt', 9, T0 + 1000],
        );
        assert.match(String(last.activity), /eve read 9 B from notes.txt on share home$/);
      }
    },
  ));

test("the original's forms: self-check online|offline, unpadded times; impossible dates are errors with a caret", () =>
  withStores([rec({ op: 0, bytes: 5, time: Date.UTC(2026, 10, 24, 9, 30) })], async (sources) => {
    for (const source of sources) {
      const ok = await ask(source, ['system, self-check online;', 'system, self-check offline;', "global from '2026-11-24 9:15:00' to 2026-11-25, total rw;"]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.answers[2]!.rows[0]!.bytes, 5);
      const bad = await runBin('smbta-query', [...source, '-q', 'global from 2026-11-31 to 2026-12-02, total rw;']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /not a time: '2026-11-31'.*\n.*\n {14}\^{10}\n$/);
    }
  }));

test('loading an archive twice, or a file and then the directory holding it, stores each record once and says what it skipped', () =>
  withTmpDir(async (dir) => {
    const t = createTraffic({ seed: 9, start: T0 });
    const recs = Array.from({ length: 9000 }, () => t.next());
    mkdirSync(`${dir}/archive`);
    // Unnumbered blocks (version 1, as older files) and numbered ones (any smbta writer's).
    writeFileSync(`${dir}/archive/old.smbta`, encodeRecords(recs.slice(0, 4000), 1000));
    writeFileSync(`${dir}/new-in.smbta`, encodeRecords(recs.slice(4000), 1000));
    const numbered = await runBin('smbta-filter', ['-r', `${dir}/new-in.smbta`, '-w', `${dir}/archive/new.smbta`]);
    assert.equal(numbered.code, 0, numbered.stderr);
    const db = `${dir}/a.db`;
    const load = (args: string[]) => runBin('smbta-db', ['load', ...args, '--db', db, '--batch-records', '1500']);
    assert.match((await load(['-r', `${dir}/archive/new.smbta`])).stderr, /stored 5000 records/);
    const again = await load(['-R', `${dir}/archive`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /stored 4000 records in \d+ transactions .*; skipped 5000 already stored/);
    assert.match((await load(['-R', `${dir}/archive`])).stderr, /stored 0 records .*; skipped 9000 already stored/);
    // Part of a block stored (a filter), then the whole: the rest is stored, nothing twice.
    const part = await runBin('smbta-db', ['load', '-r', `${dir}/archive/new.smbta`, '--db', `${dir}/b.db`, 'user=bob']);
    assert.equal(part.code, 0, part.stderr);
    assert.match((await runBin('smbta-db', ['load', '-r', `${dir}/archive/new.smbta`, '--db', `${dir}/b.db`])).stderr, /skipped [1-9]\d* already stored/);
    for (const store of [db, `${dir}/b.db`]) {
      const r = await runBin('smbta-query', ['--db', store, '--csv', '-q', 'SELECT COUNT(*) AS n FROM smbta_records']);
      assert.equal(r.stdout.toString(), `n\n${store === db ? 9000 : 5000}\n`, 'every record once');
    }
    const total = (src: string[]) => runBin('smbta-query', [...src, '--csv', '-q', 'global, total rw;']);
    assert.equal((await total(['--db', db])).stdout.toString(), (await total(['-R', `${dir}/archive`])).stdout.toString());
  }));

test('status blocks after the last records reach the database: self-check and the report agree between an archive and its database', () =>
  withTmpDir(async (dir) => {
    const recv = await startRecv(['-w', `${dir}/day.smbta`, '--status-every', '1']);
    const sent = await runBin('smbta-torture', ['-d', `127.0.0.1:${recv.port}`, '-c', '2', '-n', '3000', '--rate', '0']);
    assert.equal(sent.code, 0, sent.stderr);
    await recv.received(3000);
    assert.equal((await recv.stop()).code, 0);
    const load = await runBin('smbta-db', ['load', '-r', `${dir}/day.smbta`, '--db', `${dir}/day.db`, '--batch-records', '1000']);
    assert.equal(load.code, 0, load.stderr);
    const [archive, sqlite] = await Promise.all(
      [
        ['-r', `${dir}/day.smbta`],
        ['--db', `${dir}/day.db`],
      ].map((s) => ask(s, ['system, self-check;', 'system, smbtad-report full;'])),
    );
    const facts = (a: JsonAnswer) => a.rows.filter((r) => /^(sender |status blocks|records lost)/.test(String(r.item)));
    assert.deepEqual(facts(sqlite!.answers[0]!), facts(archive!.answers[0]!));
    assert.ok(
      facts(archive!.answers[0]!).some((r) => String(r.item).startsWith('sender ')),
      'the senders are known',
    );
    assert.deepEqual(facts(sqlite!.answers[1]!), facts(archive!.answers[1]!));
  }));

test("webSMBTA's command line answers from smbta's PostgreSQL store, in HTML and in XML", { skip: NO_POSTGRES }, async () => {
  const pg = await testDatabase();
  try {
    await withTmpDir(async (dir) => {
      writeFileSync(
        `${dir}/a.smbta`,
        encodeRecords([
          rec({ op: 0, share: 'projects', domain: 'EXAMPLE', user: 'bob', bytes: 4096 }),
          rec({ op: 2, share: 'home', domain: 'OTHER', user: 'eve', bytes: 10 }),
        ]),
      );
      const load = await runBin('smbta-db', ['load', '-r', `${dir}/a.smbta`, '--db', pg.url]);
      assert.equal(load.code, 0, load.stderr);
      const u = new URL(pg.url);
      const legacy = ['-M', 'pgsql', '-N', u.pathname.slice(1), '-H', u.host, '-S', decodeURIComponent(u.username), '-I', '0'];
      const html = await runBin('smbta-query', [...legacy, '-q', 'global, top 10 users rw;', '-o', 'html']);
      assert.equal(html.code, 0, html.stderr);
      assert.match(
        html.stdout.toString(),
        /<table class="smbta_top">\n<tr><th>user<\/th><th>domain<\/th><th>bytes<\/th><\/tr>\n<tr><td>bob<\/td><td>EXAMPLE<\/td><td>4\.0 KiB<\/td><\/tr>/,
      );
      for (const [q, id, want] of [
        ['global, list shares;', 'sharename', ['home', 'projects']],
        ['global, list domains;', 'domain', ['EXAMPLE', 'OTHER']],
      ] as const) {
        const xml = await runBin('smbta-query', [...legacy, '-q', q, '-x', `${dir}/out.xml`]);
        assert.equal(xml.code, 0, xml.stderr);
        const text = readFileSync(`${dir}/out.xml`, 'utf8');
        assert.match(text, /^<\?xml version="1\.0" encoding="UTF-8" standalone="yes"\?>\n<smbta_output>\n<list /);
        assert.deepEqual(
          [...text.matchAll(new RegExp(`<table_value id="${id}">([^<]*)</table_value>`, 'g'))].map((m) => m[1]),
          want,
        );
      }
      const bin = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin: Record<string, string> }).bin;
      assert.equal(bin.smbtaquery, bin['smbta-query'], 'installed under its old name too');
      const version = await runBin('smbta-query', ['-M', 'pgsql', '-v']);
      assert.match(version.stdout.toString(), /^\d+\.\d+\.\d+\n$/);
      const help = await runBin('smbta-query', ['-M', 'pgsql', '-p']);
      assert.match(help.stdout.toString(), /usage \[W H\] MODE/);
      const mysql = await runBin('smbta-query', ['-M', 'mysql', '-N', 'smbta', '-q', 'total rw;']);
      assert.equal(mysql.code, 2);
      assert.match(mysql.stderr, /not MySQL/);
    });
  } finally {
    await pg.close();
  }
});

test('a loss in the stream shows where it happened: self-check, the report, usage and 24h_usage, the bar chart and the SVG, from an archive and its database', () => {
  const t = createTraffic({ seed: 4, start: Date.UTC(2026, 10, 23, 6), gapMs: 2000 });
  const recs = Array.from({ length: 6000 }, () => t.next());
  const at = Date.UTC(2026, 10, 23, 8, 10);
  const body = { records: 50, reason: 'lost in transit', source: '127.0.0.1:3491', run: '00112233aabbccdd', first: 4000, from: at, to: at + 60_000 };
  const gap = frameBlock(BlockKind.Gap, Buffer.from(JSON.stringify(body)), 0, at, at + 60_000);
  const stream = Buffer.concat([encodeRecords(recs.slice(0, 3000)), gap, gap, encodeRecords(recs.slice(3000))]);
  return withTmpDir(async (dir) => {
    writeFileSync(`${dir}/a.smbta`, stream);
    for (let k = 0; k < 2; k++) assert.equal((await runBin('smbta-db', ['load', '-r', `${dir}/a.smbta`, '--db', `${dir}/a.db`])).code, 0);
    for (const source of [
      ['-r', `${dir}/a.smbta`],
      ['--db', `${dir}/a.db`],
    ]) {
      const { answers } = await ask(
        source,
        ['system, self-check;', "global from '2026-11-23 06:00:00' to '2026-11-23 12:00:00', usage rw;", 'global, 24h_usage rw;'],
        { TZ: 'UTC' },
      );
      const item = (name: string) => answers[0]!.rows.find((r) => r.item === name)?.value;
      assert.equal(item('records lost upstream'), '50', 'a loss told twice is one');
      assert.match(String(item('missing from 2026-11-23 08:10:00')), /^50 records to 2026-11-23 08:11:00 \(lost in transit; 127\.0\.0\.1:3491\)$/);
      const usage = answers[1]!.rows;
      assert.deepEqual(
        usage.filter((r) => Number(r.lost) > 0).map((r) => [r.from, r.lost]),
        [['2026-11-23 08:10:00', 50]],
      );
      assert.equal(answers[2]!.rows[8]!.lost, 50);
    }
    const table = await runBin('smbta-query', ['-r', `${dir}/a.smbta`, '-q', 'global, 24h_usage rw;', '--svg', `${dir}/c.svg`]);
    assert.match(table.stdout.toString(), /^08:00 - 09:00 │[█▏▎▍▌▋▊▉ ]+ [\d.]+ (KiB|MiB) ! 50 records lost$/m);
    assert.match(readFileSync(`${dir}/c.svg`, 'utf8'), /fill="#c0392b"><title>! 50 records lost<\/title>!<\/text>/);
  });
});
