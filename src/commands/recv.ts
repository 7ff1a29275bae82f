import { UsageError } from '../language/errors.js';
import { openBinaryOutput } from '../runtime/output.js';
import { SERVING_SECURITY } from '../cli/options.js';
import type { Program } from '../cli/program.js';
import { parseSize } from '../format/units.js';
import { listenServing, servingFor } from '../runtime/serve.js';
import type { SecurityArgs } from '../io/link-security.js';
import { ANONYMIZABLE, createAnonymizer, type AnonField } from '../recv/anonymize.js';
import { AuditReader, followAuditFile, listenAuditUdp, listenAuditUnix } from '../audit/audit-input.js';
import { parsePrefix, prefixError } from '../audit/full-audit.js';
import { formatStats, Receiver, type ReceiverLimits } from '../recv/receiver.js';
import { createLocalTimeConverter } from '../wire/local-time.js';
import { readKeyFile, readSecretFile } from '../io/secrets.js';
import { parseServerNames } from './common.js';
import { openState, writerState } from '../runtime/state-file.js';

export const DEFAULT_UNIX_SOCKET = '/var/tmp/stadsocket';
export const DEFAULT_PORT = 3490;

interface RecvArgs extends SecurityArgs {
  state?: string;
  'audit-udp'?: number;
  'audit-unix'?: string;
  'audit-file'?: string;
  'audit-prefix': string;
  port?: number;
  bind: string;
  unix?: string;
  serve?: number;
  write?: string;
  key?: string;
  tz?: string;
  'server-name'?: string[];
  anonymize?: string;
  'anon-key'?: string;
  'anonymize-total'?: string;
  stats: number;
  'status-every': number;
  'max-body': string;
  'max-connections': number;
  'idle-timeout': number;
  'stall-timeout': number;
  'max-buffer': string;
  'max-backlog': string;
}

export const recv: Program = {
  name: 'smbta-recv',
  summary: "receive what Samba's traffic-analyzer module sends, and write it as a stream",
  description:
    "Listens for Samba's smb_traffic_analyzer VFS module (protocol V1, V2 and AES-encrypted V2) on TCP and/or a Unix socket, " +
    'from any number of file servers at once, and writes every operation as a record to stdout, a file (-w), and/or readers (-P). ' +
    'It never stalls a sender; a sender that sends garbage, breaks a limit or stalls mid-message is disconnected with a log line ' +
    'while every other sender carries on. SIGUSR1 prints statistics; SIGTERM and SIGINT write out everything received, then exit 0.',
  options: ['port', 'bind', 'unix', 'write', 'serve', ...SERVING_SECURITY, 'key', 'tz', 'server-name', 'anonymize', 'anon-key', 'anonymize-total', 'stats', 'status-every', 'max-body', 'max-connections', 'idle-timeout', 'stall-timeout', 'max-buffer', 'max-backlog', 'audit-udp', 'audit-unix', 'audit-file', 'audit-prefix', 'state', 'metrics', 'metrics-users', 'config'],
  examples: [
    ['smbta-recv | smbta-cat', 'receive on 127.0.0.1:3490 and print every operation'],
    ['smbta-recv -B 0.0.0.0 -P 3491 --tls-cert fs.pem --tls-key fs.key --stats 60', 'accept file servers on every interface; serve readers over TLS on 3491'],
    ['smbta-recv -u -k /etc/smbta/key -w /var/log/smbta/now.smbta', 'the Unix socket at /var/tmp/stadsocket, encrypted senders, to a file'],
    ['smbta-recv --anonymize user,sid --anon-key /etc/smbta/anon.key | smbta-rotate ...', 'pseudonymous users, stable across restarts'],
    ['smbta-recv -P 3491 --state /var/lib/smbta/recv.state', 'after a crash, go on numbering the stream and say what each sender had passed on, so the loss is counted'],
  ],
  exitStatus: '0 after SIGTERM/SIGINT once everything received is written; 1 when a listener cannot start; 2 for a bad option.',
  reloadable: ['stats', 'status-every', 'max-connections', 'idle-timeout', 'stall-timeout', 'max-body', 'max-buffer', 'max-backlog'],
  async run(raw, ctx) {
    const a = raw as unknown as RecvArgs;
    const key = a.key === undefined ? undefined : readKeyFile(a.key);
    let toUtc;
    try {
      toUtc = createLocalTimeConverter(a.tz);
    } catch {
      throw new UsageError(`--tz ${a.tz}: unknown time zone (use an IANA name such as Europe/Berlin or UTC)`);
    }
    const serverNames = parseServerNames(a['server-name']);
    const fields = (a.anonymize ?? '').split(',').filter(Boolean) as AnonField[];
    for (const f of fields) if (!ANONYMIZABLE.includes(f)) throw new UsageError(`--anonymize ${a.anonymize}: '${f}' is not one of ${ANONYMIZABLE.join(', ')}`);
    if (fields.length && a['anonymize-total'] === undefined && a['anon-key'] === undefined) {
      throw new UsageError('--anonymize needs --anon-key FILE (stable pseudonyms) or --anonymize-total PREFIX');
    }
    const anonymize = createAnonymizer(fields, { key: a['anon-key'] ? readSecretFile(a['anon-key'], '--anon-key') : undefined, total: a['anonymize-total'] });
    const unixPath = a.unix === undefined ? undefined : a.unix || DEFAULT_UNIX_SOCKET;
    // TCP is on by default, and off with -u alone (-u -i PORT listens on both).
    const tcpWanted = unixPath === undefined || a.port !== undefined;

    // Output: -w, and/or -P readers; stdout when neither is given.
    const server = servingFor(a, ctx.report);
    const state = openState(a.state, 'smbta-recv', ctx.report);
    let receiver: Receiver | undefined;
    const writer = openBinaryOutput('smbta-recv', a.write, { flushMs: 100, ...state?.writing(() => receiver!.passedOnBySender()) }, server ? [server] : []);
    const servePort = server && (await listenServing(server, a));

    receiver = new Receiver({
      tcp: tcpWanted ? { host: a.bind, port: a.port ?? DEFAULT_PORT } : undefined,
      unix: unixPath,
      key,
      toUtc,
      serverNames,
      anonymize,
      writer,
      observe: ctx.metrics && ((r) => ctx.metrics!.observeRecord(r)),
      report: ctx.report,
      limits: limitsOf(a),
    });
    if (ctx.metrics) {
      ctx.metrics.recordsOut = () => writer.records;
      ctx.metrics.connections = () => receiver.stats.connectionsOpen + (server?.clients ?? 0);
      ctx.metrics.droppedBy = () => ({ ...receiver.stats.rejected, ...receiver.stats.dropped });
    }
    const auditError = prefixError(a['audit-prefix']);
    if (auditError) throw new UsageError(auditError);
    try {
      await receiver.start();
    } catch (err) {
      throw new Error(`cannot listen: ${(err as Error).message}`);
    }
    const audit = (label: string): AuditReader =>
      new AuditReader(parsePrefix(a['audit-prefix']), { record: (r, s) => receiver.ingest(r, s), reject: (why) => receiver.reject(why), report: ctx.report }, label);
    const auditUdp =
      a['audit-udp'] === undefined
        ? undefined
        : await listenAuditUdp(a['audit-udp'], a.bind, audit('full_audit udp'), serverNames).catch((err: Error) => {
            throw new Error(`cannot listen for full_audit on udp ${a.bind}:${a['audit-udp']}: ${err.message}`);
          });
    if (auditUdp) ctx.report.warn(`full_audit syslog on udp ${a.bind}:${auditUdp.address().port}`);
    if (a['audit-unix'] !== undefined) {
      await listenAuditUnix(a['audit-unix'], audit(a['audit-unix']), serverNames, ctx.signal).catch((err: Error) => {
        throw new Error(`cannot listen for full_audit on unix ${a['audit-unix']}: ${err.message}`);
      });
      ctx.report.warn(`full_audit syslog on unix ${a['audit-unix']}`);
    }
    const auditFile = a['audit-file'] === undefined ? undefined : followAuditFile(a['audit-file'], audit(a['audit-file']), ctx.signal);
    ctx.report.warn(`listening on ${receiver.listening.join(' and ')}${server ? `; serving readers on ${a.bind}:${servePort}` : ''}`);

    let lastRecords = 0;
    let lastTime = Date.now();
    const printStats = (): void => {
      const now = Date.now();
      const rate = ((receiver.stats.records - lastRecords) * 1000) / Math.max(1, now - lastTime);
      lastRecords = receiver.stats.records;
      lastTime = now;
      ctx.report.warn(formatStats(receiver.stats, rate));
    };
    let timers: NodeJS.Timeout[] = [];
    const arm = (x: RecvArgs): void => {
      timers.forEach(clearInterval);
      timers = [setInterval(() => receiver.writeStatus(), x['status-every'] * 1000)];
      if (x.stats > 0) timers.push(setInterval(printStats, x.stats * 1000));
    };
    arm(a);
    process.on('SIGUSR1', printStats);
    // SIGHUP with -c: new limits apply to every connection from now on; the timers start again.
    ctx.onReload = (next) => {
      Object.assign(receiver.limits, limitsOf(next as unknown as RecvArgs));
      arm(next as unknown as RecvArgs);
    };

    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    timers.forEach(clearInterval);
    process.off('SIGUSR1', printStats);
    auditUdp?.close();
    await auditFile;
    await receiver.close();
    receiver.writeStatus();
    printStats();
    await writer.close();
    state?.finish(writerState(writer, true));
  },
};

/** The receiver's limits from the options (at start, and again on SIGHUP). */
function limitsOf(a: RecvArgs): ReceiverLimits {
  const size = (name: 'max-body' | 'max-buffer' | 'max-backlog'): number => {
    const v = parseSize(String(a[name]));
    if (v === undefined || v <= 0) throw new UsageError(`--${name} ${a[name]}: expected a size such as 64K or 1M`);
    return v;
  };
  return {
    maxBody: size('max-body'),
    maxConnections: a['max-connections'],
    idleMs: a['idle-timeout'] * 1000,
    stallMs: a['stall-timeout'] * 1000,
    maxBuffer: size('max-buffer'),
    maxBacklog: size('max-backlog'),
  };
}
