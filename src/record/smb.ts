/** SMB's own ways of naming shares and asking for access, as records carry them. */

/** `\\server\share` or `//host/share` (a trailing separator allowed) to `share`. */
export function shareOf(unc: string): string {
  return (
    unc
      .split(/[\\/]+/)
      .filter(Boolean)
      .pop() ?? ''
  );
}

/** Access rights that change a file: write or append data, delete, generic write or all. */
const WRITE_ACCESS = 0x2 | 0x4 | 0x10000 | 0x40000000 | 0x10000000;

/** 1 when an SMB access mask asks to change data, else 0: a record's open `mode`. */
export function writeMode(accessMask: number): number {
  return accessMask & WRITE_ACCESS ? 1 : 0;
}
