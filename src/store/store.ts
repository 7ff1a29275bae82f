/** Where the store is (--db), and opening it: SQLite or PostgreSQL behind one interface (types.ts). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../language/errors.js';
import type { Store } from './types.js';

/** A SQLite file (its directory made only when it is the default one), or a PostgreSQL URL. */
export type DbTarget = { kind: 'sqlite'; path: string; makeDir: boolean } | { kind: 'postgres'; url: string };

/** Where the embedded database lives when --db is not given: $XDG_DATA_HOME/smbta/smbta.db. */
export function defaultDbPath(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'smbta', 'smbta.db');
}

/** `sqlite:PATH`, a bare PATH ending in .db, or `postgres://USER@HOST/DB` (libpq-style; PG* variables fill gaps). */
export function parseDbTarget(text: string | undefined): DbTarget {
  if (text === undefined || text === '') return { kind: 'sqlite', path: defaultDbPath(), makeDir: true };
  if (/^postgres(ql)?:\/\//.test(text)) return { kind: 'postgres', url: text };
  if (text.startsWith('sqlite:')) return { kind: 'sqlite', path: text.slice(7), makeDir: false };
  if (text.endsWith('.db') || text.endsWith('.sqlite') || text === ':memory:') return { kind: 'sqlite', path: text, makeDir: false };
  throw new UsageError(`--db ${text}: expected sqlite:PATH, a PATH ending in .db, or postgres://USER@HOST/DB`);
}

/** How a program uses the store: to read it only (smbta-query), or to write it too. */
export interface OpenOptions {
  readOnly?: boolean;
}

export async function openStore(target: DbTarget, opts: OpenOptions = {}): Promise<Store> {
  if (target.kind === 'sqlite') return (await import('./sqlite.js')).openSqlite(target.path, { makeDir: target.makeDir, readOnly: !!opts.readOnly });
  return (await import('./postgres.js')).openPostgres(target.url);
}
