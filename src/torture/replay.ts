/** `smbta-torture --replay`: sends a recording again, per connection, at its pace times --speed. */
import type { SourceSpec } from '../io/source-spec.js';
import { WireConnection } from '../wire/connection.js';
import { createLocalTimeConverter } from '../wire/local-time.js';
import { addToLedger, createLedger, type Ledger } from './ledger.js';
import { readRecording } from './recording.js';
import { openConnection } from './sender.js';
import { UsageError } from '../language/errors.js';

/**
 * Replays `path` to `dest`; the ledger is what the recorded bytes decode to, worked out
 * before anything is sent: a recording it cannot read (encrypted, and no key) is refused
 * rather than sent with a ledger that says nothing was.
 */
export async function replay(path: string, dest: SourceSpec, speed: number, key: Buffer | undefined, signal: AbortSignal): Promise<Ledger> {
  const frames = readRecording(path);
  const ledger = createLedger();
  const unread = new Map<string, number>();
  const decoder = new WireConnection(
    { maxBody: 1 << 30, maxLine: 1 << 30 },
    createLocalTimeConverter(),
    {
      record: (r) => addToLedger(ledger, r),
      // A drop count a module sent is no record: the ledger has nothing to add.
      dropped: () => undefined,
      reject: (reason) => void unread.set(reason, (unread.get(reason) ?? 0) + 1),
      notice: () => undefined,
    },
    key,
  );
  for (const f of frames) decoder.push(f.data);
  if (unread.size) {
    const why = [...unread].map(([reason, n]) => `${n} ${reason}`).join(', ');
    throw new UsageError(
      `--replay ${path}: messages the ledger cannot read (${why})${unread.has('encrypted, no key') ? '; give the -k KEYFILE it was recorded with' : ''}`,
    );
  }
  const conns = Math.max(0, ...frames.map((f) => f.conn + 1));
  const sockets = await Promise.all(Array.from({ length: conns }, () => openConnection(dest)));
  const start = Date.now();
  for (const f of frames) {
    if (signal.aborted) break;
    const due = speed > 0 ? start + f.us / 1000 / speed : 0;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const s = sockets[f.conn]!;
    if (!s.write(f.data)) await new Promise((r) => s.once('drain', r));
  }
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.end(() => r()))));
  return ledger;
}
