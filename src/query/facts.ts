/** What the system commands and an ambiguous name say, the same from every store. */
import { UsageError } from '../language/errors.js';
import { createLocalFormatter } from '../format/time.js';
import type { LossEvent } from '../stream/loss.js';
import { VERSION } from '../version.js';
import { compareNames } from './answers.js';
import { UNIT_MS, type Command, type Question, type Selection } from './ast.js';

/** The last N units before `now` ([now - N units, now)), as far as the selection's own time allows. */
export function throughputWindow(sel: Selection, c: Extract<Command, { kind: 'throughput' }>, now: number): [number, number] {
  return [Math.max(sel.from, now - c.n * UNIT_MS[c.unit]), Math.min(sel.to, now)];
}

/** The user names a question gives without a domain: each must be one user. */
export function bareUserNames(q: Question): string[] {
  return q.selection.users.filter((u) => u.domain === undefined).map((u) => u.name);
}

/** A user name found in several domains: the candidates, and how to pick one. */
export function ambiguityError(name: string, domains: Iterable<string>): UsageError {
  const candidates = [...domains].sort(compareNames).map((d) => `${d}\\${name}`);
  return new UsageError(`user '${name}' is ambiguous: ${candidates.join(', ')}; name one as 'DOMAIN\\${name}' (quoted in statements)`);
}

/** What a store knows of how its records came: the senders, the status blocks, and what was lost on the way. */
export interface Provenance {
  senders: Map<string, string>;
  statusBlocks: number;
  losses: LossEvent[];
}

/** Loss events shown one by one, the latest first; the rest are in the total. */
const SHOWN_LOSSES = 10;

/** The total lost, then the latest losses with the record times they fall between. */
export function lossFacts(losses: readonly LossEvent[]): [string, string | number][] {
  const when = createLocalFormatter();
  const total = losses.reduce((a, l) => a + l.records, 0);
  const rows: [string, string | number][] = [['records lost upstream', total]];
  const latest = [...losses].sort((a, b) => b.from - a.from).slice(0, SHOWN_LOSSES);
  for (const l of latest)
    rows.push([`missing from ${when(l.from).slice(0, 19)}`, `${l.records} records to ${when(l.to).slice(0, 19)} (${l.reason}; ${l.source})`]);
  if (losses.length > latest.length) rows.push(['missing, earlier', `${losses.length - latest.length} more losses`]);
  return rows;
}

/** Versions, each sender seen with the protocol it spoke (from the receivers' status blocks), and what was lost. */
export function systemFacts(store: [string, string][], p: Provenance): [string, string | number][] {
  const rows: [string, string | number][] = [['smbta', VERSION], ['node', process.version], ...store];
  if (p.senders.size === 0) rows.push(['senders', 'none seen (no receiver status blocks)']);
  for (const server of [...p.senders.keys()].sort(compareNames)) rows.push([`sender ${server}`, `protocol ${p.senders.get(server)}`]);
  rows.push(['status blocks', p.statusBlocks], ...lossFacts(p.losses));
  return rows;
}
