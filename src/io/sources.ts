/**
 * Every reader's input: files, directories, stdin and live servers, decoded into batches.
 * Files are read one after another; live servers and JetStream streams run side by side and
 * reconnect with backoff. Damage in one source is reported and never stops the others.
 */
import type { ReadOptions, RecordHandlers } from './consume.js';
import { readJetStream } from './jetstream.js';
import { readLive } from './live.js';
import type { SourceSpec } from './source-spec.js';
import { readStored } from './stored.js';

export async function readSources(specs: readonly SourceSpec[], on: RecordHandlers, opts: ReadOptions): Promise<void> {
  const stored = specs.filter((s) => s.kind === 'file' || s.kind === 'dir');
  await Promise.all([
    readStored(stored, on, opts),
    ...specs.map((s) => (s.kind === 'tcp' || s.kind === 'unix' ? readLive(s, on, opts) : s.kind === 'nats' ? readJetStream(s, on, opts) : undefined)),
  ]);
}
