/**
 * Files are written under a temporary name and renamed when whole; readers of directories
 * skip the temporary names. A temporary file whose writer died is an orphan to recover.
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The name a file is written under until it is whole: `.NAME.PID.tmp` beside it. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/** How to finish each file being written, at once, should the program have to stop now. */
const unfinished = new Set<() => string>();

/**
 * Registers how to finish a file still being written, if the program must stop at once (a
 * second SIGTERM or SIGINT): `finishNow` renames what is there and says what it kept. The
 * returned function unregisters it, when the file is finished the normal way.
 */
export function whileUnfinished(finishNow: () => string): () => void {
  unfinished.add(finishNow);
  return () => void unfinished.delete(finishNow);
}

/** Finishes every file still being written, at once; what each kept, or why it could not. */
export function finishAllNow(): string[] {
  const said: string[] = [];
  for (const finish of unfinished) {
    try {
      said.push(finish());
    } catch (err) {
      said.push(`a file could not be finished: ${(err as Error).message}`);
    }
  }
  unfinished.clear();
  return said;
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

/** A file name's extension, `.smbta` or `.smbta.bz2`, kept when a name is changed. */
export const EXTENSION = /(?:\.[^./%$]+)?(?:\.bz2)?$/;

/** `path` if nothing is there yet, else `name-1.ext`, `name-2.ext`, ...: nothing is ever overwritten. */
export function unusedName(path: string, taken: (p: string) => boolean = existsSync): string {
  if (!taken(path)) return path;
  const at = EXTENSION.exec(path)!.index;
  const [stem, ext] = [path.slice(0, at), path.slice(at)];
  for (let k = 1; ; k++) {
    const p = `${stem}-${k}${ext}`;
    if (!taken(p)) return p;
  }
}

/**
 * What an earlier writer of `path` left under its temporary name when it was killed: each
 * kept under a name of its own (never `path`, which the new run is about to write), said.
 */
export function recoverOrphansOf(path: string): string[] {
  const said: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return said;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || m[1] !== basename(path) || alive(Number(m[2]))) continue;
    const kept = unusedName(path, (p) => p === path || existsSync(p));
    renameSync(join(dirname(path), name), kept);
    said.push(`${kept}: recovered what process ${m[2]} had written to ${path} before it was killed`);
  }
  return said;
}
