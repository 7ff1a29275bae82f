/**
 * Fuzzing of every parser that meets outside input (the properties are in
 * parser-properties.ts), each in a watched worker: a crash, a hang or memory growth fails
 * the test with the seed that replays it. `npm test` runs a short bounded pass; `npm run
 * fuzz` sets SMBTA_FUZZ_RUNS for a long one, and SMBTA_FUZZ_SEED replays a failure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROPS } from './parser-properties.js';
import { runWatched } from './watchdog.js';

const numRuns = Number(process.env.SMBTA_FUZZ_RUNS ?? 150);
const seed = Number(process.env.SMBTA_FUZZ_SEED ?? Date.now() % 2 ** 31);
const module = new URL('./parser-properties.js', import.meta.url);

for (const name of Object.keys(PROPS)) {
  test(name, async () => {
    assert.equal(await runWatched(module, name, { numRuns, seed, stallMs: 10_000, heapMb: 256 }), undefined);
  });
}
