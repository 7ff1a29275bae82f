/** A network namespace of the test's own (`unshare -n`), its loopback up; commands enter it through `wrap`. */
import { spawn, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { track } from './children.js';
import { waitUntil } from './wait.js';

export interface Netns {
  /** A command prefix that runs a program inside (nsenter execs it: the pid stays the program's). */
  wrap: readonly string[];
  stop(): Promise<void>;
}

export async function startNetns(): Promise<Netns> {
  // A process that holds the namespace for as long as the test needs it.
  const holder = track(spawn('unshare', ['-n', 'sleep', '3600'], { stdio: 'ignore' }));
  const mine = readlinkSync('/proc/self/ns/net');
  // Until unshare has made it, the holder is still in ours: entering then would enter ours.
  await waitUntil('the network namespace', () => {
    try {
      return readlinkSync(`/proc/${holder.pid}/ns/net`) !== mine;
    } catch {
      return false;
    }
  });
  const wrap = ['nsenter', '-t', String(holder.pid), '-n', '--'];
  const up = spawnSync(wrap[0]!, [...wrap.slice(1), 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`ip link set lo up in the namespace: ${up.stderr}`);
  const gone = new Promise<void>((r) => holder.on('exit', () => r()));
  return {
    wrap,
    async stop() {
      holder.kill('SIGTERM');
      await gone;
    },
  };
}

/** Why a network namespace cannot be made here, or false. */
export function netnsMissing(): string | false {
  const r = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  return r.status === 0 ? false : 'unshare -n is not allowed here (needs root or CAP_SYS_ADMIN)';
}
