/**
 * The shared vocabulary of command-line options, keyed by long name: the same option has the
 * same letter, kind and words in every program that takes it. Programs pick from it and add
 * the options only they take (in their own command file); help, docs, completions and the
 * argument types all read the same specs.
 */
import type { SplitKind, ValueKind, ValueRules } from './values.js';

/** What a shell should complete for an option's value, when its kind does not say. */
export type Completion = 'file' | 'dir' | 'hostport' | 'fields' | 'none' | readonly string[];

export type OptionGroup =
  | 'Input'
  | 'Selection'
  | 'Output'
  | 'Filter'
  | 'Listen'
  | 'Decode'
  | 'Privacy'
  | 'Limits'
  | 'Report'
  | 'Load'
  | 'Query'
  | 'Store'
  | 'Config'
  | 'Security'
  | 'Rules'
  | 'Period';

export interface OptionSpec extends ValueRules {
  readonly kind: ValueKind;
  readonly alias?: string;
  readonly describe: string;
  /** Placeholder shown in docs: FILE, DIR, RANGE... */
  readonly value?: string;
  /** As a user would write it (`64K`, `10s`): it goes through the same parser. */
  readonly default?: string | boolean;
  /** Repeatable; the value is a list (empty when not given). */
  readonly many?: boolean;
  /** The value may be left out (`-u` alone takes the default path): it is then ''. */
  readonly optionalValue?: boolean;
  readonly group: OptionGroup;
  /** Completion, when the kind's own (file for path, dir for dir...) is not right. */
  readonly complete?: Completion;
}

export type Options = Readonly<Record<string, OptionSpec>>;

const SPLITS: readonly SplitKind[] = ['time', 'size', 'count'];

export const SHARED = {
  read: {
    kind: 'path',
    alias: 'r',
    many: true,
    value: 'FILE...',
    group: 'Input',
    describe: 'read stream files (- is stdin; .bz2 read transparently); takes words while they name files',
  },
  recursive: {
    kind: 'dir',
    alias: 'R',
    many: true,
    value: 'DIR...',
    group: 'Input',
    describe: 'read every stream file under DIR, in time order (hidden and .tmp files skipped); takes words while they name directories',
  },
  remote: {
    kind: 'source',
    alias: 'S',
    many: true,
    value: 'HOST:PORT...',
    group: 'Input',
    describe:
      'read a live stream from HOST:PORT, tls://HOST:PORT, unix:PATH, or a JetStream stream nats://HOST:PORT/STREAM[/SUBJECT] (reconnects with backoff); takes words while they are addresses',
  },
  durable: {
    kind: 'text',
    value: 'NAME',
    group: 'Input',
    describe:
      'read -S nats:// through the durable consumer NAME: a restart resumes after what was acknowledged, and a message is acknowledged once kept (rotate: committed; db: stored)',
  },
  time: { kind: 'range', alias: 't', value: 'RANGE', group: 'Selection', describe: 'only records in RANGE: 2026-11-23, 10:00-11:00, -1h, A..B' },
  count: { kind: 'count', alias: 'N', value: 'COUNT', group: 'Selection', describe: 'stop after COUNT records' },
  fields: {
    kind: 'fields',
    alias: 's',
    value: 'FIELDS',
    group: 'Output',
    describe: 'fields to print, in order (all for every field); +f adds to and -f removes from the default',
  },
  numeric: { kind: 'flag', alias: 'n', group: 'Output', describe: 'print raw numbers: bytes as integers, times as ms since the epoch' },
  header: { kind: 'flag', default: true, group: 'Output', describe: 'print a header line (--no-header to leave it out)' },
  write: {
    kind: 'path',
    alias: 'w',
    value: 'FILE',
    group: 'Output',
    describe:
      'write the stream to FILE (- is stdout; .bz2 compresses), or publish it to JetStream at nats://HOST:PORT/SUBJECT; a regular file is written under a temporary name and renamed when whole, a device or FIFO is written directly',
  },
  force: { kind: 'flag', group: 'Output', describe: 'let -w replace an existing file (never replaced otherwise)' },
  bind: {
    kind: 'text',
    alias: 'B',
    value: 'ADDR',
    default: '127.0.0.1',
    group: 'Listen',
    describe: 'address to listen on (loopback unless told otherwise; 0.0.0.0 or :: for all: serving -P there needs TLS or --insecure)',
  },
  serve: {
    kind: 'listen',
    alias: 'P',
    value: '[ADDR:]PORT',
    group: 'Output',
    describe: 'serve the stream to readers (smbta-cat -S HOST:PORT) on this TCP port, at ADDR or the -B address',
  },
  key: { kind: 'path', alias: 'k', value: 'KEYFILE', group: 'Decode', describe: 'AES key file (16 characters) of the legacy encrypted protocol' },
  tz: {
    kind: 'zone',
    value: 'ZONE',
    group: 'Decode',
    describe: "the time zone to read and align local times in (IANA name, e.g. Europe/Berlin); default: TZ, else this machine's",
  },
  'server-name': {
    kind: 'text',
    many: true,
    value: 'ADDR=NAME',
    group: 'Decode',
    describe: 'name the file server at ADDR (default: its address; the host name for Unix sockets); repeat for several',
  },
  stats: {
    kind: 'duration',
    min: 0,
    value: 'DURATION',
    default: '0',
    group: 'Report',
    describe: 'print statistics on stderr this often (0: only on SIGUSR1 and at exit)',
  },
  'status-every': {
    kind: 'duration',
    min: 1,
    value: 'DURATION',
    default: '10s',
    group: 'Report',
    describe: 'write a status block (health counters, keep-alive) into the stream this often',
  },
  metrics: {
    kind: 'listen',
    value: '[ADDR:]PORT',
    group: 'Report',
    describe:
      'serve Prometheus metrics at http://ADDR:PORT/metrics (a bare PORT: loopback): records in and out, bytes per op and share, drops by reason, connections, lag; beyond loopback only with --insecure, and with --token-file only for a bearer of the token',
  },
  'metrics-users': { kind: 'flag', group: 'Report', describe: 'add bytes per user to --metrics (at most 1000 users; the rest count as (other))' },
  config: {
    kind: 'path',
    alias: 'c',
    value: 'FILE',
    group: 'Config',
    describe: 'read settings from FILE: a [PROGRAM] section of keys named like the long options (docs/config.md); the command line wins',
  },
  db: {
    kind: 'text',
    value: 'URL',
    complete: 'file',
    group: 'Store',
    describe: 'the database: sqlite:PATH or PATH.db (default $XDG_DATA_HOME/smbta/smbta.db, else ~/.local/share/smbta/smbta.db), or postgres://USER@HOST/DB',
  },
  state: {
    kind: 'path',
    value: 'FILE',
    group: 'Output',
    describe: "keep the stream's numbering and how far each source was passed on in FILE, so a restart after a crash counts what the crash lost",
  },
  mode: {
    kind: 'split',
    splits: SPLITS,
    alias: 'M',
    value: 'KIND AMOUNT',
    group: 'Output',
    describe: 'split by time (-M time 10m; cluster: aligned bins), size (-M size 100M: files stay under it; at least 4K) or record count (-M count 1000000)',
  },
  late: {
    kind: 'duration',
    min: 0,
    value: 'DURATION',
    default: '10s',
    group: 'Output',
    describe: 'wait this long past the end of a period (a time file, an rrd step) for late records before closing it',
  },
  speed: {
    kind: 'number',
    min: 0,
    value: 'X',
    default: '1',
    group: 'Output',
    describe: 'replay this many times faster than recorded (0: as fast as possible)',
  },
  since: { kind: 'time', value: 'TIME', group: 'Query', describe: 'only records from TIME on: now, today, yesterday, 2026-11-23, 2026-11-23 10:00:00, 10:00' },
  until: { kind: 'time', value: 'TIME', group: 'Query', describe: 'only records before TIME' },
  'smb-port': {
    kind: 'port',
    min: 1,
    many: true,
    value: 'PORT',
    default: '445',
    group: 'Decode',
    describe: 'TCP port that carries SMB (direct TCP, as 445); repeat for several',
  },
  'tls-cert': {
    kind: 'path',
    value: 'PEM',
    group: 'Security',
    describe: "this end's certificate: a server's (-P then speaks TLS), or a client's for servers that require one",
  },
  'tls-key': { kind: 'path', value: 'PEM', group: 'Security', describe: 'the private key of --tls-cert' },
  'tls-ca': { kind: 'path', value: 'PEM', group: 'Security', describe: 'CA that -S tls:// servers must have certificates from (default: the system CAs)' },
  'tls-client-ca': {
    kind: 'path',
    value: 'PEM',
    group: 'Security',
    describe: 'serve only readers with a certificate (--tls-cert on their side) this CA signed',
  },
  'token-file': {
    kind: 'path',
    value: 'FILE',
    group: 'Security',
    describe: 'shared token (first line of FILE): clients send it, a server serves only clients that do',
  },
  insecure: {
    kind: 'flag',
    group: 'Security',
    describe: 'serve the stream without TLS, --metrics in clear text, or a nats:// link without TLS, on an address beyond loopback (refused otherwise)',
  },
  'nats-creds': {
    kind: 'path',
    value: 'FILE',
    group: 'Security',
    describe: "what a nats:// link proves: a .creds file (JWT and nkey), an nkey seed, or a token (user:password go in the URL's user part)",
  },
  'nats-ca': { kind: 'path', value: 'PEM', group: 'Security', describe: 'CA that tls:// NATS servers must have certificates from (default: the system CAs)' },
} as const satisfies Options;

export type SharedName = keyof typeof SHARED;

/** Some options of the shared table, typed as they are: `pick('read', 'write')`. */
export function pick<const N extends readonly SharedName[]>(...names: N): { readonly [K in N[number]]: (typeof SHARED)[K] } {
  return Object.fromEntries(names.map((n) => [n, SHARED[n]])) as { readonly [K in N[number]]: (typeof SHARED)[K] };
}

/** What every reader takes: sources, selection, and what live links need. */
export const READER = pick(
  'read',
  'recursive',
  'remote',
  'durable',
  'time',
  'count',
  'tz',
  'tls-ca',
  'tls-cert',
  'tls-key',
  'token-file',
  'nats-creds',
  'nats-ca',
  'insecure',
);

/** What a program writing the binary stream takes: -w to a file, stdout or JetStream. */
export const STREAM_OUT = pick('write', 'force', 'nats-creds', 'nats-ca', 'insecure');

/** What a program serving the stream (-P) takes to secure it. */
export const SERVING = pick('serve', 'bind', 'tls-cert', 'tls-key', 'tls-client-ca', 'token-file', 'insecure');

/** What --metrics takes. */
export const METRICS = pick('metrics', 'metrics-users', 'insecure', 'token-file');

/** The completion an option's value gets: its own, else its kind's. */
export function completionOf(s: OptionSpec): Completion {
  if (s.complete) return s.complete;
  switch (s.kind) {
    case 'path':
      return 'file';
    case 'dir':
      return 'dir';
    case 'source':
      return 'hostport';
    case 'fields':
      return 'fields';
    case 'choice':
      return s.choices ?? 'none';
    default:
      return 'none';
  }
}
