/** Starts a real smbta-recv on a free loopback port and stops it the way an administrator would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './run-bin.js';

export interface RunningRecv {
  port: number;
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM, then waits for exit. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

export function startRecv(args: readonly string[], env: Record<string, string> = {}): Promise<RunningRecv> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [`${ROOT}bin/smbta-recv.js`, '-i', '0', ...args], {
      env: { ...process.env, TZ: 'UTC', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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
