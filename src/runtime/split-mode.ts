/** `-M KIND SIZE`: how smbta-rotate splits files and how smbta-cluster bins time. */
import { parseDuration, parseSize } from '../format/units.js';
import { UsageError } from '../language/errors.js';

export type SplitMode = { kind: 'time'; ms: number } | { kind: 'size'; bytes: number } | { kind: 'count'; records: number };

/** Parses `-M time 10m`, `-M size 100M` or `-M count 1000000`; `only` limits the kinds a program takes. */
export function parseSplitMode(m: string[] | undefined, fallback: SplitMode, only?: SplitMode['kind'][]): SplitMode {
  if (!m) return fallback;
  const [kind, size = ''] = m;
  const kinds = only ?? ['time', 'size', 'count'];
  const bad = (): never => {
    throw new UsageError(`-M ${m.join(' ')}: expected ${kinds.map((k) => `'${k} ${{ time: '10m', size: '100M', count: '1000000' }[k]}'`).join(', ')}`);
  };
  if (!kinds.includes(kind as SplitMode['kind'])) return bad();
  if (kind === 'time') {
    const ms = parseDuration(size);
    return ms && ms > 0 ? { kind, ms } : bad();
  }
  if (kind === 'size') {
    const bytes = parseSize(size);
    return bytes && bytes > 0 ? { kind, bytes } : bad();
  }
  return /^\d+$/.test(size) && Number(size) > 0 ? { kind: 'count', records: Number(size) } : bad();
}
