import { pick, STREAM_OUT, READER, SHARED } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { Clusterer } from '../cluster/clusterer.js';
import { parseFieldList } from '../format/field-list.js';
import { formatDuration } from '../format/units.js';
import { forwardSelected } from '../runtime/forward.js';
import { liveFlushMs, prepareInput, readSelected } from '../runtime/input.js';
import { openBinaryOutput } from '../runtime/output.js';
import { FILTER_POSITIONAL, READER_EXIT_STATUS } from './common.js';

/** Every field that says who, what and where: clustering by default merges only what differs in time and measures. */
const DEFAULT_KEYS = ['op', 'server', 'domain', 'user', 'sid', 'share', 'path', 'path2', 'client', 'mode', 'result'] as const;

export const cluster = defineProgram({
  name: 'smbta-cluster',
  summary: 'merge records that share key fields over a time window; compact archives',
  description:
    `Merges records whose key fields (-m, default ${DEFAULT_KEYS.join(',')}, exact match) are equal within a window of -p from ` +
    "the cluster's first record (0 keeps every record), or within time bins (-M time 1h, for time series) that start at local " +
    'clock boundaries of the zone in force (--tz, TZ): hours at local hours, days at local midnight (23 or 25 hours across a ' +
    'daylight-saving change), weeks on Mondays. A bin is written once the input has passed its end by --late. Bytes, count ' +
    'and latency are summed, latency_max is the largest, time the earliest and end the latest; other fields are the first ' +
    "record's. It streams with bounded memory: a window is written once the input's time has passed it, in the order windows " +
    'opened. Its output is valid input: clustering twice gives the same totals.',
  options: {
    ...READER,
    merge: {
      kind: 'fields',
      alias: 'm',
      value: 'FIELDS',
      group: 'Output',
      describe: `key fields whose equal values are merged (default ${DEFAULT_KEYS.join(',')})`,
    },
    precision: {
      kind: 'duration',
      min: 0,
      alias: 'p',
      value: 'DURATION',
      default: '5s',
      group: 'Output',
      describe: "window from a cluster's first record (0 keeps every record)",
    },
    mode: { ...SHARED.mode, splits: ['time'] },
    ...pick('late'),
    ...STREAM_OUT,
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-cluster -R archive/2026-11-23 -w 2026-11-23.smbta.bz2', 'nightly compaction of a day into one file'],
    ['smbta-cluster -r day.smbta -m user -M time 1h | smbta-csv -s time,user,bytes,count', 'bytes per user per hour'],
    ['smbta-recv | smbta-cluster -p 10s | smbta-db load', "smbtad's precision cache: one row per file and user every 10 s"],
  ],
  exitStatus: READER_EXIT_STATUS,
  async run(a, ctx) {
    const keys = parseFieldList(a.merge, DEFAULT_KEYS);
    const binMs = a.mode?.kind === 'time' ? a.mode.ms : undefined;
    const input = prepareInput(a, a._);
    const writer = openBinaryOutput('smbta-cluster', a, { flushMs: liveFlushMs(input) });
    // -p 0 keeps every record: the stream passes through as smbta-filter passes it.
    if (a.precision === 0 && !binMs) return forwardSelected(input, ctx, writer);
    const c = new Clusterer({ keys, windowMs: a.precision, binMs, lateMs: a.late }, (b, rows, n) => writer.addRows(b, rows, n));
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
    if (c.tooLate)
      ctx.report.warn(
        `${c.tooLate} records came more than --late ${formatDuration(a.late)} after their bin was written; their rows follow later bins and may repeat a bin and key (raise --late)`,
      );
  },
});
