/** What programs load as they start: costs found by measuring, kept off by these tests. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/run-bin.js';

test("loading the PostgreSQL store leaves Node's fetch unloaded (pg's Cloudflare probe would load it: ~45 ms a start) and no navigator behind", () => {
  const script = `await import(${JSON.stringify(`${ROOT}dist/src/store/postgres.js`)});
    console.log(JSON.stringify({ fetch: process.moduleLoadList.some((m) => m.includes('undici')), navigator: typeof navigator }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { fetch: false, navigator: 'undefined' });
});

test('string-width (50-70 ms to load) is loaded only when text other than printable ASCII is measured', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smbta-start-'));
  try {
    const hook = join(dir, 'hook.mjs');
    writeFileSync(hook, 'export async function load(url, context, next) { process.stderr.write(`load ${url}\\n`); return next(url, context); }\n');
    const loads = (program: string, ...args: string[]): string =>
      spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', hook, `${ROOT}bin/${program}.js`, ...args], { encoding: 'utf8' }).stderr;
    for (const program of ['smbta-query', 'smbta-cat', 'smbta-report']) {
      const loaded = loads(program, '--version');
      assert.match(loaded, /commands/, program); // the hook saw the program's modules
      assert.doesNotMatch(loaded, /string-width/, program);
    }
    const script = `const { displayWidth } = await import(${JSON.stringify(`${ROOT}dist/src/format/width.js`)});
      const ascii = displayWidth('budget.xlsx'); const before = Object.keys(require.cache).some((k) => k.includes('string-width'));
      console.log(JSON.stringify([ascii, before, displayWidth('予算.xlsx')]));`;
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${script}`],
      {
        encoding: 'utf8',
      },
    );
    assert.deepEqual(JSON.parse(out), [11, false, 9]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
