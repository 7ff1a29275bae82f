import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generatedFiles } from '../../scripts/generate.js';
import { PROGRAMS } from '../../src/commands/index.js';
import { ROOT, runBin } from '../helpers/run-bin.js';

test('completions and program pages are what `npm run gen` makes from the option table', () => {
  for (const [path, text] of generatedFiles(PROGRAMS)) {
    assert.ok(existsSync(ROOT + path), `${path} missing: run npm run gen`);
    assert.equal(readFileSync(ROOT + path, 'utf8'), text, `${path} is stale: run npm run gen`);
  }
});

test('package.json maps every program to a launcher that runs it', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin: Record<string, string> };
  // smbtaquery: smbta-query under the old name webSMBTA and scripts call.
  assert.deepEqual(Object.keys(pkg.bin).sort(), [...PROGRAMS.map((p) => p.name), 'smbtaquery'].sort());
  assert.equal(pkg.bin.smbtaquery, pkg.bin['smbta-query']);
  for (const p of PROGRAMS) assert.ok(readFileSync(ROOT + pkg.bin[p.name]!, 'utf8').includes(`commands/${p.name.replace('smbta-', '')}.js`));
});

test('every program answers --help with every option it takes, and --version', async () => {
  const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
  for (const p of PROGRAMS) {
    const help = await runBin(p.name, ['--help']);
    assert.equal(help.code, 0);
    for (const name of Object.keys(p.options)) assert.ok(help.stdout.toString().includes(`--${name}`), `${p.name} --help lacks --${name}`);
    assert.ok(help.stdout.toString().includes('Examples:'));
    const v = await runBin(p.name, ['--version']);
    assert.equal(v.stdout.toString().trim(), version);
  }
});

function bashComplete(line: string): string[] {
  const words = line.split(' ');
  const script = `source ${ROOT}completions/smbta.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _smbta_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('the bash completion completes options, field lists and filter words', () => {
  assert.deepEqual(bashComplete('smbta-filter --ch'), ['--check']);
  assert.deepEqual(bashComplete('smbta-cat -s time,us'), ['time,user']);
  assert.deepEqual(bashComplete('smbta-cat -s -si'), ['-sid']);
  assert.deepEqual(bashComplete('smbta-csv --he'), ['--header', '--help']);
  assert.deepEqual(bashComplete('smbta-json sha'), ['share=']);
  assert.ok(bashComplete('smbta-cat -r test/fixtures/ev').includes('test/fixtures/every-op.smbta'));
});

test('the bash completion completes the words after the options: actions, questions, filters (and no field that is not one)', () => {
  assert.deepEqual(bashComplete('smbta-db '), ['init', 'load', 'expire']);
  assert.deepEqual(bashComplete('smbta-db load us'), ['user=']);
  assert.deepEqual(bashComplete('smbta-query t'), ['top', 'total', 'throughput']);
  assert.deepEqual(bashComplete('smbta-query -n 5 top '), ['users', 'shares', 'files', 'domains']);
  assert.deepEqual(bashComplete('smbta-json al'), [], 'all is a -s word, not a field to filter on');
  assert.deepEqual(bashComplete('smbta-cat -s al'), ['all']);
  assert.deepEqual(bashComplete('smbta-recv '), [], 'a program without trailing words offers none');
});

test('the zsh and fish completions offer the same actions, questions and filter words', () => {
  const zsh = readFileSync(`${ROOT}completions/_smbta`, 'utf8');
  assert.match(zsh, /'1:action:\(init load expire\)'/);
  assert.match(zsh, /'1:question:\(top total list last-activity usage 24h-usage search throughput report self-check\)'/);
  assert.doesNotMatch(zsh, / all=/);
  const fish = readFileSync(`${ROOT}completions/smbta.fish`, 'utf8');
  assert.match(fish, /complete -c smbta-db -n __fish_use_subcommand -f -a 'init load expire'/);
  assert.match(fish, /complete -c smbta-query -n '__fish_seen_subcommand_from top' -f -a 'users shares files domains'/);
  assert.doesNotMatch(fish, / all=/);
});
