/**
 * The framing around full_audit lines: syslog messages (RFC 5424 and RFC 3164, the BSD
 * form rsyslog and most daemons send), and Samba's own log file, where a header line
 * `[2026/11/23 23:42:41.812974,  1] ../../source3/modules/vfs_full_audit.c:643(do_log)`
 * gives the time of the line that follows.
 */
export interface Framed {
  /** ms since the epoch, UTC. */
  time: number;
  /** The sending host as the message names it ('' when it does not). */
  host: string;
  /** The sending program (RFC 3164 tag, RFC 5424 app-name; '' when it has none). */
  tag: string;
  msg: string;
}

const RFC5424 = /^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) (\S+) (?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?$/s;
// The host is optional (glibc's syslog() sends none), so a tag may not hold `|`: otherwise in
// `smbd_audit: bob|::1|...` the tag would be taken for the host and `bob|` for the tag.
const RFC3164 = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (?:(\S+) (?=[^\s:[|]+(?:\[\d+\])?:))?([^\s:[|]+)(?:\[\d+\])?: ?(.*)$/s;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SAMBA_HEADER = /^\[(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?,\s*\d+[^\]]*\]/;

/** A syslog message's time, host and text; undefined when it is not syslog. */
export function unframeSyslog(text: string, now: number): Framed | undefined {
  const line = text.replace(/\r?\n$/, '');
  const a = RFC5424.exec(line);
  if (a) {
    const t = a[1] === '-' ? now : Date.parse(a[1]!);
    return { time: Number.isFinite(t) ? t : now, host: a[2] === '-' ? '' : a[2]!, tag: a[3] === '-' ? '' : a[3]!, msg: (a[6] ?? '').replace(/^\uFEFF/, '') };
  }
  const b = RFC3164.exec(line);
  if (b) {
    const month = MONTHS.indexOf(b[1]!);
    if (month < 0) return undefined;
    const year = new Date(now).getFullYear();
    let t = new Date(year, month, +b[2]!, +b[3]!, +b[4]!, +b[5]!).getTime();
    // RFC 3164 has no year: a date ahead of now is last year's (a December line read in January).
    if (t > now + 86_400_000) t = new Date(year - 1, month, +b[2]!, +b[3]!, +b[4]!, +b[5]!).getTime();
    return { time: t, host: b[6] ?? '', tag: b[7]!, msg: b[8]! };
  }
  return undefined;
}

/** The time a Samba log header line gives (local time), or undefined for any other line. */
export function sambaHeaderTime(line: string): number | undefined {
  const m = SAMBA_HEADER.exec(line);
  if (!m) return undefined;
  const us = (m[7] ?? '0').padEnd(6, '0');
  return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, Math.floor(Number(us) / 1000)).getTime();
}
