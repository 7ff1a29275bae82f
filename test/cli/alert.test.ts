import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { unframeSyslog } from '../../src/audit/syslog.js';
import { attackRecords } from '../helpers/example-home.js';
import { startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { encodeRecords } from '../helpers/stream.js';
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
      await waitUntil('the datagram', () => got.length === 1);
      server.close();
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
    }
  }));
