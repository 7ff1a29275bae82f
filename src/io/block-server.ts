/**
 * Serves a stream of whole blocks to any number of TCP clients. A client that cannot keep
 * up never slows the others: past its buffer limit it misses blocks, and when it catches
 * up it is sent a gap block saying how many records it lost, so the loss is never silent.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { BlockKind, frameBlock } from '../stream/format.js';
import type { ByteSink } from './byte-sink.js';

interface Client {
  socket: Socket;
  lostRecords: number;
  lostBlocks: number;
}

export interface BlockServer extends ByteSink {
  readonly clients: number;
  readonly lostRecords: number;
  listen(port: number, host: string): Promise<number>;
}

export function createBlockServer(opts: { maxClientBuffer: number; onClient?: (message: string) => void }): BlockServer {
  const clients = new Set<Client>();
  let first: Buffer | undefined;
  let lostRecords = 0;
  const server: Server = createServer((socket) => {
    const c: Client = { socket, lostRecords: 0, lostBlocks: 0 };
    clients.add(c);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => clients.delete(c));
    // Readers never send; anything they do send is ignored.
    socket.resume();
    // Every client starts with the stream's info block, for provenance.
    if (first) socket.write(first);
    opts.onClient?.(`client ${socket.remoteAddress}:${socket.remotePort} connected`);
  });

  const send = (block: Buffer): void => {
    const kind = block[5];
    if (first === undefined && kind === BlockKind.Info) first = Buffer.from(block);
    const records = kind === BlockKind.Records ? block.readUInt32LE(12) : 0;
    for (const c of clients) {
      if (c.socket.writableLength > opts.maxClientBuffer) {
        c.lostRecords += records;
        c.lostBlocks++;
        lostRecords += records;
        continue;
      }
      if (c.lostBlocks) {
        const now = Date.now();
        c.socket.write(frameBlock(BlockKind.Gap, Buffer.from(JSON.stringify({ records: c.lostRecords, blocks: c.lostBlocks, reason: 'client too slow' })), 0, now, now));
        c.lostRecords = c.lostBlocks = 0;
      }
      c.socket.write(block);
    }
  };

  return {
    get clients() {
      return clients.size;
    },
    get lostRecords() {
      return lostRecords;
    },
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as { port: number }).port));
      }),
    write: (data) => send(Buffer.isBuffer(data) ? data : Buffer.from(data)),
    writeAndWait: async (data) => send(Buffer.isBuffer(data) ? data : Buffer.from(data)),
    ready: async () => undefined,
    backlog: () => 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.socket.end();
        server.close(() => resolve());
      }),
  };
}

/** Writes every block to several sinks (stdout or a file, and a block server). */
export function teeSinks(sinks: ByteSink[]): ByteSink {
  return {
    write: (d) => sinks.forEach((s) => s.write(d)),
    writeAndWait: async (d) => void (await Promise.all(sinks.map((s) => s.writeAndWait(d)))),
    ready: async () => void (await Promise.all(sinks.map((s) => s.ready()))),
    backlog: () => Math.max(0, ...sinks.map((s) => s.backlog())),
    close: async () => void (await Promise.all(sinks.map((s) => s.close()))),
  };
}
