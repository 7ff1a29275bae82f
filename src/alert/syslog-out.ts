/**
 * --syslog HOST:PORT: each alert as a syslog datagram (UDP), RFC 5424 with the alert's
 * fields as structured data, or with --syslog-format cef an ArcSight CEF message (in the same
 * RFC 5424 frame) for SIEMs. Sent and forgotten: a send that fails is counted and said once.
 */
import { createSocket, type Socket } from 'node:dgram';
import { hostname } from 'node:os';
import type { Reporter } from '../io/report.js';
import { VERSION } from '../version.js';
import type { Alert } from '../record/alert.js';
import { formatAlert } from '../format/alert-line.js';

/** The facility: auth (4), security events. */
const FACILITY = 4;
/** Syslog severities (crit, err, warning, notice; a clearing is info) and CEF's 0-10. */
const SYSLOG_SEVERITY = { critical: 2, high: 3, medium: 4, low: 5 } as const;
const CEF_SEVERITY = { critical: 10, high: 8, medium: 5, low: 3 } as const;
/** The SD-ID's enterprise number: 32473, IANA's for documentation and examples (RFC 5612). */
const SD_ID = 'smbta@32473';

export type SyslogFormat = 'rfc5424' | 'cef';

export class SyslogOut {
  failed = 0;
  private readonly socket: Socket;
  private readonly host = hostname();
  /** Datagrams handed to the socket and not yet sent, and who waits for none. */
  private sending = 0;
  private sent: (() => void) | undefined;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly format: SyslogFormat,
    private readonly report: Reporter,
  ) {
    this.socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('error', (err) => this.fail(err));
  }

  send(a: Alert): void {
    const msg = Buffer.from(syslogMessage(a, this.format, this.host));
    this.sending++;
    this.socket.send(msg, this.target.port, this.target.host, (err) => {
      if (err) this.fail(err);
      if (--this.sending === 0) this.sent?.();
    });
  }

  /** Once every datagram has gone: a socket closed while a send waits for its address drops it. */
  async close(): Promise<void> {
    if (this.sending) await new Promise<void>((r) => (this.sent = r));
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private fail(err: Error): void {
    if (this.failed++ === 0) this.report.warn(`--syslog ${this.target.host}:${this.target.port}: ${err.message} (further failures are counted)`);
  }
}

/** The datagram for an alert. */
export function syslogMessage(a: Alert, format: SyslogFormat, host: string): string {
  const severity = a.kind === 'cleared' ? 6 : SYSLOG_SEVERITY[a.severity];
  const head = `<${FACILITY * 8 + severity}>1 ${new Date(a.time).toISOString()} ${host} smbta-alert ${process.pid} ${a.kind}`;
  if (format === 'cef') return `${head} - ${cef(a)}`;
  const params: [string, string | number][] = [
    ['rule', a.rule],
    ['severity', a.severity],
    ['measure', a.measure],
    ['value', a.value],
    ['above', a.above],
    ['overMs', a.overMs],
    ...Object.entries(a.group),
    ['client', a.client],
    ['path', a.path],
    ['path2', a.path2],
  ];
  const sd = params
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${sdName(k)}="${String(v).replace(/["\\\]]/g, (c) => `\\${c}`)}"`)
    .join(' ');
  return `${head} [${SD_ID} ${sd}] ${formatAlert(a)}`;
}

/** CEF: escaped `|` and `\` in the header, `=`, `\` and line ends in the extension. */
function cef(a: Alert): string {
  const h = (s: string): string => s.replace(/[\\|]/g, (c) => `\\${c}`);
  const x = (s: string | number): string =>
    String(s)
      .replace(/[\\=]/g, (c) => `\\${c}`)
      .replace(/\r?\n/g, '\\n');
  const ext: [string, string | number][] = [
    ['rt', a.time],
    ['act', a.kind],
    ['suser', a.group.user ?? ''],
    ['src', a.client],
    ['fname', a.path],
    ['cnt', a.value],
    ['cs1Label', 'rule'],
    ['cs1', a.rule],
    ['cs2Label', 'group'],
    [
      'cs2',
      Object.entries(a.group)
        .map(([k, v]) => `${k}:${v}`)
        .join(' '),
    ],
    ['cs3Label', 'new name'],
    ['cs3', a.path2],
    ['msg', formatAlert(a)],
  ];
  const severity = a.kind === 'cleared' ? 0 : CEF_SEVERITY[a.severity];
  return `CEF:0|smbta|smbta-alert|${h(VERSION)}|${h(a.rule)}|${h(`${a.kind === 'cleared' ? 'cleared: ' : ''}${a.rule}`)}|${severity}|${ext
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${x(v)}`)
    .join(' ')}`;
}

/** SD-PARAM names: printable US-ASCII except = ] " and space, at most 32. */
function sdName(k: string): string {
  return k.replace(/[^!-~]|[=\]"]/g, '_').slice(0, 32);
}
