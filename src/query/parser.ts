/**
 * Parses smbtaquery statements: `ITEM {, ITEM} ;` where items are objects that narrow the
 * selection (global, share, user, file, domain, system, each with an optional time) and
 * commands that ask something of it. Words are split on spaces, 'single quotes' group
 * words, `#` starts a comment outside quotes, and `;` ends a statement. A statement that
 * starts with SELECT is raw SQL. Mistakes are syntax errors with the column.
 */
import { LanguageError } from '../language/errors.js';
import { Source } from '../language/source.js';
import { suggest } from '../language/suggest.js';
import { parseTime } from '../filter/time-spec.js';
import { everything, type Command, type Kind, type Mode, type Question, type Selection, type TimeUnit } from './ast.js';

interface Word {
  text: string;
  /** Offset in the source, for the caret. */
  at: number;
  quoted: boolean;
}

const OBJECTS = ['global', 'share', 'user', 'file', 'domain', 'system'];
const COMMANDS = ['total', 'list', 'top', 'last_activity', '24h_usage', 'usage', 'search', 'throughput', 'smbtad-report', 'self-check'];
const KINDS: readonly Kind[] = ['users', 'shares', 'files', 'domains'];
const MODES: readonly Mode[] = ['r', 'w', 'rw'];
const UNITS: Record<string, TimeUnit> = {
  second: 'seconds',
  seconds: 'seconds',
  minute: 'minutes',
  minutes: 'minutes',
  hour: 'hours',
  hours: 'hours',
  day: 'days',
  days: 'days',
};

/**
 * Every question of every statement in `input`, in order. `now` fixes today, yesterday and
 * now. A Source names the file statements came from, so errors say file:line:col.
 */
export function parseStatements(input: string | Source, now: number): Question[] {
  const source = typeof input === 'string' ? new Source(input) : input;
  const out: Question[] = [];
  for (const { text, at } of splitStatements(source)) {
    if (/^\s*select\b/i.test(text)) {
      out.push({ selection: everything(), command: { kind: 'sql', text: text.trim() }, statement: text.trim() });
      continue;
    }
    out.push(...parseStatement(source, text, at, now));
  }
  return out;
}

/**
 * Statements split at `;` outside quotes; a line whose first word starts with `#` is a
 * comment (a `#` anywhere else is text: `search %#%` looks for a `#`). Offsets kept for errors.
 */
function splitStatements(input: Source): { text: string; at: number }[] {
  const source = input.body;
  const out: { text: string; at: number }[] = [];
  let start = 0;
  let text = '';
  let quote = false;
  let lineStart = true;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] ?? '';
    if (!quote && lineStart && c === '#') {
      // Blank the comment: offsets of what follows stay where they are.
      while (i < source.length && source[i] !== '\n') {
        text += ' ';
        i++;
      }
      text += '\n';
      continue;
    }
    if (c === '\n') lineStart = true;
    else if (!/\s/.test(c)) lineStart = false;
    if (c === "'") quote = !quote;
    if (!quote && c === ';') {
      if (text.trim()) out.push({ text, at: start });
      text = '';
      start = i + 1;
      continue;
    }
    text += c;
  }
  if (quote) throw new LanguageError('unterminated quote', input, { start: source.lastIndexOf("'"), end: source.length });
  // The last statement may leave out its `;`.
  if (text.trim()) out.push({ text, at: start });
  return out;
}

function parseStatement(source: Source, text: string, at: number, now: number): Question[] {
  const statement = text.replace(/\s+/g, ' ').trim() + ';';
  const questions: Question[] = [];
  let selection = everything();
  let system = false;
  for (const item of splitItems(text, at)) {
    const words = splitWords(item.text, item.at);
    if (words.length === 0) throw syntax(source, item.at, 1, 'empty item between commas');
    const head = words[0]!;
    const word = head.text.toLowerCase();
    const p = new Cursor(source, words);
    if (OBJECTS.includes(word)) {
      p.next();
      if (word === 'global') selection = everything();
      if (word === 'system') system = true;
      if (word === 'share' || word === 'file' || word === 'domain' || word === 'user') selection = narrow(selection, word, p.name(`a ${word} name`));
      if (word !== 'system') selection = withTime(selection, p, now);
      p.end();
    } else if (COMMANDS.includes(word)) {
      const command = parseCommand(p, system);
      p.end();
      questions.push({ selection, command, statement });
    } else {
      throw syntax(source, head.at, head.text.length, `unknown word '${head.text}'`, suggest(word, [...OBJECTS, ...COMMANDS]));
    }
  }
  if (questions.length === 0) throw syntax(source, at + text.length, 1, `no command in '${statement}': end it with one, e.g. 'total rw'`);
  return questions;
}

function narrow(s: Selection, object: 'share' | 'file' | 'domain' | 'user', name: string): Selection {
  switch (object) {
    case 'share':
      return { ...s, shares: [...s.shares, name] };
    case 'file':
      return { ...s, files: [...s.files, name] };
    case 'domain':
      return { ...s, domains: [...s.domains, name] };
    case 'user': {
      const slash = name.indexOf('\\');
      const user = slash > 0 ? { name: name.slice(slash + 1), domain: name.slice(0, slash) } : { name };
      return { ...s, users: [...s.users, user] };
    }
  }
}

/** `from T1 to T2` or `since T`, if there: narrows the selection's time (several times intersect). */
function withTime(s: Selection, p: Cursor, now: number): Selection {
  const w = p.peek()?.text.toLowerCase();
  if (w !== 'from' && w !== 'since') return s;
  p.next();
  const from = p.time(now);
  let to = Infinity;
  if (w === 'from') {
    p.keyword(['to']);
    to = p.time(now);
  }
  return { ...s, from: Math.max(s.from, from), to: Math.min(s.to, to) };
}

function parseCommand(p: Cursor, system: boolean): Command {
  const head = p.next();
  const word = head.text.toLowerCase();
  switch (word) {
    case 'total':
      return { kind: 'total', mode: p.mode() };
    case 'list':
      return { kind: 'list', what: p.keyword(KINDS) };
    case 'top': {
      const n = p.count();
      const what = p.keyword(KINDS);
      const mode = p.mode();
      const order = p.peek() ? p.keyword(['asc', 'desc'] as const) : 'desc';
      return { kind: 'top', n, what, mode, order };
    }
    case 'last_activity':
      return { kind: 'last_activity', n: p.count() };
    case '24h_usage':
      return { kind: word, mode: p.mode() };
    case 'usage': {
      // The original's `usage W H MODE`: a chart W columns wide, of at most H steps.
      if (p.peek() && /^\d+$/.test(p.peek()!.text)) {
        const width = p.count();
        const rows = p.count();
        return { kind: 'usage', mode: p.mode(), width, rows };
      }
      return { kind: 'usage', mode: p.mode() };
    }
    case 'search':
      return { kind: 'search', pattern: p.name('a pattern such as %disk12%') };
    case 'throughput': {
      const n = p.count();
      const unit = UNITS[p.keyword(Object.keys(UNITS))]!;
      return { kind: 'throughput', n, unit, mode: p.mode() };
    }
    case 'smbtad-report':
    case 'self-check':
      if (!system) throw p.error(head, `${word} is a system command: write 'system, ${word}${word === 'smbtad-report' ? ' full' : ''};'`);
      if (word === 'smbtad-report') return { kind: 'smbtad-report', full: p.keyword(['full', 'short'] as const) === 'full' };
      return p.peek() ? { kind: 'self-check', scope: p.keyword(['online', 'offline'] as const) } : { kind: 'self-check' };
  }
  throw p.error(head, `unknown command '${head.text}'`);
}

/** Reads the words of one item left to right. */
class Cursor {
  private k = 0;

  constructor(
    private readonly source: Source,
    private readonly words: Word[],
  ) {}

  peek(): Word | undefined {
    return this.words[this.k];
  }

  next(): Word {
    const w = this.words[this.k];
    if (!w) throw this.missing('more');
    this.k++;
    return w;
  }

  end(): void {
    const w = this.peek();
    if (w) throw this.error(w, `unexpected '${w.text}': items are separated by commas`);
  }

  name(what: string): string {
    const w = this.words[this.k];
    if (!w) throw this.missing(what);
    this.k++;
    return w.text;
  }

  keyword<T extends string>(choices: readonly T[]): T {
    const w = this.words[this.k];
    if (!w) throw this.missing(choices.join(' or '));
    const found = choices.find((c) => c === w.text.toLowerCase());
    if (!found) {
      throw this.error(w, `expected ${choices.join(', ')}, found '${w.text}'`, suggest(w.text.toLowerCase(), choices));
    }
    this.k++;
    return found;
  }

  mode(): Mode {
    return this.keyword(MODES);
  }

  count(): number {
    const w = this.next();
    if (!/^\d{1,9}$/.test(w.text) || Number(w.text) < 1) throw this.error(w, `expected a count such as 10, found '${w.text}'`);
    return Number(w.text);
  }

  time(now: number): number {
    const w = this.words[this.k];
    if (!w) throw this.missing("a time: now, today, yesterday, 2026-11-23, '2026-11-23 10:00:00' or 10:00");
    const t = parseTime(w.text, now);
    if (!t) throw this.error(w, `not a time: '${w.text}' (now, today, yesterday, 2026-11-23, '2026-11-23 10:00:00', 10:00)`);
    this.k++;
    return t.start;
  }

  error(w: Word, message: string, hint?: string): LanguageError {
    return syntax(this.source, w.at, Math.max(1, w.text.length + (w.quoted ? 2 : 0)), message, hint);
  }

  private missing(what: string): LanguageError {
    const last = this.words[this.words.length - 1]!;
    return syntax(this.source, last.at + last.text.length + (last.quoted ? 2 : 0), 1, `expected ${what} after '${last.text}'`);
  }
}

function syntax(source: Source, at: number, length: number, message: string, hint?: string): LanguageError {
  return new LanguageError(message, source, { start: at, end: at + length }, hint);
}

/** Items split at commas outside quotes. */
function splitItems(text: string, at: number): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let quote = false;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "'") quote = !quote;
    if (i === text.length || (!quote && c === ',')) {
      out.push({ text: text.slice(start, i), at: at + start });
      start = i + 1;
    }
  }
  return out;
}

/** Words split at spaces; 'quoted words' are one word, without the quotes ('' inside is one quote). */
function splitWords(text: string, at: number): Word[] {
  const out: Word[] = [];
  const re = /'((?:[^']|'')*)'|([^\s']+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ text: m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2]!, at: at + m.index, quoted: m[1] !== undefined });
  }
  return out;
}

/** A name as a statement word: quoted when it has spaces, quotes or separators. */
export function quoteWord(s: string): string {
  return /^[^\s',;#]+$/.test(s) ? s : `'${s.replace(/'/g, "''")}'`;
}
