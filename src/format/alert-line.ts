/** An alert as a line for people: when, what, who, how much; its severity in colour on a terminal. */
import { styleText } from 'node:util';
import { formatSize } from './units.js';
import type { Alert } from '../record/alert.js';

const COLOUR = { critical: ['red', 'bold'], high: ['red'], medium: ['yellow'], low: ['cyan'], cleared: ['green'] } as const;

/** Colour for a stream that is a terminal, unless NO_COLOR is set or TERM is dumb (no-color.org). */
export function wantsColour(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

export function formatAlert(a: Alert, colour = false): string {
  const group = Object.entries(a.group)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const amount = (v: number): string => (a.measure === 'bytes' ? formatSize(v) : `${v} ${v === 1 ? a.measure.slice(0, -1) : a.measure}`);
  const what = `${amount(a.value)} in ${window(a.overMs)} (above ${amount(a.above)})`;
  const word = `${a.kind === 'alert' ? 'ALERT' : 'cleared'} ${a.severity}`;
  const shown = colour ? styleText([...COLOUR[a.kind === 'alert' ? a.severity : 'cleared']], word) : word;
  const head = `${new Date(a.time).toISOString().slice(0, 19)}Z ${shown} ${a.rule}${group ? ` ${group}` : ''}`;
  const path = a.path2 ? `${a.path} -> ${a.path2}` : a.path;
  return a.kind === 'alert' ? `${head}: ${what}${path ? `; ${path}` : ''}` : `${head}: quiet for ${window(a.quietForMs)}`;
}

function window(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
