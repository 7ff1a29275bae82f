/**
 * --exec: a command per alert (`sh -c`), the alert as JSON on its stdin and its fields in
 * the environment (SMBTA_ALERT_RULE, _SEVERITY, _TIME, _CLIENT, _PATH, _VALUE, and each
 * group field, _USER, _SHARE...). It never holds up evaluation: at most `max` run at once,
 * up to QUEUED more wait, and beyond that an alert's command is dropped, counted and said;
 * one that outlives `timeoutMs` is killed. --dry-run says the command instead of running it.
 */
import { alertJson } from '../record/alert.js';
import { spawn } from 'node:child_process';
import type { Reporter } from '../io/report.js';
import type { Alert } from '../record/alert.js';

const QUEUED = 100;

export interface ExecStats {
  ran: number;
  failed: number;
  dropped: number;
}

export class AlertExec {
  readonly stats: ExecStats = { ran: 0, failed: 0, dropped: 0 };
  private running = 0;
  private readonly queue: Alert[] = [];
  private idle: (() => void) | undefined;

  constructor(
    private readonly command: string,
    private readonly report: Reporter,
    private readonly o: { max: number; timeoutMs: number; dryRun: boolean },
  ) {}

  run(a: Alert): void {
    if (this.o.dryRun) return this.report.warn(`--dry-run: would run for ${a.rule}: ${this.command} (${envLine(a)})`);
    if (this.running < this.o.max) return this.start(a);
    if (this.queue.length < QUEUED) return void this.queue.push(a);
    if (this.stats.dropped++ === 0) this.report.warn(`--exec: ${this.o.max} commands running and ${QUEUED} waiting: further alerts run no command (counted)`);
  }

  /** Resolves when every command started has ended. */
  drained(): Promise<void> {
    return this.running === 0 && this.queue.length === 0 ? Promise.resolve() : new Promise((r) => (this.idle = r));
  }

  private start(a: Alert): void {
    this.running++;
    const child = spawn('sh', ['-c', this.command], { stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, ...envOf(a) } });
    const timer = setTimeout(() => child.kill('SIGKILL'), this.o.timeoutMs);
    child.stdin.on('error', () => undefined); // a command that does not read its stdin
    child.stdin.end(`${JSON.stringify(alertJson(a))}\n`);
    const done = (ok: boolean, why: string): void => {
      clearTimeout(timer);
      this.stats.ran++;
      if (!ok) {
        this.stats.failed++;
        this.report.warn(`--exec for ${a.rule}: ${why}`);
      }
      this.running--;
      const next = this.queue.shift();
      if (next) this.start(next);
      else if (this.running === 0) this.idle?.();
    };
    child.on('error', (err) => done(false, err.message));
    child.on('close', (code, signal) => done(code === 0, signal === 'SIGKILL' ? `killed after ${this.o.timeoutMs} ms` : `exit status ${code ?? signal}`));
  }
}

function envOf(a: Alert): Record<string, string> {
  const env: Record<string, string> = {
    SMBTA_ALERT_KIND: a.kind,
    SMBTA_ALERT_RULE: a.rule,
    SMBTA_ALERT_SEVERITY: a.severity,
    SMBTA_ALERT_TIME: new Date(a.time).toISOString(),
    SMBTA_ALERT_VALUE: String(a.value),
    SMBTA_ALERT_CLIENT: a.client,
    SMBTA_ALERT_PATH: a.path,
    SMBTA_ALERT_PATH2: a.path2,
  };
  for (const [field, v] of Object.entries(a.group)) env[`SMBTA_ALERT_${field.toUpperCase()}`] = v;
  return env;
}

function envLine(a: Alert): string {
  return Object.entries(envOf(a))
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
