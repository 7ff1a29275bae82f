import { pick, READER } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { parseTime } from '../filter/time-spec.js';
import { runReport } from '../report/run-report.js';
import { FILTER_POSITIONAL } from './common.js';

export const report = defineProgram({
  name: 'smbta-report',
  summary: 'the daily, weekly or monthly report: who moved what, charts, alerts, losses, against the period before',
  description:
    'Reads the period (--day, --week from Monday, --month, or any -t range) and the period before it, from archives, streams ' +
    '(a live -S source until the period ends) or the SQL store (--db), and writes one report: ' +
    'volume over time, the busiest users, shares, files and clients, operations by kind, deletes and renames, failures, the alerts ' +
    'the stream carries (smbta-alert -P or -w), the senders seen and what was lost, each against the period before. It is one ' +
    'self-contained HTML file (inline CSS and SVG, no scripts, printable), text in 80 columns (the default on a terminal), JSON, ' +
    'or with --mail a mail for sendmail -t with both. --out DIR keeps a dated file per report with an index page (docs/report.md).',
  options: {
    ...READER,
    db: {
      ...pick('db').db,
      describe: 'read from the SQL store instead (sqlite:PATH, PATH.db or postgres://USER@HOST/DB), with the senders, losses and alerts it kept',
    },
    day: { kind: 'text', value: 'DAY', group: 'Period', describe: 'the local day: yesterday (the default), today, or a date (2026-12-07)' },
    week: { kind: 'text', value: 'WEEK', group: 'Period', describe: 'the week from Monday: last, this, or a date in it' },
    month: { kind: 'text', value: 'MONTH', group: 'Period', describe: 'the month: last, this, or 2026-11' },
    now: { kind: 'time', value: 'TIME', group: 'Period', describe: 'report as if it were TIME (yesterday, last and the header count from it)' },
    html: { kind: 'flag', group: 'Output', describe: 'write HTML (the default when stdout is not a terminal)' },
    text: { kind: 'flag', group: 'Output', describe: 'write text in 80 columns (the default on a terminal)' },
    json: { kind: 'flag', group: 'Output', describe: 'write the numbers as JSON, for scripts' },
    mail: {
      kind: 'text',
      many: true,
      value: 'ADDRESS',
      group: 'Output',
      describe: 'write a mail to ADDRESS (repeat for several) for sendmail -t: the text and the HTML as multipart/alternative',
    },
    'mail-from': { kind: 'text', value: 'ADDRESS', group: 'Output', describe: "--mail's sender (default: smbta-report <smbta@HOST>)" },
    out: {
      kind: 'path',
      value: 'DIR',
      group: 'Output',
      describe:
        'keep the HTML in DIR as day-2026-12-07.html (week-, month-, range-) with an index.html; stdout then stays quiet unless a format or --mail is given',
    },
    keep: { kind: 'duration', min: 1, value: 'AGE', group: 'Output', describe: 'with --out: remove the reports in DIR older than AGE (90d)' },
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-report -R archive --text', "yesterday's report on the terminal"],
    ['smbta-report -R archive --week last > week.html', 'last week as one HTML file'],
    ["smbta-report -R archive --day yesterday 'share=projects' --json | jq .totals", "one share's day as numbers"],
    ['smbta-report -R archive --mail admin@example.org > report.eml', "yesterday's report as a mail for sendmail -t (from cron: docs/report.md)"],
    ['smbta-report -R archive --out reports --keep 90d', 'a dated report kept in reports/, with an index, 90 days of them'],
  ],
  exitStatus: '0 when all input was read, 1 when input was missing or damaged (the report is still written, its losses said), 2 for a bad option or filter.',
  run: (a, ctx) => runReport({ ...a, now: a.now === undefined ? Date.now() : (parseTime(a.now, Date.now())?.start ?? Date.now()) }, ctx),
});
