/**
 * One emulated Samba server: a connection that sends a seeded, realistic mix of operations
 * in the wire protocol, at a rate or as fast as the receiver takes them, and keeps a
 * ledger of exactly what it sent.
 */
import { connect, type Socket } from 'node:net';
import type { SmbRecord } from '../record/fields.js';
import type { SourceSpec } from '../io/source-spec.js';
import { createTraffic } from '../synth/traffic.js';
import { encodeV1Message, encodeV2Message } from '../wire/encode.js';
import { addToLedger, createLedger, type ConnectionTally, type Ledger } from './ledger.js';
import type { Recorder } from './recording.js';
import { createLocalFormatter } from '../format/time.js';

export interface SenderOptions {
  dest: SourceSpec;
  index: number;
  seed: number;
  users: number;
  shares: number;
  files: number;
  protocol: 'v1' | 'v2';
  common: 6 | 7;
  key?: Buffer;
  /** Records to send; Infinity with a deadline. */
  count: number;
  /** Stop at this time (ms since the epoch). */
  deadline: number;
  /** Records per second for this connection; 0 as fast as possible. */
  rate: number;
  /** Connect again when the receiver goes away. */
  reconnect: boolean;
  recorder?: Recorder;
  signal: AbortSignal;
}

/** Distinct records per connection; beyond it the same messages are sent again (cheap at full speed). */
const POOL = 20_000;
/** Messages per write. */
const BATCH = 256;

export function openConnection(dest: SourceSpec): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = dest.kind === 'unix' ? connect({ path: dest.path }) : connect({ host: (dest as { host: string }).host, port: (dest as { port: number }).port });
    s.setNoDelay(true);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** Shapes a generated record into what this protocol can carry, as the receiver will see it. */
function fit(r: SmbRecord, o: SenderOptions): SmbRecord | undefined {
  if (o.protocol === 'v1') {
    if (r.op > 3) return undefined;
    return { ...r, op: r.op < 2 ? 0 : 2, sid: '', share: '', client: '', mode: 0 };
  }
  return o.common === 6 ? { ...r, client: '' } : r;
}

function encodeFor(o: SenderOptions, r: SmbRecord, stamp: (ms: number) => string): Buffer {
  return o.protocol === 'v1' ? encodeV1Message(r, stamp) : encodeV2Message(r, stamp, { key: o.key, common: o.common });
}

/** What one write sends: bytes of whole messages, and how many. */
interface Chunk {
  data: Buffer;
  n: number;
}

interface Progress {
  start: number;
  sent: number;
  connections: ConnectionTally[];
}

/**
 * The connection's send loop: `next(allowed)` gives the next chunk of at most `allowed`
 * messages; the loop keeps the rate and the deadline, and waits when the receiver pushes back.
 * Returns how long sending took; throws when the receiver went away before the end, unless
 * it may reconnect (then it tries every 250 ms until the deadline).
 */
async function sendLoop(o: SenderOptions, next: (allowed: number) => Chunk): Promise<{ ms: number; connections: ConnectionTally[] }> {
  const p: Progress = { start: NaN, sent: 0, connections: [] };
  const more = (): boolean => p.sent < o.count && Date.now() < o.deadline && !o.signal.aborted;
  for (;;) {
    const socket = await openConnection(o.dest).catch((err: unknown) => {
      if (!o.reconnect || !p.connections.length) throw err;
    });
    // The clock starts at the first connection, as the other senders' pools are built by then.
    if (Number.isNaN(p.start)) p.start = Date.now();
    if (socket) await sendOn(socket, o, p, next, more);
    if (!more()) break;
    // A receiver stopped in the same moment as we are (`kill $(jobs -p)`) may close first:
    // give our own stop a moment to arrive before calling the close a failure.
    if (!o.reconnect) await new Promise((r) => setTimeout(r, 500));
    if (!more()) break;
    if (!o.reconnect) throw new Error(`the receiver closed connection ${o.index + 1} after ${p.sent} of ${o.count} records`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ms: Date.now() - p.start, connections: p.connections };
}

/** Sends on one connection while `more()` and the receiver stays; tallies what was written on it. */
async function sendOn(socket: Socket, o: SenderOptions, p: Progress, next: (allowed: number) => Chunk, more: () => boolean): Promise<void> {
  const tally: ConnectionTally = { local: `${socket.localAddress ?? ''}:${socket.localPort ?? ''}`, records: 0, broken: false };
  p.connections.push(tally);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  try {
    while (more() && !socket.destroyed) {
      const allowed = o.rate > 0 ? Math.min(o.count, Math.floor(((Date.now() - p.start) / 1000) * o.rate)) - p.sent : o.count - p.sent;
      if (allowed <= 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const { data, n } = next(Math.min(allowed, BATCH));
      o.recorder?.frame(o.index, data);
      p.sent += n;
      tally.records += n;
      if (!socket.write(data)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    }
  } finally {
    socket.end();
    await closed;
  }
  // Left with more to send: the receiver went away.
  tally.broken = more();
}

/** Sends; resolves with the ledger, how long the sending itself took (pool building excluded) and the connections made. */
export async function runSender(o: SenderOptions): Promise<{ ledger: Ledger; ms: number; connections: ConnectionTally[] }> {
  const traffic = createTraffic({ seed: o.seed * 1000 + o.index, users: o.users, shares: o.shares, files: o.files, start: Date.now() });
  const stamp = createLocalFormatter();
  const ledger = createLedger();
  if (o.rate > 0) {
    // At a rate, records are made as they are sent and stamped with the time they are sent,
    // as a real server's would be.
    const { ms, connections } = await sendLoop(o, (allowed) => {
      const parts: Buffer[] = [];
      while (parts.length < allowed) {
        const r = fit(traffic.next(), o);
        if (!r) continue;
        r.time = r.end = Date.now();
        parts.push(encodeFor(o, r, stamp));
        addToLedger(ledger, r);
      }
      return { data: Buffer.concat(parts), n: parts.length };
    });
    return { ledger, ms, connections };
  }
  // At full speed a pool is built first, cut into chunks of BATCH messages, and sent round
  // and round; each chunk is written with one call and tallied once at the end.
  const records: SmbRecord[] = [];
  const messages: Buffer[] = [];
  while (records.length < Math.min(POOL, o.count)) {
    const r = fit(traffic.next(), o);
    if (!r) continue;
    records.push(r);
    messages.push(encodeFor(o, r, stamp));
  }
  const chunks: (Chunk & { first: number })[] = [];
  for (let first = 0; first < records.length; first += BATCH) {
    const n = Math.min(BATCH, records.length - first);
    chunks.push({ data: Buffer.concat(messages.slice(first, first + n)), first, n });
  }
  const timesSent = new Float64Array(records.length);
  let c = 0;
  const { ms, connections } = await sendLoop(o, (allowed) => {
    const chunk = chunks[c]!;
    const n = Math.min(chunk.n, allowed);
    for (let k = chunk.first; k < chunk.first + n; k++) timesSent[k]!++;
    if (n === chunk.n) {
      c = (c + 1) % chunks.length;
      return chunk;
    }
    return { data: Buffer.concat(messages.slice(chunk.first, chunk.first + n)), n };
  });
  records.forEach((r, k) => timesSent[k] && addToLedger(ledger, r, timesSent[k]));
  return { ledger, ms, connections };
}
