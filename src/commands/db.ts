import { METRICS, pick, READER } from '../cli/options.js';
import { defineProgram, type Trailing } from '../cli/program.js';
import { loadStream, type Expiry } from '../db/loader.js';
import { looksLikeFilter } from '../filter/looks-like.js';
import { isLiveSource } from '../io/source-spec.js';
import { UsageError } from '../language/errors.js';
import { Commits } from '../io/commits.js';
import { prepareInput } from '../runtime/input.js';
import { parseRollupKeep, rollupCutoffs } from '../store/rollups.js';
import { openStore, parseDbTarget } from '../store/store.js';

const ACTIONS = ['init', 'load', 'expire'];

const ACTION: Trailing = {
  name: 'action',
  describe: 'init, load or expire; after load, a filter expression may follow',
  looksLike: (w) => ACTIONS.includes(w) || looksLikeFilter(w),
  complete: { first: ACTIONS, filter: true },
};

export const db = defineProgram({
  name: 'smbta-db',
  summary: 'store a record stream in SQL (SQLite by default, PostgreSQL when shared) and expire old rows',
  description:
    'init creates the schema (docs/database.md). load reads a stream (-r, -R, -S, stdin; a trailing filter selects) and stores it in ' +
    'transactions of --batch-records, by COPY into PostgreSQL; a batch is kept until the database has committed it, so a database ' +
    'restart costs a retry, never a record; --expire-every with --older-than expires while loading. expire deletes records older than ' +
    '--older-than and gives their space back (a SQLite file shrinks; one made before smbta did that is rewritten once, by VACUUM). Without --db the database is SQLite at $XDG_DATA_HOME/smbta/smbta.db (else ~/.local/share/smbta/smbta.db), created on first use.',
  options: {
    ...READER,
    ...pick('db'),
    'older-than': { kind: 'duration', min: 1, value: 'AGE', group: 'Store', describe: 'expire: delete records older than AGE (5d, 12h)' },
    'rollup-keep': {
      kind: 'text',
      value: 'SPEC',
      group: 'Store',
      describe:
        'expire: how long the per-minute, -hour, -day and -week sums are kept, whatever --older-than keeps of the records (default 1m=35d,1h=400d,1d=forever,1w=forever)',
    },
    'expire-every': {
      kind: 'duration',
      min: 1,
      value: 'DURATION',
      group: 'Store',
      describe: 'load: expire records older than --older-than this often while loading (1h)',
    },
    'batch-records': { kind: 'count', min: 1, value: 'N', default: '20000', group: 'Store', describe: 'load: records per transaction' },
    ...METRICS,
    ...pick('config'),
  },
  positional: ACTION,
  examples: [
    ['smbta-recv -P 3491 & smbta-db load -S localhost:3491', 'store everything received in the default SQLite database'],
    ['smbta-db load -S hub:3499 --db postgres://smbta@db/smbta --expire-every 1h --older-than 5d', 'a shared PostgreSQL store keeping five days'],
    ['smbta-db load -R archive/2026-11-23 --db day.db', 'one day of archives into a file of its own'],
    ['smbta-db expire --older-than 30d', 'what the old maintenance timer did, without its bugs'],
  ],
  reloadable: ['expire-every', 'older-than', 'rollup-keep'],
  exitStatus:
    '0 when done (load: when the input ended, or after SIGTERM once what was read is stored); 1 when the input or database failed; 2 for a bad option.',
  async run(a, ctx) {
    const [action = '', ...filter] = a._;
    if (!ACTIONS.includes(action)) throw new UsageError(`${action ? `'${action}' is not an action` : 'no action'}: give ${ACTIONS.join(', ')}`);
    if (action !== 'load' && filter.length) throw new UsageError(`unexpected '${filter.join(' ')}' after ${action}`);
    const olderThan = a['older-than'];
    const keep = rollupKeep(a);
    if (action === 'expire' && olderThan === undefined) throw new UsageError('expire needs --older-than AGE');
    const expire = expiryOf(a);
    const input = action === 'load' ? { ...prepareInput(a, filter), commits: new Commits() } : undefined;
    const store = await openStore(parseDbTarget(a.db));
    try {
      await store.init();
      if (action === 'expire' && olderThan !== undefined)
        ctx.report.warn(`expired ${await store.expire(Date.now() - olderThan, rollupCutoffs(keep, Date.now()))} records`);
      if (action === 'init') ctx.report.warn(`schema ready in ${store.dialect} at ${store.location}`);
      if (input) {
        if (olderThan !== undefined) await store.setMeta('expire_older_than', `${olderThan / 1000}s`);
        // Archives only: build the indexes once at the end (init again), even after a failure.
        const bulk = !input.specs.some(isLiveSource);
        if (bulk) await store.suspendIndexes();
        try {
          // SIGHUP with -c: a new --expire-every or --older-than applies from the next expiry.
          const control = (setExpiry: (e: Expiry | undefined) => void): void => void (ctx.onReload = (next) => setExpiry(expiryOf(next)));
          const done = await loadStream(store, input, ctx, { batchRecords: a['batch-records'], flushMs: 1000, expire, control });
          const said = [
            done.skipped ? `; skipped ${done.skipped} already stored (the same writer's run and record numbers)` : '',
            done.lost ? `; noted ${done.lost} records the input says were lost upstream` : '',
            done.repaired ? `; ${done.repaired} names held a NUL, stored with U+FFFD` : '',
            done.refused ? `; ${done.refused} records refused by the database (said above)` : '',
          ];
          ctx.report.warn(`stored ${done.records} records in ${done.batches} transactions (${store.dialect} at ${store.location})${said.join('')}`);
        } finally {
          if (bulk) await store.init();
        }
      }
    } finally {
      await store.close();
    }
  },
});

/** The expiry a load runs, if --expire-every is given (it needs --older-than). */
function expiryOf(a: { 'expire-every'?: number; 'older-than'?: number; 'rollup-keep'?: string }): Expiry | undefined {
  const everyMs = a['expire-every'];
  if (everyMs === undefined) return undefined;
  const olderThanMs = a['older-than'];
  if (olderThanMs === undefined) throw new UsageError('--expire-every needs --older-than AGE');
  return { olderThanMs, everyMs, keep: rollupKeep(a) };
}

function rollupKeep(a: { 'rollup-keep'?: string }): Expiry['keep'] {
  const keep = parseRollupKeep(a['rollup-keep'] ?? '');
  if (typeof keep === 'string') throw new UsageError(`--rollup-keep ${a['rollup-keep']}: ${keep}`);
  return keep;
}
