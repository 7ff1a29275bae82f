import { UsageError } from '../language/errors.js';
import { READER_OPTIONS } from '../cli/options.js';
import type { Program } from '../cli/program.js';
import { prepareInput, type ReaderArgs } from '../runtime/input.js';
import { loadStream, type Expiry } from '../db/loader.js';
import { openStore, parseDbTarget } from '../store/store.js';
import { isLiveSource } from '../io/sources.js';
import { parseDuration } from '../format/units.js';

interface DbArgs extends ReaderArgs {
  action?: string[];
  db?: string;
  'older-than'?: string;
  'expire-every'?: string;
  'batch-records': number;
}

const ACTIONS = ['init', 'load', 'expire'];

export const db: Program = {
  name: 'smbta-db',
  summary: 'store a record stream in SQL (SQLite by default, PostgreSQL when shared) and expire old rows',
  description:
    'init creates the schema (docs/database.md). load reads a stream (-r, -R, -S, stdin; a trailing filter selects) and stores it in ' +
    'transactions of --batch-records, by COPY into PostgreSQL; a batch is kept until the database has committed it, so a database ' +
    'restart costs a retry, never a record; --expire-every with --older-than expires while loading. expire deletes records older than ' +
    '--older-than. Without --db the database is SQLite at $XDG_DATA_HOME/smbta/smbta.db (else ~/.local/share/smbta/smbta.db), created on first use.',
  options: [...READER_OPTIONS, 'db', 'older-than', 'expire-every', 'batch-records', 'metrics', 'metrics-users', 'insecure', 'config'],
  positional: { name: 'action', describe: 'init, load or expire; after load, a filter expression may follow' },
  examples: [
    ['smbta-recv -P 3491 & smbta-db load -S localhost:3491', 'store everything received in the default SQLite database'],
    ['smbta-db load -S hub:3499 --db postgres://smbta@db/smbta --expire-every 1h --older-than 5d', 'a shared PostgreSQL store keeping five days'],
    ['smbta-db load -R archive/2026-11-23 --db day.db', 'one day of archives into a file of its own'],
    ['smbta-db expire --older-than 30d', 'what the old maintenance timer did, without its bugs'],
  ],
  reloadable: ['expire-every', 'older-than'],
  exitStatus: '0 when done (load: when the input ended, or after SIGTERM once what was read is stored); 1 when the input or database failed; 2 for a bad option.',
  async run(raw, ctx) {
    const a = raw as unknown as DbArgs;
    const [action = '', ...filter] = a.action ?? [];
    if (!ACTIONS.includes(action)) throw new UsageError(`${action ? `'${action}' is not an action` : 'no action'}: give ${ACTIONS.join(', ')}`);
    if (action !== 'load' && filter.length) throw new UsageError(`unexpected '${filter.join(' ')}' after ${action}`);
    const olderThan = age(a, 'older-than');
    if (action === 'expire' && olderThan === undefined) throw new UsageError('expire needs --older-than AGE');
    const expire = expiryOf(a);
    if (!(Number.isInteger(a['batch-records']) && a['batch-records'] > 0)) throw new UsageError(`--batch-records ${a['batch-records']}: expected a count of 1 or more`);
    const input = action === 'load' ? prepareInput({ ...a, filter }) : undefined;
    const store = await openStore(parseDbTarget(a.db));
    try {
      await store.init();
      if (action === 'expire') ctx.report.warn(`expired ${await store.expire(Date.now() - olderThan!)} records`);
      if (action === 'init') ctx.report.warn(`schema ready in ${store.dialect} at ${store.location}`);
      if (input) {
        if (olderThan !== undefined) await store.setMeta('expire_older_than', a['older-than']!);
        // Archives only: build the indexes once at the end (init again), even after a failure.
        const bulk = !input.specs.some(isLiveSource);
        if (bulk) await store.suspendIndexes();
        try {
          // SIGHUP with -c: a new --expire-every or --older-than applies from the next expiry.
          const control = (setExpiry: (e: Expiry | undefined) => void): void => void (ctx.onReload = (next) => setExpiry(expiryOf(next as unknown as DbArgs)));
          const done = await loadStream(store, input, ctx, { batchRecords: a['batch-records'], flushMs: 1000, expire, control });
          ctx.report.warn(`stored ${done.records} records in ${done.batches} transactions (${store.dialect} at ${store.location})`);
        } finally {
          if (bulk) await store.init();
        }
      }
    } finally {
      await store.close();
    }
  },
};

function age(a: DbArgs, opt: 'older-than' | 'expire-every'): number | undefined {
  const text = a[opt];
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (!ms || ms <= 0) throw new UsageError(`--${opt} ${text}: expected an age such as 5d or 12h`);
  return ms;
}

/** The expiry a load runs, if --expire-every is given (it needs --older-than). */
function expiryOf(a: DbArgs): Expiry | undefined {
  const everyMs = age(a, 'expire-every');
  if (everyMs === undefined) return undefined;
  const olderThanMs = age(a, 'older-than');
  if (olderThanMs === undefined) throw new UsageError('--expire-every needs --older-than AGE');
  return { olderThanMs, everyMs };
}
