import { statSync } from 'node:fs';
import { pick, READER } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { parseTime } from '../filter/time-spec.js';
import { UsageError } from '../language/errors.js';
import { graphArgs, RrdFeeder, rrdtool } from '../rrd/rrd-feeder.js';
import { prepareInput, readSelected } from '../runtime/input.js';
import { FILTER_POSITIONAL } from './common.js';

export const rrd = defineProgram({
  name: 'smbta-rrd',
  summary: 'keep an rrdtool database of read and write throughput up to date from a stream, and draw it',
  description:
    'Sums bytes read, bytes written and operations per --step of record time and writes each step to the rrdtool ' +
    'database --rrd (created on first use with the layout in docs/rrd.md: a day of steps, a month of hours, a year of days) once ' +
    'the stream is --late past it; silent steps are written as zeros, records for a step already written are counted ' +
    "and reported. With --graph PNG it draws the database instead (--since, --until) and reads no stream. Needs Debian's rrdtool.",
  options: {
    ...READER,
    rrd: { kind: 'path', value: 'FILE', group: 'Output', describe: 'the rrdtool database to keep up to date (created on first use) or to draw' },
    step: {
      kind: 'duration',
      min: 1000,
      value: 'DURATION',
      default: '60s',
      group: 'Output',
      describe: 'record time per database step, in whole seconds (only when the database is created)',
    },
    ...pick('late'),
    graph: {
      kind: 'path',
      value: 'PNG',
      group: 'Output',
      describe: 'draw read and write throughput from --rrd into PNG and exit (--since, --until; default: the last day)',
    },
    ...pick('since', 'until'),
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-rrd -S localhost:3499 --rrd /var/lib/smbta/site.rrd', 'keep the site database up to date from the multiplexer'],
    ["smbta-rrd -R archive --rrd projects.rrd 'share=projects'", 'one share, from the archives'],
    ['smbta-rrd --rrd /var/lib/smbta/site.rrd --graph today.png --since today', "draw today's throughput"],
  ],
  exitStatus: '0 when done; 1 when the input was damaged or rrdtool failed; 2 for a bad option.',
  async run(a, ctx) {
    if (!a.rrd) throw new UsageError('give --rrd FILE, the round-robin database to keep or draw');
    // rrdtool writes a new file and renames it over the old: never over a device or a FIFO.
    const st = statSync(a.rrd, { throwIfNoEntry: false });
    if (st && !st.isFile()) throw new UsageError(`--rrd ${a.rrd}: not a regular file`);
    if (a.step % 1000 !== 0) throw new UsageError(`--step ${a.step}ms: rrdtool steps are whole seconds`);
    if (a.graph !== undefined) {
      const now = Date.now();
      const at = (t: string | undefined, fallback: number): number => (t === undefined ? fallback : Math.floor((parseTime(t, now)?.start ?? now) / 1000));
      rrdtool(graphArgs(a.rrd, a.graph, at(a.since, Math.floor(now / 1000) - 86400), at(a.until, Math.floor(now / 1000))));
      return;
    }
    const input = prepareInput(a, a._);
    const feeder = new RrdFeeder({ file: a.rrd, stepSeconds: a.step / 1000, lateMs: a.late });
    await readSelected(input, ctx, (b, rows, n) => feeder.add(b, rows, n));
    feeder.flush();
    if (feeder.late) ctx.report.warn(`${feeder.late} records came after their step was written and were left out (raise --late)`);
    ctx.report.warn(`wrote ${feeder.steps} steps of ${a.step / 1000}s to ${a.rrd}`);
  },
});
