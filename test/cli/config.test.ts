import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

test('-c FILE: a site file with a section per program; the command line wins', () =>
  withTmpDir(async (dir) => {
    writeFileSync(
      `${dir}/smbta.ini`,
      [
        '# one file for the whole site',
        '[smbta-recv]',
        'port = 0',
        'serve = 0            ; readers',
        'anonymize = user',
        'anonymize-total = anon',
        '',
        '[smbta-db]',
        `db = ${dir}/site.db`,
        'batch-records = 5',
        '',
        '[smbta-mux]',
        'remote = 127.0.0.1:1 127.0.0.1:2',
      ].join('\n'),
    );
    const recv = startProc('smbta-recv', ['-c', `${dir}/smbta.ini`]);
    await recv.waitFor(/listening on 127\.0\.0\.1:\d+; serving readers on 127\.0\.0\.1:\d+/);
    assert.equal(await recv.stop(), 0);
    const fromFile = await runBin('smbta-db', ['init', '-c', `${dir}/smbta.ini`]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stderr, new RegExp(`schema ready in sqlite at ${dir}/site.db`));
    const cliWins = await runBin('smbta-db', ['init', '-c', `${dir}/smbta.ini`, '--db', `${dir}/cli.db`]);
    assert.equal(cliWins.code, 0, cliWins.stderr);
    assert.match(cliWins.stderr, new RegExp(`schema ready in sqlite at ${dir}/cli.db`));
  }));

test('-c FILE: unknown keys and sections, bad values and stray lines are errors at file:line:col with a caret', () =>
  withTmpDir(async (dir) => {
    const cases: [string, RegExp][] = [
      ['[smbta-recv]\nportt = 3490\n', /smbta\.ini:2:1: unknown key 'portt' for smbta-recv; did you mean 'port'\?\n {2}portt = 3490\n {2}\^\^\^\^\^\n/],
      ['[smbta-recv]\nport = 3490\n[smbta-rotate]\nkeep = 30d\nkep = 1\n', /smbta\.ini:5:1: unknown key 'kep' for smbta-rotate/],
      ['[smbta-revc]\nport = 1\n', /smbta\.ini:1:1: unknown section \[smbta-revc\]/],
      ['port = 1\n', /smbta\.ini:1:1: 'port' is outside any \[program\] section/],
      ['[smbta-recv]\nport = ninety\n', /smbta\.ini:2:8: port = ninety: expected a TCP port, 0-65535/],
      ['[smbta-db]\nbatch-records = 0\n', /smbta\.ini:2:17: batch-records = 0: expected a whole number of at least 1\n {2}batch-records = 0\n {18}\^\n/],
      ['[smbta-rotate]\nlate = soon\n', /smbta\.ini:2:8: late = soon: expected a duration \(0 or more\) such as 250ms, 10s/],
      ['[smbta-recv]\nport 3490\n', /smbta\.ini:2:1: expected 'key = value' or '\[section\]'/],
      ['[smbta-recv]\nport = 1\nport = 2\n', /smbta\.ini:3:1: 'port' is set twice in \[smbta-recv\]/],
    ];
    for (const [text, error] of cases) {
      writeFileSync(`${dir}/smbta.ini`, text);
      const r = await runBin('smbta-recv', ['-c', `${dir}/smbta.ini`]);
      assert.equal(r.code, 2, text);
      assert.match(r.stderr, error, text);
    }
    const missing = await runBin('smbta-recv', ['-c', `${dir}/nope.ini`]);
    assert.match(missing.stderr, /-c .*nope\.ini: no such file/);
  }));

test('SIGHUP re-reads -c FILE: safe settings apply at once, others are named as needing a restart, a broken file changes nothing', () =>
  withTmpDir(async (dir) => {
    const file = `${dir}/smbta.ini`;
    writeFileSync(file, '[smbta-recv]\nport = 0\nmax-connections = 5\n');
    const recv = startProc('smbta-recv', ['-c', file]);
    const port = Number((await recv.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    writeFileSync(file, '[smbta-recv]\nport = 1\nmax-connections = 1\n');
    recv.proc.kill('SIGHUP');
    await recv.waitFor(/SIGHUP: .*smbta\.ini re-read; applied max-connections; port changed but needs a restart/);
    const sockets = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
    // One slot now: the second connection takes it from the first, which delivered nothing.
    await recv.waitFor(/disconnected: every slot \(--max-connections\) taken: closed to make room, as it had delivered no record/);
    sockets.forEach((s) => s.on('error', () => undefined).destroy());
    writeFileSync(file, '[smbta-recv]\nmax-conections = 9\n');
    recv.proc.kill('SIGHUP');
    await recv.waitFor(
      /SIGHUP: .*smbta\.ini not applied \(.*smbta\.ini:2:1: unknown key 'max-conections' for smbta-recv; did you mean 'max-connections'\?\); the running settings stay/,
    );
    assert.equal(await recv.stop(), 0, recv.stderr());
  }));
