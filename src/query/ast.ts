/**
 * The smbtaquery language as data: a statement is a selection (objects and times, narrowed
 * left to right) and the commands asked of it. Both the archive and the SQL executors
 * read this, so the two cannot understand a statement differently.
 */
import { READ_OPS, WRITE_OPS } from '../record/fields.js';

/** Bytes read (read, pread), written (write, pwrite), or both. */
export type Mode = 'r' | 'w' | 'rw';
export type Kind = 'users' | 'shares' | 'files' | 'domains';
export type TimeUnit = 'seconds' | 'minutes' | 'hours' | 'days';

export interface UserName {
  name: string;
  /** Given as DOMAIN\name; otherwise found in the data (several domains: ambiguous). */
  domain?: string;
}

/** What the objects select; every list is ANDed (two shares select nothing). */
export interface Selection {
  shares: string[];
  users: UserName[];
  files: string[];
  domains: string[];
  /** Half-open [from, to) in ms; -Infinity / Infinity when open. */
  from: number;
  to: number;
}

export type Command =
  | { kind: 'total'; mode: Mode }
  | { kind: 'list'; what: Kind }
  | { kind: 'top'; n: number; what: Kind; mode: Mode; order: 'asc' | 'desc' }
  | { kind: 'last_activity'; n: number }
  | { kind: '24h_usage'; mode: Mode }
  | { kind: 'usage'; mode: Mode }
  | { kind: 'search'; pattern: string }
  | { kind: 'throughput'; n: number; unit: TimeUnit; mode: Mode }
  | { kind: 'smbtad-report'; full: boolean }
  | { kind: 'self-check' }
  /** A raw SELECT, for a database only. */
  | { kind: 'sql'; text: string };

/** One command with the selection in force where it stands. */
export interface Question {
  selection: Selection;
  command: Command;
  /** The statement's text, for headings and machine output. */
  statement: string;
}

export function everything(): Selection {
  return { shares: [], users: [], files: [], domains: [], from: -Infinity, to: Infinity };
}

export const MODE_OPS: Record<Mode, readonly number[]> = { r: READ_OPS, w: WRITE_OPS, rw: [...READ_OPS, ...WRITE_OPS] };

export const UNIT_MS: Record<TimeUnit, number> = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/** The record field each kind of name lives in. */
export const KIND_FIELD = { users: 'user', shares: 'share', files: 'path', domains: 'domain' } as const;
