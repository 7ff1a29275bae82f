/**
 * Files are written under a temporary name and renamed when whole; readers of directories
 * skip the temporary names. A temporary file whose writer died is an orphan to recover.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The name a file is written under until it is whole: `.NAME.PID.tmp` beside it. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

const TEMP = /^\.(.+)\.(\d+)\.tmp$/;

/** Temporary files under `base` whose writer is no longer alive, with the names they were meant to have. */
export function orphans(base: string): { temp: string; path: string; pid: number }[] {
  const out: { temp: string; path: string; pid: number }[] = [];
  for (const temp of walk(base)) {
    const m = TEMP.exec(basename(temp));
    if (!m || alive(Number(m[2]))) continue;
    out.push({ temp, path: join(dirname(temp), m[1] ?? ''), pid: Number(m[2]) });
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function walk(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map((n) => join(dir, String(n)));
  } catch {
    return [];
  }
}
