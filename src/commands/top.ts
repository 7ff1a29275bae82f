import { UsageError } from '../language/errors.js';
import { READER_OPTIONS } from '../cli/options.js';
import type { Program } from '../cli/program.js';
import { prepareInput, splitReadArgs, type ReaderArgs } from '../runtime/input.js';
import { isLiveSource, sourceLabel } from '../io/sources.js';
import { TopFeed } from '../tui/feed.js';
import { initialUi } from '../tui/keys.js';
import { GROUPINGS, SORTS } from '../tui/model.js';
import { FILTER_POSITIONAL } from './common.js';

interface TopArgs extends ReaderArgs {
  speed: number;
  refresh: number;
  once?: boolean;
  group: string;
  sort: string;
}

export const top: Program = {
  name: 'smbta-top',
  summary: 'live terminal view of who is moving data, on which share, to which files',
  description:
    'Shows, redrawn every --refresh seconds, read and write throughput now with a sparkline of the last minutes, a table of ' +
    'the busiest users, shares, files, clients or servers (bytes/s read and written, operations/s and totals), and the ' +
    'latest operations. Keys: g grouping, s sort column, / a filter expression (a mistake is shown with its column and ' +
    'the old filter stays), p pause, c clear, h help, q quit. Archives (-r, -R) are replayed at --speed. Records lost ' +
    'upstream are counted in the title line. With --once, or when stdout is not a terminal, it prints one plain snapshot.',
  options: [...READER_OPTIONS, 'speed', 'refresh', 'group', 'sort', 'once'],
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-top -S localhost:3491', 'watch a receiver serving readers on port 3491'],
    ["smbta-top -S hub:3499 -g share 'not client in 10.9.0.0/16'", 'busiest shares, leaving out the backup network'],
    ['smbta-top -R archive/2026-11-23 --speed 60', "replay a day's archive an hour a minute"],
    ['smbta-top -r day.smbta --once -g path --sort total', "the day's hottest files, as text"],
  ],
  exitStatus: '0 after q (or SIGINT/SIGTERM); 1 when input was missing or damaged; 2 for a bad option or filter.',
  async run(raw, ctx) {
    const a = raw as unknown as TopArgs;
    const grouping = GROUPINGS.find((g) => g === a.group);
    if (!grouping) throw new UsageError(`--group ${a.group}: expected one of ${GROUPINGS.join(', ')}`);
    const sort = SORTS.find((s) => s === a.sort);
    if (!sort) throw new UsageError(`--sort ${a.sort}: expected one of ${SORTS.join(', ')}`);
    if (!(a.refresh > 0)) throw new UsageError(`--refresh ${a.refresh}: expected seconds above 0`);
    if (!(a.speed >= 0)) throw new UsageError(`--speed ${a.speed}: expected 0 (as fast as possible) or more`);
    const input = prepareInput(a);
    const live = input.specs.some(isLiveSource);
    const once = a.once || !process.stdout.isTTY;
    const feed = new TopFeed({ replaySpeed: live ? undefined : once ? 0 : a.speed, filter: input.sel.filter, signal: ctx.signal });
    const run = {
      // The feed applies the filter, so that one typed live can replace it.
      input: { ...input, sel: { ...input.sel, filter: undefined } },
      feed,
      ui: initialUi(splitReadArgs(a).filter, grouping, sort),
      source: input.specs.map(sourceLabel).join(' '),
      refreshMs: a.refresh * 1000,
      live,
    };
    // Ink draws only the final frame when it sees CI set (it reads that once, on load); a terminal
    // is a terminal, so the live screen must not go blank under a CI runner.
    if (!once) for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[key];
    // Ink and React load only here, so --help and --once on a pipe stay quick.
    const { printOnce, runInteractive } = await import('../tui/run-top.js');
    await (once ? printOnce(run, ctx) : runInteractive(run, ctx));
  },
};
