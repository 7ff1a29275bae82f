/** Starts a real smbta-recv on a free loopback port and stops it the way an administrator would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { track } from './children.js';
import { ROOT } from './run-bin.js';
import { waitUntil } from './wait.js';

export interface RecvStats {
  open: number;
  total: number;
  records: number;
}

export interface RunningRecv {
  port: number;
  proc: ChildProcess;
  stderr(): string;
  /** What the receiver says it has seen (SIGUSR1 makes it say so). */
  stats(): Promise<RecvStats>;
  /** Waits until the receiver has taken `records` records (and, if given, has `open` connections open). */
  received(records: number, open?: number): Promise<RecvStats>;
  /** SIGTERM, then waits for exit. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

const STATS = /(\d+) connections open \((\d+) total\), (\d+) records/g;

/** Asks a running smbta-recv for its statistics (SIGUSR1) and reads the line it prints. */
export async function recvStats(proc: ChildProcess, stderr: () => string): Promise<RecvStats> {
  const said = (): RecvStats[] => [...stderr().matchAll(STATS)].map((m) => ({ open: Number(m[1]), total: Number(m[2]), records: Number(m[3]) }));
  const before = said().length;
  proc.kill('SIGUSR1');
  return waitUntil('smbta-recv to print its statistics', () => said()[before], 15_000, 10).catch((err: Error) => {
    throw new Error(`${err.message}; it said:\n${stderr().slice(-2000)}`);
  });
}

/** Waits until a running smbta-recv has taken `records` records (and, if given, has `open` connections open). */
export function recvReceived(proc: ChildProcess, stderr: () => string, records: number, open?: number): Promise<RecvStats> {
  return waitUntil(`smbta-recv to have ${records} records${open === undefined ? '' : ` and ${open} connections open`}`, async () => {
    const s = await recvStats(proc, stderr);
    return s.records >= records && (open === undefined || s.open === open) && s;
  });
}

export function startRecv(args: readonly string[], env: Record<string, string> = {}): Promise<RunningRecv> {
  return new Promise((resolve, reject) => {
    const proc = track(
      spawn(process.execPath, [`${ROOT}bin/smbta-recv.js`, '-i', '0', ...args], {
        env: { ...process.env, TZ: 'UTC', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    let err = '';
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`smbta-recv did not start: ${err}`)), 10000);
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m && timer) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          proc,
          stderr: () => err,
          stats: () => recvStats(proc, () => err),
          received: (records, open) => recvReceived(proc, () => err, records, open),
          stop: async () => {
            proc.kill('SIGTERM');
            const code = await exited;
            return { code, stderr: err };
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`smbta-recv exited ${code}: ${err}`)));
  });
}
