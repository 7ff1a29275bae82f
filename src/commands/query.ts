import { readFileSync, writeFileSync } from 'node:fs';
import { pick, READER } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { parseTime, parseTimeRange } from '../filter/time-spec.js';
import { Source } from '../language/source.js';
import { UsageError } from '../language/errors.js';
import type { Answer } from '../query/answers.js';
import type { Question } from '../query/ast.js';
import { answerFromStream } from '../query/archive.js';
import { friendlyStatement, FRIENDLY_USAGE, looksLikeQuestion, QUESTION_WORDS, type FriendlyOptions } from '../query/friendly.js';
import { parseStatements } from '../query/parser.js';
import { LANGUAGE_HELP } from '../query/language-help.js';
import { fromSmbtaquery } from '../query/legacy.js';
import { formatXml } from '../query/markup.js';
import { formatAnswers } from '../query/print.js';
import { answerFromStore } from '../query/sql.js';
import { writeSvgCharts } from '../query/svg.js';
import { prepareInput, stdinHasData } from '../runtime/input.js';
import { openStore, parseDbTarget } from '../store/store.js';

export const query = defineProgram({
  name: 'smbta-query',
  summary: 'answer the classic SMBTA questions over archives, live streams or a database',
  description:
    'Answers smbtaquery statements (-q, -f FILE, or one per line on stdin): which share is used most, who moves the most data, ' +
    'when the peaks are, which files are hottest, what happened last. Over stream sources (-r, -R, -S, stdin) it reads once for ' +
    'every statement; with --db it asks SQLite or PostgreSQL, binding every name as a parameter. The common questions also ' +
    `have a command-line form: ${FRIENDLY_USAGE}, with --share, --user, --path, --domain, --since, --until, -n and --mode. ` +
    'Answers print as aligned tables with binary units (usage and 24h_usage with a bar chart), or --csv and --json. ' +
    'A user name found in several domains is not guessed: the candidates are listed, the other questions answered, and the exit ' +
    "status is 2. smbtaquery's own command line (-M pgsql|sqlite3 -N DBNAME [-S USER] [-H HOST] [-P PASSWORD] [-I N] -q ... " +
    '[-o ascii|html | -x FILE] [-p] [-v]) is understood as it was, for webSMBTA and older scripts.',
  options: {
    ...READER,
    ...pick('db'),
    query: {
      kind: 'text',
      alias: 'q',
      many: true,
      value: 'STATEMENT',
      group: 'Query',
      describe: "smbtaquery statements, e.g. 'share projects, top 10 users rw;' (see docs/query.md); repeat for several",
    },
    'query-file': {
      kind: 'path',
      alias: 'f',
      value: 'FILE',
      group: 'Query',
      describe: 'read statements from FILE (a line starting with # is a comment; - is stdin)',
    },
    share: { kind: 'text', many: true, value: 'NAME', group: 'Query', describe: 'only this share; repeat for several' },
    user: {
      kind: 'text',
      many: true,
      value: 'NAME',
      group: 'Query',
      describe: 'only this user (DOMAIN\\NAME when the name is in several domains); repeat for several',
    },
    path: { kind: 'text', many: true, value: 'PATH', group: 'Query', describe: 'only this file, as its path is stored; repeat for several' },
    domain: { kind: 'text', many: true, value: 'NAME', group: 'Query', describe: 'only this domain; repeat for several' },
    ...pick('since', 'until'),
    limit: { kind: 'count', min: 1, alias: 'n', value: 'N', default: '10', group: 'Query', describe: 'how many rows top and last-activity give' },
    mode: {
      kind: 'choice',
      choices: ['r', 'w', 'rw'],
      value: 'MODE',
      default: 'rw',
      group: 'Query',
      describe: 'count bytes read (r), written (w) or both (rw)',
    },
    asc: { kind: 'flag', group: 'Query', describe: 'top: the smallest first' },
    now: { kind: 'time', value: 'TIME', group: 'Query', describe: 'answer as if it were TIME: today, yesterday, since and throughput count from it' },
    csv: { kind: 'flag', group: 'Output', describe: 'print answers as CSV with raw numbers' },
    json: { kind: 'flag', group: 'Output', describe: 'print each answer as one JSON object per line, with raw numbers' },
    html: { kind: 'flag', group: 'Output', describe: "print answers as an HTML fragment, a table each (smbtaquery's -o html)" },
    xml: {
      kind: 'path',
      value: 'FILE',
      group: 'Output',
      describe: "also write the answers as XML to FILE, rows as smbta_output/COMMAND/table_row/table_value[@id] (smbtaquery's -x)",
    },
    'language-help': { kind: 'flag', group: 'Query', describe: "print the statement language in brief and exit (smbtaquery's -p)" },
    verbose: {
      kind: 'flag',
      alias: 'v',
      group: 'Output',
      describe:
        'say on stderr which tables of the database answered each question: its per-day, -hour or -minute sums (rollups) or its records, and the span of each',
    },
    svg: { kind: 'path', value: 'FILE', group: 'Output', describe: 'also write the chart of usage or 24h_usage as an SVG image (FILE-2.svg... for more)' },
  },
  positional: { name: 'question', describe: `a question in the command-line form: ${FRIENDLY_USAGE}`, looksLike: looksLikeQuestion, complete: QUESTION_WORDS },
  examples: [
    ["smbta-query -R archive -q 'share projects since yesterday, top 10 users rw;'", 'the busiest users of a share since yesterday'],
    ['smbta-query top users --since yesterday --share projects -n 10 --mode rw', 'the same, in the command-line form, from the default database'],
    ["smbta-query --db postgres://smbta@db/smbta -q 'global, 24h_usage w;' --svg writes.svg", 'writes per hour of the day, with a chart'],
    ["smbta-query -r day.smbta.bz2 -q 'global, search %disk12%;' --json", 'every name containing disk12, for a script'],
    ["smbta-query -M sqlite3 -N smbta.db -I 0 -q 'global, list shares;' -x shares.xml", "smbtaquery's own words, as webSMBTA wrote them"],
  ],
  legacyArgv: fromSmbtaquery,
  exitStatus: '0 when every statement was answered; 1 when the input or database failed; 2 for a bad statement or option, or an ambiguous user name.',
  async run(a, ctx) {
    if (a['language-help']) return void process.stdout.write(LANGUAGE_HELP);
    const now = a.now === undefined ? Date.now() : (parseTime(a.now, Date.now())?.start ?? Date.now());
    const given = statementSources(a);
    const stdinLines = (): Source =>
      new Source(
        readFileSync(0, 'utf8')
          .split('\n')
          .map((l) => (l.trim() && !l.trim().endsWith(';') ? `${l};` : l))
          .join('\n'),
        'stdin',
      );
    // -t narrows every statement's time, from an archive or a database alike.
    const range = a.time === undefined ? undefined : parseTimeRange(a.time, now);
    const questions: Question[] = (given ?? [stdinLines()])
      .flatMap((s) => parseStatements(s, now))
      .map((q) =>
        range ? { ...q, selection: { ...q.selection, from: Math.max(q.selection.from, range.start), to: Math.min(q.selection.to, range.end) } } : q,
      );
    if (questions.length === 0) throw new UsageError('no statement: give -q STATEMENT, -f FILE, a question such as "top users", or statements on stdin');
    const streams = a.read.length > 0 || a.recursive.length > 0 || a.remote.length > 0;
    // Without stream sources the records are in the database, unless they come on stdin
    // (a pipe or a file; a terminal or /dev/null, as under cron, brings none).
    const fromDb = a.db !== undefined || (!streams && (given === undefined || !stdinHasData()));
    let answers: Answer[];
    if (fromDb) {
      const store = await openStore(parseDbTarget(a.db), { readOnly: true });
      try {
        answers = await answerFromStore(questions, store, now);
      } finally {
        await store.close();
      }
    } else {
      answers = await answerFromStream(questions, prepareInput({ ...a, time: undefined }, []), ctx, now);
    }
    // Nothing read at all because the input failed: no answers rather than empty ones.
    if (ctx.report.failed && answers.every((x) => x.rows.length === 0)) return;
    const width = process.stdout.columns || Number(process.env.COLUMNS) || 80;
    process.stdout.write(formatAnswers(answers, a.json ? 'json' : a.csv ? 'csv' : a.html ? 'html' : 'table', width));
    if (a.svg) writeSvgCharts(a.svg, answers);
    if (a.xml) writeFileSync(a.xml, formatXml(answers));
    if (a.verbose) for (const x of answers) if (x.sources) ctx.report.warn(`${x.question.statement}: from ${x.sources}`);
    // A refused question (an ambiguous name) is said last, after every other answer, and makes the status 2.
    const refused = answers.filter((x) => x.error !== undefined);
    for (const x of refused) ctx.report.warn(`${x.question.statement}: ${x.error}`);
    if (refused.length) throw new UsageError(`${refused.length} of ${answers.length} questions not answered`);
  },
});

/** The statements given on the command line, each with where it came from; undefined when they come on stdin. */
function statementSources(a: FriendlyOptions & { query: string[]; 'query-file'?: string; _: string[] }): Source[] | undefined {
  const sources = a.query.map((q) => new Source(q));
  const file = a['query-file'];
  if (file !== undefined) sources.push(new Source(readFileSync(file === '-' ? 0 : file, 'utf8'), file === '-' ? 'stdin' : file));
  if (a._.length) sources.push(new Source(friendlyStatement(a._, a)));
  return sources.length ? sources : undefined;
}
