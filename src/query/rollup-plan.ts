/**
 * Which tables answer a sum over [from, to) exactly: whole days from the daily rollup, the
 * whole hours and minutes around them from the finer ones, and the ragged edges from the
 * records themselves. A rollup is used only where its rows were not expired.
 */
export interface Piece {
  table: string;
  from: number;
  to: number;
}

export interface Grain {
  table: string;
  ms: number;
  /** Rows before this were expired: the table answers from here on (-Infinity: all kept). */
  since: number;
}

export const RECORDS_TABLE = 'smbta_records';

const ceilTo = (x: number, ms: number): number => (Number.isFinite(x) ? Math.ceil(x / ms) * ms : x);
const floorTo = (x: number, ms: number): number => (Number.isFinite(x) ? Math.floor(x / ms) * ms : x);

/** The pieces covering [from, to), coarsest `grains` first; each time in exactly one piece. */
export function planPieces(from: number, to: number, grains: readonly Grain[]): Piece[] {
  if (!(from < to)) return [];
  const [g, ...finer] = grains;
  if (!g) return [{ table: RECORDS_TABLE, from, to }];
  const a = ceilTo(Math.max(from, g.since), g.ms);
  const b = floorTo(to, g.ms);
  if (!(a < b)) return planPieces(from, to, finer);
  return [...planPieces(from, a, finer), { table: g.table, from: a, to: b }, ...planPieces(b, to, finer)];
}

/** `smbta_rollup_1d [2026-09-08T00:00Z, 2026-12-07T00:00Z) + ...`, for -v. */
export function describePieces(pieces: readonly Piece[]): string {
  const at = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString().replace(':00.000Z', 'Z') : t < 0 ? 'the first' : 'the last');
  return pieces.map((p) => `${p.table} [${at(p.from)}, ${at(p.to)})`).join(' + ');
}
