/**
 * The smbtaquery language as data: a statement is a selection (objects and times, narrowed
 * left to right) and the commands asked of it. Both the archive and the SQL executors
 * read this, so the two cannot understand a statement differently.
 */
import { READ_OPS, WRITE_OPS, type StringFieldName } from '../record/fields.js';

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
  /** `rows` (the original's H): at most this many steps; `width` (W): the chart's width in columns. */
  | { kind: 'usage'; mode: Mode; rows?: number; width?: number }
  | { kind: 'search'; pattern: string }
  | { kind: 'throughput'; n: number; unit: TimeUnit; mode: Mode }
  | { kind: 'smbtad-report'; full: boolean }
  /** `online`/`offline`, as webSMBTA sent it: the same facts either way (see docs/query.md). */
  | { kind: 'self-check'; scope?: 'online' | 'offline' }
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

/**
 * What one object of a kind is: a user is a name in a domain (EXAMPLE\\bob is not OTHER\\bob),
 * a file a path on a share of a server (two shares may both have README). Grouped by all of them.
 */
export const KIND_FIELDS: Record<Kind, readonly StringFieldName[]> = {
  users: ['user', 'domain'],
  shares: ['share'],
  files: ['path', 'share', 'server'],
  domains: ['domain'],
};

/** `list users` also shows each user's SID, as the original did. */
export const LIST_FIELDS: Record<Kind, readonly StringFieldName[]> = { ...KIND_FIELDS, users: ['user', 'domain', 'sid'] };

/** How a field is headed in answers. */
export const FIELD_HEADING: Partial<Record<StringFieldName, string>> = { path: 'file' };
