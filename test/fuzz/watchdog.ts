/**
 * Runs one fuzzing property in a worker thread, watched: the worker's heap is capped, so
 * memory growth ends it with an answer instead of taking the machine; and a run that makes
 * no progress for `stallMs` (a hang: fast-check counts every run, shrinking included) is
 * stopped. Either way the answer names the seed and the run, which replay it.
 */
import { Worker } from 'node:worker_threads';

export interface RunOptions {
  numRuns: number;
  seed: number;
}

/** A module of properties: each runs fc.assert with the options it is given. */
export type FuzzProperties = Record<string, (opts: RunOptions) => void>;

export interface WatchOptions extends RunOptions {
  /** Longest time one run may take before it counts as a hang. */
  stallMs: number;
  /** The worker's heap bound. */
  heapMb: number;
}

/** Resolves to undefined when the property held, or to what went wrong. */
export function runWatched(module: URL, name: string, w: WatchOptions): Promise<string | undefined> {
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./property-worker.js', import.meta.url), {
    workerData: { module: module.href, name, numRuns: w.numRuns, seed: w.seed, progress },
    resourceLimits: { maxOldGenerationSizeMb: w.heapMb },
    stderr: true,
  });
  const replay = `replay: SMBTA_FUZZ_SEED=${w.seed}`;
  return new Promise((resolve) => {
    let answer: string | undefined;
    let seen = -1;
    const watch = setInterval(() => {
      const now = Atomics.load(progress, 0);
      if (now !== seen) return void (seen = now);
      answer = `hang: run ${now} made no progress in ${w.stallMs} ms (${replay})`;
      void worker.terminate();
    }, w.stallMs);
    worker.on('message', (m: { failure?: string }) => (answer = m.failure && `${m.failure}\n(${replay})`));
    worker.on('error', (err: NodeJS.ErrnoException) => {
      answer =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `memory: the heap passed ${w.heapMb} MiB at run ${Atomics.load(progress, 0)} (${replay})`
          : `${err.stack ?? String(err)}\n(${replay})`;
    });
    worker.on('exit', () => {
      clearInterval(watch);
      resolve(answer);
    });
  });
}
