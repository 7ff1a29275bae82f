import { writeFileSync } from 'node:fs';
import { UsageError } from '../language/errors.js';
import type { Program } from '../cli/program.js';
import { parseRemote } from '../runtime/input.js';
import { parseDuration } from '../format/units.js';
import { mergeLedgers, type Ledger } from '../torture/ledger.js';
import { Recorder } from '../torture/recording.js';
import { replay } from '../torture/replay.js';
import { runSender } from '../torture/sender.js';
import { runSmbTorture } from '../torture/smb-run.js';
import { readKeyFile } from '../io/secrets.js';
import { parseSmbPorts } from './common.js';

interface TortureArgs {
  reconnect?: boolean;
  dest: string;
  connections: number;
  records?: number;
  duration?: string;
  rate: number;
  v1?: boolean;
  'old-modules'?: boolean;
  key?: string;
  seed: number;
  users: number;
  shares: number;
  files?: number;
  smb?: string[];
  'smb-user'?: string;
  'smb-port': (number | string)[];
  pause: number;
  record?: string;
  replay?: string;
  speed: number;
  ledger?: string;
}

export const torture: Program = {
  name: 'smbta-torture',
  summary: 'emulate any number of Samba servers sending the traffic-analyzer protocol',
  description:
    'Connects N emulated file servers to a receiver and sends protocol V2 (or V1, or encrypted V2) with a seeded, realistic mix: ' +
    'opens and closes around reads and writes of varied sizes, renames, mkdirs, rmdirs and chdirs, a few heavy users and many light ones, ' +
    'names with non-ASCII, commas and quotes. At the end it prints, as JSON on stdout, exactly what it sent (records and bytes per op and ' +
    'per user), for comparison with what came out of the receiver. With --smb it drives a real SMB server through smbclient ' +
    'instead, as SMBTA\'s torture tool did: a seeded file set on two shares, then -n copies between them with --pause between ' +
    'copies; its ledger counts every put as a write and every get as a read, per op, user and file (share/path), to compare with ' +
    'what smbta-probe and smbta-recv saw.',
  options: ['dest', 'connections', 'records', 'duration', 'rate', 'reconnect', 'v1', 'old-modules', 'key', 'seed', 'users', 'shares', 'files', 'record', 'replay', 'speed', 'ledger', 'smb', 'smb-user', 'smb-port', 'pause'],
  examples: [
    ['smbta-torture -c 16 -n 1000000', 'sixteen servers, a million operations, as fast as the receiver takes them'],
    ['smbta-torture -d unix:/var/tmp/stadsocket --rate 500 --duration 10m', 'a steady 500 operations/s for ten minutes over the Unix socket'],
    ['smbta-torture -c 4 -n 10000 -k key --record load.rec', 'encrypted, and saved for replay'],
    ['smbta-torture --replay load.rec --speed 2', 'the same bytes again, twice as fast'],
    ['smbta-torture --rate 2000 --duration 10m --reconnect --ledger sent.json', 'go on through receiver restarts; the ledger lists what was written on each connection'],
    ['smbta-torture --smb //fs1/projects --smb //fs1/scratch -U bob%secret -n 50 --pause 2', 'copy files between two real shares'],
  ],
  exitStatus: '0 when everything was sent; 1 when the receiver could not be reached or went away; 2 for a bad option.',
  async run(raw, ctx) {
    const a = raw as unknown as TortureArgs;
    if (a.smb) {
      const started = Date.now();
      const moved = await smbRun(a, ctx.signal);
      ctx.report.warn(`moved ${moved.records} files (${moved.bytes} bytes) through ${a.smb.length} shares in ${((Date.now() - started) / 1000).toFixed(2)}s`);
      return writeLedger(moved, a.ledger);
    }
    const dest = parseRemote(a.dest);
    const key = a.key === undefined ? undefined : readKeyFile(a.key);
    const durationMs = a.duration === undefined ? undefined : (parseDuration(a.duration) ?? NaN);
    if (durationMs !== undefined && !(durationMs > 0)) throw new UsageError(`--duration ${a.duration}: expected e.g. 30s, 10m, 1h`);
    if (!(a.connections >= 1)) throw new UsageError(`-c ${a.connections}: expected at least 1 connection`);
    const total = a.records ?? (durationMs === undefined ? 10_000 : Infinity);
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
                dest, index, seed: a.seed, users: a.users, shares: a.shares, files: a.files ?? 5000,
                protocol: a.v1 ? 'v1' : 'v2', common: a['old-modules'] ? 6 : 7, key,
                count: Math.floor(total / c) + (index < total % c ? 1 : 0),
                deadline: durationMs === undefined ? Infinity : started + durationMs,
                rate: a.rate / c,
                reconnect: !!a.reconnect,
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
      const e = err as NodeJS.ErrnoException;
      throw new Error(`${a.dest}: ${e.code === 'ECONNREFUSED' ? 'connection refused: is smbta-recv listening?' : e.message}`);
    }
    const seconds = (sendingMs || Date.now() - started) / 1000;
    ctx.report.warn(`sent ${ledger.records} records (${Math.round(ledger.records / seconds)}/s) over ${a.replay ? 'the recorded' : a.connections} connections in ${seconds.toFixed(2)}s`);
    writeLedger(ledger, a.ledger);
  },
};

function writeLedger(ledger: Ledger, path: string | undefined): void {
  const text = JSON.stringify(ledger) + '\n';
  if (path) writeFileSync(path, text);
  else process.stdout.write(text);
}

async function smbRun(a: TortureArgs, signal: AbortSignal): Promise<Ledger> {
  if (a.record || a.replay) throw new UsageError('--record and --replay are for the emulated protocol; a --smb run is repeated exactly by giving its --seed again');
  const shares = a.smb!.map(String);
  for (const s of shares) if (!/^(\/\/|\\\\)[^/\\]+[/\\][^/\\]+[/\\]?$/.test(s)) throw new UsageError(`--smb ${s}: expected //HOST/SHARE`);
  if (shares.length < 2) throw new UsageError('--smb: give two shares to copy between (--smb //HOST/A --smb //HOST/B)');
  if (!a['smb-user']) throw new UsageError('--smb needs -U USER%PASS');
  const [port] = parseSmbPorts(a['smb-port']);
  const files = a.files ?? 8;
  if (!(files >= 1)) throw new UsageError(`--files ${files}: expected at least 1`);
  if (!(a.pause >= 0)) throw new UsageError(`--pause ${a.pause}: expected seconds, 0 or more`);
  const pct = a['smb-user'].indexOf('%');
  return runSmbTorture({
    shares, port, files, copies: a.records ?? 20, pauseMs: a.pause * 1000, seed: a.seed, signal,
    user: pct < 0 ? a['smb-user'] : a['smb-user'].slice(0, pct),
    password: pct < 0 ? (process.env.PASSWD ?? '') : a['smb-user'].slice(pct + 1),
  });
}
