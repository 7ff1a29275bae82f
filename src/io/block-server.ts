/**
 * Serves a stream of whole blocks to any number of TCP clients. Each client has a bounded
 * queue: a client that cannot keep up never slows the source or the others; when its
 * queue overflows it loses the oldest blocks, and before the next block it is sent a gap
 * block saying how many records it lost, so the loss is never silent. Serving stored data
 * (`paced`), nothing is lost: the writer waits (ready()) while any client's queue is full,
 * until `stop` (a program told to stop does not wait for a reader that stopped reading).
 * With a certificate it speaks TLS; with a token, a client reads only after sending it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createAdmission } from './admission.js';
import type { LinkSecurity } from './link-security.js';
import { BlockKind, frameBlock, readHeader, type BlockNumber } from '../stream/format.js';
import type { ByteSink } from './byte-sink.js';

/** Bytes handed to a client's socket at a time; the rest waits in its queue. */
const SOCKET_HIGH_WATER = 1 << 20;

interface Client {
  socket: Socket;
  /** Blocks waiting; those before `head` are sent and cleared, so the memory goes at once. */
  queue: (Buffer | undefined)[];
  head: number;
  queued: number;
  lostRecords: number;
  lostBlocks: number;
  /** The numbering of the first block lost since the last gap block, when numbered. */
  lostFrom: BlockNumber | undefined;
}

export interface BlockServer extends ByteSink {
  readonly clients: number;
  /** Records all clients together lost to their bounds. */
  readonly lostRecords: number;
  listen(port: number, host: string): Promise<number>;
  /** Resolves once `n` clients are connected. */
  waitForClients(n: number): Promise<void>;
}

function recordsIn(block: Buffer): number {
  return block[5] === BlockKind.Records ? block.readUInt32LE(12) : 0;
}

/** A numbered block's run and first record number (the gap block that replaces it says them). */
function numberOf(block: Buffer): BlockNumber | undefined {
  const h = readHeader(block, 0, block.length);
  return typeof h === 'object' && h.run !== undefined ? { run: Buffer.from(h.run, 'hex'), seq: h.seq! } : undefined;
}

/** How long a stopping server waits for its readers to take what was queued for them. */
const CLOSE_GRACE_MS = 2000;

/** Gap blocks kept for readers that connect later: how many, and for how long. */
const RECENT_GAPS = 64;
const RECENT_GAP_MS = 300_000;

export function createBlockServer(opts: {
  maxClientBuffer: number;
  paced?: boolean;
  stop?: AbortSignal;
  onClient?: (message: string) => void;
  security?: LinkSecurity;
}): BlockServer {
  const clients = new Set<Client>();
  /**
   * The latest gap blocks (losses this stream's writer found upstream): a reader that was away
   * when one was written (a restart of this server's program is such a moment) still hears of
   * it. Readers know a loss they have seen by its run and number, and count it once.
   */
  const recentGaps: { at: number; block: Buffer }[] = [];
  const joined: (() => void)[] = [];
  let first: Buffer | undefined;
  let lostRecords = 0;
  /** Writers waiting (paced) for every client's queue to be within its bound. */
  const waiting: (() => void)[] = [];
  const pacing = (): boolean => !!opts.paced && !opts.stop?.aborted;
  const roomForAll = (): boolean => [...clients].every((c) => c.queued <= opts.maxClientBuffer);
  const wake = (): void => {
    if (waiting.length && (!pacing() || roomForAll())) waiting.splice(0).forEach((f) => f());
  };
  opts.stop?.addEventListener('abort', wake, { once: true });

  const pump = (c: Client): void => {
    while (c.head < c.queue.length && c.socket.writableLength < SOCKET_HIGH_WATER && !c.socket.destroyed) {
      if (c.lostBlocks) {
        const now = Date.now();
        const body = Buffer.from(JSON.stringify({ records: c.lostRecords, blocks: c.lostBlocks, reason: 'client too slow' }));
        c.socket.write(frameBlock(BlockKind.Gap, body, 0, now, now, c.lostFrom));
        c.lostRecords = c.lostBlocks = 0;
        c.lostFrom = undefined;
      }
      const b = c.queue[c.head] ?? Buffer.alloc(0);
      c.queue[c.head++] = undefined;
      c.queued -= b.length;
      c.socket.write(b);
    }
    if (c.head > 1024 && c.head * 2 > c.queue.length) {
      c.queue = c.queue.slice(c.head);
      c.head = 0;
    }
    wake();
  };

  const who = (socket: Socket): string => (socket.remoteAddress ? `reader ${socket.remoteAddress}:${socket.remotePort}` : 'a reader');

  const accept = (socket: Socket): void => {
    const c: Client = { socket, queue: [], head: 0, queued: 0, lostRecords: 0, lostBlocks: 0, lostFrom: undefined };
    clients.add(c);
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    socket.on('close', () => {
      clients.delete(c);
      wake();
    });
    socket.on('drain', () => pump(c));
    // Readers never send; anything they do send is ignored.
    socket.resume();
    // Every client starts with the stream's info block, for provenance, and the recent losses.
    if (first) socket.write(first);
    const since = Date.now() - RECENT_GAP_MS;
    for (const g of recentGaps) if (g.at >= since) socket.write(g.block);
    opts.onClient?.(`${who(socket)} connected`);
    joined.splice(0).forEach((f) => f());
  };

  // TLS and tokens are checked before a reader joins (admission.ts); the server itself is plain TCP.
  const server: Server = createServer(createAdmission({ security: opts.security ?? {}, admit: accept, onClient: opts.onClient }));

  const send = (block: Buffer): void => {
    if (first === undefined && block[5] === BlockKind.Info) first = Buffer.from(block);
    if (block[5] === BlockKind.Gap) {
      recentGaps.push({ at: Date.now(), block: Buffer.from(block) });
      if (recentGaps.length > RECENT_GAPS) recentGaps.shift();
    }
    for (const c of clients) {
      c.queue.push(block);
      c.queued += block.length;
      // Over the bound: the oldest waiting blocks go, and the client is told (paced: the writer waits instead).
      while (!pacing() && c.queued > opts.maxClientBuffer && c.head < c.queue.length - 1) {
        const old = c.queue[c.head] ?? Buffer.alloc(0);
        c.queue[c.head++] = undefined;
        c.queued -= old.length;
        const n = recordsIn(old);
        if (n && !c.lostFrom) c.lostFrom = numberOf(old);
        c.lostRecords += n;
        c.lostBlocks++;
        lostRecords += n;
      }
      pump(c);
    }
  };

  return {
    get clients() {
      return clients.size;
    },
    get lostRecords() {
      return lostRecords;
    },
    waitForClients: (n) =>
      new Promise<void>((resolve) => {
        const check = (): void => (clients.size >= n ? resolve() : void joined.push(check));
        check();
      }),
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as { port: number }).port));
      }),
    write: (data) => send(Buffer.isBuffer(data) ? data : Buffer.from(data)),
    writeAndWait: async (data) => send(Buffer.isBuffer(data) ? data : Buffer.from(data)),
    ready: () => (pacing() && !roomForAll() ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve()),
    backlog: () => 0,
    close: () =>
      new Promise<void>((resolve) => {
        // Closing hands every client what is still queued for it.
        for (const c of clients) {
          for (; c.head < c.queue.length; c.head++) {
            const b = c.queue[c.head];
            if (b) c.socket.write(b);
          }
          c.socket.end();
        }
        // A program told to stop gives readers a moment to take the rest, not for ever (one may have stopped reading).
        const cut = (): void => void setTimeout(() => clients.forEach((c) => c.socket.destroy()), CLOSE_GRACE_MS).unref();
        if (opts.stop?.aborted) cut();
        else opts.stop?.addEventListener('abort', cut, { once: true });
        server.close(() => resolve());
      }),
  };
}
