import { UsageError } from '../language/errors.js';
import { forwardSelected } from '../runtime/forward.js';
import { READER_OPTIONS } from '../cli/options.js';
import { parseSplitMode } from '../runtime/split-mode.js';
import { openBinaryOutput } from '../runtime/output.js';
import type { Program } from '../cli/program.js';
import { prepareInput, readSelected, type ReaderArgs } from '../runtime/input.js';
import { Clusterer } from '../cluster/clusterer.js';
import { parseFieldList } from '../format/field-list.js';
import { FILTER_POSITIONAL, READER_EXIT_STATUS } from './common.js';

interface ClusterArgs extends ReaderArgs {
  merge?: string;
  precision: number;
  mode?: string[];
  write?: string;
}

export const cluster: Program = {
  name: 'smbta-cluster',
  summary: 'merge records that share key fields over a time window; compact archives',
  description:
    'Merges records whose key fields (-m, default op,user,share,path, exact match) are equal within a window of -p seconds from ' +
    "the cluster's first record (0 keeps every record), or within aligned time bins (-M time 1h, for time series): bytes, count " +
    'and latency are summed, latency_max is the largest, time the earliest and end the latest; other fields are the first ' +
    "record's. It streams with bounded memory: a window is written once the input's time has passed it, in the order windows " +
    'opened. Its output is valid input: clustering twice gives the same totals.',
  options: [...READER_OPTIONS, 'merge', 'precision', 'mode', 'write'],
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-cluster -R archive/2026-11-23 -w 2026-11-23.smbta.bz2', 'nightly compaction of a day into one file'],
    ['smbta-cluster -r day.smbta -m user -M time 1h | smbta-csv -s time,user,bytes,count', 'bytes per user per hour'],
    ['smbta-recv | smbta-cluster -p 10 | smbta-db load', "smbtad's precision cache: one row per file and user every 10 s"],
  ],
  exitStatus: READER_EXIT_STATUS,
  async run(raw, ctx) {
    const a = raw as unknown as ClusterArgs;
    const keys = parseFieldList(a.merge, ['op', 'user', 'share', 'path']);
    if (!(a.precision >= 0)) throw new UsageError(`-p ${a.precision}: expected seconds, 0 or more`);
    const bins = a.mode && parseSplitMode(a.mode, { kind: 'time', ms: 0 }, ['time']);
    const binMs = bins && bins.kind === 'time' ? bins.ms : undefined;
    const input = prepareInput(a);
    const writer = openBinaryOutput('smbta-cluster', a.write, { flushMs: a.remote?.length ? 100 : 0 });
    // -p 0 keeps every record: the stream passes through as smbta-filter passes it.
    if (a.precision === 0 && !binMs) return forwardSelected(input, ctx, writer);
    const c = new Clusterer({ keys, windowMs: a.precision * 1000, binMs }, (b, rows, n) => writer.addRows(b, rows, n));
    await readSelected(
      input,
      ctx,
      async (b, rows, n) => {
        c.addRows(b, rows, n);
        await writer.ready();
      },
      (side) => writer.writeRaw(side.raw),
    );
    c.flush();
    await writer.close();
  },
};
