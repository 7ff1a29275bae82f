/** Files, archives and stdin, read one after another; one that cannot be read is reported and skipped. */
import { createReadStream, fstatSync, readFileSync } from 'node:fs';
import { listArchive, regularFileSize } from './archive.js';
import { consume, describeIoError, type ReadOptions, type RecordHandlers } from './consume.js';
import type { SourceSpec } from './source-spec.js';

/** The reason a reader stops because it has what it needs (-N), rather than because it was told to stop. */
export const ENOUGH = 'enough';

/**
 * After a stop (SIGINT, SIGTERM), stdin is still read this long: in a pipeline the whole
 * group got the signal, and what the programs before this one write out as they stop must
 * not be lost here. A second signal stops at once.
 */
const STDIN_DRAIN_MS = 5000;

export async function readStored(specs: readonly SourceSpec[], on: RecordHandlers, opts: ReadOptions): Promise<void> {
  for (const spec of specs) {
    const files = spec.kind === 'dir' ? await listArchive(spec.path, opts.report) : [(spec as { path: string }).path];
    for (const path of files) {
      if (opts.signal.aborted) return;
      const label = path === '-' ? 'stdin' : path;
      const input = path === '-' ? openStdin() : openFile(path);
      try {
        await consume(label, input, on, path === '-' ? { ...opts, signal: drained(opts.signal, STDIN_DRAIN_MS) } : opts);
      } catch (err) {
        opts.report.fail(`${label}: ${describeIoError(err)}`);
      }
    }
  }
}

/** A signal that follows `stop`: at once when the stop is ENOUGH, `graceMs` later otherwise. */
function drained(stop: AbortSignal, graceMs: number): AbortSignal {
  const c = new AbortController();
  const follow = (): void => {
    if (stop.reason === ENOUGH) c.abort();
    else setTimeout(() => c.abort(), graceMs).unref();
  };
  if (stop.aborted) follow();
  else stop.addEventListener('abort', follow, { once: true });
  return c.signal;
}

/**
 * A file's bytes: a small regular file in one blocking read (an archive's thousands of small
 * files would cost several thread-pool round trips each), any other in reads of 4 MiB.
 */
function openFile(path: string): AsyncIterable<Buffer> {
  if ((regularFileSize(path) ?? Infinity) <= SMALL_FILE)
    return (async function* () {
      yield readFileSync(path);
    })();
  return createReadStream(path, { highWaterMark: 4 << 20 });
}

const SMALL_FILE = 1 << 20;

/**
 * Stdin redirected from a file is read in large chunks straight from fd 0 (process.stdin
 * reads 64 KiB at a time). Pipes may be non-blocking, so they stay with process.stdin.
 */
function openStdin(): AsyncIterable<Buffer> {
  if (!fstatSync(0).isFile()) return process.stdin;
  return createReadStream('', { fd: 0, highWaterMark: 4 << 20, autoClose: false });
}
