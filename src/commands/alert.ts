import { pick, READER, SERVING, STREAM_OUT } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { runAlert } from '../alert/run-alert.js';
import { FILTER_POSITIONAL } from './common.js';

export const alert = defineProgram({
  name: 'smbta-alert',
  summary: 'raise alerts on the stream: mass renames and deletes, ransomware signs, a bait file touched',
  description:
    'Evaluates rules over the records it reads and writes an alert when a group (a user, a user on a share, a client) goes ' +
    "above a rule's threshold within its window, then a 'cleared' when the group has been quiet. Rules are [rule NAME] " +
    'sections of the -c file, built-in rules switched on by name (--builtin), and --canary bait paths (docs/alert.md). ' +
    'Windows run on record time, so reading an archive again gives exactly the alerts the live run gave.',
  options: {
    ...READER,
    ...SERVING,
    ...pick('config'),
    ...STREAM_OUT,
    write: {
      ...pick('write').write,
      describe:
        'also write the stream to FILE (- is stdout, the lines for people then going to stderr) or nats://HOST:PORT/SUBJECT: the records read, with each alert and clearing as an alert block that smbta-top shows and smbta-rotate archives',
    },
    builtin: {
      kind: 'text',
      many: true,
      value: 'NAME...',
      group: 'Rules',
      describe:
        'switch on built-in rules: mass-rename, mass-delete, mass-write, new-extensions, ransomware-extension, ransom-note, outside-hours, unusual-download, failed-opens, or all',
    },
    canary: {
      kind: 'text',
      many: true,
      value: 'GLOB...',
      group: 'Rules',
      describe: "bait paths (the filter's globs, e.g. '*/~budget-2026.xlsx'): any operation on one, by anyone, is a critical alert at once",
    },
    state: {
      ...pick('state').state,
      describe: "keep the baseline rules' usual per user (or group) in FILE, saved every minute and at exit, so a restart does not forget it",
    },
    'alerts-only': {
      kind: 'flag',
      group: 'Output',
      describe: '-w and -P carry the alert blocks alone, not the records: for smbta-mux to join with the records it reads (docs/deploy.md)',
    },
    json: { kind: 'flag', group: 'Output', describe: 'write alerts as NDJSON on stdout (the lines for people go to stderr)' },
    exec: {
      kind: 'text',
      value: 'CMD',
      group: 'Output',
      describe: 'run CMD (sh -c) per alert: the alert as JSON on stdin, its fields in SMBTA_ALERT_* (RULE, SEVERITY, TIME, CLIENT, PATH, USER...)',
    },
    'exec-max': {
      kind: 'count',
      min: 1,
      value: 'N',
      default: '4',
      group: 'Limits',
      describe: '--exec commands running at once; 100 more wait, further ones are dropped and counted',
    },
    'exec-timeout': { kind: 'duration', value: 'DURATION', default: '30s', group: 'Limits', describe: 'an --exec command still running after this is killed' },
    syslog: {
      kind: 'text',
      value: 'HOST:PORT',
      group: 'Output',
      describe: 'send each alert and clearing to a syslog server over UDP (RFC 5424, the fields as structured data)',
    },
    'syslog-format': {
      kind: 'choice',
      choices: ['rfc5424', 'cef'],
      value: 'FORMAT',
      default: 'rfc5424',
      group: 'Output',
      describe: "--syslog's message: rfc5424 (structured data), or cef (ArcSight's Common Event Format, for SIEMs)",
    },
    'dry-run': { kind: 'flag', group: 'Output', describe: 'say on stderr what --exec would run, with its environment, instead of running it' },
    'max-groups': {
      kind: 'count',
      min: 1,
      value: 'N',
      default: '100000',
      group: 'Limits',
      describe: 'groups held per rule; beyond it the least recently active is forgotten, and counted',
    },
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-alert -S localhost:3491 --builtin all', 'every built-in rule on the live stream'],
    ['smbta-alert -r attack.smbta --builtin mass-rename,ransom-note --json | jq -r .group.user', 'who did it, replayed from a file'],
    ["smbta-alert -r attack.smbta --canary '*/~budget-2026.xlsx' 'share=finance'", 'a bait file on the finance share'],
    [
      'smbta-alert -r attack.smbta --builtin mass-rename --exec \'smbcontrol smbd kill-client-ip "$SMBTA_ALERT_CLIENT"\' --dry-run',
      "what disconnecting the renaming client with Samba's smbcontrol would run",
    ],
  ],
  exitStatus: '0 when all input was read, 1 when input was missing or damaged (alerts on what was read are still written), 2 for a bad option, filter or rule.',
  run: (a, ctx) => runAlert(a, ctx),
});
