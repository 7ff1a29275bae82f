import { pick, STREAM_OUT, SERVING } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { prefixError } from '../audit/full-audit.js';
import { readAnonKey, readKeyFile } from '../io/secrets.js';
import { UsageError } from '../language/errors.js';
import { ANONYMIZABLE, createAnonymizer, type AnonField } from '../recv/anonymize.js';
import { RecvRun, type RecvSettings } from '../recv/run-recv.js';
import { createLocalTimeConverter } from '../wire/local-time.js';
import { parseServerNames } from './common.js';

export const DEFAULT_UNIX_SOCKET = '/var/tmp/stadsocket';
export const DEFAULT_PORT = 3490;

export const recv = defineProgram({
  name: 'smbta-recv',
  summary: "receive what Samba's traffic-analyzer modules send, and write it as a stream",
  description:
    "Listens for Samba's traffic-analyzer modules on TCP and/or a Unix socket: smb_traffic_analyzer (Samba 3.2 to 4.3; protocol V1, V2 " +
    "and AES-encrypted V2) and smbta's vfs_smbta (Samba 4.17 and later, vfs/README.md: V2 with deletes, summaries and drop counts), " +
    "and for Samba's full_audit lines (--audit-udp, --audit-unix, --audit-file), from any number of file servers at once, and " +
    'writes every operation as a record to stdout, a file (-w), and/or readers (-P). With only full_audit inputs given, the ' +
    "module's port is not opened unless -i says so. " +
    'It never stalls a sender; a sender that sends garbage, breaks a limit or stalls mid-message is disconnected with a log line ' +
    'while every other sender carries on. SIGUSR1 prints statistics; SIGTERM and SIGINT write out everything received, then exit 0.',
  options: {
    port: { kind: 'port', alias: 'i', value: 'PORT', group: 'Listen', describe: `listen for Samba senders on this TCP port (default ${DEFAULT_PORT})` },
    ...pick('bind'),
    unix: {
      kind: 'path',
      alias: 'u',
      value: 'PATH',
      optionalValue: true,
      group: 'Listen',
      describe: `listen on a Unix socket (default path ${DEFAULT_UNIX_SOCKET}, where both modules send unless told otherwise); with -u alone TCP is off unless -i is given too`,
    },
    ...STREAM_OUT,
    ...SERVING,
    ...pick('key', 'tz', 'server-name'),
    anonymize: {
      kind: 'text',
      value: 'FIELDS',
      complete: ['user', 'sid', 'client', 'user,sid', 'user,sid,client'],
      group: 'Privacy',
      describe: 'replace these fields (user,sid,client) with pseudonyms',
    },
    'anon-key': { kind: 'path', value: 'FILE', group: 'Privacy', describe: 'secret for keyed pseudonyms (HMAC-SHA256), stable across restarts' },
    'anonymize-total': { kind: 'text', value: 'PREFIX', group: 'Privacy', describe: 'replace the --anonymize fields with this one constant instead' },
    ...pick('stats', 'status-every'),
    'max-body': {
      kind: 'size',
      min: 1,
      value: 'SIZE',
      default: '64K',
      group: 'Limits',
      describe: 'largest message body accepted; a sender exceeding it is disconnected',
    },
    'max-connections': {
      kind: 'count',
      min: 1,
      value: 'N',
      default: '1024',
      group: 'Limits',
      describe: 'most senders connected at once; when full, one that delivered nothing (or the longest mid-message) makes room, else the new one is refused',
    },
    'idle-timeout': {
      kind: 'duration',
      min: 0,
      value: 'DURATION',
      default: '0',
      group: 'Limits',
      describe: "disconnect a sender silent this long (0: never; Samba's module does not reconnect)",
    },
    'stall-timeout': {
      kind: 'duration',
      min: 1,
      value: 'DURATION',
      default: '30s',
      group: 'Limits',
      describe: 'disconnect a sender whose message takes longer than this, start to end, however it trickles',
    },
    'max-buffer': { kind: 'size', min: 1, value: 'SIZE', default: '1M', group: 'Limits', describe: 'most bytes of one unfinished message held per connection' },
    'max-backlog': {
      kind: 'size',
      min: 1,
      value: 'SIZE',
      default: '256M',
      group: 'Limits',
      describe: 'output waiting for a slow reader before records are dropped (and counted), so senders never stall',
    },
    'audit-udp': {
      kind: 'port',
      value: 'PORT',
      group: 'Listen',
      describe: "read Samba's full_audit lines as syslog (RFC 3164 or 5424) on this UDP port, at the -B address (docs/audit.md)",
    },
    'audit-unix': {
      kind: 'path',
      value: 'PATH',
      group: 'Listen',
      describe: 'read full_audit lines as syslog datagrams on a Unix socket at PATH, as /dev/log (a stale socket there is replaced)',
    },
    'audit-unix-mode': {
      kind: 'text',
      value: 'MODE',
      default: '0666',
      group: 'Listen',
      describe: 'permissions of the --audit-unix socket (octal): smbd logs as the connected user, so every user must be able to send',
    },
    'audit-file': {
      kind: 'path',
      value: 'PATH',
      group: 'Listen',
      describe:
        'follow full_audit lines in this log file across rotation (syslog or Samba log format; - is stdin): from its start, or from where --state says the last run stopped',
    },
    'audit-from-end': {
      kind: 'flag',
      group: 'Listen',
      describe: 'start following --audit-file at its end, as tail -f (lines logged before are not read)',
    },
    'audit-prefix': {
      kind: 'text',
      value: 'FIELDS',
      default: '%u|%I|%m|%S',
      group: 'Decode',
      describe: 'the full_audit:prefix Samba is configured with (fields smbta reads: %u %I %S %D %L %P)',
    },
    ...pick('state', 'metrics', 'metrics-users', 'config'),
  },
  examples: [
    ['smbta-recv | smbta-cat', 'receive on 127.0.0.1:3490 and print every operation'],
    ['smbta-recv -B 0.0.0.0 -P 127.0.0.1:3491 --stats 60', 'accept file servers on every interface; serve readers on loopback only'],
    ['smbta-recv -u -k /etc/smbta/key -w /var/log/smbta/now.smbta', 'the Unix socket at /var/tmp/stadsocket, encrypted senders, to a file'],
    [
      "smbta-recv --anonymize user,sid --anon-key /etc/smbta/anon.key | smbta-rotate -w 'archive/%Y-%m-%d/smbta.%H%M.smbta'",
      'pseudonymous users and SIDs in the archive, stable across restarts',
    ],
    [
      'smbta-recv -P 3491 --state /var/lib/smbta/recv.state',
      'after a crash, go on numbering the stream and say what each sender had passed on, so the loss is counted',
    ],
  ],
  exitStatus: '0 after SIGTERM/SIGINT once everything received is written; 1 when a listener cannot start; 2 for a bad option.',
  reloadable: ['stats', 'status-every', 'max-connections', 'idle-timeout', 'stall-timeout', 'max-body', 'max-buffer', 'max-backlog'],
  async run(a, ctx) {
    const key = a.key === undefined ? undefined : readKeyFile(a.key);
    const fields = (a.anonymize ?? '').split(',').filter(Boolean) as AnonField[];
    for (const f of fields) if (!ANONYMIZABLE.includes(f)) throw new UsageError(`--anonymize ${a.anonymize}: '${f}' is not one of ${ANONYMIZABLE.join(', ')}`);
    if (fields.length && a['anonymize-total'] === undefined && a['anon-key'] === undefined) {
      throw new UsageError('--anonymize needs --anon-key FILE (stable pseudonyms) or --anonymize-total PREFIX');
    }
    const anonymize = createAnonymizer(fields, { key: a['anon-key'] ? readAnonKey(a['anon-key']) : undefined, total: a['anonymize-total'] });
    const auditError = prefixError(a['audit-prefix']);
    if (auditError) throw new UsageError(auditError);
    const unixPath = a.unix === undefined ? undefined : a.unix || DEFAULT_UNIX_SOCKET;
    // The module's TCP port is the default input; -u alone or full_audit inputs alone leave it closed unless -i asks.
    const auditOnly = a['audit-udp'] !== undefined || a['audit-unix'] !== undefined || a['audit-file'] !== undefined;
    const tcpWanted = a.port !== undefined || (unixPath === undefined && !auditOnly);
    const run = new RecvRun(
      {
        ...settingsOf(a),
        tcp: tcpWanted ? { host: a.bind, port: a.port ?? DEFAULT_PORT } : undefined,
        unix: unixPath,
        key,
        toUtc: createLocalTimeConverter(a.tz),
        serverNames: parseServerNames(a['server-name']),
        anonymize,
        output: a,
        serving: a,
        state: a.state,
        audit: {
          udp: a['audit-udp'],
          unix: a['audit-unix'],
          unixMode: parseMode(a['audit-unix-mode']),
          file: a['audit-file'],
          fromEnd: a['audit-from-end'],
          prefix: a['audit-prefix'],
          bind: a.bind,
        },
      },
      ctx,
    );
    // SIGHUP with -c: new limits apply to every connection from now on; the timers start again.
    ctx.onReload = (next) => run.reconfigure(settingsOf(next));
    await run.run();
  },
});

/** What SIGHUP may change, from the options. */
function settingsOf(a: {
  'max-body': number;
  'max-connections': number;
  'idle-timeout': number;
  'stall-timeout': number;
  'max-buffer': number;
  'max-backlog': number;
  stats: number;
  'status-every': number;
}): RecvSettings {
  return {
    limits: {
      maxBody: a['max-body'],
      maxConnections: a['max-connections'],
      idleMs: a['idle-timeout'],
      stallMs: a['stall-timeout'],
      maxBuffer: a['max-buffer'],
      maxBacklog: a['max-backlog'],
    },
    statsMs: a.stats,
    statusEveryMs: a['status-every'],
  };
}

/** An octal file mode such as 0666 or 660. */
function parseMode(text: string): number {
  if (!/^0?[0-7]{3}$/.test(text)) throw new UsageError(`--audit-unix-mode ${text}: expected an octal mode such as 0666 or 0660`);
  return parseInt(text, 8);
}
