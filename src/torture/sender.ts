/**
 * One emulated Samba server: a connection that sends a seeded, realistic mix of operations
 * in the wire protocol, at a rate or as fast as the receiver takes them, and keeps a
 * ledger of exactly what it sent.
 */
import { connect, type Socket } from 'node:net';
import type { SmbRecord } from '../record/fields.js';
import type { SourceSpec } from '../io/sources.js';
import { createTraffic } from '../synth/traffic.js';
import { createWireTimestamp, encodeV1Message, encodeV2Message } from '../wire/encode.js';
import { addToLedger, createLedger, type Ledger } from './ledger.js';
import type { Recorder } from './recording.js';

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

/** Sends; resolves with the ledger and how long the sending itself took (pool building excluded). */
/** Sends; resolves with the ledger and how long the sending itself took (pool building excluded). */
function encodeFor(o: SenderOptions, r: SmbRecord, stamp: (ms: number) => string): Buffer {
  return o.protocol === 'v1' ? encodeV1Message(r, stamp) : encodeV2Message(r, stamp, { key: o.key, common: o.common });
}

/**
 * At a given rate, records are made as they are sent and stamped with the time they are
 * sent, as a real server's would be (at full speed a pre-built pool is replayed instead).
 */
async function runPaced(o: SenderOptions, traffic: { next(): SmbRecord }, stamp: (ms: number) => string): Promise<{ ledger: Ledger; ms: number }> {
  const ledger = createLedger();
  const socket = await openConnection(o.dest);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  const start = Date.now();
  let sent = 0;
  try {
    while (sent < o.count && Date.now() < o.deadline && !o.signal.aborted && !socket.destroyed) {
      const due = Math.min(o.count, Math.floor(((Date.now() - start) / 1000) * o.rate)) - sent;
      if (due <= 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const parts: Buffer[] = [];
      for (let k = 0; k < Math.min(due, BATCH); ) {
        const r = fit(traffic.next(), o);
        if (!r) continue;
        r.time = r.end = Date.now();
        parts.push(encodeFor(o, r, stamp));
        addToLedger(ledger, r);
        k++;
      }
      const data = Buffer.concat(parts);
      o.recorder?.frame(o.index, data);
      sent += parts.length;
      if (!socket.write(data)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    }
  } finally {
    socket.end();
    await closed;
  }
  return { ledger, ms: Date.now() - start };
}

export async function runSender(o: SenderOptions): Promise<{ ledger: Ledger; ms: number }> {
  const traffic = createTraffic({ seed: o.seed * 1000 + o.index, users: o.users, shares: o.shares, files: o.files, start: Date.now() });
  const stamp = createWireTimestamp();
  if (o.rate > 0) return runPaced(o, traffic, stamp);
  // The pool, cut into chunks of BATCH messages, each written with one call and tallied once.
  const records: SmbRecord[] = [];
  const messages: Buffer[] = [];
  while (records.length < Math.min(POOL, o.count)) {
    const r = fit(traffic.next(), o);
    if (!r) continue;
    records.push(r);
    messages.push(encodeFor(o, r, stamp));
  }
  const chunks: { data: Buffer; first: number; n: number }[] = [];
  for (let first = 0; first < records.length; first += BATCH) {
    const n = Math.min(BATCH, records.length - first);
    chunks.push({ data: Buffer.concat(messages.slice(first, first + n)), first, n });
  }
  const timesSent = new Float64Array(records.length);
  const socket = await openConnection(o.dest);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  const start = Date.now();
  let sent = 0;
  let c = 0;
  try {
    while (sent < o.count && Date.now() < o.deadline && !o.signal.aborted && !socket.destroyed) {
      let allowed = o.count - sent;
      if (o.rate > 0) {
        allowed = Math.min(allowed, Math.floor(((Date.now() - start) / 1000) * o.rate) - sent);
        if (allowed <= 0) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
      }
      const chunk = chunks[c]!;
      let data = chunk.data;
      let n = chunk.n;
      if (n > allowed) {
        n = allowed;
        data = Buffer.concat(messages.slice(chunk.first, chunk.first + n));
      }
      for (let k = chunk.first; k < chunk.first + n; k++) timesSent[k]!++;
      c = n === chunk.n ? (c + 1) % chunks.length : c;
      o.recorder?.frame(o.index, data);
      sent += n;
      if (!socket.write(data)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    }
  } finally {
    socket.end();
    await closed;
  }
  if (sent < o.count && Date.now() < o.deadline && !o.signal.aborted) {
    throw new Error(`the receiver closed connection ${o.index + 1} after ${sent} of ${o.count} records`);
  }
  const ledger = createLedger();
  records.forEach((r, k) => timesSent[k] && addToLedger(ledger, r, timesSent[k]));
  return { ledger, ms: Date.now() - start };
}
