/**
 * The command-line form of the common questions, written as the smbtaquery statement it
 * means (so both forms share one parser and print the same heading):
 *   smbta-query top users --since yesterday --share projects -n 10 --mode rw
 * becomes `global since yesterday, share projects, top 10 users rw desc;`.
 */
import { UsageError } from '../language/errors.js';
import { quoteWord } from './parser.js';
import { wordTable } from '../format/word-table.js';

export interface FriendlyOptions {
  share?: string[];
  user?: string[];
  path?: string[];
  domain?: string[];
  since?: string;
  until?: string;
  limit: number;
  mode: string;
  asc?: boolean;
}

const KINDS = ['users', 'shares', 'files', 'domains'];
const ALIASES = wordTable({ 'last-activity': 'last_activity', '24h-usage': '24h_usage', report: 'smbtad-report' });

export const FRIENDLY_USAGE =
  'top [N] users|shares|files|domains, total, list users|shares|files|domains, last-activity [N], usage, 24h-usage, search PATTERN, throughput N seconds|minutes|hours|days, report [full], self-check';

const VERBS = ['top', 'total', 'list', 'last_activity', 'usage', '24h_usage', 'search', 'throughput', 'smbtad-report', 'self-check'];

/** What shells complete for a question: its first word, and what follows top and list. */
export const QUESTION_WORDS = {
  first: ['top', 'total', 'list', 'last-activity', 'usage', '24h-usage', 'search', 'throughput', 'report', 'self-check'],
  after: { top: KINDS, list: KINDS, report: ['full'], throughput: [] },
} as const;

/** True for a word that starts a question in the command-line form (tells it from a file name). */
export function looksLikeQuestion(word: string): boolean {
  const w = word.toLowerCase();
  return VERBS.includes(ALIASES[w] ?? w);
}

export function friendlyStatement(words: readonly string[], o: FriendlyOptions): string {
  const [first = '', ...rest] = words;
  const verb = ALIASES[first.toLowerCase()] ?? first.toLowerCase();
  const count = (): number => (rest[0] && /^\d+$/.test(rest[0]) ? Number(rest.shift()) : o.limit);
  let command: string;
  switch (verb) {
    case 'top': {
      const n = count();
      const kind = plural(rest.shift());
      command = `top ${n} ${kind} ${o.mode} ${o.asc ? 'asc' : 'desc'}`;
      break;
    }
    case 'list':
      command = `list ${plural(rest.shift())}`;
      break;
    case 'total':
    case 'usage':
    case '24h_usage':
      command = `${verb} ${o.mode}`;
      break;
    case 'last_activity':
      command = `last_activity ${count()}`;
      break;
    case 'search':
      if (!rest[0]) throw new UsageError('search: give a pattern, e.g. search %disk12%');
      command = `search ${quoteWord(rest.shift()!)}`;
      break;
    case 'throughput':
      if (!rest[0] || !/^\d+$/.test(rest[0]) || !rest[1]) throw new UsageError('throughput: give a count and a unit, e.g. throughput 5 minutes');
      command = `throughput ${rest.shift()} ${rest.shift()} ${o.mode}`;
      break;
    case 'smbtad-report':
      command = `smbtad-report ${rest[0] === 'full' ? (rest.shift(), 'full') : 'short'}`;
      break;
    case 'self-check':
      command = 'self-check';
      break;
    default:
      throw new UsageError(`'${first}' is not a question: ask one of ${FRIENDLY_USAGE}, or a statement with -q`);
  }
  if (rest.length) throw new UsageError(`unexpected '${rest.join(' ')}' after the question`);
  const items: string[] = [];
  if (verb === 'smbtad-report' || verb === 'self-check') items.push('system');
  else {
    if (o.since !== undefined || o.until !== undefined) {
      items.push(o.until === undefined ? `global since ${quoteWord(o.since!)}` : `global from ${quoteWord(o.since ?? '1970-01-01')} to ${quoteWord(o.until)}`);
    }
    for (const [object, names] of [
      ['share', o.share],
      ['user', o.user],
      ['file', o.path],
      ['domain', o.domain],
    ] as const)
      for (const n of names ?? []) items.push(`${object} ${quoteWord(n)}`);
  }
  return `${[...items, command].join(', ')};`;
}

function plural(word: string | undefined): string {
  const w = (word ?? '').toLowerCase();
  const p = w.endsWith('s') ? w : `${w}s`;
  if (!KINDS.includes(p)) throw new UsageError(`expected users, shares, files or domains, found '${word ?? ''}'`);
  return p;
}
