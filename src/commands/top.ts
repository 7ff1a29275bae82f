import { pick, READER } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { isLiveSource, sourceLabel } from '../io/source-spec.js';
import { prepareInput } from '../runtime/input.js';
import { TopFeed } from '../tui/feed.js';
import { initialUi } from '../tui/keys.js';
import { GROUPINGS, SORTS } from '../tui/model.js';
import { FILTER_POSITIONAL } from './common.js';

export const top = defineProgram({
  name: 'smbta-top',
  summary: 'live terminal view of who is moving data, on which share, to which files',
  description:
    'Shows, redrawn every --refresh, read and write throughput now with a sparkline of the last minutes, a table of ' +
    'the busiest users, shares, files, clients or servers (bytes/s read and written, operations/s and totals), and the ' +
    'latest operations. Keys: g grouping, s sort column, / a filter expression (a mistake is shown with its column and ' +
    'the old filter stays), p pause, c clear, h help, q quit. Archives (-r, -R) are replayed at --speed. Records lost ' +
    'upstream are counted in the title line. With --once, or when stdout is not a terminal, it prints one plain snapshot.',
  options: {
    ...READER,
    ...pick('speed'),
    refresh: { kind: 'duration', min: 10, value: 'DURATION', default: '1s', group: 'Output', describe: 'redraw, and measure rates, this often' },
    group: {
      kind: 'choice',
      choices: GROUPINGS,
      alias: 'g',
      value: 'FIELD',
      default: 'user',
      group: 'Output',
      describe: 'group the table by user, share, path, client or server',
    },
    sort: {
      kind: 'choice',
      choices: SORTS,
      value: 'COLUMN',
      default: 'read/s',
      group: 'Output',
      describe: 'sort the table by read/s, write/s, ops/s, total or name',
    },
    once: {
      kind: 'flag',
      group: 'Output',
      describe: 'print one snapshot as plain text and exit: archives are read whole, live sources watched for one --refresh',
    },
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-top -S localhost:3491', 'watch a receiver serving readers on port 3491'],
    ["smbta-top -S hub:3499 -g share 'not client in 10.9.0.0/16'", 'busiest shares, leaving out the backup network'],
    ['smbta-top -R archive/2026-11-23 --speed 60', "replay a day's archive an hour a minute"],
    ['smbta-top -r day.smbta --once -g path --sort total', "the day's hottest files, as text"],
  ],
  exitStatus: '0 after q (or SIGINT/SIGTERM); 1 when input was missing or damaged; 2 for a bad option or filter.',
  async run(a, ctx) {
    const input = prepareInput(a, a._);
    const live = input.specs.some(isLiveSource);
    const once = a.once || !process.stdout.isTTY;
    const feed = new TopFeed({ replaySpeed: live ? undefined : once ? 0 : a.speed, filter: input.sel.filter, signal: ctx.signal });
    const run = {
      // The feed applies the filter, so that one typed live can replace it.
      input: { ...input, sel: { ...input.sel, filter: undefined } },
      feed,
      ui: initialUi(a._.join(' '), a.group, a.sort),
      source: input.specs.map(sourceLabel).join(' '),
      refreshMs: a.refresh,
      live,
    };
    // Ink draws only the final frame when it sees CI set (it reads that once, on load); a terminal
    // is a terminal, so the live screen must not go blank under a CI runner.
    if (!once) for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[key];
    // Ink and React load only here, so --help and --once on a pipe stay quick.
    const { printOnce, runInteractive } = await import('../tui/run-top.js');
    await (once ? printOnce(run, ctx) : runInteractive(run, ctx));
  },
});
