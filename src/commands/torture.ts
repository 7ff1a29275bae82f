import { writeFileSync } from 'node:fs';
import { pick } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { readKeyFile } from '../io/secrets.js';
import { UsageError } from '../language/errors.js';
import { parseRemote } from '../runtime/input.js';
import { mergeLedgers, type Ledger } from '../torture/ledger.js';
import { Recorder } from '../torture/recording.js';
import { replay } from '../torture/replay.js';
import { runSender } from '../torture/sender.js';
import { runSmbTorture } from '../torture/smb-run.js';

export const torture = defineProgram({
  name: 'smbta-torture',
  summary: 'emulate any number of Samba servers sending the traffic-analyzer protocol',
  description:
    'Connects N emulated file servers to a receiver and sends protocol V2 (or V1, or encrypted V2) with a seeded, realistic mix: ' +
    'opens and closes around reads and writes of varied sizes, renames, mkdirs, rmdirs and chdirs, a few heavy users and many light ones, ' +
    'names with non-ASCII, commas and quotes. At the end it prints, as JSON on stdout, exactly what it sent (records and bytes per op and ' +
    'per user), for comparison with what came out of the receiver. With --smb it drives a real SMB server through smbclient ' +
    "instead, as SMBTA's torture tool did: a seeded file set on two shares, then -n copies between them with --pause between " +
    'copies; its ledger counts every put as a write and every get as a read, per op, user and file (share/path), to compare with ' +
    'what smbta-probe and smbta-recv saw.',
  options: {
    dest: { kind: 'source', alias: 'd', value: 'HOST:PORT', default: '127.0.0.1:3490', group: 'Load', describe: 'the receiver: HOST:PORT or unix:PATH' },
    connections: { kind: 'count', min: 1, alias: 'c', value: 'N', default: '1', group: 'Load', describe: 'emulated file servers, one connection each' },
    records: { kind: 'count', alias: 'n', value: 'COUNT', group: 'Load', describe: 'operations to send in all (default 10000, or unlimited with --duration)' },
    duration: { kind: 'duration', min: 1, value: 'DURATION', group: 'Load', describe: 'stop after this long: 30s, 10m, 1h' },
    rate: { kind: 'number', min: 0, value: 'N', default: '0', group: 'Load', describe: 'operations per second in all (0: as fast as the receiver takes them)' },
    reconnect: {
      kind: 'flag',
      group: 'Load',
      describe:
        "when the receiver goes away, connect again and go on (as Samba's module does not); the ledger lists every connection with what was written on it",
    },
    v1: { kind: 'flag', group: 'Load', describe: 'speak protocol V1 (reads and writes only, each line sent twice as the module does)' },
    'old-modules': { kind: 'flag', group: 'Load', describe: 'send 6 common blocks (no client address), as modules before the client field did' },
    ...pick('key'),
    seed: { kind: 'count', value: 'N', default: '1', group: 'Load', describe: 'seed of the traffic mix: the same seed sends the same operations' },
    users: { kind: 'count', min: 1, value: 'N', default: '200', group: 'Load', describe: 'users per emulated server (a few heavy, many light)' },
    shares: { kind: 'count', min: 1, value: 'N', default: '5', group: 'Load', describe: 'shares per emulated server' },
    files: {
      kind: 'count',
      min: 1,
      value: 'N',
      group: 'Load',
      describe: 'files per emulated server (default 5000); with --smb, files in the set created on each share (default 8)',
    },
    record: { kind: 'path', value: 'FILE', group: 'Load', describe: 'save the exact bytes sent, with timing, for --replay' },
    replay: { kind: 'path', value: 'FILE', group: 'Load', describe: 'send a --record file again instead of new traffic' },
    ...pick('speed'),
    ledger: {
      kind: 'path',
      value: 'FILE',
      group: 'Load',
      describe: 'write the ledger of what was sent (JSON) to FILE (- is stdout); without it, to stdout unless that is a terminal',
    },
    smb: {
      kind: 'text',
      many: true,
      value: '//HOST/SHARE',
      group: 'Load',
      describe:
        'drive a real SMB server instead: create a file set on these shares (give two, each with its own --smb) and copy files between them with smbclient; -n copies (default 20)',
    },
    'smb-user': {
      kind: 'text',
      alias: 'U',
      value: 'USER%PASS',
      group: 'Load',
      describe: "--smb: the account, as smbclient's -U (the password is passed in its environment, not its arguments)",
    },
    ...pick('smb-port'),
    pause: { kind: 'duration', min: 0, value: 'DURATION', default: '1s', group: 'Load', describe: '--smb: pause between copies' },
  },
  examples: [
    ['smbta-torture -c 16 -n 1000000', 'sixteen servers, a million operations, as fast as the receiver takes them'],
    ['smbta-torture -d unix:/var/tmp/stadsocket --rate 500 --duration 10m', 'a steady 500 operations/s for ten minutes over the Unix socket'],
    ['smbta-torture -c 4 -n 10000 -k key --record load.rec', 'encrypted, and saved for replay'],
    ['smbta-torture --replay load.rec --speed 2 -k key', 'the same bytes again, twice as fast'],
    [
      'smbta-torture --rate 2000 --duration 10m --reconnect --ledger sent.json',
      'go on through receiver restarts; the ledger lists what was written on each connection',
    ],
    ['smbta-torture --smb //fs1/projects --smb //fs1/scratch -U bob%secret -n 10 --pause 500ms', 'copy files between two real shares'],
  ],
  exitStatus: '0 when everything was sent; 1 when the receiver could not be reached or went away; 2 for a bad option.',
  async run(a, ctx) {
    if (a.smb.length) {
      if (a.record || a.replay)
        throw new UsageError('--record and --replay are for the emulated protocol; a --smb run is repeated exactly by giving its --seed again');
      const started = Date.now();
      const moved = await smbRun({ ...a, copies: a.records ?? 20, files: a.files ?? 8 }, ctx.signal);
      ctx.report.warn(`moved ${moved.records} files (${moved.bytes} bytes) through ${a.smb.length} shares in ${((Date.now() - started) / 1000).toFixed(2)}s`);
      return writeLedger(moved, a.ledger, (m) => ctx.report.warn(m));
    }
    const dest = parseRemote(a.dest);
    const key = a.key === undefined ? undefined : readKeyFile(a.key);
    const total = a.records ?? (a.duration === undefined ? 10_000 : Infinity);
    const started = Date.now();
    let ledger: Ledger;
    let sendingMs = 0;
    try {
      if (a.replay) ledger = await replay(a.replay, dest, a.speed, key, ctx.signal);
      else {
        const recorder = a.record ? new Recorder(a.record) : undefined;
        const c = a.connections;
        const results = await Promise.all(
          Array.from({ length: c }, (_, index) =>
            runSender({
              dest,
              index,
              seed: a.seed,
              users: a.users,
              shares: a.shares,
              files: a.files ?? 5000,
              protocol: a.v1 ? 'v1' : 'v2',
              common: a['old-modules'] ? 6 : 7,
              key,
              count: Math.floor(total / c) + (index < total % c ? 1 : 0),
              deadline: a.duration === undefined ? Infinity : started + a.duration,
              rate: a.rate / c,
              reconnect: a.reconnect,
              recorder,
              signal: ctx.signal,
            }),
          ),
        );
        ledger = mergeLedgers(results.map((r) => r.ledger));
        if (a.reconnect) ledger.connections = results.flatMap((r) => r.connections);
        sendingMs = Math.max(...results.map((r) => r.ms));
        recorder?.close();
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new Error(`${a.dest}: ${e.code === 'ECONNREFUSED' ? 'connection refused: is smbta-recv listening?' : e.message}`, { cause: err });
    }
    const seconds = (sendingMs || Date.now() - started) / 1000;
    ctx.report.warn(
      `sent ${ledger.records} records (${Math.round(ledger.records / seconds)}/s) over ${a.replay ? 'the recorded' : a.connections} connections in ${seconds.toFixed(2)}s`,
    );
    writeLedger(ledger, a.ledger, (m) => ctx.report.warn(m));
  },
});

/** The ledger goes to --ledger FILE, to stdout when piped or asked (--ledger -), never unasked to a terminal. */
function writeLedger(ledger: Ledger, path: string | undefined, say: (m: string) => void): void {
  const text = JSON.stringify(ledger) + '\n';
  if (path !== undefined && path !== '-') writeFileSync(path, text);
  else if (path === '-' || !process.stdout.isTTY) process.stdout.write(text);
  else say('the ledger of what was sent is not printed to a terminal: give --ledger FILE, or --ledger - to see it');
}

interface SmbRun {
  smb: string[];
  'smb-user'?: string;
  'smb-port': number[];
  files: number;
  copies: number;
  pause: number;
  seed: number;
}

async function smbRun(a: SmbRun, signal: AbortSignal): Promise<Ledger> {
  for (const s of a.smb) if (!/^(\/\/|\\\\)[^/\\]+[/\\][^/\\]+[/\\]?$/.test(s)) throw new UsageError(`--smb ${s}: expected //HOST/SHARE`);
  if (a.smb.length < 2) throw new UsageError('--smb: give two shares to copy between (--smb //HOST/A --smb //HOST/B)');
  const account = a['smb-user'];
  if (!account) throw new UsageError('--smb needs -U USER%PASS');
  const pct = account.indexOf('%');
  return runSmbTorture({
    shares: a.smb,
    port: a['smb-port'][0] ?? 445,
    files: a.files,
    copies: a.copies,
    pauseMs: a.pause,
    seed: a.seed,
    signal,
    user: pct < 0 ? account : account.slice(0, pct),
    password: pct < 0 ? (process.env.PASSWD ?? '') : account.slice(pct + 1),
  });
}
