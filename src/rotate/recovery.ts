/** A commit a crash cut short is cut back to where it began, from --state's intent. */
import { truncateSync, unlinkSync } from 'node:fs';
import type { Reporter } from '../io/report.js';

/** Cuts files a killed commit was writing back to their sizes before it (--state). */
export function rollBack(intent: readonly [string, number][], report: Reporter): void {
  for (const [temp, size] of intent) {
    try {
      if (size === 0) unlinkSync(temp);
      else truncateSync(temp, size);
      report.warn(`${temp}: cut back to ${size} bytes, where the last commit before the crash began`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
