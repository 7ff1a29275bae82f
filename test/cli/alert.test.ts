import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { unframeSyslog } from '../../src/audit/syslog.js';
import { attackRecords } from '../helpers/example-home.js';
import { startProc } from '../helpers/proc.js';
import { runBin, type RunResult } from '../helpers/run-bin.js';
import { emptyRecord, opId, type SmbRecord } from '../../src/record/fields.js';
import { decodeAll, encodeRecords, type Decoded } from '../helpers/stream.js';
import { BlockKind } from '../../src/stream/format.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';

test("smbta-alert -c: rules beside the programs' sections (which the others skip); a bad rule is exit 2 at file:line:col", () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/attack.smbta`, encodeRecords(attackRecords(), 100));
    writeFileSync(
      `${dir}/site.ini`,
      [
        '[smbta-alert]',
        'builtin = ransom-note',
        '',
        '[rule locked-names]',
        "select = rename and path2='*.locked'",
        'by = user, client',
        'measure = paths',
        'over = 10m',
        'above = 99',
        'severity = critical',
        '',
        '[smbta-db]',
        `db = ${dir}/x.db`,
      ].join('\n'),
    );
    const r = await runBin('smbta-alert', ['-c', `${dir}/site.ini`, '-r', `${dir}/attack.smbta`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const alerts = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; group: Record<string, string>; value: number; time: string });
    assert.deepEqual(
      alerts.map((a) => [a.rule, a.group, a.value]),
      [
        ['locked-names', { user: 'mallory', client: '10.0.0.66' }, 100],
        ['ransom-note', { user: 'mallory' }, 1],
      ],
    );
    // Another program reading the same file skips the rules.
    const db = await runBin('smbta-db', ['-c', `${dir}/site.ini`, 'load', '-r', `${dir}/attack.smbta`]);
    assert.equal(db.code, 0, db.stderr);

    writeFileSync(`${dir}/bad.ini`, '[rule a]\nselect = user=\nmeasure = operations\nover = 1m\nabove = 5\n');
    const bad = await runBin('smbta-alert', ['-c', `${dir}/bad.ini`, '-r', `${dir}/attack.smbta`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`^smbta-alert: ${dir}/bad\\.ini:2:15: .*\\n  select = user=\\n {16}\\^`));
    const dry = await runBin('smbta-alert', ['-r', `${dir}/attack.smbta`, '--builtin', 'all', '--dry-run']);
    assert.deepEqual([dry.code, dry.stderr.split('\n')[0]], [2, 'smbta-alert: --dry-run says what --exec would run: give --exec CMD']);
    const none = await runBin('smbta-alert', ['-r', `${dir}/attack.smbta`]);
    assert.deepEqual(
      [none.code, none.stderr.split('\n')[0]],
      [2, 'smbta-alert: no rules: give -c FILE with [rule NAME] sections, --builtin NAME (or all), or --canary GLOB'],
    );
  }));

test('smbta-alert on SIGHUP reads its rules again; a file with a mistake leaves them as they were', () =>
  withTmpDir(async (dir) => {
    const rule = (name: string, above: string): string => `[rule ${name}]\nmeasure = operations\nover = 1m\nabove = ${above}\n`;
    writeFileSync(`${dir}/site.ini`, rule('a', '5'));
    // A live source nobody serves yet: the program runs on, reconnecting.
    const p = startProc('smbta-alert', ['-c', `${dir}/site.ini`, '-S', '127.0.0.1:1']);
    await p.waitFor(/1 rules: a/);
    writeFileSync(`${dir}/site.ini`, rule('a', '5') + rule('b', '7'));
    p.proc.kill('SIGHUP');
    await p.waitFor(/SIGHUP: 2 rules: a, b/);
    writeFileSync(`${dir}/site.ini`, rule('a', 'five'));
    p.proc.kill('SIGHUP');
    await p.waitFor(/SIGHUP: the rules are unchanged: .*site\.ini:4:9: above = five: expected a whole number/);
    assert.equal(await p.stop('SIGINT'), 0);
  }));

test('smbta-alert --syslog: RFC 5424 with the alert as structured data, or CEF, in UDP datagrams a syslog server reads', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/attack.smbta`, encodeRecords(attackRecords(), 100));
    for (const format of ['rfc5424', 'cef']) {
      const server = createSocket('udp4');
      const got: string[] = [];
      server.on('message', (m) => got.push(m.toString()));
      await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
      // Closed whatever happens: an open socket would keep the test file running for ever.
      try {
        const r = await runBin('smbta-alert', [
          '-r',
          `${dir}/attack.smbta`,
          '--builtin',
          'mass-rename',
          '--syslog',
          `127.0.0.1:${server.address().port}`,
          '--syslog-format',
          format,
        ]);
        assert.equal(r.code, 0, r.stderr);
        // All sent before it exits: a socket closed with a send still waiting for its address drops it.
        await waitUntil('the datagram', () => got.length >= 1);
        assert.equal(got.length, 1);
        const framed = unframeSyslog(got[0]!, Date.now())!;
        const crossing = attackRecords().filter((x) => x.user === 'mallory' && x.op === 6)[500]!;
        assert.deepEqual([framed.tag, framed.time], ['smbta-alert', crossing.time]);
        assert.match(got[0]!, /^<35>1 \S+ \S+ smbta-alert \d+ alert /, 'auth.err: a high alert');
        if (format === 'rfc5424')
          assert.match(
            got[0]!,
            / \[smbta@32473 rule="mass-rename" severity="high" measure="operations" value="501" above="500" overMs="60000" user="mallory" client="10\.0\.0\.66" path="q3\/report500\.docx" path2="q3\/report500\.docx\.locked"\] \S+ ALERT high mass-rename/,
          );
        else
          assert.match(
            got[0]!,
            / - CEF:0\|smbta\|smbta-alert\|[\d.]+\|mass-rename\|mass-rename\|8\|rt=\d+ act=alert suser=mallory src=10\.0\.0\.66 fname=q3\/report500\.docx cnt=501 cs1Label=rule cs1=mass-rename /,
          );
      } finally {
        server.close();
      }
    }
  }));

test('smbta-alert -w -: the records pass on with the alerts as blocks; smbta-filter keeps them, smbta-rotate archives them, smbta-top shows them', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/attack.smbta`, encodeRecords(attackRecords(), 100));
    const r = await runBin('smbta-alert', ['-r', `${dir}/attack.smbta`, '--builtin', 'mass-rename,ransom-note', '-w', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ALERT high mass-rename user=mallory/, 'the lines for people go to stderr when stdout is the stream');
    const passed = decodeAll(r.stdout);
    assert.deepEqual(passed.records, decodeAll(encodeRecords(attackRecords(), 100)).records, 'every record passes on, unchanged');
    const alertsOf = (d: Decoded): unknown[][] => d.side.filter((s) => s.kind === BlockKind.Alert).map((s) => [s.body.rule, s.body.time, s.body.group]);
    const crossing = attackRecords().filter((x) => x.user === 'mallory' && x.op === 6)[500]!;
    assert.deepEqual(alertsOf(passed), [
      ['mass-rename', new Date(crossing.time).toISOString(), { user: 'mallory' }],
      ['ransom-note', alertsOf(passed)[1]![1], { user: 'mallory' }],
    ]);
    const block = passed.side.find((s) => s.kind === BlockKind.Alert)!;
    assert.equal(Number(block.raw.readBigInt64LE(16)), crossing.time, 'an alert block is dated at its record time');

    const filtered = await runBin('smbta-filter', ['user=mallory'], { input: r.stdout });
    assert.deepEqual(alertsOf(decodeAll(filtered.stdout)), alertsOf(passed), 'smbta-filter passes alert blocks through');
    const rotated = await runBin('smbta-rotate', ['-M', 'time', '1h', '-w', `${dir}/a/%Y%m%d-%H.smbta`], { input: r.stdout });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal(readdirSync(`${dir}/a`).length, 1, 'one file for the hour of the attack; the info blocks (written now) go with its records');
    const top = await runBin('smbta-top', ['--once', '-R', `${dir}/a`], { env: { COLUMNS: '120', LINES: '40' } });
    assert.equal(top.code, 0, top.stderr);
    assert.match(
      top.stdout.toString(),
      /^ALERTS \(2, latest last\)\n.*ALERT high mass-rename user=mallory: 501 operations in 1m .*\n.*ALERT critical ransom-note user=mallory/m,
    );
    // Readers that do not know the kind (csv here) read the records and nothing else.
    const csv = await runBin('smbta-csv', ['-R', `${dir}/a`, '-N', '3']);
    assert.deepEqual([csv.code, csv.stderr], [0, '']);

    const both = await runBin('smbta-alert', ['-r', `${dir}/attack.smbta`, '--builtin', 'all', '--json', '-w', '-']);
    assert.deepEqual([both.code, both.stderr.split('\n')[0]], [2, 'smbta-alert: --json and -w - both write to stdout: give -w a file or FIFO']);
  }));

test('smbta-alert --alerts-only -P: a mux joins its alert blocks with the records it reads, as deploy.md runs them', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/attack.smbta`, encodeRecords(attackRecords(), 100));
    // The receiver's stand-in waits for three readers: smbta-alert, the hub, and this test (once the hub reads smbta-alert).
    const recv = startProc('smbta-mux', ['-r', `${dir}/attack.smbta`, '-P', '0', '--wait-readers', '3']);
    const recvPort = (await recv.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]!;
    const alert = startProc('smbta-alert', ['-S', `127.0.0.1:${recvPort}`, '--builtin', 'mass-rename', '--alerts-only', '-P', '0']);
    const alertPort = (await alert.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]!;
    const hub = startProc('smbta-mux', ['-S', `127.0.0.1:${alertPort}`, '-S', `127.0.0.1:${recvPort}`, '-P', '0', '-w', `${dir}/hub.smbta`]);
    await alert.waitFor(/127\.0\.0\.1:\d+ connected/);
    const me = connect(Number(recvPort), '127.0.0.1');
    try {
      await waitUntil('the alert', () => /ALERT high mass-rename user=mallory/.test(alert.stdout().toString()));
      // -w writes under .NAME.PID.tmp until the hub stops.
      const growing = `${dir}/.hub.smbta.${hub.proc.pid}.tmp`;
      await waitUntil('the hub has every record', () => existsSync(growing) && decodeAll(readFileSync(growing)).records.length === 2002);
    } finally {
      me.destroy();
    }
    for (const p of [alert, hub, recv]) await p.stop();
    const joined = decodeAll(readFileSync(`${dir}/hub.smbta`));
    assert.deepEqual(
      joined.side.filter((s) => s.kind === BlockKind.Alert).map((s) => s.body.rule),
      ['mass-rename'],
    );
    assert.equal(joined.records.length, 2002, 'the records once: smbta-alert passed none of them on');
  }));

test('smbta-alert --state: the unusual-download baseline outlives a restart', () =>
  withTmpDir(async (dir) => {
    const read = (day: number, bytes: number): SmbRecord => {
      const time = Date.UTC(2026, 10, 20 + day, 12);
      return { ...emptyRecord(), time, end: time, op: opId('pread'), user: 'mallory', share: 'finance', path: 'ledger.db', bytes };
    };
    writeFileSync(`${dir}/usual.smbta`, encodeRecords(Array.from({ length: 10 }, (_, d) => read(d, 200 << 20))));
    writeFileSync(`${dir}/big.smbta`, encodeRecords([read(10, 1536 << 20)]));
    const run = (file: string, state: string[]): Promise<RunResult> =>
      runBin('smbta-alert', ['-r', `${dir}/${file}`, '--builtin', 'unusual-download', ...state]);
    const learnt = await run('usual.smbta', ['--state', `${dir}/alert.state`]);
    assert.deepEqual([learnt.code, learnt.stdout.toString()], [0, '']);
    const state = JSON.parse(readFileSync(`${dir}/alert.state`, 'utf8')) as { clean: boolean; baselines: Record<string, unknown> };
    assert.deepEqual([state.clean, Object.keys(state.baselines)], [true, ['unusual-download']]);
    const forgot = await run('big.smbta', []);
    assert.equal(forgot.stdout.toString(), '', 'without --state a restart is learning again');
    const remembered = await run('big.smbta', ['--state', `${dir}/alert.state`]);
    assert.match(remembered.stderr, /alert\.state: 1 baselines restored/);
    assert.equal(remembered.stdout.toString(), '2026-11-30T12:00:00Z ALERT medium unusual-download user=mallory: 1.5 GiB in 1d (above 1.0 GiB); ledger.db\n');
  }));
