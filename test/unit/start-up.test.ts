import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../helpers/run-bin.js';

test("loading the PostgreSQL store leaves Node's fetch unloaded (pg's Cloudflare probe would load it: ~45 ms a start) and no navigator behind", () => {
  const script = `await import(${JSON.stringify(`${ROOT}dist/src/store/postgres.js`)});
    console.log(JSON.stringify({ fetch: process.moduleLoadList.some((m) => m.includes('undici')), navigator: typeof navigator }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { fetch: false, navigator: 'undefined' });
});
