/**
 * A minimal stream client for the fan-out benchmark, as a relay would read: it checks every
 * block's header and payload checksums and counts records, without decoding columns, so the
 * benchmark measures the server rather than eight decoders sharing two cores.
 * Usage: node block-reader.js PORT RECORDS (exits 1 if the stream ends short or is damaged).
 * It prints when its first byte and its last record came, in ms since the epoch, so the
 * benchmark can time the stream apart from process start-up.
 */
import { connect } from 'node:net';
import { crc32 } from 'node:zlib';
import { BlockKind, readHeader } from '../src/stream/format.js';

const now = (): number => performance.timeOrigin + performance.now();
let first = 0;

const [port, want] = process.argv.slice(2).map(Number) as [number, number];
let pending: Buffer = Buffer.alloc(0);
let records = 0;
const socket = connect(port, '127.0.0.1');
socket.on('data', (chunk: Buffer) => {
  first ||= now();
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  let off = 0;
  for (;;) {
    const h = readHeader(pending, off, pending.length - off);
    if (h === 'short') break;
    if (typeof h === 'string') fail(h);
    const end = off + h.headerLength + h.payloadLength;
    if (end > pending.length) break;
    if (crc32(pending.subarray(off + h.headerLength, end)) !== h.payloadCrc) fail('bad payload checksum');
    if (h.kind === BlockKind.Records) records += h.count;
    off = end;
  }
  pending = pending.subarray(off);
  if (records >= want) {
    process.stdout.write(JSON.stringify({ first, last: now() }) + '\n');
    process.exit(0);
  }
});
socket.on('close', () => fail(`stream ended after ${records} of ${want} records`));

function fail(why: string): never {
  process.stderr.write(`block-reader: ${why}\n`);
  process.exit(1);
}
