import { hostname } from 'node:os';
import { UsageError } from '../language/errors.js';
import { openBinaryOutput } from '../runtime/output.js';
import { SERVING_SECURITY } from '../cli/options.js';
import type { Program } from '../cli/program.js';
import { sayFirst } from '../io/report.js';
import { listenServing, servingFor } from '../runtime/serve.js';
import type { SecurityArgs } from '../io/link-security.js';
import { parsePduLine } from '../probe/smb2-pdu.js';
import { Smb2Tracker, type ProbeStats } from '../probe/smb2-tracker.js';
import { runTshark, type CaptureSource } from '../probe/tshark.js';
import { BlockKind } from '../stream/format.js';
import { parseServerNames, parseSmbPorts } from './common.js';

interface ProbeArgs extends SecurityArgs {
  interface?: string;
  read?: string;
  filter?: string;
  'smb-port': (number | string)[];
  'reset-every': number;
  write?: string;
  serve?: number;
  bind: string;
  'server-name'?: string[];
  stats: number;
  'status-every': number;
}

const MAX_ERRORS_SAID = 10;
/** Output waiting for a slow reader beyond which reading packets pauses. */
const MAX_BACKLOG = 64 << 20;

export const probe: Program = {
  name: 'smbta-probe',
  summary: 'watch SMB2/3 traffic on the wire and write who read and wrote what, with how long the server took',
  description:
    "A passive probe: Wireshark's SMB2 dissector (tshark) follows each session to its account, each tree to its share and " +
    'each file id to its name, on a live interface (-i) or from a capture file (-r). Every open, close, read, write, rename, ' +
    'delete, mkdir and share connect becomes a record with the bytes moved and the request-to-response latency. SMB3-encrypted ' +
    'messages, and sessions that began before the capture, cannot be attributed: they are counted in status blocks and on stderr ' +
    '(docs/probe.md). SIGTERM and SIGINT stop the capture and write out everything seen.',
  options: ['interface', 'pcap', 'capture-filter', 'smb-port', 'reset-every', 'write', 'serve', 'bind', ...SERVING_SECURITY, 'server-name', 'stats', 'status-every', 'config'],
  examples: [
    ['smbta-probe -i eth0 | smbta-cat', "watch the file server's own interface and print every operation"],
    ['smbta-probe -i eth0 -P 3491 -B 0.0.0.0 --tls-cert p.pem --tls-key p.key --server-name 10.0.0.5=fs1', 'serve readers over TLS, naming the server'],
    ['smbta-probe -r monday.pcapng | smbta-query top users', "who moved the most in a capture"],
    ['smbta-probe -r lab.pcap --smb-port 44500 | smbta-csv -s time,op,user,path,bytes,latency', 'SMB on a test port'],
  ],
  exitStatus: '0 when the capture ended or was stopped; 1 when tshark is missing, cannot capture, or the capture file is damaged (what was read is still written); 2 for a bad option.',
  async run(raw, ctx) {
    const a = raw as unknown as ProbeArgs;
    if ((a.interface === undefined) === (a.read === undefined)) throw new UsageError('give either -i IFACE (a live capture) or -r FILE (a capture file)');
    const ports = parseSmbPorts(a['smb-port']);
    if (!(a['reset-every'] >= 1000)) throw new UsageError(`--reset-every ${a['reset-every']}: expected at least 1000 packets`);
    const src: CaptureSource = {
      iface: a.interface,
      file: a.read,
      filter: a.filter ?? ports.map((p) => `tcp port ${p}`).join(' or '),
      ports,
      resetEvery: a['reset-every'],
    };
    const names = parseServerNames(a['server-name']);
    const live = a.interface !== undefined;

    const server = servingFor(a, ctx.report);
    const writer = openBinaryOutput('smbta-probe', a.write, { flushMs: live ? 100 : 0 }, server ? [server] : []);
    if (server) {
      ctx.report.warn(`serving readers on ${a.bind}:${await listenServing(server, a)}`);
    }
    const tracker = new Smb2Tracker((r) => writer.add(r), (addr) => names.get(addr) ?? addr);
    let paused = false;
    const malformed = sayFirst(MAX_ERRORS_SAID, (m) => ctx.report.warn(m), 'further malformed lines are only counted');
    const run = runTshark(
      src,
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
    );
    ctx.signal.addEventListener('abort', () => run.stop(), { once: true });

    const status = (): void =>
      writer.writeSide(BlockKind.Status, { source: `smbta-probe@${hostname()}`, ...tracker.stats, malformed: malformed.count, dropped: droppedOf(tracker.stats, malformed.count) });
    const say = (): void => ctx.report.warn(formatProbeStats(tracker.stats, malformed.count));
    const timers = [setInterval(status, a['status-every'] * 1000)];
    if (a.stats > 0) timers.push(setInterval(say, a.stats * 1000));
    process.on('SIGUSR1', say);

    const { code, startError } = await run.done;
    timers.forEach(clearInterval);
    process.off('SIGUSR1', say);
    status();
    say();
    await writer.close();
    if (startError) ctx.report.fail(startError);
    else if (code !== 0 && !ctx.signal.aborted) ctx.report.fail(`tshark ended with exit code ${code}: the records before its message above are written`);
  },
};

/** What status blocks count as lost: data the probe saw but could not attribute or read. */
function droppedOf(s: ProbeStats, malformed: number): Record<string, number> {
  const d: Record<string, number> = {};
  if (s.encryptedMessages) d['encrypted (unattributed)'] = s.encryptedMessages;
  if (s.unmatchedResponses) d['response without request'] = s.unmatchedResponses;
  if (s.evicted) d['evicted state'] = s.evicted;
  if (malformed) d['malformed'] = malformed;
  return d;
}

function formatProbeStats(s: ProbeStats, malformed: number): string {
  return (
    `${s.pdus} SMB2 PDUs, ${s.records} records; unattributed: ${s.unattributedRecords} records (${s.unattributedBytes} bytes), ` +
    `${s.encryptedMessages} encrypted messages (${s.encryptedBytes} bytes); responses without request: ${s.unmatchedResponses}; ` +
    `evicted: ${s.evicted}; malformed lines: ${malformed}`
  );
}
