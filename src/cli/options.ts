/**
 * The one table of command-line options. Programs pick from it, so the same option has
 * the same letter and the same words everywhere; help, docs and completions read it too.
 */
import type { Options } from 'yargs';

/** What a shell should complete for an option's value. */
export type Completion = 'file' | 'dir' | 'hostport' | 'fields' | 'none' | readonly string[];

export interface OptionSpec {
  readonly name: string;
  readonly alias?: string;
  readonly type: 'string' | 'boolean' | 'number' | 'array';
  readonly describe: string;
  /** Placeholder shown in docs: FILE, DIR, RANGE... */
  readonly value?: string;
  readonly default?: unknown;
  readonly complete: Completion;
  readonly group: 'Input' | 'Selection' | 'Output' | 'Filter' | 'Listen' | 'Decode' | 'Privacy' | 'Limits' | 'Report' | 'Load' | 'Query' | 'Store' | 'Config' | 'Security';
  /** The value may be left out (`-u` alone takes the default path). */
  readonly optionalValue?: boolean;
}

export const OPTIONS = {
  read: { name: 'read', alias: 'r', type: 'array', value: 'FILE...', complete: 'file', group: 'Input', describe: 'read stream files (- is stdin; .bz2 read transparently)' },
  recursive: { name: 'recursive', alias: 'R', type: 'array', value: 'DIR', complete: 'dir', group: 'Input', describe: 'read every stream file under DIR, in time order (hidden and .tmp files skipped)' },
  remote: { name: 'remote', alias: 'S', type: 'array', value: 'HOST:PORT', complete: 'hostport', group: 'Input', describe: 'read a live stream from HOST:PORT, tls://HOST:PORT or unix:PATH (reconnects with backoff)' },
  time: { name: 'time', alias: 't', type: 'string', value: 'RANGE', complete: 'none', group: 'Selection', describe: 'only records in RANGE: 2026-11-23, 10:00-11:00, -1h, A..B' },
  count: { name: 'count', alias: 'N', type: 'number', value: 'COUNT', complete: 'none', group: 'Selection', describe: 'stop after COUNT records' },
  fields: { name: 'fields', alias: 's', type: 'string', value: 'FIELDS', complete: 'fields', group: 'Output', describe: 'fields to print, in order (all for every field); +f adds to and -f removes from the default' },
  numeric: { name: 'numeric', alias: 'n', type: 'boolean', complete: 'none', group: 'Output', describe: 'print raw numbers: bytes as integers, times as ms since the epoch' },
  header: { name: 'header', type: 'boolean', default: true, complete: 'none', group: 'Output', describe: 'print a header line (--no-header to leave it out)' },
  write: { name: 'write', alias: 'w', type: 'string', value: 'FILE', complete: 'file', group: 'Output', describe: 'write the stream to FILE (- is stdout; .bz2 compresses); written under a temporary name, renamed when whole' },
  check: { name: 'check', type: 'boolean', complete: 'none', group: 'Filter', describe: 'only check the expression: exit 0 if valid, 2 if not; read nothing' },
  explain: { name: 'explain', type: 'boolean', complete: 'none', group: 'Filter', describe: 'print the expression fully parenthesised, as parsed, and exit' },
  port: { name: 'port', alias: 'i', type: 'number', value: 'PORT', complete: 'none', group: 'Listen', describe: 'listen for Samba senders on this TCP port (default 3490)' },
  bind: { name: 'bind', alias: 'B', type: 'string', value: 'ADDR', default: '127.0.0.1', complete: 'none', group: 'Listen', describe: 'address to listen on (loopback unless told otherwise; 0.0.0.0 or :: for all: serving -P there needs TLS or --insecure)' },
  unix: { name: 'unix', alias: 'u', type: 'string', value: 'PATH', optionalValue: true, complete: 'file', group: 'Listen', describe: 'listen on a Unix socket (default path /var/tmp/stadsocket); with -u alone TCP is off unless -i is given too' },
  serve: { name: 'serve', alias: 'P', type: 'number', value: 'PORT', complete: 'none', group: 'Output', describe: 'serve the stream to readers (smbta-cat -S HOST:PORT) on this TCP port, at the -B address' },
  key: { name: 'key', alias: 'k', type: 'string', value: 'KEYFILE', complete: 'file', group: 'Decode', describe: 'AES key file (16 characters) of the legacy encrypted protocol' },
  tz: { name: 'tz', type: 'string', value: 'ZONE', complete: 'none', group: 'Decode', describe: "the senders' time zone (IANA name, e.g. Europe/Berlin); default: this machine's" },
  'server-name': { name: 'server-name', type: 'array', value: 'ADDR=NAME', complete: 'none', group: 'Decode', describe: 'name the file server at ADDR (default: its address; the host name for Unix sockets)' },
  anonymize: { name: 'anonymize', type: 'string', value: 'FIELDS', complete: ['user', 'sid', 'client', 'user,sid', 'user,sid,client'], group: 'Privacy', describe: 'replace these fields (user,sid,client) with pseudonyms' },
  'anon-key': { name: 'anon-key', type: 'string', value: 'FILE', complete: 'file', group: 'Privacy', describe: 'secret for keyed pseudonyms (HMAC-SHA256), stable across restarts' },
  'anonymize-total': { name: 'anonymize-total', type: 'string', value: 'PREFIX', complete: 'none', group: 'Privacy', describe: 'replace the --anonymize fields with this one constant instead' },
  stats: { name: 'stats', type: 'number', value: 'SECONDS', default: 0, complete: 'none', group: 'Report', describe: 'print statistics on stderr this often (0: only on SIGUSR1 and at exit)' },
  'status-every': { name: 'status-every', type: 'number', value: 'SECONDS', default: 10, complete: 'none', group: 'Report', describe: 'write a status block (health counters, keep-alive) into the stream this often' },
  'max-body': { name: 'max-body', type: 'string', value: 'SIZE', default: '64K', complete: 'none', group: 'Limits', describe: 'largest message body accepted; a sender exceeding it is disconnected' },
  'max-connections': { name: 'max-connections', type: 'number', value: 'N', default: 1024, complete: 'none', group: 'Limits', describe: 'most senders connected at once; more are refused' },
  'idle-timeout': { name: 'idle-timeout', type: 'number', value: 'SECONDS', default: 0, complete: 'none', group: 'Limits', describe: "disconnect a sender silent this long (0: never; Samba's module does not reconnect)" },
  'stall-timeout': { name: 'stall-timeout', type: 'number', value: 'SECONDS', default: 30, complete: 'none', group: 'Limits', describe: 'disconnect a sender that stops this long in the middle of a message' },
  'max-buffer': { name: 'max-buffer', type: 'string', value: 'SIZE', default: '1M', complete: 'none', group: 'Limits', describe: 'most bytes of one unfinished message held per connection' },
  'max-backlog': { name: 'max-backlog', type: 'string', value: 'SIZE', default: '256M', complete: 'none', group: 'Limits', describe: 'output waiting for a slow reader before records are dropped (and counted), so senders never stall' },
  dest: { name: 'dest', alias: 'd', type: 'string', value: 'HOST:PORT', default: '127.0.0.1:3490', complete: 'hostport', group: 'Load', describe: 'the receiver: HOST:PORT or unix:PATH' },
  connections: { name: 'connections', alias: 'c', type: 'number', value: 'N', default: 1, complete: 'none', group: 'Load', describe: 'emulated file servers, one connection each' },
  records: { name: 'records', alias: 'n', type: 'number', value: 'COUNT', complete: 'none', group: 'Load', describe: 'operations to send in all (default 10000, or unlimited with --duration)' },
  duration: { name: 'duration', type: 'string', value: 'TIME', complete: 'none', group: 'Load', describe: 'stop after this long: 30s, 10m, 1h' },
  reconnect: { name: 'reconnect', type: 'boolean', complete: 'none', group: 'Load', describe: "when the receiver goes away, connect again and go on (as Samba's module does not); the ledger lists every connection with what was written on it" },
  rate: { name: 'rate', type: 'number', value: 'N', default: 0, complete: 'none', group: 'Load', describe: 'operations per second in all (0: as fast as the receiver takes them)' },
  v1: { name: 'v1', type: 'boolean', complete: 'none', group: 'Load', describe: 'speak protocol V1 (reads and writes only, each line sent twice as the module does)' },
  'old-modules': { name: 'old-modules', type: 'boolean', complete: 'none', group: 'Load', describe: 'send 6 common blocks (no client address), as modules before the client field did' },
  seed: { name: 'seed', type: 'number', value: 'N', default: 1, complete: 'none', group: 'Load', describe: 'seed of the traffic mix: the same seed sends the same operations' },
  users: { name: 'users', type: 'number', value: 'N', default: 200, complete: 'none', group: 'Load', describe: 'users per emulated server (a few heavy, many light)' },
  shares: { name: 'shares', type: 'number', value: 'N', default: 5, complete: 'none', group: 'Load', describe: 'shares per emulated server' },
  files: { name: 'files', type: 'number', value: 'N', complete: 'none', group: 'Load', describe: 'files per emulated server (default 5000); with --smb, files in the set created on each share (default 8)' },
  smb: { name: 'smb', type: 'array', value: '//HOST/SHARE', complete: 'none', group: 'Load', describe: 'drive a real SMB server instead: create a file set on these shares (give two) and copy files between them with smbclient; -n copies (default 20)' },
  'smb-user': { name: 'smb-user', alias: 'U', type: 'string', value: 'USER%PASS', complete: 'none', group: 'Load', describe: "--smb: the account, as smbclient's -U (the password is passed in its environment, not its arguments)" },
  pause: { name: 'pause', type: 'number', value: 'SECONDS', default: 1, complete: 'none', group: 'Load', describe: '--smb: pause between copies' },
  record: { name: 'record', type: 'string', value: 'FILE', complete: 'file', group: 'Load', describe: 'save the exact bytes sent, with timing, for --replay' },
  replay: { name: 'replay', type: 'string', value: 'FILE', complete: 'file', group: 'Load', describe: 'send a --record file again instead of new traffic' },
  speed: { name: 'speed', type: 'number', value: 'X', default: 1, complete: 'none', group: 'Load', describe: 'replay this many times faster than recorded (0: as fast as possible)' },
  ledger: { name: 'ledger', type: 'string', value: 'FILE', complete: 'file', group: 'Load', describe: 'write the ledger of what was sent (JSON) to FILE instead of stdout' },
  'client-buffer': { name: 'client-buffer', type: 'string', value: 'SIZE', default: '16M', complete: 'none', group: 'Output', describe: "most stream bytes queued for one reader; a slower reader loses the oldest, and is told in the stream" },
  merge: { name: 'merge', alias: 'm', type: 'string', value: 'FIELDS', complete: 'fields', group: 'Output', describe: 'key fields whose equal values are merged (default op,user,share,path)' },
  precision: { name: 'precision', alias: 'p', type: 'number', value: 'SECONDS', default: 5, complete: 'none', group: 'Output', describe: "window from a cluster's first record, in seconds (0 keeps every record)" },
  mode: { name: 'mode', alias: 'M', type: 'array', value: 'KIND SIZE', complete: 'none', group: 'Output', describe: 'split by time (-M time 10m; cluster: aligned bins), size (-M size 100M) or record count (-M count 1000000)' },
  late: { name: 'late', type: 'number', value: 'SECONDS', default: 10, complete: 'none', group: 'Output', describe: 'wait this long past the end of a period (a time file, an rrd step) for late records before closing it' },
  compress: { name: 'compress', alias: 'z', type: 'boolean', complete: 'none', group: 'Output', describe: 'compress each finished file with bzip2 (.bz2)' },
  'on-close': { name: 'on-close', alias: 'f', type: 'string', value: 'CMD', complete: 'none', group: 'Output', describe: "run CMD with each finished file's path as its last argument" },
  keep: { name: 'keep', type: 'string', value: 'AGE', complete: 'none', group: 'Output', describe: 'delete finished files of this pattern older than AGE (30d, 12h)' },
  refresh: { name: 'refresh', type: 'number', value: 'SECONDS', default: 1, complete: 'none', group: 'Output', describe: 'redraw, and measure rates, this often' },
  once: { name: 'once', type: 'boolean', complete: 'none', group: 'Output', describe: 'print one snapshot as plain text and exit: archives are read whole, live sources watched for one --refresh' },
  group: { name: 'group', alias: 'g', type: 'string', value: 'FIELD', default: 'user', complete: ['user', 'share', 'path', 'client', 'server'], group: 'Output', describe: 'group the table by user, share, path, client or server' },
  sort: { name: 'sort', type: 'string', value: 'COLUMN', default: 'read/s', complete: ['read/s', 'write/s', 'ops/s', 'total', 'name'], group: 'Output', describe: 'sort the table by read/s, write/s, ops/s, total or name' },
  'audit-udp': { name: 'audit-udp', type: 'number', value: 'PORT', complete: 'none', group: 'Listen', describe: "also read Samba's full_audit lines as syslog (RFC 3164 or 5424) on this UDP port, at the -B address (docs/audit.md)" },
  'audit-unix': { name: 'audit-unix', type: 'string', value: 'PATH', complete: 'file', group: 'Listen', describe: "also read full_audit lines as syslog datagrams on a Unix socket at PATH, as /dev/log (a stale socket there is replaced)" },
  'audit-file': { name: 'audit-file', type: 'string', value: 'PATH', complete: 'file', group: 'Listen', describe: 'also follow full_audit lines in this log file as tail -F does (syslog or Samba log format; - is stdin)' },
  'audit-prefix': { name: 'audit-prefix', type: 'string', value: 'FIELDS', default: '%u|%I|%m|%S', complete: 'none', group: 'Decode', describe: "the full_audit:prefix Samba is configured with (fields smbta reads: %u %I %S %D %L %P)" },
  metrics: { name: 'metrics', type: 'string', value: 'ADDR:PORT', complete: 'none', group: 'Report', describe: 'serve Prometheus metrics at http://ADDR:PORT/metrics (a bare PORT: loopback): records in and out, bytes per op and share, drops by reason, connections, lag; beyond loopback only with --insecure, and with --token-file only for a bearer of the token' },
  'metrics-users': { name: 'metrics-users', type: 'boolean', complete: 'none', group: 'Report', describe: 'add bytes per user to --metrics (at most 1000 users; the rest count as (other))' },
  rrd: { name: 'rrd', type: 'string', value: 'FILE', complete: 'file', group: 'Output', describe: 'the rrdtool database to keep up to date (created on first use) or to draw' },
  step: { name: 'step', type: 'number', value: 'SECONDS', default: 60, complete: 'none', group: 'Output', describe: 'seconds of record time per database step (only when the database is created)' },
  graph: { name: 'graph', type: 'string', value: 'PNG', complete: 'file', group: 'Output', describe: 'draw read and write throughput from --rrd into PNG and exit (--since, --until; default: the last day)' },
  config: { name: 'config', alias: 'c', type: 'string', value: 'FILE', complete: 'file', group: 'Config', describe: 'read settings from FILE: a [PROGRAM] section of keys named like the long options (docs/config.md); the command line wins' },
  db: { name: 'db', type: 'string', value: 'URL', complete: 'file', group: 'Store', describe: 'the database: sqlite:PATH or PATH.db (default $XDG_DATA_HOME/smbta/smbta.db, else ~/.local/share/smbta/smbta.db), or postgres://USER@HOST/DB' },
  query: { name: 'query', alias: 'q', type: 'array', value: 'STATEMENT', complete: 'none', group: 'Query', describe: "smbtaquery statements, e.g. 'share projects, top 10 users rw;' (see docs/query.md)" },
  'query-file': { name: 'query-file', alias: 'f', type: 'string', value: 'FILE', complete: 'file', group: 'Query', describe: 'read statements from FILE (# starts a comment; - is stdin)' },
  now: { name: 'now', type: 'string', value: 'TIME', complete: 'none', group: 'Query', describe: 'answer as if it were TIME: today, yesterday, since and throughput count from it' },
  share: { name: 'share', type: 'array', value: 'NAME', complete: 'none', group: 'Query', describe: 'only this share' },
  user: { name: 'user', type: 'array', value: 'NAME', complete: 'none', group: 'Query', describe: 'only this user (DOMAIN\\NAME when the name is in several domains)' },
  path: { name: 'path', type: 'array', value: 'PATH', complete: 'none', group: 'Query', describe: 'only this file, as its path is stored' },
  domain: { name: 'domain', type: 'array', value: 'NAME', complete: 'none', group: 'Query', describe: 'only this domain' },
  since: { name: 'since', type: 'string', value: 'TIME', complete: 'none', group: 'Query', describe: 'only records from TIME on: now, today, yesterday, 2026-11-23, 2026-11-23 10:00:00, 10:00' },
  until: { name: 'until', type: 'string', value: 'TIME', complete: 'none', group: 'Query', describe: 'only records before TIME' },
  limit: { name: 'limit', alias: 'n', type: 'number', value: 'N', default: 10, complete: 'none', group: 'Query', describe: 'how many rows top and last-activity give' },
  'rw-mode': { name: 'mode', type: 'string', value: 'MODE', default: 'rw', complete: ['r', 'w', 'rw'], group: 'Query', describe: 'count bytes read (r), written (w) or both (rw)' },
  asc: { name: 'asc', type: 'boolean', complete: 'none', group: 'Query', describe: 'top: the smallest first' },
  csv: { name: 'csv', type: 'boolean', complete: 'none', group: 'Output', describe: 'print answers as CSV with raw numbers' },
  json: { name: 'json', type: 'boolean', complete: 'none', group: 'Output', describe: 'print each answer as one JSON object per line, with raw numbers' },
  svg: { name: 'svg', type: 'string', value: 'FILE', complete: 'file', group: 'Output', describe: 'also write the chart of usage or 24h_usage as an SVG image (FILE-2.svg... for more)' },
  'older-than': { name: 'older-than', type: 'string', value: 'AGE', complete: 'none', group: 'Store', describe: 'expire: delete records older than AGE (5d, 12h)' },
  'expire-every': { name: 'expire-every', type: 'string', value: 'AGE', complete: 'none', group: 'Store', describe: 'load: expire records older than --older-than this often while loading (1h)' },
  'batch-records': { name: 'batch-records', type: 'number', value: 'N', default: 20000, complete: 'none', group: 'Store', describe: 'load: records per transaction' },
  interface: { name: 'interface', alias: 'i', type: 'string', value: 'IFACE', complete: 'none', group: 'Input', describe: 'capture SMB2/3 traffic live on this network interface (needs capture rights: root or the wireshark group)' },
  pcap: { name: 'read', alias: 'r', type: 'string', value: 'PCAP', complete: 'file', group: 'Input', describe: 'read packets from a pcap or pcapng capture file instead' },
  'capture-filter': { name: 'filter', alias: 'f', type: 'string', value: 'BPF', complete: 'none', group: 'Input', describe: "capture filter for -i (default 'tcp port 445', or the --smb-port ports)" },
  'smb-port': { name: 'smb-port', type: 'array', value: 'PORT', default: [445], complete: 'none', group: 'Decode', describe: 'TCP ports that carry SMB (direct TCP, as 445); repeat for several' },
  'reset-every': { name: 'reset-every', type: 'number', value: 'PACKETS', default: 1000000, complete: 'none', group: 'Limits', describe: "live: tshark forgets its dissection state every this many packets (its memory bound); sessions and trees stay attributed" },
  'tls-cert': { name: 'tls-cert', type: 'string', value: 'PEM', complete: 'file', group: 'Security', describe: "this end's certificate: a server's (-P then speaks TLS), or a client's for servers that require one" },
  'tls-key': { name: 'tls-key', type: 'string', value: 'PEM', complete: 'file', group: 'Security', describe: 'the private key of --tls-cert' },
  'tls-ca': { name: 'tls-ca', type: 'string', value: 'PEM', complete: 'file', group: 'Security', describe: 'CA that -S tls:// servers must have certificates from (default: the system CAs)' },
  'tls-client-ca': { name: 'tls-client-ca', type: 'string', value: 'PEM', complete: 'file', group: 'Security', describe: 'serve only readers with a certificate (--tls-cert on their side) this CA signed' },
  'token-file': { name: 'token-file', type: 'string', value: 'FILE', complete: 'file', group: 'Security', describe: 'shared token (first line of FILE): clients send it, a server serves only clients that do' },
  insecure: { name: 'insecure', type: 'boolean', complete: 'none', group: 'Security', describe: 'serve the stream without TLS, or --metrics in clear text, on an address beyond loopback (refused otherwise)' },
  state: { name: 'state', type: 'string', value: 'FILE', complete: 'file', group: 'Output', describe: "keep the stream's numbering and how far each source was passed on in FILE, so a restart after a crash counts what the crash lost" },
  'wait-readers': { name: 'wait-readers', type: 'number', value: 'N', default: 0, complete: 'none', group: 'Output', describe: 'start reading the sources only once N readers are connected (replaying archives)' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** The common input and selection options of every reader. */
export const READER_OPTIONS: readonly OptionName[] = ['read', 'recursive', 'remote', 'time', 'count', 'tls-ca', 'tls-cert', 'tls-key', 'token-file'];

/** What a program serving the stream (-P) takes to secure it. */
export const SERVING_SECURITY: readonly OptionName[] = ['tls-cert', 'tls-key', 'tls-client-ca', 'token-file', 'insecure'];

export function toYargs(spec: OptionSpec): Options {
  const o: Options = { describe: spec.describe, type: spec.type, group: `${spec.group}:` };
  if (spec.alias) o.alias = spec.alias;
  if (spec.default !== undefined) o.default = spec.default;
  if (spec.type === 'array') o.string = true;
  if ((spec.type === 'string' || spec.type === 'number') && !spec.optionalValue) o.requiresArg = true;
  return o;
}

/**
 * Joins an option's value that starts with '-' to the option (`-t -1h` → `-t=-1h`) so the
 * parser does not read the value as more options. Only for options that take one value.
 */
export function joinDashValues(args: readonly string[], specs: readonly OptionSpec[]): string[] {
  const takesValue = new Set<string>();
  for (const s of specs) {
    if ((s.type !== 'string' && s.type !== 'number') || s.optionalValue) continue;
    takesValue.add(`--${s.name}`);
    if (s.alias) takesValue.add(`-${s.alias}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (takesValue.has(a) && next !== undefined && next.startsWith('-') && next !== '-' && next !== '--') {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
