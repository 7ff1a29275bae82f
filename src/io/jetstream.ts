/**
 * NATS JetStream as a durable, replicated transport of the stream (docs/scale.md).
 * A writer publishes each block as one message (a block larger than the server's payload
 * limit as several), whose id is the block's run and first record number, so JetStream's
 * duplicate window drops a resend. A reader decodes messages as one stream, counts what
 * never reached JetStream by each subject's numbering, and with --durable acknowledges a
 * message only once what it carried is written where the program keeps it.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions, Consumer, JsMsg, MsgHdrs, NatsConnection } from 'nats';
import { UsageError } from '../language/errors.js';
import { readHeader, MAGIC } from '../stream/format.js';
import { SequenceTracker, type Loss, type Position } from '../stream/sequence.js';
import type { ByteSink } from './byte-sink.js';
import { consume, describeIoError, type Numbering, type ReadOptions, type RecordHandlers } from './consume.js';
import { isLoopback, type NatsAuth } from './link-security.js';
import type { Reporter } from './report.js';
import { readSecretFile } from './secrets.js';

const NATS_DEFAULT_PORT = 4222;
/** The NATS client, loaded only by a program given a nats:// link: every other start-up stays as quick as it was. */
type NatsLib = typeof import('nats');
const natsLib = (): Promise<NatsLib> => import('nats');
/** The stream a writer makes when no stream takes its subject yet: every subject under smbta. */
const DEFAULT_STREAM = 'SMBTA';
const DEFAULT_SUBJECTS = 'smbta.>';
/** Bytes a writer holds unpublished before a producer is told to wait (backpressure). */
const HIGH_WATER = 8 << 20;
/** How long a closing writer waits for JetStream to take what it holds before counting it lost. */
const CLOSE_WAIT_MS = 15_000;
/** Messages a durable consumer may have delivered and not acknowledged. */
const MAX_ACK_PENDING = 4096;
/** How long JetStream waits for an acknowledgment before delivering again (skipped here: in order, it was seen). */
const ACK_WAIT_NS = 120e9;

export interface NatsSpec {
  kind: 'nats';
  servers: string[];
  tls: boolean;
  user?: string;
  pass?: string;
  /** A writer's subject, or a reader's stream. */
  target: string;
  /** A reader's subject filter (default: every subject of the stream). */
  filter?: string;
  /** Replicas of the stream a writer makes when none takes its subject. */
  replicas?: number;
}

export const isNatsUrl = (text: string): boolean => /^(nats|tls):\/\//.test(text) && text.includes('/', text.indexOf('//') + 2);

/**
 * `nats://[USER:PASS@]HOST[:PORT][,HOST[:PORT]...]/SUBJECT[?replicas=N]` for a writer,
 * `.../STREAM[/SUBJECT]` for a reader; `tls://` for TLS.
 */
export function parseNatsUrl(text: string, role: 'write' | 'read', option: string): NatsSpec {
  const m = /^(nats|tls):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)\/([^?]*)(?:\?(.*))?$/.exec(text);
  const bad = (why: string): never => {
    throw new UsageError(`${option} ${text}: ${why}`);
  };
  if (!m) return bad(role === 'write' ? 'expected nats://HOST:PORT/SUBJECT' : 'expected nats://HOST:PORT/STREAM or nats://HOST:PORT/STREAM/SUBJECT');
  const servers = m[4]!.split(',').map((h) => {
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
    const port = Number(hp?.[2] ?? NATS_DEFAULT_PORT);
    if (!hp || !(port >= 1 && port <= 65535)) bad(`${h} is not HOST or HOST:PORT`);
    return `${hp![1]}:${port}`;
  });
  const path = decodeURIComponent(m[5]!);
  const spec: NatsSpec = {
    kind: 'nats',
    servers,
    tls: m[1] === 'tls',
    user: m[2] ? decodeURIComponent(m[2]) : undefined,
    pass: m[3] ? decodeURIComponent(m[3]) : undefined,
    target: path,
  };
  if (role === 'write') {
    if (!/^[^\s*>/]+$/.test(path) || path.split('.').some((t) => !t)) bad('the subject must be dot-separated words without wildcards (smbta.fs1)');
    for (const [k, v] of new URLSearchParams(m[6] ?? '')) {
      if (k !== 'replicas' || !/^[1-5]$/.test(v)) bad(`unknown setting ${k}=${v} (replicas=1 to 5)`);
      spec.replicas = Number(v);
    }
  } else {
    const [stream, filter, ...rest] = path.split('/');
    if (!stream || !/^[A-Za-z0-9_-]+$/.test(stream) || rest.length || filter === '') bad('expected /STREAM or /STREAM/SUBJECT after the servers');
    if (m[6]) bad('a reader takes no settings after ?');
    spec.target = stream!;
    spec.filter = filter;
  }
  return spec;
}

/** How a link is named in messages and kept in --state: without its password. */
export function natsLabel(s: NatsSpec): string {
  return `${s.tls ? 'tls' : 'nats'}://${s.servers.join(',')}/${s.target}${s.filter ? `/${s.filter}` : ''}`;
}

/** The serving rules of the rest of smbta: beyond loopback a link is encrypted or told --insecure. */
export function checkNatsLink(s: NatsSpec, auth: NatsAuth, option: string): void {
  if (s.tls || auth.insecure || s.servers.every((h) => isLoopback(h.slice(0, h.lastIndexOf(':'))))) return;
  throw new UsageError(`${option} ${natsLabel(s)}: beyond loopback a NATS link needs TLS (tls://...) or --insecure`);
}

export function loadNatsAuth(a: { 'nats-creds'?: string; 'nats-ca'?: string; insecure?: boolean }): NatsAuth {
  return {
    creds: a['nats-creds'] === undefined ? undefined : readSecretFile(a['nats-creds'], '--nats-creds'),
    ca: a['nats-ca'] === undefined ? undefined : readSecretFile(a['nats-ca'], '--nats-ca'),
    insecure: a.insecure,
  };
}

function connectionOptions(lib: NatsLib, s: NatsSpec, auth: NatsAuth, name: string): ConnectionOptions {
  const o: ConnectionOptions = { servers: s.servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, user: s.user, pass: s.pass };
  const creds = auth.creds?.toString().trim();
  if (creds?.includes('BEGIN NATS USER JWT')) o.authenticator = lib.credsAuthenticator(auth.creds!);
  else if (creds?.startsWith('SU')) o.authenticator = lib.nkeyAuthenticator(new TextEncoder().encode(creds));
  else if (creds) o.token = creds;
  if (s.tls || auth.ca) o.tls = auth.ca ? { ca: auth.ca.toString() } : {};
  return o;
}

/**
 * Runs `work` until it succeeds or `stop` says to give up (then undefined), waiting 250 ms
 * doubled up to 5 s between tries; each new reason it fails for is said once, and, when
 * there is a `recovered` to say, that it works again.
 */
async function retrying<T>(
  work: () => Promise<T>,
  r: { report: Reporter; stop: () => boolean; failed: (why: string) => string; recovered?: string },
): Promise<T | undefined> {
  let said = '';
  for (let delay = 250; !r.stop(); delay = Math.min(delay * 2, 5000)) {
    try {
      const out = await work();
      if (said && r.recovered) r.report.warn(r.recovered);
      return out;
    } catch (err) {
      const why = describeNatsError(err);
      if (why !== said) r.report.warn(r.failed(why));
      said = why;
      await sleep(delay);
    }
  }
  return undefined;
}

async function connectWithRetry(s: NatsSpec, auth: NatsAuth, name: string, report: Reporter, stop: () => boolean): Promise<NatsConnection | undefined> {
  const lib = await natsLib();
  const label = natsLabel(s);
  return retrying(() => lib.connect(connectionOptions(lib, s, auth, name)), {
    report,
    stop,
    failed: (why) => `${label}: ${why}; trying again`,
    recovered: `${label}: connected`,
  });
}

/** Bytes (a message's payload, what a writer hands over) as a Buffer, not copied (each message has its own). */
const view = (d: Uint8Array): Buffer => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

/** Whole blocks out of bytes written in any pieces (StreamWriter hands over whole blocks; a block split across writes is joined). */
class BlockSplitter {
  private held: Buffer = Buffer.alloc(0);
  push(data: Uint8Array): Buffer[] {
    // A view of what is written (the sink copies each whole block once).
    this.held = this.held.length ? Buffer.concat([this.held, data]) : view(data);
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const h = this.held.length - at >= 8 && this.held.subarray(at, at + 4).equals(MAGIC) ? readHeader(this.held, at, this.held.length - at) : undefined;
      if (!h || typeof h === 'string') break;
      const end = at + h.headerLength + h.payloadLength;
      if (end > this.held.length) break;
      out.push(this.held.subarray(at, end));
      at = end;
    }
    this.held = this.held.subarray(at);
    return out;
  }
}

/** A block larger than the server's payload limit goes as parts, each saying which of how many it is. */
const PART = 'Smbta-Part';

function partHeader(lib: NatsLib, i: number, n: number): MsgHdrs {
  const h = lib.headers();
  h.set(PART, `${i}/${n}`);
  return h;
}

/**
 * Blocks out of messages: a whole one as it is, parts joined per subject (other writers'
 * messages may come between them). A part out of turn is damage, said, and its block dropped.
 */
class PartJoiner {
  private readonly pending = new Map<string, { first: number; parts: Buffer[] }>();
  constructor(private readonly damage: (message: string) => void) {}

  /** The block this message completes, if any, with the sequence of its first message. */
  take(m: JsMsg): { block: Buffer; first: number } | undefined {
    const part = m.headers?.get(PART);
    if (!part) return { block: view(m.data), first: m.seq };
    const [i, n] = part.split('/').map(Number) as [number, number];
    const held = this.pending.get(m.subject);
    if (i === 0) {
      if (held) this.damage(`${m.subject}: a block in parts was cut off at part ${held.parts.length} (messages from ${held.first})`);
      this.pending.set(m.subject, { first: m.seq, parts: [view(m.data)] });
    } else if (held?.parts.length === i) {
      held.parts.push(view(m.data));
    } else {
      this.damage(`${m.subject}: part ${i} of ${n} at message ${m.seq} without the parts before it; dropped`);
      this.pending.delete(m.subject);
      return undefined;
    }
    const got = this.pending.get(m.subject)!;
    if (got.parts.length < n) return undefined;
    this.pending.delete(m.subject);
    return { block: Buffer.concat(got.parts), first: got.first };
  }

  /** The first message of a block still in parts: a restart must read from there. */
  earliest(): number {
    return Math.min(...[...this.pending.values()].map((p) => p.first));
  }
}

/** A block's message id: its run and first record's number, or (an unnumbered status, gap or info block) its digest. */
function messageId(block: Buffer): string {
  const h = readHeader(block, 0, block.length);
  if (typeof h !== 'string' && h.run !== undefined && h.kind === 1) return `${h.run}:${h.seq}`;
  return createHash('sha256').update(block).digest('hex').slice(0, 32);
}

/**
 * `-w nats://...`: publishes blocks in order, one at a time, each until JetStream has it
 * (resent with the same id across failovers and reconnections); what JetStream never took
 * by the time the writer closes is counted and said.
 */
export function createJetStreamSink(s: NatsSpec, auth: NatsAuth, report: Reporter, program: string): ByteSink {
  const label = natsLabel(s);
  const splitter = new BlockSplitter();
  const queue: Buffer[] = [];
  let queued = 0;
  let closing = false;
  let giveUp = false;
  let wake: (() => void) | undefined;
  let roomWaiters: (() => void)[] = [];
  const room = (): void => {
    if (queued >= HIGH_WATER) return;
    for (const w of roomWaiters) w();
    roomWaiters = [];
  };
  const pump = (async () => {
    let nc: NatsConnection | undefined;
    try {
      const lib = await natsLib();
      nc = await connectWithRetry(s, auth, program, report, () => giveUp);
      if (!nc) return;
      const js = nc.jetstream();
      await findOrMakeStream(nc, s, report, () => giveUp);
      const limit = Math.max(1024, nc.info!.max_payload - 1024);
      while (!giveUp) {
        const block = queue[0];
        if (!block) {
          if (closing) break;
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const id = messageId(block);
        const parts = Math.ceil(block.length / limit);
        for (let i = 0; i < parts && !giveUp; i++) {
          const part = block.subarray(i * limit, (i + 1) * limit);
          const o = parts > 1 ? { msgID: `${id}.${i}`, headers: partHeader(lib, i, parts) } : { msgID: id };
          // Until JetStream has it (a duplicate counts: it has the block already).
          await retrying(() => js.publish(s.target, part, { ...o, timeout: 5000 }), {
            report,
            stop: () => giveUp,
            failed: (why) => `${label}: JetStream did not take a block (${why}); trying again`,
            recovered: `${label}: publishing again`,
          });
        }
        if (giveUp) break;
        queue.shift();
        queued -= block.length;
        room();
      }
    } finally {
      await nc?.drain().catch(() => undefined);
    }
  })();
  pump.catch((err) => report.fail(`${label}: ${describeIoError(err)}`));
  return {
    write(data) {
      for (const b of splitter.push(typeof data === 'string' ? Buffer.from(data) : data)) {
        // Its own copy: a writer may reuse its buffer once write returns.
        queue.push(Buffer.from(b));
        queued += b.length;
      }
      wake?.();
    },
    async writeAndWait(data) {
      this.write(data);
      await this.ready();
    },
    ready: () => (queued < HIGH_WATER ? Promise.resolve() : new Promise((r) => roomWaiters.push(r))),
    backlog: () => queued,
    async close() {
      closing = true;
      wake?.();
      const timer = setTimeout(() => (giveUp = true), CLOSE_WAIT_MS);
      await pump.catch(() => undefined);
      clearTimeout(timer);
      if (queue.length) {
        const records = queue.reduce((n, b) => n + (b.readUInt8(5) === 1 ? b.readUInt32LE(12) : 0), 0);
        report.fail(`${label}: JetStream did not take the last ${queue.length} blocks (${records} records) within ${CLOSE_WAIT_MS / 1000}s: lost`);
      }
      room();
    },
  };
}

function describeNatsError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === '503') return 'no JetStream stream takes this subject, or no server of the stream is up';
  if (e.message === 'stream not found') return 'no such stream (yet: a writer makes SMBTA when it first publishes under smbta.)';
  return describeIoError(err);
}

/** The stream that takes the writer's subject; made (SMBTA, every smbta.> subject) when none does. */
async function findOrMakeStream(nc: NatsConnection, s: NatsSpec, report: Reporter, stop: () => boolean): Promise<void> {
  const label = natsLabel(s);
  const find = async (): Promise<void> => {
    const jsm = await nc.jetstreamManager();
    if (await jsm.streams.find(s.target).catch(() => undefined)) return;
    if (!s.target.startsWith('smbta.'))
      throw new Error(`no JetStream stream takes subject ${s.target}; make one, or publish under smbta. (a writer makes ${DEFAULT_STREAM} for smbta.>)`);
    await jsm.streams.add({ name: DEFAULT_STREAM, subjects: [DEFAULT_SUBJECTS], num_replicas: s.replicas ?? 1 });
    report.warn(`${label}: made JetStream stream ${DEFAULT_STREAM} (subjects ${DEFAULT_SUBJECTS}, ${s.replicas ?? 1} replicas)`);
  };
  await retrying(find, { report, stop, failed: (why) => `${label}: ${why}; trying again` });
}

/**
 * Counting per subject: each subject is one writer's stream (smbta.<server>), numbered on its
 * own; a block's position is the JetStream sequence of the message that completed it, which
 * is what --state and the database keep for this source.
 */
class SubjectNumbering implements Numbering {
  private readonly trackers = new Map<string, SequenceTracker>();
  subject = '';
  seq = 0;
  constructor(private readonly stream: string) {}
  private get tracker(): SequenceTracker {
    let t = this.trackers.get(this.subject);
    if (!t) this.trackers.set(this.subject, (t = new SequenceTracker(undefined)));
    return t;
  }
  get lastEnd(): number | undefined {
    return this.tracker.lastEnd;
  }
  set lastEnd(t: number | undefined) {
    this.tracker.lastEnd = t;
  }
  /** The first message of the block just read: read again from there when it is kept only in part. */
  first = 0;
  /** The first message of a block still waiting for parts. */
  waiting = Infinity;
  get position(): Position {
    return { run: `jetstream:${this.stream}`, next: Math.min(this.seq + 1, this.waiting), redo: this.first };
  }
  block(run: string, seq: number, count: number): Loss | 'restarted' | undefined {
    return this.tracker.block(run, seq, count);
  }
  gap(run: string, seq: number, records: number): Loss | undefined {
    return this.tracker.gap(run, seq, records);
  }
}

/**
 * `-S nats://.../STREAM[/SUBJECT]`: reads the stream's messages in stream order. Each
 * connection places the consumer at the first message not yet handed on (after a restart:
 * the first the program's --state or database does not hold, else the durable consumer's
 * acknowledged floor), so a reconnection or failover neither skips nor repeats a message.
 * A durable consumer's message is acknowledged once the program said what it carried is
 * kept (its commits) or, in a program without commits, once it was handed on.
 */
export async function readJetStream(s: NatsSpec, on: RecordHandlers, opts: ReadOptions): Promise<void> {
  const label = natsLabel(s);
  const durable = opts.nats?.durable;
  const stopped = (): boolean => opts.signal.aborted;
  const numbering = new SubjectNumbering(s.target);
  const joiner = new PartJoiner((m) => opts.report.fail(`${label}: ${m}`));
  let said = '';
  let delay = 250;
  // The last message handed on; undefined: ask the durable consumer (or start at the stream's first).
  let seen = opts.resume?.get(label) ? opts.resume.get(label)!.next - 1 : undefined;
  let unacked: JsMsg[] = [];
  const ackThrough = (seq: number): void => {
    let last: JsMsg | undefined;
    while (unacked.length && unacked[0]!.seq <= seq) last = unacked.shift();
    last?.ack();
  };
  const stopListening = opts.commits?.listen((covered) => {
    const p = covered.get(label);
    if (p) ackThrough(p.next - 1);
  });
  try {
    while (!stopped()) {
      const nc = await connectWithRetry(s, opts.nats?.auth ?? {}, 'smbta reader', opts.report, stopped);
      if (!nc) return;
      let messages: { stop(): void } | undefined;
      const end = (): void => messages?.stop();
      // A stop also ends a request still waiting (placing the consumer while the cluster elects a leader).
      const abort = (): void => (end(), void nc.close().catch(() => undefined));
      opts.signal.addEventListener('abort', abort, { once: true });
      // A broken link may have taken delivered messages with it: the consumer is placed again after the last one handed on.
      const { Events } = await natsLib();
      void (async () => {
        for await (const st of nc.status()) if (st.type === Events.Reconnect) end();
      })().catch(() => undefined);
      try {
        const consumer = await placeConsumer(nc, s, durable, seen === undefined ? undefined : seen + 1);
        const iter = await consumer.consume({ max_messages: 64 });
        messages = iter;
        unacked = [];
        const chunks = async function* (): AsyncGenerator<Buffer> {
          for await (const m of iter) {
            if (said) opts.report.warn(`${label}: reading`);
            said = '';
            delay = 250;
            // Everything before this message was handed on: a program without commits acknowledges it now.
            if (durable && !opts.commits && unacked.length) ackThrough(unacked[unacked.length - 1]!.seq);
            // Redelivered (an acknowledgment not yet due): it was handed on already.
            if (seen !== undefined && m.seq <= seen) continue;
            seen = m.seq;
            if (durable) unacked.push(m);
            const got = joiner.take(m);
            if (!got) continue;
            numbering.subject = m.subject;
            numbering.seq = m.seq;
            numbering.first = got.first;
            numbering.waiting = joiner.earliest();
            yield got.block;
          }
        };
        await consume(label, chunks(), on, opts, numbering);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        const why = describeNatsError(err);
        // Said once while it lasts: a reader started before its stream is made waits quietly.
        if (!stopped() && why !== said) opts.report.warn(`${label}: ${why}; trying again`);
        said = why;
      } finally {
        opts.signal.removeEventListener('abort', abort);
        await nc.close().catch(() => undefined);
      }
      if (!stopped()) await sleep(delay, undefined, { signal: opts.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, 5000);
    }
  } finally {
    stopListening?.();
  }
}

/**
 * The consumer to read from, delivering from `start` in stream order: an ordered one, or the
 * durable one placed anew there (from its acknowledged floor when `start` is not known).
 */
async function placeConsumer(nc: NatsConnection, s: NatsSpec, durable: string | undefined, start: number | undefined): Promise<Consumer> {
  const { AckPolicy, DeliverPolicy } = await natsLib();
  const js = nc.jetstream();
  // (The ordered consumer takes its start as opt_start_seq alone; it never starts when given deliver_policy all.)
  if (!durable) return js.consumers.get(s.target, { ...(s.filter ? { filterSubjects: s.filter } : {}), ...(start ? { opt_start_seq: start } : {}) });
  const jsm = await nc.jetstreamManager();
  const have = await jsm.consumers.info(s.target, durable).catch(() => undefined);
  if (have && (have.config.filter_subject ?? '') !== (s.filter ?? '')) {
    throw new UsageError(
      `--durable ${durable}: that consumer reads ${have.config.filter_subject || 'every subject'}, not ${s.filter ?? 'every subject'}; give another name`,
    );
  }
  // Where it was placed last, if nothing was acknowledged since.
  const floor = Math.max((have?.ack_floor.stream_seq ?? 0) + 1, have?.config.opt_start_seq ?? 1);
  if (have) await jsm.consumers.delete(s.target, durable);
  await jsm.consumers.add(s.target, {
    durable_name: durable,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start ?? floor,
    filter_subject: s.filter,
    max_ack_pending: MAX_ACK_PENDING,
    ack_wait: ACK_WAIT_NS,
  });
  return js.consumers.get(s.target, durable);
}
