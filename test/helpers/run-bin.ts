/** Runs a real program from bin/ as a child process, as a user would. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './children.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  input?: Buffer | string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** The directory to run in (default: the repository). */
  cwd?: string;
  /** Run as this user (and group), as another account on the machine would. */
  as?: { uid: number; gid: number };
}

export function runBin(program: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [`${ROOT}bin/${program}.js`, ...args], {
        cwd: opts.cwd ?? ROOT,
        env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', COLUMNS: '100', ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        ...opts.as,
      }),
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} ${args.join(' ')}: still running after ${opts.timeoutMs ?? 20000} ms`));
    }, opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
