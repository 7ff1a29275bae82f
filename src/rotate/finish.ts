/** What happens to a finished file: compression (-z), the on-close command (-f), expiry (--keep). */
import { spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createBzip2Sink, createFileSink } from '../io/byte-sink.js';
import type { Reporter } from '../io/report.js';
import { tempNameFor, walk } from '../io/temp-files.js';
import { unusedName } from './names.js';

/** Compresses a finished file into PATH.bz2 (or an unused name beside it) and removes it; the new path. */
export async function compressFile(path: string): Promise<string> {
  const final = unusedName(`${path}.bz2`);
  const sink = createBzip2Sink(createFileSink(final));
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 2 << 20 })) {
      sink.write(chunk as Buffer);
      await sink.ready();
    }
    await sink.close();
  } catch (err) {
    // No half-compressed orphan for the next start to take for a file of its own.
    await unlink(tempNameFor(final)).catch(() => undefined);
    throw err;
  }
  await unlink(path);
  return final;
}

/** Runs `cmd "$path"` through the shell; resolves when it ends (a failure is reported, never thrown). */
export function runOnClose(cmd: string, path: string, report: Reporter): Promise<void> {
  return new Promise<void>((resolve) => {
    const child = spawn('/bin/sh', ['-c', `${cmd} "$1"`, 'smbta-rotate', path], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', (err) => report.warn(`-f: ${err.message}`));
    child.on('close', (code) => {
      if (code) report.warn(`-f ${cmd} ${path}: exited ${code}`);
      resolve();
    });
  });
}

/** Deletes the files under `base` that `ours` accepts and that were last changed before `before`. */
export async function expireFiles(base: string, ours: (path: string) => boolean, before: number, report: Reporter): Promise<void> {
  for (const path of walk(base)) {
    if (!ours(path)) continue;
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isFile() && st.mtimeMs < before) {
      await unlink(path);
      report.warn(`expired ${path} (--keep)`);
    }
  }
}
