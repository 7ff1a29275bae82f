/**
 * smbta-top's keys as a pure function of the screen state, so they are tested without a
 * terminal. Anything that touches the data (clear, a new filter, quit) comes back as an action.
 */
import { GROUPINGS, SORTS, type Grouping, type SortKey } from './model.js';

export interface UiState {
  grouping: Grouping;
  sort: SortKey;
  /** The filter in force ('' for none). */
  filter: string;
  /** The filter being typed after `/`, or undefined when not typing. */
  draft: string | undefined;
  /** Why the last typed filter was refused, and the column (from 1) of the mistake. */
  error: { message: string; column: number } | undefined;
  paused: boolean;
  help: boolean;
}

export type UiAction = { kind: 'quit' } | { kind: 'clear' } | { kind: 'filter'; text: string } | undefined;

/** The parts of Ink's key object the handler reads. */
export interface KeyInfo {
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  shift?: boolean;
  meta?: boolean;
}

export const KEY_HELP: readonly (readonly [string, string])[] = [
  ['g / tab', 'next grouping: user, share, path, client, server (1-5 pick one)'],
  ['s / S', 'next / previous sort column: read/s, write/s, ops/s, total, name'],
  ['/', 'type a filter expression (Enter applies, Esc cancels; a mistake keeps the old one)'],
  ['p / space', 'pause or resume the display (counting goes on)'],
  ['c', 'clear every count'],
  ['h / ?', 'this help'],
  ['q', 'quit'],
];

export function initialUi(filter: string, grouping: Grouping = 'user', sort: SortKey = 'read/s'): UiState {
  return { grouping, sort, filter, draft: undefined, error: undefined, paused: false, help: false };
}

const cycle = <T>(xs: readonly T[], x: T, by: number): T => xs[(xs.indexOf(x) + by + xs.length) % xs.length]!;

export function handleKey(s: UiState, input: string, key: KeyInfo): [UiState, UiAction] {
  if (s.draft !== undefined) return typing(s, s.draft, input, key);
  if (key.ctrl && input === 'c') return [s, { kind: 'quit' }];
  if (s.help && input !== '') return [{ ...s, help: false }, undefined];
  if (key.tab) return [{ ...s, grouping: cycle(GROUPINGS, s.grouping, key.shift ? -1 : 1) }, undefined];
  switch (input) {
    case 'q':
      return [s, { kind: 'quit' }];
    case 'g':
      return [{ ...s, grouping: cycle(GROUPINGS, s.grouping, 1) }, undefined];
    case 'G':
      return [{ ...s, grouping: cycle(GROUPINGS, s.grouping, -1) }, undefined];
    case 's':
      return [{ ...s, sort: cycle(SORTS, s.sort, 1) }, undefined];
    case 'S':
      return [{ ...s, sort: cycle(SORTS, s.sort, -1) }, undefined];
    case '/':
      return [{ ...s, draft: s.filter, error: undefined }, undefined];
    case 'p':
    case ' ':
      return [{ ...s, paused: !s.paused }, undefined];
    case 'c':
      return [s, { kind: 'clear' }];
    case 'h':
    case '?':
      return [{ ...s, help: true }, undefined];
  }
  const n = Number(input);
  if (Number.isInteger(n) && n >= 1 && n <= GROUPINGS.length) return [{ ...s, grouping: GROUPINGS[n - 1]! }, undefined];
  return [s, undefined];
}

function typing(s: UiState, draft: string, input: string, key: KeyInfo): [UiState, UiAction] {
  if (key.escape) return [{ ...s, draft: undefined, error: undefined }, undefined];
  if (key.return) return [s, { kind: 'filter', text: draft.trim() }];
  if (key.backspace || key.delete) return [{ ...s, draft: draft.slice(0, -1), error: undefined }, undefined];
  if (key.ctrl && input === 'u') return [{ ...s, draft: '', error: undefined }, undefined];
  if (key.ctrl || input === '') return [s, undefined];
  return [{ ...s, draft: draft + input, error: undefined }, undefined];
}

/**
 * A chunk of keyboard input as single keys: text typed fast or pasted arrives in one chunk,
 * and so do several backspaces (DEL or Ctrl-H each); every one counts.
 */
export function splitKeys(input: string, key: KeyInfo): [string, KeyInfo][] {
  if (key.ctrl && input === 'h') return [['', { backspace: true }]];
  if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  return [...input].map((ch): [string, KeyInfo] =>
    ch === '\r' ? ['', { return: true }] : ch === '\x7f' || ch === '\b' ? ['', { backspace: true }] : [ch, {}],
  );
}
