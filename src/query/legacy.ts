/**
 * smbtaquery's own command line (smbtatools' configuration.c), as webSMBTA and scripts wrote
 * it: `smbtaquery -M pgsql -N smbta -H localhost -S user -P secret -I 0 -q '...' -o html`.
 * A line that names a database driver with -M is read in those words and rewritten into
 * smbta-query's; anything else is left alone. The old network options (-h, -i, -u, -k)
 * reached smbtad, which smbta replaces, and are accepted and ignored, as are -d and -I
 * (smbta never prompts: an ambiguous name is reported).
 */
import { UsageError } from '../language/errors.js';

/** Options that take a value, by letter and long name. */
const VALUED: Record<string, string> = {
  M: 'dbdriver',
  N: 'dbname',
  S: 'dbuser',
  H: 'dbhost',
  P: 'dbpassword',
  o: 'output',
  d: 'debug-level',
  f: 'file',
  c: 'config-file',
  k: 'keyfile',
  q: 'query',
  h: 'host',
  x: 'xml',
  K: 'create-key',
  I: 'identify',
  i: 'port',
  u: 'unix',
};
const FLAGS: Record<string, string> = { v: 'version', p: 'command-help', '?': 'help', C: 'convert', t: 'test-db' };
const LONG = new Map([...Object.entries(VALUED), ...Object.entries(FLAGS)].map(([letter, long]) => [long, letter]));

/** The original options given, by letter (-q and -f in order, as they may repeat). */
function readLegacy(argv: readonly string[]): { one: Map<string, string>; flags: Set<string>; statements: string[][] } {
  const one = new Map<string, string>();
  const flags = new Set<string>();
  const statements: string[][] = [];
  for (let k = 0; k < argv.length; k++) {
    const word = argv[k]!;
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(word) ?? /^-(\S)(.*)$/.exec(word);
    const letter = m ? (word.startsWith('--') ? LONG.get(m[1]!) : m[1]) : undefined;
    if (!m || letter === undefined) throw new UsageError(`'${word}' is not an option smbtaquery took (see smbta-query --help)`);
    if (letter in FLAGS) {
      flags.add(letter);
      continue;
    }
    const value = m[2] ? m[2] : argv[++k];
    if (value === undefined) throw new UsageError(`-${letter} (--${VALUED[letter]}) needs a value`);
    if (letter === 'q' || letter === 'f') statements.push([`-${letter}`, value]);
    else one.set(letter, value);
  }
  return { one, flags, statements };
}

/** The --db URL of smbtaquery's database options. */
function databaseOf(one: Map<string, string>): string {
  const driver = one.get('M')!;
  const name = one.get('N');
  if (!name) throw new UsageError('-N DBNAME: smbtaquery names the database to read');
  if (driver === 'sqlite3' || driver === 'sqlite') return `sqlite:${name}`;
  if (driver === 'mysql') throw new UsageError('-M mysql: smbta stores in SQLite (-M sqlite3) or PostgreSQL (-M pgsql), not MySQL');
  if (driver !== 'pgsql') throw new UsageError(`-M ${driver}: the database drivers are pgsql, sqlite3 (and mysql, which smbta does not store in)`);
  const user = one.get('S');
  const password = one.get('P');
  const credentials = user === undefined ? '' : `${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`;
  return `postgres://${credentials}${one.get('H') ?? 'localhost'}/${encodeURIComponent(name)}`;
}

/** smbta-query's command line for smbtaquery's, or undefined when `argv` does not name a driver (-M, --dbdriver). */
export function fromSmbtaquery(argv: readonly string[]): string[] | undefined {
  if (!argv.some((w) => /^(-M|--dbdriver)/.test(w))) return undefined;
  const { one, flags, statements } = readLegacy(argv);
  if (flags.has('v')) return ['--version'];
  if (flags.has('?')) return ['--help'];
  if (flags.has('p')) return ['--language-help'];
  for (const [letter, what] of [
    ['C', 'converting an older smbtad database'],
    ['t', 'testing the connection (-t)'],
  ] as const)
    if (flags.has(letter)) throw new UsageError(`${what} is not needed: smbta-query --db URL -q 'system, self-check;' checks the store`);
  if (one.has('K')) throw new UsageError('-K: smbta has no smbtad encryption keys to create');
  if (one.has('c')) throw new UsageError("-c: smbtaquery's configuration file is not read; give -M, -N, -S, -H and -P on the command line");
  const out = ['--db', databaseOf(one), ...statements.flat()];
  const output = one.get('o');
  if (output !== undefined && output !== 'ascii' && output !== 'html') throw new UsageError(`-o ${output}: the formats are ascii and html`);
  if (output === 'html') out.push('--html');
  const xml = one.get('x');
  if (xml !== undefined) {
    if (output !== undefined) throw new UsageError('give either -x or -o, as smbtaquery took them');
    out.push('--xml', xml);
  }
  return out;
}
