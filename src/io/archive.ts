/** An archive directory: its stream files, in the order of their first record's time. */
import { statSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Reporter } from './report.js';
import { describeIoError } from './consume.js';
import { firstRecordTimes } from './first-record.js';

/** Files under `dir`, skipping hidden and temporary names, in order of their first record's time. */
export async function listArchive(dir: string, report: Reporter): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    report.fail(`${dir}: ${describeIoError(err)}`);
    return [];
  }
  const paths = entries
    .map((e) => ({ e, path: join(e.parentPath, e.name) }))
    .filter(({ e, path }) => isStreamFile(relative(dir, path)) && (e.isFile() || (e.isSymbolicLink() && regularFileSize(path) !== undefined)))
    .map(({ path }) => path);
  // One that cannot be read sorts last (+Infinity); reading it says why.
  const times = await firstRecordTimes(paths);
  const order = paths.map((path, k) => ({ path, t: times[k]! }));
  return order.sort((a, b) => a.t - b.t || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => f.path);
}

/** The size of the regular file at `path` (links followed); undefined for anything else, or when it cannot be looked at. */
export function regularFileSize(path: string): number | undefined {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st?.isFile() ? st.size : undefined;
  } catch {
    return undefined; // a loop of links, a directory we may not enter: reading it says why
  }
}

/** Not hidden (no part of the name starts with a dot), nor a writer's temporary file. */
function isStreamFile(name: string): boolean {
  return !name.split(/[\\/]/).some((part) => part.startsWith('.')) && !name.endsWith('.tmp');
}
