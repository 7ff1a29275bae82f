/**
 * smbta-probe's run: tshark's lines become PDUs, PDUs become records, records go to -w and
 * -P readers; status blocks and stderr say what could not be attributed.
 */
import { hostname } from 'node:os';
import { sayFirst } from '../io/report.js';
import type { RunContext } from '../runtime/context.js';
import { openBinaryOutput, type OutputArgs } from '../runtime/output.js';
import { listenServing, servingFor, type ServeArgs } from '../runtime/serve.js';
import { BlockKind } from '../stream/format.js';
import { parsePduLine } from './smb2-pdu.js';
import { Smb2Tracker, type ProbeStats } from './smb2-tracker.js';
import { runTshark, type CaptureSource } from './tshark.js';

export interface ProbeOptions {
  capture: CaptureSource;
  /** -w: where the stream goes (stdout when neither it nor -P is given). */
  output: OutputArgs;
  /** -P and how to secure it. */
  serving: ServeArgs;
  serverName: (addr: string) => string;
  statsMs: number;
  statusEveryMs: number;
}

const MAX_ERRORS_SAID = 10;
/** Output waiting for a slow reader beyond which reading packets pauses. */
const MAX_BACKLOG = 64 << 20;

export async function runProbe(o: ProbeOptions, ctx: RunContext): Promise<void> {
  const live = o.capture.iface !== undefined;
  const server = servingFor(o.serving, ctx);
  const writer = openBinaryOutput('smbta-probe', o.output, { flushMs: live ? 100 : 0 }, server ? [server] : []);
  if (server) ctx.report.warn(`serving readers on ${await listenServing(server, o.serving)}`);
  const metrics = ctx.metrics;
  const tracker = new Smb2Tracker((r) => (metrics?.observeRecord(r), writer.add(r)), o.serverName);
  let paused = false;
  let captureDropped = 0;
  const malformed = sayFirst(MAX_ERRORS_SAID, (m) => ctx.report.warn(m), 'further malformed lines are only counted');
  const run = runTshark(
    o.capture,
    (line) => {
      const pdu = parsePduLine(line);
      if (!('error' in pdu)) tracker.pdu(pdu);
      else malformed(pdu.error);
      if (!paused && writer.backlog() > MAX_BACKLOG) {
        paused = true;
        run.pause();
        void writer.ready().then(() => ((paused = false), run.resume()));
      }
    },
    (m) => ctx.report.warn(`tshark: ${m}`),
    (packets) => {
      captureDropped += packets;
      ctx.report.fail(`the capture dropped ${packets} packets (its buffer overflowed; raise --capture-buffer): what they carried is missing`);
    },
  );
  ctx.signal.addEventListener('abort', () => run.stop(), { once: true });
  const dropped = (): Record<string, number> => droppedOf(tracker.stats, malformed.count, captureDropped);
  if (metrics) {
    metrics.recordsOut = () => tracker.stats.records;
    metrics.connections = () => server?.clients ?? 0;
    metrics.droppedBy = dropped;
  }

  const status = (): void =>
    writer.writeSide(BlockKind.Status, {
      source: `smbta-probe@${hostname()}`,
      ...tracker.stats,
      malformed: malformed.count,
      captureDropped,
      dropped: dropped(),
    });
  const say = (): void => ctx.report.warn(formatProbeStats(tracker.stats, malformed.count));
  const timers = [setInterval(status, o.statusEveryMs)];
  if (o.statsMs > 0) timers.push(setInterval(say, o.statsMs));
  process.on('SIGUSR1', say);

  const { code, startError } = await run.done;
  tracker.finish();
  timers.forEach(clearInterval);
  process.off('SIGUSR1', say);
  status();
  say();
  await writer.close();
  if (startError) ctx.report.fail(startError);
  else if (code !== 0 && !ctx.signal.aborted) ctx.report.fail(`tshark ended with exit code ${code}: the records before its message above are written`);
}

/** What status blocks and --metrics count as lost: data the probe saw but could not attribute or read. */
function droppedOf(s: ProbeStats, malformed: number, captureDropped: number): Record<string, number> {
  const d: Record<string, number> = {};
  if (captureDropped) d['packets dropped by the capture'] = captureDropped;
  if (s.encryptedUnattributed) d['encrypted (unattributed)'] = s.encryptedUnattributed;
  if (s.unmatchedResponses) d['response without request'] = s.unmatchedResponses;
  if (s.unanswered) d['request without response'] = s.unanswered;
  if (s.evicted) d['evicted state'] = s.evicted;
  if (malformed) d['malformed'] = malformed;
  return d;
}

function formatProbeStats(s: ProbeStats, malformed: number): string {
  return (
    `${s.pdus} SMB2 PDUs, ${s.records} records; unattributed: ${s.unattributedRecords} records (${s.unattributedBytes} bytes); ` +
    `encrypted: ${s.encryptedMessages} messages (${s.encryptedBytes} bytes), ${s.encryptedUnattributed} of no known session; ` +
    `responses without request: ${s.unmatchedResponses} (${s.unmatchedBytes} bytes, no file); ` +
    `requests without response: ${s.unanswered} (${s.unansweredBytes} bytes not known to have moved); evicted: ${s.evicted}; malformed lines: ${malformed}`
  );
}
