/**
 * smbta-recv's engine: listens for Samba's traffic-analyzer module on TCP and/or a Unix
 * socket, decodes every connection on its own (one bad sender never hurts the others),
 * and writes records to one stream. It never blocks a sender: when the output cannot
 * keep up beyond a bound, records are dropped and counted instead.
 */
import { unlinkSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { visible } from '../format/text.js';
import { createLocalFormatter } from '../format/time.js';
import { describeIoError } from '../io/consume.js';
import type { Reporter } from '../io/report.js';
import { replaceNul, type SmbRecord } from '../record/fields.js';
import { BlockKind } from '../stream/format.js';
import type { StreamWriter } from '../stream/writer.js';
import { WireConnection } from '../wire/connection.js';
import type { LocalTimeConverter } from '../wire/local-time.js';

export interface ReceiverLimits {
  maxBody: number;
  maxConnections: number;
  /** Close a connection silent for this long (0: never; the module never reconnects). */
  idleMs: number;
  /** Close a connection that stops in the middle of a message for this long. */
  stallMs: number;
  /** Most bytes of one unfinished message held per connection. */
  maxBuffer: number;
  /** Most output bytes waiting for a slow reader before records are dropped. */
  maxBacklog: number;
}

export interface ReceiverOptions {
  /** Sees every record written (for --metrics). */
  observe?: (r: SmbRecord) => void;
  tcp?: { host: string; port: number };
  unix?: string;
  key?: Buffer;
  toUtc: LocalTimeConverter;
  serverNames: ReadonlyMap<string, string>;
  anonymize: (r: SmbRecord) => void;
  limits: ReceiverLimits;
  writer: StreamWriter;
  report: Reporter;
  /** Keep per-connection counts for passedOnBySender (--state); without it nothing is kept per connection after it closes. */
  perSender?: boolean;
}

export interface ReceiverStats {
  connectionsOpen: number;
  connectionsTotal: number;
  records: number;
  bytesReceived: number;
  duplicates: number;
  rejected: Record<string, number>;
  dropped: Record<string, number>;
  disconnected: Record<string, number>;
  /** The protocol each file server was last heard speaking. */
  senders: Record<string, string>;
  /** Records kept with a NUL in a name replaced by U+FFFD. */
  repaired: number;
}

export class Receiver {
  readonly stats: ReceiverStats = {
    connectionsOpen: 0,
    connectionsTotal: 0,
    records: 0,
    bytesReceived: 0,
    duplicates: 0,
    rejected: {},
    dropped: {},
    disconnected: {},
    senders: {},
    repaired: 0,
  };
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  /** Records passed on per sender connection (for --state), until a commit after it closed. */
  private readonly passedOn = new Map<string, { n: number; closed: boolean }>();
  private refusedNoted = false;
  /** Open sender connections: what eviction looks at when every slot is taken. */
  private readonly live = new Map<
    Socket,
    { opened: number; midSince: number | undefined; records: () => number; close: (why: string, counter: string) => void }
  >();
  /** Set per chunk received: while the output is this far behind, records are dropped and counted. */
  private outputFull = false;
  /** Addresses actually listened on, for messages and tests. */
  readonly listening: string[] = [];

  constructor(private readonly opts: ReceiverOptions) {}

  /** New limits for every connection from now on (SIGHUP). */
  reconfigure(limits: ReceiverLimits): void {
    Object.assign(this.opts.limits, limits);
  }

  async start(): Promise<void> {
    const { tcp, unix } = this.opts;
    if (tcp) {
      const server = await this.serve((s) => s.listen(tcp.port, tcp.host), `${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}`);
      const a = server.address() as { address: string; port: number };
      this.listening.push(`${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`);
    }
    if (unix) {
      await removeStaleSocket(unix);
      await this.serve((s) => s.listen(unix), `unix:${unix}`);
      this.listening.push(`unix:${unix}`);
    }
  }

  /** A listener, listening: a failure to start is said once, with the address; later ones are reported. */
  private async serve(listen: (s: Server) => void, where: string): Promise<Server> {
    const server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`${where}: ${describeIoError(err)}`)));
      server.once('listening', () => resolve());
      listen(server);
    });
    server.on('error', (err) => this.opts.report.warn(`listener ${where}: ${err.message}`));
    this.servers.push(server);
    return server;
  }

  private count(table: Record<string, number>, key: string, n = 1): void {
    table[key] = (table[key] ?? 0) + n;
  }

  private accept(socket: Socket): void {
    const { limits, report } = this.opts;
    socket.on('error', () => undefined);
    if (this.stats.connectionsOpen >= limits.maxConnections && !this.evictOne()) {
      this.count(this.stats.disconnected, 'too many connections');
      if (!this.refusedNoted) report.warn(`refusing connections beyond ${limits.maxConnections} (--max-connections)`);
      this.refusedNoted = true;
      socket.destroy();
      return;
    }
    this.refusedNoted = false;
    this.stats.connectionsOpen++;
    this.stats.connectionsTotal++;
    this.sockets.add(socket);
    const address = socket.remoteAddress ? socket.remoteAddress.replace(/^::ffff:/, '') : '';
    const label = address ? `${address}:${socket.remotePort}` : `unix#${this.stats.connectionsTotal}`;
    const server = this.opts.serverNames.get(address) ?? (address || hostname());
    const rejectedHere = new Set<string>();
    const passed = { n: 0, closed: false };
    if (this.opts.perSender) this.passedOn.set(label, passed);
    const conn = new WireConnection(
      { maxBody: limits.maxBody, maxLine: Math.min(limits.maxBody, limits.maxBuffer) },
      this.opts.toUtc,
      {
        record: (r) => void (this.record(r, server) && passed.n++),
        dropped: (n, from, to) => {
          this.count(this.stats.dropped, 'by the sending module', n);
          report.warn(
            `${label}: the sending module dropped ${n} records from ${localTime(from)} to ${localTime(to)} (its queue was full while it could not send)`,
          );
        },
        reject: (reason, detail) => {
          this.count(this.stats.rejected, reason);
          if (!rejectedHere.has(reason)) report.warn(`${label}: record rejected: ${visible(detail)} (further ones from this connection are only counted)`);
          rejectedHere.add(reason);
        },
        notice: (message) => report.warn(`${label}: ${visible(message)}`),
      },
      this.opts.key,
    );

    let lastData = Date.now();
    const close = (reason: string, counter: string): void => {
      if (socket.destroyed) return;
      this.count(this.stats.disconnected, counter);
      report.warn(`${label}: disconnected: ${reason}`);
      socket.destroy();
    };
    // A message's time counts from its first byte, not its latest: a byte every few seconds does not keep a slot.
    const entry = { opened: Date.now(), midSince: undefined as number | undefined, records: () => passed.n, close };
    this.live.set(socket, entry);
    const timer = setInterval(
      () => {
        const now = Date.now();
        const quiet = now - lastData;
        if (entry.midSince !== undefined && now - entry.midSince > limits.stallMs)
          close(`a message took more than ${Math.round(limits.stallMs / 1000)}s (--stall-timeout)`, 'stalled');
        else if (limits.idleMs > 0 && quiet > limits.idleMs) close(`idle for ${Math.round(quiet / 1000)}s (--idle-timeout)`, 'idle');
      },
      Math.max(50, Math.min(limits.stallMs, limits.idleMs || Infinity) / 4),
    );
    timer.unref();

    socket.on('data', (chunk: Buffer) => {
      lastData = Date.now();
      this.stats.bytesReceived += chunk.length;
      this.outputFull = this.opts.writer.backlog() > limits.maxBacklog;
      if (!conn.push(chunk)) close(conn.fatal!, conn.fatal!.startsWith('garbage') ? 'garbage' : 'limit');
      else if (conn.buffered > limits.maxBuffer) close(`more than ${limits.maxBuffer} bytes of one message buffered (--max-buffer)`, 'limit');
      if (conn.protocol) this.stats.senders[server] = conn.protocol;
      entry.midSince = conn.midMessage ? (entry.midSince ?? lastData) : undefined;
    });
    socket.on('close', () => {
      clearInterval(timer);
      this.live.delete(socket);
      this.sockets.delete(socket);
      this.stats.connectionsOpen--;
      passed.closed = true;
      this.stats.duplicates += conn.duplicates;
      // A sender that closes halfway through a message loses that one message: count it.
      if (conn.midMessage) this.count(this.stats.rejected, 'incomplete at close');
    });
  }

  /**
   * Every slot is taken: makes room by closing a connection that has never delivered a
   * record (oldest first), else the one longest in the middle of a message. A sender that has
   * delivered records and is between messages is never evicted: Samba's module does not
   * reconnect. Returns whether a slot was freed.
   */
  private evictOne(): boolean {
    let victim: { socket: Socket; rank: number; since: number; close: (why: string, counter: string) => void } | undefined;
    for (const [socket, e] of this.live) {
      const rank = e.records() === 0 ? 0 : e.midSince !== undefined ? 1 : 2;
      const since = rank === 1 ? e.midSince! : e.opened;
      if (rank < 2 && (!victim || rank < victim.rank || (rank === victim.rank && since < victim.since))) victim = { socket, rank, since, close: e.close };
    }
    if (!victim) return false;
    // Out of the running at once: a burst of newcomers in one tick must each free a slot of its own.
    this.live.delete(victim.socket);
    victim.close(
      `every slot (--max-connections) taken: closed to make room, as it ${victim.rank === 0 ? 'had delivered no record' : 'was slowest in the middle of a message'}`,
      'evicted',
    );
    return true;
  }

  /** A record from another input (full_audit lines): the same limits, anonymisation and counting. */
  ingest(r: SmbRecord, server: string): void {
    this.outputFull = this.opts.writer.backlog() > this.opts.limits.maxBacklog;
    this.record(r, server);
  }

  /** Counts input that could not be read, under `reason` (shown with the rejected records). */
  reject(reason: string): void {
    this.count(this.stats.rejected, reason);
  }

  /** Passes a record on, or counts it dropped; true when passed on. */
  private record(r: SmbRecord, server: string): boolean {
    if (this.outputFull) {
      this.count(this.stats.dropped, 'output backlog');
      return false;
    }
    r.server = server;
    if (replaceNul(r)) this.stats.repaired++;
    this.opts.anonymize(r);
    this.stats.records++;
    this.opts.observe?.(r);
    this.opts.writer.add(r);
    return true;
  }

  /**
   * Records passed on per sender connection, all of them in the block about to leave (its
   * writer commits everything waiting): what --state keeps. A closed connection is listed
   * once more, then forgotten.
   */
  passedOnBySender(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [label, p] of this.passedOn) {
      out[label] = p.n;
      if (p.closed) this.passedOn.delete(label);
    }
    return out;
  }

  /** Writes a status block: health counters in the stream, so readers see loss too. */
  writeStatus(): void {
    const s = this.stats;
    this.opts.writer.writeSide(BlockKind.Status, {
      source: `smbta-recv@${hostname()}`,
      records: s.records,
      bytes: s.bytesReceived,
      connections: s.connectionsOpen,
      dropped: { ...s.rejected, ...s.dropped },
      senders: s.senders,
      repaired: s.repaired,
    });
  }

  /** Stops listening and closes every sender's connection; what was received is written. */
  async close(): Promise<void> {
    // server.close() waits for open connections, so end those first.
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of this.sockets) s.destroy();
    await closed;
    if (this.opts.unix && existsSync(this.opts.unix)) unlinkSync(this.opts.unix);
  }
}

/** The module's drop times, in local time as it sent them. */
const localTime = createLocalFormatter();

/** A socket file nobody listens on is left over from a crash: remove it; a live one is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect({ path });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${path}: another receiver is listening there`);
  unlinkSync(path);
}

/** One line for stderr: what the receiver has seen, and what went wrong. */
export function formatStats(s: ReceiverStats, perSecond: number): string {
  const list = (t: Record<string, number>): string =>
    Object.entries(t)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return (
    `${s.connectionsOpen} connections open (${s.connectionsTotal} total), ${s.records} records (${Math.round(perSecond)}/s), ` +
    `${(s.bytesReceived / 1048576).toFixed(1)} MiB received, ${s.duplicates} V1 duplicates; ` +
    `rejected: ${list(s.rejected)}; dropped: ${list(s.dropped)}; disconnected: ${list(s.disconnected)}` +
    (s.repaired ? `; NUL replaced in ${s.repaired} records` : '')
  );
}
