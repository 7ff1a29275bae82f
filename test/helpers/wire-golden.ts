/**
 * Wire messages written by hand from the protocol reference, on purpose without
 * src/wire/encode.ts, so the receiver is checked against the reference, not against itself.
 */
import { createCipheriv } from 'node:crypto';

/** `[4 decimal digits = length][that many bytes]` */
function sub(s: string): string {
  return String(Buffer.byteLength(s)).padStart(4, '0') + s;
}

function header(bodyLength: number, encrypted: boolean): string {
  // V2. + sub-release 0 + reserved 0 + E|0 + 000 + 17-digit length
  return `V2.00${encrypted ? 'E' : '0'}000${String(bodyLength).padStart(17, '0')}`;
}

/** The reference's worked example, exactly as printed there (129-byte body). */
export const WORKED_EXAMPLE =
  'V2.00000000000000000000129' +
  '00017' +
  '00012' +
  '0006holger' +
  '0019S-1-5-21-1-2-3-1000' +
  '0004pool' +
  '0009WORKGROUP' +
  '00232012-07-31 13:06:34.123' +
  '0012192.168.1.10' +
  '0010docs/a.txt' +
  '00044096';

/** An old module: common count 6, so no client address. A mkdir with mode 493 (0755). */
export function sixBlockMkdir(): string {
  const body =
    '00016' +
    sub('4') +
    sub('alice') +
    sub('S-1-5-21-9-8-7-1001') +
    sub('projects') +
    sub('EXAMPLE') +
    sub('2026-11-23 10:00:00.500') +
    sub('new dir') +
    sub('493') +
    sub('0');
  return header(Buffer.byteLength(body), false) + body;
}

/** A rename whose result is -1 (sent as 4294967295), with a 1,500-byte path. */
export function longPathRename(): string {
  const long = 'd/'.repeat(749) + 'xy'; // 1,500 bytes
  const body =
    '00017' +
    sub('6') +
    sub('bob') +
    sub('S-1-5-21-1') +
    sub('home') +
    sub('EXAMPLE') +
    sub('2026-11-23 10:00:01.000') +
    sub('::1') +
    sub(long) +
    sub('b.txt') +
    sub('4294967295');
  return header(Buffer.byteLength(body), false) + body;
}

/** An extra common block beyond the seven the receiver knows, and a sub-release of 3. */
export function extraCommonBlock(): string {
  const body =
    '00018' +
    sub('9') +
    sub('eve') +
    sub('S-1') +
    sub('scans') +
    sub('EXAMPLE') +
    sub('2026-11-23 10:00:02.000') +
    sub('10.0.0.9') +
    sub('future field') +
    sub('scan.pdf') +
    sub('0');
  return `V2.30${'0'}000${String(body.length).padStart(17, '0')}` + body;
}

/**
 * An encrypted read whose plain body is a multiple of 16 bytes long, so the padding is a
 * whole block of dots: AES-128-ECB of body + '.' x 16, done here with node:crypto directly.
 */
export function encryptedRead(key: string): { message: Buffer; plainLength: number } {
  let path = 'f';
  let body: string;
  for (;;) {
    body =
      '00017' +
      sub('0') +
      sub('carol') +
      sub('S-1-5-21-2') +
      sub('media') +
      sub('EXAMPLE') +
      sub('2026-11-23 10:00:03.250') +
      sub('10.1.2.3') +
      sub(path) +
      sub('65536');
    if (Buffer.byteLength(body) % 16 === 0) break;
    path += 'f';
  }
  const c = createCipheriv('aes-128-ecb', Buffer.from(key), null);
  c.setAutoPadding(false);
  const enc = Buffer.concat([c.update(Buffer.from(body + '.'.repeat(16))), c.final()]);
  return { message: Buffer.concat([Buffer.from(header(enc.length, true)), enc]), plainLength: Buffer.byteLength(body) };
}

/** A V1 line and its quirky duplicate wrapped in a V2 header. */
export function v1WithDuplicate(): string {
  const line = 'V1,8192,"dave","EXAMPLE","W","/srv/share/docs","report, final.txt","2026-11-23 10:00:04.000"\n';
  return line + header(line.length, false) + line;
}

/* smbta's VFS module's additions (docs/wire-protocol.md, "smbta's VFS module"). */

/** A delete (op 10) of a file whose name has a space, failed (-1). */
export const MODULE_DELETE =
  'V2.00000000000000000000127' +
  '00017' +
  '000210' +
  '0005alice' +
  '0012S-1-5-21-7-1' +
  '0005pool1' +
  '0009WORKGROUP' +
  '00232026-12-07 15:04:05.006' +
  '0009127.0.0.1' +
  '0011old pan.txt' +
  '00104294967295';

/** A summary (9 common blocks): 12 reads moved 52,428,800 bytes from .006 to 15:04:09.250. */
export const MODULE_SUMMARY =
  'V2.00000000000000000000157' +
  '00019' +
  '00011' +
  '0005alice' +
  '0012S-1-5-21-7-1' +
  '0005pool1' +
  '0009WORKGROUP' +
  '00232026-12-07 15:04:05.006' +
  '0009127.0.0.1' +
  '000212' +
  '00232026-12-07 15:04:09.250' +
  '0011big/50m.bin' +
  '000852428800';

/** A drop count (op 99): 1,234 records dropped from 15:04:05.006 to 15:04:06.500; empty who-blocks. */
export const MODULE_DROPPED =
  'V2.00000000000000000000120' +
  '00017' +
  '000299' +
  '0000' +
  '0000' +
  '0000' +
  '0000' +
  '00232026-12-07 15:04:06.500' +
  '0000' +
  '00041234' +
  '00232026-12-07 15:04:05.006' +
  '00232026-12-07 15:04:06.500';
