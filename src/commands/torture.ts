import { writeFileSync } from 'node:fs';
import { UsageError } from '../cli/errors.js';
import type { Program } from '../cli/program.js';
import { parseRemote } from '../cli/reader.js';
import { parseDuration } from '../format/units.js';
import { mergeLedgers, type Ledger } from '../torture/ledger.js';
import { Recorder } from '../torture/recording.js';
import { replay } from '../torture/replay.js';
import { runSender } from '../torture/sender.js';
import { readKeyFile } from '../cli/key-file.js';

interface TortureArgs {
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
  files: number;
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
    'per user), for comparison with what came out of the receiver.',
  options: ['dest', 'connections', 'records', 'duration', 'rate', 'v1', 'old-modules', 'key', 'seed', 'users', 'shares', 'files', 'record', 'replay', 'speed', 'ledger'],
  examples: [
    ['smbta-torture -c 16 -n 1000000', 'sixteen servers, a million operations, as fast as the receiver takes them'],
    ['smbta-torture -d unix:/var/tmp/stadsocket --rate 500 --duration 10m', 'a steady 500 operations/s for ten minutes over the Unix socket'],
    ['smbta-torture -c 4 -n 10000 -k key --record load.rec', 'encrypted, and saved for replay'],
    ['smbta-torture --replay load.rec --speed 2', 'the same bytes again, twice as fast'],
  ],
  exitStatus: '0 when everything was sent; 1 when the receiver could not be reached or went away; 2 for a bad option.',
  async run(raw, ctx) {
    const a = raw as unknown as TortureArgs;
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
                dest, index, seed: a.seed, users: a.users, shares: a.shares, files: a.files,
                protocol: a.v1 ? 'v1' : 'v2', common: a['old-modules'] ? 6 : 7, key,
                count: Math.floor(total / c) + (index < total % c ? 1 : 0),
                deadline: durationMs === undefined ? Infinity : started + durationMs,
                rate: a.rate / c,
                recorder,
                signal: ctx.signal,
              }),
            ),
        );
        ledger = mergeLedgers(results.map((r) => r.ledger));
        sendingMs = Math.max(...results.map((r) => r.ms));
        recorder?.close();
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(`${a.dest}: ${e.code === 'ECONNREFUSED' ? 'connection refused: is smbta-recv listening?' : e.message}`);
    }
    const seconds = (sendingMs || Date.now() - started) / 1000;
    ctx.report.warn(`sent ${ledger.records} records (${Math.round(ledger.records / seconds)}/s) over ${a.replay ? 'the recorded' : a.connections} connections in ${seconds.toFixed(2)}s`);
    const text = JSON.stringify(ledger) + '\n';
    if (a.ledger) writeFileSync(a.ledger, text);
    else process.stdout.write(text);
  },
};
