/** Output policy shared by producers and printers. */
import { openOutput, createStdoutSink, type ByteSink } from '../io/byte-sink.js';
import { StreamWriter, type WriterOptions } from '../stream/writer.js';
import { BlockKind } from '../stream/format.js';
import { UsageError } from './errors.js';
import { VERSION } from './run.js';
import { hostname } from 'node:os';

/** Opens `-w PATH` (default stdout) for the binary stream; never a terminal. */
export function openBinaryOutput(program: string, path = '-', opts: WriterOptions = {}): StreamWriter {
  if (path === '-' && process.stdout.isTTY) {
    throw new UsageError('refusing to write the binary stream to a terminal; pipe it into smbta-cat, smbta-csv or smbta-json, or use -w FILE');
  }
  const writer = new StreamWriter(openOutput(path), opts);
  // Provenance, as SiLK does: who wrote this stream, and how.
  writer.writeSide(BlockKind.Info, { program, version: VERSION, argv: process.argv.slice(2), host: hostname(), created: Date.now() });
  return writer;
}

/** Text to stdout with backpressure. */
export function createTextOutput(): ByteSink {
  return createStdoutSink();
}
