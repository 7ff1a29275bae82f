/** The worker side of watchdog.ts: runs one property, counting every run in shared memory. */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import type { FuzzProperties } from './watchdog.js';

// `node --test dist/test/` loads every file; outside a worker this one has nothing to do.
if (!isMainThread) {
  const { module, name, numRuns, seed, progress } = workerData as { module: string; name: string; numRuns: number; seed: number; progress: Int32Array };
  fc.configureGlobal({ beforeEach: () => void Atomics.add(progress, 0, 1) });
  const props = ((await import(module)) as { PROPS: FuzzProperties }).PROPS;
  try {
    props[name]!({ numRuns, seed });
    parentPort!.postMessage({});
  } catch (err) {
    parentPort!.postMessage({ failure: (err as Error).message });
  }
}
