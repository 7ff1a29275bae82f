/** The fuzzing watchdog catches each way a property can go wrong, and names the seed and run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWatched } from './watchdog.js';

const module = new URL('./misbehaving-properties.js', import.meta.url);
const watch = { numRuns: 100, seed: 7, stallMs: 1000, heapMb: 64 };

test('a property that holds gives no answer', async () => {
  assert.equal(await runWatched(module, 'holds', watch), undefined);
});

test("a failing property gives fast-check's counterexample and the seed", async () => {
  const answer = await runWatched(module, 'fails', watch);
  assert.match(answer ?? '', /Counterexample: \[1000\]/);
  assert.match(answer ?? '', /SMBTA_FUZZ_SEED=7/);
});

test('a run that never returns is stopped and named', async () => {
  assert.equal(await runWatched(module, 'hangs', watch), 'hang: run 5 made no progress in 1000 ms (replay: SMBTA_FUZZ_SEED=7)');
});

test('memory growth ends at the heap bound, not with the machine', async () => {
  assert.match((await runWatched(module, 'grows', watch)) ?? '', /^memory: the heap passed 64 MiB at run \d+ \(replay: SMBTA_FUZZ_SEED=7\)$/);
});
