/**
 * Every child a test starts is tracked here and stopped when the test file ends, even when
 * an assertion failed before the test could stop it: a failed setup never leaves a receiver
 * listening or the file hanging. Children are stopped by their own pid (and process group
 * where they lead one), never by name.
 */
import type { ChildProcess } from 'node:child_process';
import { after } from 'node:test';

/** A test file (under `node --test`, or run directly), rather than a script that borrows a helper. */
const UNDER_TEST = process.env.NODE_TEST_CONTEXT !== undefined || /\.test\.[jt]sx?$/.test(process.argv[1] ?? '');

const running = new Set<ChildProcess>();
/** Servers a helper started as daemons (PostgreSQL's pg_ctl): how to stop each. */
const cleanups = new Set<() => void>();
const groupLeaders = new WeakSet<ChildProcess>();
let exitHooked = false;

// Registered while the file loads, so it belongs to the file rather than to the test running when
// the first child starts: it runs once, after the file's last test, whatever failed before.
if (UNDER_TEST) after(stopChildren);

/** Stops every tracked child still running: SIGTERM, then SIGKILL for any that ignore it. */
export async function stopChildren(): Promise<void> {
  for (const stop of cleanups) stop();
  cleanups.clear();
  const left = [...running];
  for (const c of left) signal(c, 'SIGTERM');
  const gone = left.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))));
  const late = setTimeout(() => left.forEach((c) => signal(c, 'SIGKILL')), 3000);
  await Promise.all(gone);
  clearTimeout(late);
}

function signal(c: ChildProcess, sig: NodeJS.Signals): void {
  try {
    // A detached child leads its own group (smbd's workers, a shell's children): stop them all.
    if (groupLeaders.has(c) && c.pid) process.kill(-c.pid, sig);
    else c.kill(sig);
  } catch {
    // Already gone.
  }
}

/** Tracks `child` until it exits; `group` when it was spawned detached and leads a process group. */
export function track<C extends ChildProcess>(child: C, group = false): C {
  if (group) groupLeaders.add(child);
  running.add(child);
  child.once('exit', () => running.delete(child));
  hook();
  return child;
}

/** Runs `stop` when the test file ends, unless `done` (the returned function) ran it first. */
export function onCleanup(stop: () => void): () => void {
  const once = (): void => {
    if (cleanups.delete(once)) stop();
  };
  cleanups.add(once);
  hook();
  return once;
}

/** A script that borrows a helper stops what it started at exit. */
function hook(): void {
  if (UNDER_TEST || exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const stop of cleanups) stop();
    running.forEach((c) => signal(c, 'SIGKILL'));
  });
}
