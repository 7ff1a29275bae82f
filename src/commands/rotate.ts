import { pick, READER } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { UsageError } from '../language/errors.js';
import { checkPattern } from '../rotate/names.js';
import { Rotator } from '../rotate/rotator.js';
import { prepareInput, readSelected } from '../runtime/input.js';
import { openState } from '../runtime/state-file.js';
import { Commits } from '../io/commits.js';
import { FILTER_POSITIONAL } from './common.js';

export const rotate = defineProgram({
  name: 'smbta-rotate',
  summary: 'write a stream into time-split (or size- or count-split) files',
  description:
    'Files each record by its own time (not its arrival) into the file the -w pattern names for its period: strftime fields ' +
    '%Y %m %d %H %M %S (local time of the period start) and record fields $share $user $server. A file is written under a ' +
    'temporary name and renamed when whole, so a finished file is always complete; it stays open --late past its ' +
    'period for late records. Nothing is ever overwritten (a name in use gets -1, -2 ...). On start, files a crashed run left ' +
    'behind are finished and handed to -f. -z compresses each finished file with bzip2; --keep deletes finished files older than AGE. ' +
    'Blocks reach the files in commits every 100 ms; with --state a commit a crash cut short is cut back at the next start, and the ' +
    "sources' numbering counts what never reached the archive.",
  options: {
    ...READER,
    ...pick('mode', 'write', 'late'),
    compress: { kind: 'flag', alias: 'z', group: 'Output', describe: 'compress each finished file with bzip2 (.bz2)' },
    'on-close': { kind: 'text', alias: 'f', value: 'CMD', group: 'Output', describe: "run CMD with each finished file's path as its last argument" },
    keep: { kind: 'duration', min: 1, value: 'AGE', group: 'Output', describe: 'delete finished files of this pattern older than AGE (30d, 12h)' },
    'max-held': {
      kind: 'size',
      min: 1,
      value: 'SIZE',
      default: '256M',
      group: 'Output',
      describe:
        'memory for blocks while files cannot be written (a full disk, a closed directory); past it their records are dropped, counted, and told in a gap block',
    },
    future: {
      kind: 'duration',
      min: 1,
      value: 'AGE',
      default: '1d',
      group: 'Output',
      describe:
        "records dated more than AGE ahead of this machine's clock (or before year 1000) go to quarantine.smbta under the pattern's directory, counted, and move no file's clock",
    },
    ...pick('state', 'metrics', 'metrics-users', 'insecure', 'config'),
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ["smbta-rotate -S localhost:3499 -M time 10m -w 'archive/%Y-%m-%d/smbta.%H%M.smbta'", 'ten-minute files, a directory a day'],
    ["smbta-recv | smbta-rotate -M time 1h -w 'by-share/$share/%Y%m%d-%H.smbta' -z", 'hourly compressed files per share'],
    ["smbta-rotate -S hub:3499 -w 'a/%Y/%m/%d/%H%M.smbta' -f 'echo closed >> closed.log' --keep 30d", 'note each finished file, keep 30 days'],
    [
      "smbta-rotate -S hub:3499 -w 'a/%Y%m%d-%H.smbta' --state rotate.state",
      'after a crash, cut a half-written commit back and count what never reached the archive',
    ],
  ],
  reloadable: ['on-close', 'keep'],
  exitStatus: '0 after the input ends or SIGTERM/SIGINT, once every file is closed; 1 for damaged input or a failed write; 2 for a bad option.',
  async run(a, ctx) {
    if (!a.write) throw new UsageError("give -w PATTERN, e.g. -w 'archive/%Y-%m-%d/smbta.%H%M.smbta'");
    const wrong = checkPattern(a.write);
    if (wrong) throw new UsageError(`-w ${a.write}: ${wrong}`);
    const input = prepareInput(a, a._);
    if (a.durable !== undefined && a.state === undefined)
      throw new UsageError(
        '--durable needs --state: what the archive holds is noted there, so a restart skips what it kept and JetStream had not yet heard acknowledged',
      );
    const state = openState(a.state, 'smbta-rotate', ctx.report);
    const commits = new Commits();
    const rotator = new Rotator({
      pattern: a.write,
      mode: a.mode ?? { kind: 'time', ms: 600_000 },
      lateMs: a.late,
      compress: a.compress,
      onClose: a['on-close'],
      keepMs: a.keep,
      futureMs: a.future,
      maxHeld: a['max-held'],
      report: ctx.report,
      state,
      commits,
    });
    // SIGHUP with -c: the next finished file gets the new command and expiry.
    ctx.onReload = (next) => rotator.configure({ onClose: next['on-close'], keepMs: next.keep });
    if (ctx.metrics) ctx.metrics.recordsOut = () => rotator.records;
    await rotator.recover();
    await readSelected(
      { ...input, resume: rotator.covered, commits },
      ctx,
      (b, rows, n, source) => rotator.addRows(b, rows, n, source),
      (side) => rotator.addSide(side.raw),
      (b, source) => rotator.pass(b, source),
    );
    await rotator.closeAll();
  },
});
