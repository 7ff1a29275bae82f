/** What the system commands and an ambiguous name say, the same from every store. */
import { UsageError } from '../language/errors.js';
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

/** Versions, then each sender seen with the protocol it spoke (from the receivers' status blocks). */
export function systemFacts(store: [string, string][], senders: Map<string, string>): [string, string][] {
  const rows: [string, string][] = [['smbta', VERSION], ['node', process.version], ...store];
  if (senders.size === 0) rows.push(['senders', 'none seen (no receiver status blocks)']);
  for (const server of [...senders.keys()].sort(compareNames)) rows.push([`sender ${server}`, `protocol ${senders.get(server)}`]);
  return rows;
}
