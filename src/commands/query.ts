import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../language/errors.js';
import type { Program } from '../cli/program.js';
import { prepareInput, stdinHasData, type ReaderArgs } from '../runtime/input.js';
import { openStore, parseDbTarget } from '../store/store.js';
import { parseTime } from '../filter/time-spec.js';
import type { Answer } from '../query/answers.js';
import { answerFromStream } from '../query/archive.js';
import { friendlyStatement, FRIENDLY_USAGE, type FriendlyOptions } from '../query/friendly.js';
import { parseStatements } from '../query/parser.js';
import { formatAnswers } from '../query/print.js';
import { answerFromStore } from '../query/sql.js';
import { writeSvgCharts } from '../query/svg.js';

interface QueryArgs extends ReaderArgs, FriendlyOptions {
  question?: string[];
  query?: string[];
  'query-file'?: string;
  db?: string;
  now?: string;
  csv?: boolean;
  json?: boolean;
  svg?: string;
}

export const query: Program = {
  name: 'smbta-query',
  summary: 'answer the classic SMBTA questions over archives, live streams or a database',
  description:
    'Answers smbtaquery statements (-q, -f FILE, or one per line on stdin): which share is used most, who moves the most data, ' +
    'when the peaks are, which files are hottest, what happened last. Over stream sources (-r, -R, -S, stdin) it reads once for ' +
    'every statement; with --db it asks SQLite or PostgreSQL, binding every name as a parameter. The common questions also ' +
    `have a command-line form: ${FRIENDLY_USAGE}, with --share, --user, --path, --domain, --since, --until, -n and --mode. ` +
    'Answers print as aligned tables with binary units (usage and 24h_usage with a bar chart), or --csv and --json. ' +
    'A user name found in several domains is not guessed: the candidates are listed and the exit status is 2.',
  options: ['read', 'recursive', 'remote', 'tls-ca', 'tls-cert', 'tls-key', 'token-file', 'db', 'query', 'query-file', 'share', 'user', 'path', 'domain', 'since', 'until', 'limit', 'rw-mode', 'asc', 'now', 'csv', 'json', 'svg'],
  positional: { name: 'question', describe: `a question in the command-line form: ${FRIENDLY_USAGE}` },
  examples: [
    ["smbta-query -R archive -q 'share projects since yesterday, top 10 users rw;'", 'the busiest users of a share since yesterday'],
    ['smbta-query top users --since yesterday --share projects -n 10 --mode rw', 'the same, in the command-line form, from the default database'],
    ["smbta-query --db postgres://smbta@db/smbta -q 'global, 24h_usage w;' --svg writes.svg", 'writes per hour of the day, with a chart'],
    ["smbta-query -r day.smbta.bz2 -q 'global, search %disk12%;' --json", 'every name containing disk12, for a script'],
  ],
  exitStatus: '0 when every statement was answered; 1 when the input or database failed; 2 for a bad statement or option, or an ambiguous user name.',
  async run(raw, ctx) {
    const a = raw as unknown as QueryArgs;
    const now = a.now === undefined ? Date.now() : parseTime(a.now, Date.now())?.start;
    if (now === undefined) throw new UsageError(`--now ${a.now}: not a time`);
    // `-r FILE top users`, `-R DIR top users`: words after them that name nothing are the question.
    const swallowed: string[] = [];
    const paths = (list: string[] | undefined): string[] => {
      const kept: string[] = [];
      for (const f of list ?? []) (swallowed.length || (f !== '-' && !existsSync(f)) ? swallowed : kept).push(f);
      return kept;
    };
    const files = paths(a.read);
    const dirs = paths(a.recursive);
    const text = statementsText(a, [...swallowed, ...(a.question ?? [])]);
    const lines = () => readFileSync(0, 'utf8').split('\n').map((l) => (l.trim() && !l.trim().endsWith(';') ? `${l};` : l)).join('\n');
    const questions = parseStatements(text ?? lines(), now);
    if (questions.length === 0) throw new UsageError('no statement: give -q STATEMENT, -f FILE, a question such as "top users", or statements on stdin');
    const streams = files.length > 0 || dirs.length > 0 || (a.remote?.length ?? 0) > 0;
    // Without stream sources the records are in the database, unless they come on stdin
    // (a pipe or a file; a terminal or /dev/null, as under cron, brings none).
    const fromDb = a.db !== undefined || (!streams && (text === undefined || !stdinHasData()));
    let answers: Answer[];
    if (fromDb) {
      const store = await openStore(parseDbTarget(a.db));
      try {
        answers = await answerFromStore(questions, store, now);
      } finally {
        await store.close();
      }
    } else {
      answers = await answerFromStream(questions, prepareInput({ ...a, read: files, recursive: dirs }), ctx, now);
    }
    const width = process.stdout.columns || Number(process.env.COLUMNS) || 80;
    process.stdout.write(formatAnswers(answers, a.json ? 'json' : a.csv ? 'csv' : 'table', width));
    if (a.svg) writeSvgCharts(a.svg, answers);
  },
};

/** The statements given on the command line, or undefined when they come on stdin. */
function statementsText(a: QueryArgs, words: string[]): string | undefined {
  const parts: string[] = [...(a.query ?? [])];
  if (a['query-file'] !== undefined) parts.push(readFileSync(a['query-file'] === '-' ? 0 : a['query-file'], 'utf8'));
  if (words.length) parts.push(friendlyStatement(words, a));
  return parts.length ? parts.map((p) => (p.trim().endsWith(';') ? p : `${p};`)).join('\n') : undefined;
}
