/** An alert as a line for people: when, what, who, how much. */
import { formatSize } from '../format/units.js';
import type { Alert } from './engine.js';

export function formatAlert(a: Alert): string {
  const group = Object.entries(a.group)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const amount = (v: number): string => (a.measure === 'bytes' ? formatSize(v) : `${v} ${v === 1 ? a.measure.slice(0, -1) : a.measure}`);
  const what = `${amount(a.value)} in ${window(a.overMs)} (above ${amount(a.above)})`;
  const head = `${new Date(a.time).toISOString().slice(0, 19)}Z ${a.kind === 'alert' ? 'ALERT' : 'cleared'} ${a.severity} ${a.rule}${group ? ` ${group}` : ''}`;
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
