import { UsageError } from '../language/errors.js';
import { READER_OPTIONS } from '../cli/options.js';
import type { Program } from '../cli/program.js';
import { prepareInput, readSelected, type ReaderArgs } from '../runtime/input.js';
import { parseTime } from '../filter/time-spec.js';
import { graphArgs, RrdFeeder, rrdtool } from '../rrd/rrd-feeder.js';
import { FILTER_POSITIONAL } from './common.js';

interface RrdArgs extends ReaderArgs {
  rrd?: string;
  step: number;
  late: number;
  graph?: string;
  since?: string;
  until?: string;
}

export const rrd: Program = {
  name: 'smbta-rrd',
  summary: 'keep an rrdtool database of read and write throughput up to date from a stream, and draw it',
  description:
    'Sums bytes read, bytes written and operations per --step seconds of record time and writes each step to the rrdtool ' +
    'database --rrd (created on first use with the layout in docs/rrd.md: a day of steps, a month of hours, a year of days) once ' +
    'the stream is --late seconds past it; silent steps are written as zeros, records for a step already written are counted ' +
    'and reported. With --graph PNG it draws the database instead (--since, --until) and reads no stream. Needs Debian\'s rrdtool.',
  options: [...READER_OPTIONS, 'rrd', 'step', 'late', 'graph', 'since', 'until'],
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-rrd -S localhost:3499 --rrd /var/lib/smbta/site.rrd', 'keep the site database up to date from the multiplexer'],
    ["smbta-rrd -R archive --rrd projects.rrd 'share=projects'", 'one share, from the archives'],
    ['smbta-rrd --rrd /var/lib/smbta/site.rrd --graph today.png --since today', "draw today's throughput"],
  ],
  exitStatus: '0 when done; 1 when the input was damaged or rrdtool failed; 2 for a bad option.',
  async run(raw, ctx) {
    const a = raw as unknown as RrdArgs;
    if (!a.rrd) throw new UsageError('give --rrd FILE, the round-robin database to keep or draw');
    if (!(Number.isInteger(a.step) && a.step >= 1)) throw new UsageError(`--step ${a.step}: expected whole seconds, 1 or more`);
    if (a.graph !== undefined) {
      const now = Date.now();
      const at = (t: string | undefined, fallback: number): number => {
        if (t === undefined) return fallback;
        const v = parseTime(t, now);
        if (!v) throw new UsageError(`${t}: not a time`);
        return Math.floor(v.start / 1000);
      };
      rrdtool(graphArgs(a.rrd, a.graph, at(a.since, Math.floor(now / 1000) - 86400), at(a.until, Math.floor(now / 1000))));
      return;
    }
    const input = prepareInput(a);
    const feeder = new RrdFeeder({ file: a.rrd, stepSeconds: a.step, lateMs: a.late * 1000 });
    await readSelected(input, ctx, (b, rows, n) => feeder.add(b, rows, n));
    feeder.flush();
    if (feeder.late) ctx.report.warn(`${feeder.late} records came after their step was written and were left out (raise --late)`);
    ctx.report.warn(`wrote ${feeder.steps} steps of ${a.step}s to ${a.rrd}`);
  },
};
