/**
 * Answers questions from a SQL store. Every name and time is a bound parameter, never
 * text pasted into SQL. The database does the selecting and summing, using the time, user
 * and share indexes; the answers are then built by the same code as for archives.
 */
import { createLocalFormatter } from '../format/time.js';
import { completeRollups, EXPIRED_META, metaMap, ROLLUPS_META_SQL } from '../store/rollups.js';
import { nameKey } from '../store/schema.js';
import type { Store } from '../store/types.js';
import type { StringFieldName } from '../record/fields.js';
import { KIND_FIELDS, LIST_FIELDS, MODE_OPS, type Kind, type Mode, type Question, type Selection } from './ast.js';
import {
  activityAnswer,
  addToGroup,
  dayUsageAnswer,
  errorAnswer,
  keyValueAnswer,
  listAnswer,
  QUARTER_MS,
  searchAnswer,
  SEARCH_KINDS,
  throughputAnswer,
  topAnswer,
  totalAnswer,
  usageAnswer,
  usageRange,
  usageGrain,
  usageStep,
  type Activity,
  type Answer,
  type Buckets,
  type Groups,
} from './answers.js';
import { ambiguityError, bareUserNames, lossFacts, systemFacts, throughputWindow, type Provenance } from './facts.js';
import { describePieces, planPieces, RECORDS_TABLE, type Grain, type Piece } from './rollup-plan.js';

const COLUMN: Record<StringFieldName, string> = {
  user: 'user_name',
  share: 'share',
  path: 'path',
  path2: 'path2',
  domain: 'domain',
  sid: 'sid',
  server: 'server',
  client: 'client',
};
const columnsOf = (fields: readonly StringFieldName[]): string => fields.map((f, k) => `${COLUMN[f]} AS c${k}`).join(', ');
const tupleOf = (r: Record<string, unknown>, n: number): string[] => Array.from({ length: n }, (_, k) => String(r[`c${k}`]));

interface Where {
  sql: string;
  params: unknown[];
}

function where(sel: Selection, mode?: Mode, from = sel.from, to = sel.to): Where {
  const parts: string[] = [];
  const params: unknown[] = [];
  const eq = (col: string, v: unknown): void => {
    parts.push(`${col} = ?`);
    params.push(v);
  };
  // The hashed keys let the user and share indexes find the rows; the names make them exact.
  for (const s of sel.shares) {
    eq('share_key', nameKey(s));
    eq('share', s);
  }
  sel.files.forEach((f) => eq('path', f));
  sel.domains.forEach((d) => eq('domain', d));
  for (const u of sel.users) {
    eq('user_key', nameKey(u.name));
    eq('user_name', u.name);
    if (u.domain !== undefined) eq('domain', u.domain);
  }
  if (Number.isFinite(from)) {
    parts.push('time >= ?');
    params.push(from);
  }
  if (Number.isFinite(to)) {
    parts.push('time < ?');
    params.push(to);
  }
  if (mode) parts.push(`op IN (${MODE_OPS[mode].join(', ')})`);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Rows to sum: a table and its WHERE, or the union of rollup and record pieces that answers exactly. */
interface SumSource {
  sql: string;
  params: unknown[];
  pieces: Piece[];
}

/** Columns the rollups keep: sums grouped by these (and op) can come from them. */
const ROLLUP_FIELDS: readonly StringFieldName[] = ['user', 'domain', 'share', 'server'];

/** What a sum covers beyond its selection and mode: a span other than the selection's, buckets, fields only the records keep. */
interface SumSpan {
  from?: number;
  to?: number;
  /** Sums per bucket of this many ms: only rollups whose grain divides it. */
  bucket?: number;
  /** Grouped by fields the rollups do not keep (files). */
  records?: boolean;
}

/**
 * Where sums of bytes and operations over [from, to) come from: rollups where whole minutes,
 * hours or days answer exactly, the records elsewhere. A selection naming files needs the records.
 */
function sumSource(grains: readonly Grain[], sel: Selection, mode: Mode | undefined, { from = sel.from, to = sel.to, bucket, records }: SumSpan): SumSource {
  const usable = sel.files.length || records ? [] : grains.filter((g) => bucket === undefined || bucket % g.ms === 0);
  const pieces = planPieces(from, to, usable);
  if (pieces.length <= 1 && pieces.every((p) => p.table === RECORDS_TABLE)) {
    const w = where(sel, mode, from, to);
    return { sql: `${RECORDS_TABLE} ${w.sql}`, params: w.params, pieces: [{ table: RECORDS_TABLE, from, to }] };
  }
  const params: unknown[] = [];
  const parts = pieces.map((p) => {
    const w = where(sel, mode, p.from, p.to);
    params.push(...w.params);
    return `SELECT time, server, domain, user_name, share, bytes, count FROM ${p.table} ${w.sql}`;
  });
  return { sql: `(${parts.join(' UNION ALL ')}) AS r`, params, pieces };
}

/** The rollups the store keeps, coarsest first, with where each was expired; none in a store made before them. */
async function rollupGrains(store: Store): Promise<Grain[]> {
  const meta = metaMap(await store.all(ROLLUPS_META_SQL));
  return completeRollups(meta)
    .reverse()
    .map((r) => ({ table: r.table, ms: r.ms, since: Number(meta.get(EXPIRED_META + r.table) ?? -Infinity) }));
}

export async function answerFromStore(questions: Question[], store: Store, now: number): Promise<Answer[]> {
  // A user named without a domain must be one user: a question naming one in several is refused, the others answered.
  const ambiguous = new Map<string, string>();
  for (const name of new Set(questions.flatMap(bareUserNames))) {
    const rows = await store.all('SELECT DISTINCT domain FROM smbta_records WHERE user_key = ? AND user_name = ?', [nameKey(name), name]);
    if (rows.length > 1)
      ambiguous.set(
        name,
        ambiguityError(
          name,
          rows.map((r) => String(r.domain)),
        ).message,
      );
  }
  const prov = await provenance(store);
  const grains = await rollupGrains(store);
  const out: Answer[] = [];
  for (const q of questions) {
    const refused = bareUserNames(q).find((name) => ambiguous.has(name));
    if (refused !== undefined) {
      out.push(errorAnswer(q, ambiguous.get(refused)!));
      continue;
    }
    const used: Piece[][] = [];
    const sums: Sums = (sel, mode, span = {}) => {
      const src = sumSource(grains, sel, mode, span);
      used.push(src.pieces);
      return src;
    };
    const a = await answer(q, store, now, prov, sums);
    out.push(used.length ? { ...a, sources: used.map(describePieces).join('; ') } : a);
  }
  return out;
}

/** The senders, status blocks and losses the loads noted. */
async function provenance(store: Store): Promise<Provenance> {
  const senders = await store.all('SELECT server, protocol FROM smbta_senders');
  const status = await store.all('SELECT SUM(blocks) AS n FROM smbta_status');
  const losses = await store.all('SELECT time, end_time, source, records, reason FROM smbta_losses ORDER BY time');
  return {
    senders: new Map(senders.map((r) => [String(r.server), String(r.protocol)])),
    statusBlocks: num(status[0]?.n),
    losses: losses.map((r) => ({ from: num(r.time), to: num(r.end_time), source: String(r.source), records: num(r.records), reason: String(r.reason) })),
  };
}

/** Sums' rows for a selection, mode and span (sumSource without the rollups, which the caller knows). */
type Sums = (sel: Selection, mode: Mode | undefined, span?: SumSpan) => SumSource;

async function answer(q: Question, store: Store, now: number, prov: Provenance, sums: Sums): Promise<Answer> {
  const c = q.command;
  const sel = q.selection;
  const one = async (sql: string, w: Where): Promise<Record<string, unknown>> => (await store.all(`${sql} ${w.sql}`, w.params))[0] ?? {};
  const total = async (src: SumSource): Promise<number> => num((await store.all(`SELECT SUM(bytes) AS b FROM ${src.sql}`, src.params))[0]?.b);
  switch (c.kind) {
    case 'total':
      return totalAnswer(q, await total(sums(sel, c.mode)));
    case 'list': {
      const fields = LIST_FIELDS[c.what];
      const w = where(sel);
      const rows = await store.all(`SELECT DISTINCT ${columnsOf(fields)} FROM smbta_records ${w.sql}`, w.params);
      return listAnswer(
        q,
        c.what,
        rows.map((r) => tupleOf(r, fields.length)),
      );
    }
    case 'top':
      return topAnswer(q, c, await groupSums(store, sel, c.what, c.mode, sums));
    case 'last_activity': {
      const w = where(sel);
      const rows = await store.all(
        `SELECT time, op, user_name, domain, share, path, path2, bytes, result FROM smbta_records ${w.sql} ORDER BY time DESC, id DESC LIMIT ?`,
        [...w.params, c.n],
      );
      const acts: Activity[] = rows.map((r) => ({
        time: num(r.time),
        op: num(r.op),
        user: String(r.user_name),
        domain: String(r.domain),
        share: String(r.share),
        path: String(r.path),
        path2: String(r.path2),
        bytes: num(r.bytes),
        result: num(r.result),
      }));
      return activityAnswer(q, acts);
    }
    case '24h_usage':
      return dayUsageAnswer(q, await buckets(store, sums(sel, c.mode, { bucket: QUARTER_MS }), QUARTER_MS), prov.losses);
    case 'usage': {
      const w = where(sel, c.mode);
      const m = await one('SELECT MIN(time) AS lo, MAX(time) AS hi FROM smbta_records', w);
      const range = usageRange(
        sel.from,
        sel.to,
        m.lo === null || m.lo === undefined ? Infinity : num(m.lo),
        m.hi === null || m.hi === undefined ? -Infinity : num(m.hi),
      );
      const grain = range ? usageGrain(usageStep(range[0], range[1], c.rows)) : QUARTER_MS;
      return usageAnswer(q, range, range ? await buckets(store, sums(sel, c.mode, { bucket: grain }), grain) : new Map<number, number>(), grain, prov.losses);
    }
    case 'search': {
      const found = new Map<string, string[][]>();
      for (const { kind, field, context } of SEARCH_KINDS) {
        const w = where(sel);
        const col = COLUMN[field];
        const match = store.dialect === 'sqlite' ? `${col} GLOB ?` : `${col} LIKE ?`;
        const pattern = store.dialect === 'sqlite' ? likeToGlob(c.pattern) : c.pattern.replace(/\\/g, '\\\\');
        const fields = [field, ...context];
        const sql = `SELECT DISTINCT ${columnsOf(fields)} FROM smbta_records ${w.sql ? `${w.sql} AND` : 'WHERE'} ${match}`;
        found.set(
          kind,
          (await store.all(sql, [...w.params, pattern])).map((r) => tupleOf(r, fields.length)),
        );
      }
      return searchAnswer(q, found);
    }
    case 'throughput': {
      const [from, to] = throughputWindow(sel, c, now);
      return throughputAnswer(q, await total(sums(sel, c.mode, { from, to })), Math.max(0, to - from) / 1000);
    }
    case 'sql': {
      const r = await store.readOnly(c.text);
      return {
        question: q,
        title: c.text,
        columns: r.columns.map((name) => ({ name, kind: 'text' as const })),
        rows: r.rows.map((row) => row.map((v) => (typeof v === 'number' ? v : String(v)))),
      };
    }
    case 'self-check':
      return keyValueAnswer(q, systemFacts([['database', await store.version()]], prov));
    case 'smbtad-report': {
      const when = createLocalFormatter();
      const m = await one('SELECT COUNT(*) AS n, MIN(time) AS lo, MAX(time) AS hi FROM smbta_records', { sql: '', params: [] });
      const pairs: [string, string | number][] = [
        ['store', `${store.dialect}: ${store.location}`],
        ['records', num(m.n)],
        ['first record', m.lo === null ? '-' : when(num(m.lo))],
        ['last record', m.hi === null ? '-' : when(num(m.hi))],
      ];
      if (c.full) {
        for (const r of await store.all('SELECT key, value FROM smbta_meta ORDER BY key')) pairs.push([`setting ${String(r.key)}`, String(r.value)]);
        const loads = await one('SELECT COUNT(*) AS n, MAX(loaded_at) AS last FROM smbta_loads', { sql: '', params: [] });
        pairs.push(['batches loaded', num(loads.n)], ['last load', loads.last === null ? '-' : when(num(loads.last))], ['database', await store.version()]);
        pairs.push(['status blocks', prov.statusBlocks], ...lossFacts(prov.losses));
      }
      return keyValueAnswer(q, pairs);
    }
  }
}

/** Bytes and operations per object of a kind (KIND_FIELDS), every group, for the shared ranking. */
async function groupSums(store: Store, sel: Selection, what: Kind, mode: Mode, sums: Sums): Promise<Groups> {
  const fields = KIND_FIELDS[what];
  const src = sums(sel, mode, { records: !fields.every((f) => ROLLUP_FIELDS.includes(f)) });
  const cols = fields.map((f) => COLUMN[f]).join(', ');
  const rows = await store.all(`SELECT ${columnsOf(fields)}, SUM(bytes) AS b, SUM(count) AS n FROM ${src.sql} GROUP BY ${cols}`, src.params);
  const groups: Groups = new Map();
  for (const r of rows) addToGroup(groups, tupleOf(r, fields.length), num(r.b), num(r.n));
  return groups;
}

/**
 * Bytes per bucket of `size` ms: bucket number = time / size rounded down, also before 1970
 * (SQL's integer division rounds toward zero, so the remainder is taken off first).
 */
async function buckets(store: Store, src: SumSource, size: number): Promise<Buckets> {
  const k = `((time - ((time % ${size}) + ${size}) % ${size}) / ${size})`;
  const rows = await store.all(`SELECT ${k} AS k, SUM(bytes) AS b FROM ${src.sql} GROUP BY ${k}`, src.params);
  return new Map(rows.map((r) => [num(r.k), num(r.b)]));
}

/** A LIKE pattern as a GLOB one (case-sensitive, as LIKE is in PostgreSQL): %→*, _→?, GLOB's own specials bracketed. */
function likeToGlob(pattern: string): string {
  return [...pattern].map((ch) => (ch === '%' ? '*' : ch === '_' ? '?' : '*?['.includes(ch) ? `[${ch}]` : ch)).join('');
}
