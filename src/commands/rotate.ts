import { UsageError } from '../language/errors.js';
import { READER_OPTIONS } from '../cli/options.js';
import type { Program } from '../cli/program.js';
import { prepareInput, readSelected, type ReaderArgs } from '../runtime/input.js';
import { parseDuration } from '../format/units.js';
import { parseSplitMode } from '../runtime/split-mode.js';
import { checkPattern } from '../rotate/names.js';
import { Rotator } from '../rotate/rotator.js';
import { FILTER_POSITIONAL } from './common.js';
import { openState } from '../runtime/state-file.js';

interface RotateArgs extends ReaderArgs {
  mode?: string[];
  write?: string;
  late: number;
  compress?: boolean;
  'on-close'?: string;
  keep?: string;
  state?: string;
}

export const rotate: Program = {
  name: 'smbta-rotate',
  summary: 'write a stream into time-split (or size- or count-split) files',
  description:
    'Files each record by its own time (not its arrival) into the file the -w pattern names for its period: strftime fields ' +
    '%Y %m %d %H %M %S (local time of the period start) and record fields $share $user $server. A file is written under a ' +
    'temporary name and renamed when whole, so a finished file is always complete; it stays open --late seconds past its ' +
    'period for late records. Nothing is ever overwritten (a name in use gets -1, -2 ...). On start, files a crashed run left ' +
    'behind are finished and handed to -f. -z compresses each finished file with bzip2; --keep deletes finished files older than AGE. ' +
    'Blocks reach the files in commits every 100 ms; with --state a commit a crash cut short is cut back at the next start, and the ' +
    "sources' numbering counts what never reached the archive.",
  options: [...READER_OPTIONS, 'mode', 'write', 'late', 'compress', 'on-close', 'keep', 'state', 'metrics', 'metrics-users', 'insecure', 'config'],
  positional: FILTER_POSITIONAL,
  examples: [
    ["smbta-rotate -S localhost:3499 -M time 10m -w 'archive/%Y-%m-%d/smbta.%H%M.smbta'", 'ten-minute files, a directory a day'],
    ["smbta-recv | smbta-rotate -M time 1h -w 'by-share/$share/%Y%m%d-%H.smbta' -z", 'hourly compressed files per share'],
    ["smbta-rotate -S hub:3499 -w 'a/%Y/%m/%d/%H%M.smbta' -f 'logger -t smbta closed' --keep 30d", 'announce finished files, keep 30 days'],
    ["smbta-rotate -S hub:3499 -w 'a/%Y%m%d-%H.smbta' --state rotate.state", 'after a crash, cut a half-written commit back and count what never reached the archive'],
  ],
  reloadable: ['on-close', 'keep'],
  exitStatus: '0 after the input ends or SIGTERM/SIGINT, once every file is closed; 1 for damaged input or a failed write; 2 for a bad option.',
  async run(raw, ctx) {
    const a = raw as unknown as RotateArgs;
    if (!a.write) throw new UsageError("give -w PATTERN, e.g. -w 'archive/%Y-%m-%d/smbta.%H%M.smbta'");
    const wrong = checkPattern(a.write);
    if (wrong) throw new UsageError(`-w ${a.write}: ${wrong}`);
    if (!(a.late >= 0)) throw new UsageError(`--late ${a.late}: expected seconds, 0 or more`);
    const input = prepareInput(a);
    const state = openState(a.state, 'smbta-rotate', ctx.report);
    const rotator = new Rotator({
      pattern: a.write,
      mode: parseSplitMode(a.mode, { kind: 'time', ms: 600_000 }),
      lateMs: a.late * 1000,
      compress: !!a.compress,
      onClose: a['on-close'],
      keepMs: keepOf(a),
      report: ctx.report,
      state,
    });
    // SIGHUP with -c: the next finished file gets the new command and expiry.
    ctx.onReload = (next) => {
      const n = next as unknown as RotateArgs;
      rotator.configure({ onClose: n['on-close'], keepMs: keepOf(n) });
    };
    if (ctx.metrics) ctx.metrics.recordsOut = () => rotator.records;
    await rotator.recover();
    await readSelected(
      { ...input, resume: rotator.covered },
      ctx,
      (b, rows, n, source) => rotator.addRows(b, rows, n, source),
      undefined,
      (b, source) => rotator.pass(b, source),
    );
    await rotator.closeAll();
  },
};

function keepOf(a: RotateArgs): number | undefined {
  if (a.keep === undefined) return undefined;
  const ms = parseDuration(a.keep);
  if (ms === undefined) throw new UsageError(`--keep ${a.keep}: expected an age such as 30d or 12h`);
  return ms;
}
