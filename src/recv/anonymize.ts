/**
 * Pseudonyms at the edge, because storing names is illegal in many countries: a keyed
 * HMAC gives each name a stable pseudonym (the same across restarts with the same key
 * file), or every name becomes one constant.
 */
import { createHmac } from 'node:crypto';
import type { SmbRecord } from '../record/fields.js';

export const ANONYMIZABLE = ['user', 'sid', 'client'] as const;
export type AnonField = (typeof ANONYMIZABLE)[number];

/** Remembered pseudonyms; beyond this many the cache starts again (memory stays bounded). */
const CACHE_LIMIT = 100_000;

export function createAnonymizer(fields: readonly AnonField[], opts: { key?: Buffer; total?: string }): (r: SmbRecord) => void {
  if (fields.length === 0) return () => undefined;
  if (opts.total !== undefined) {
    const total = opts.total;
    return (r) => {
      for (const f of fields) if (r[f]) r[f] = total;
    };
  }
  const key = opts.key!;
  let cache = new Map<string, string>();
  const pseudonym = (field: string, value: string): string => {
    const k = `${field}\0${value}`;
    let p = cache.get(k);
    if (p === undefined) {
      if (cache.size >= CACHE_LIMIT) cache = new Map();
      p = `${field}-${createHmac('sha256', key).update(k).digest('hex').slice(0, 16)}`;
      cache.set(k, p);
    }
    return p;
  };
  return (r) => {
    for (const f of fields) if (r[f]) r[f] = pseudonym(f, r[f]);
  };
}
