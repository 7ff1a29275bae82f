/** Output policy shared by producers and printers. */
import { openOutput, teeSinks, type ByteSink } from '../io/byte-sink.js';
import { checkNatsLink, createJetStreamSink, isNatsUrl, loadNatsAuth, parseNatsUrl } from '../io/jetstream.js';
import { createReporter } from '../io/report.js';
import { StreamWriter, type WriterOptions } from '../stream/writer.js';
import { BlockKind } from '../stream/format.js';
import { UsageError } from '../language/errors.js';
import { VERSION } from '../version.js';
import { hostname } from 'node:os';

/** Where a producer was told to write: `-w PATH`, and whether it may replace an existing file. */
export interface OutputArgs {
  write?: string;
  force?: boolean;
  'nats-creds'?: string;
  'nats-ca'?: string;
  insecure?: boolean;
}

/**
 * Opens the binary stream's destinations: `-w PATH` (stdout when no path and no other
 * sink is given; never a terminal; JetStream for nats://) plus any `extra` sinks such as a
 * block server.
 */
export function openBinaryOutput(program: string, out: OutputArgs, opts: WriterOptions = {}, extra: ByteSink[] = []): StreamWriter {
  const path = out.write;
  const sinks = [...extra];
  if (path !== undefined || extra.length === 0) {
    if ((path ?? '-') === '-' && process.stdout.isTTY) {
      throw new UsageError('refusing to write the binary stream to a terminal; pipe it into smbta-cat, smbta-csv or smbta-json, or use -w FILE');
    }
    sinks.push(
      path !== undefined && isNatsUrl(path)
        ? openJetStream(program, path, out)
        : openOutput(path ?? '-', { replace: out.force, say: (m) => createReporter(program).warn(m) }),
    );
  }
  const writer = new StreamWriter(sinks.length === 1 ? sinks[0]! : teeSinks(sinks), opts);
  // Provenance, as SiLK does: who wrote this stream, and how.
  writer.writeSide(BlockKind.Info, { program, version: VERSION, argv: process.argv.slice(2), host: hostname(), created: Date.now() });
  return writer;
}

function openJetStream(program: string, url: string, out: OutputArgs): ByteSink {
  const spec = parseNatsUrl(url, 'write', '-w');
  const auth = loadNatsAuth(out);
  checkNatsLink(spec, auth, '-w');
  return createJetStreamSink(spec, auth, createReporter(program), program);
}
