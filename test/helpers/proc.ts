/** Long-running programs in tests: start, wait for a line on stderr, stop with a signal. */
import { spawn, type ChildProcess } from 'node:child_process';
import { track } from './children.js';
import { ROOT } from './run-bin.js';
import { waitUntil } from './wait.js';

export interface Proc {
  proc: ChildProcess;
  stderr(): string;
  stdout(): Buffer;
  /** Resolves with the first match of `re` on stderr (waiting for it to appear). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts a program of ours; `wrap` is a command prefix that execs it (nsenter into a namespace), keeping its pid. */
export function startProc(program: string, args: readonly string[], env: Record<string, string> = {}, wrap: readonly string[] = []): Proc {
  const [bin, ...rest] = [...wrap, process.execPath, `${ROOT}bin/${program}.js`, ...args];
  const proc = track(
    spawn(bin!, rest, {
      env: { ...process.env, TZ: 'UTC', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let err = '';
  const out: Buffer[] = [];
  const waiters: (() => void)[] = [];
  proc.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    waiters.splice(0).forEach((w) => w());
  });
  proc.stdout.on('data', (d: Buffer) => out.push(d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    exited,
    stderr: () => err,
    stdout: () => Buffer.concat(out),
    waitFor(re, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${program}: no ${re} on stderr within ${timeoutMs} ms:\n${err}`)), timeoutMs);
        const check = (): void => {
          const m = re.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else waiters.push(check);
        };
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      proc.kill(signal);
      return exited;
    },
  };
}

/** A receiver that serves its stream to readers (-P): its sender port and its reader port. */
export async function servingReceiver(serve = 0): Promise<{ p: Proc; port: number; serve: number }> {
  const p = startProc('smbta-recv', ['-i', '0', '-P', String(serve)]);
  const m = await p.waitFor(/listening on 127\.0\.0\.1:(\d+); serving readers on 127\.0\.0\.1:(\d+)/);
  return { p, port: Number(m[1]), serve: Number(m[2]) };
}

/**
 * Waits until a program that prints statistics on SIGUSR1 has stopped counting: two answers
 * `everyMs` apart give the same non-zero count (`counted` reads it from a statistics line).
 * For sources whose end nobody announces (a log followed, a capture).
 */
export async function quiet(p: Proc, counted: RegExp, everyMs = 300, timeoutMs = 30000): Promise<number> {
  const said = (): number[] => [...p.stderr().matchAll(new RegExp(counted.source, 'g'))].map((m) => Number(m[1]));
  let last = -1;
  return waitUntil(
    `${p.proc.spawnargs[1] ?? 'the program'} to stop counting`,
    async () => {
      const before = said().length;
      p.proc.kill('SIGUSR1');
      const now = await waitUntil('statistics on SIGUSR1', () => said()[before], 5000, 10);
      const settled = now > 0 && now === last;
      last = now;
      return settled && now;
    },
    timeoutMs,
    everyMs,
  );
}

/** The record count in smbta-recv's and smbta-probe's statistics lines. */
export const RECV_RECORDS = /connections open \(\d+ total\), (\d+) records/;
export const PROBE_RECORDS = /SMB2 PDUs, (\d+) records/;
