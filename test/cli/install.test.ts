/**
 * The package as an administrator installs it: `npm pack`, then `npm install -g` of the
 * tarball into a temporary prefix. Every smbta-* program is on that PATH with a working
 * --help and --version, and the man pages are installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/run-bin.js';
import { toolMissing } from '../helpers/tools.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; man: string[] };

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, `npm ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('npm pack, then npm install -g into a prefix: every program answers --help and --version; man pages installed', { timeout: 600_000 }, () =>
  withTmpDir(async (dir) => {
    // --ignore-scripts: `prepare` would rebuild dist/ under the tests running beside this one.
    const tarball = npm(['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], ROOT).trim().split('\n').at(-1)!;
    npm(['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', join(dir, 'prefix'), join(dir, tarball)], dir);
    const PATH = `${join(dir, 'prefix', 'bin')}:${process.env.PATH}`;
    for (const name of Object.keys(pkg.bin)) {
      const help = spawnSync(name, ['--help'], { encoding: 'utf8', env: { ...process.env, PATH } });
      assert.equal(help.status, 0, `${name} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^${name === 'smbtaquery' ? 'smbta-query' : name}: `, 'm'), name);
      const version = spawnSync(name, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH } });
      assert.equal(version.stdout.trim(), pkg.version, name);
    }
    for (const page of pkg.man) assert.ok(existsSync(join(dir, 'prefix', 'share', 'man', 'man1', page.split('/').at(-1)!)), page);
    // The completions, where the README says they are, work as it says to enable them.
    const root = npm(['root', '-g', '--prefix', join(dir, 'prefix')], dir).trim();
    const complete = spawnSync(
      'bash',
      ['-c', `source ${root}/smbta/completions/smbta.bash && COMP_WORDS=(smbta-db '') COMP_CWORD=1 && _smbta_complete && echo "\${COMPREPLY[*]}"`],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH },
      },
    );
    assert.equal(complete.stdout.trim(), 'init load expire', complete.stderr);
    // smbta-probe's dissector script travels with the package, where the installed probe looks for it.
    const fixture = join(ROOT, 'test', 'fixtures', 'smb2-session.pcapng');
    if (!toolMissing('tshark')) {
      const probe = spawnSync('smbta-probe', ['-r', fixture, '--smb-port', '44500', '-w', join(dir, 'wire.smbta')], {
        encoding: 'utf8',
        env: { ...process.env, PATH },
      });
      assert.equal(probe.status, 0, probe.stderr);
      assert.match(probe.stderr, /90 SMB2 PDUs, 28 records/);
    } else assert.ok(existsSync(join(dir, 'prefix', 'lib', 'node_modules', 'smbta', 'src', 'probe', 'smb2-pdus.lua')));
  }),
);
