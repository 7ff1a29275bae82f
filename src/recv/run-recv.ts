/**
 * smbta-recv's run: the Samba module listeners and the full_audit inputs feed one receiver,
 * which writes to -w, stdout and -P readers; statistics and status blocks on timers; a clean
 * stop writes out everything received.
 */
import { AuditReader, listenAuditUdp, listenAuditUnix } from '../audit/audit-input.js';
import { followAuditFile, type FollowFrom } from '../audit/follow-log.js';
import { parsePrefix } from '../audit/full-audit.js';
import type { SmbRecord } from '../record/fields.js';
import type { RunContext } from '../runtime/context.js';
import { describeIoError } from '../io/consume.js';
import { openBinaryOutput, type OutputArgs } from '../runtime/output.js';
import { listenServing, servingFor, type ServeArgs } from '../runtime/serve.js';
import { openState, writerState, type AuditPosition } from '../runtime/state-file.js';
import type { LocalTimeConverter } from '../wire/local-time.js';
import { formatStats, Receiver, type ReceiverLimits } from './receiver.js';

/** What may change while running (SIGHUP). */
export interface RecvSettings {
  limits: ReceiverLimits;
  statsMs: number;
  statusEveryMs: number;
}

export interface RecvOptions extends RecvSettings {
  tcp?: { host: string; port: number };
  unix?: string;
  key?: Buffer;
  toUtc: LocalTimeConverter;
  serverNames: ReadonlyMap<string, string>;
  anonymize: (r: SmbRecord) => void;
  output: OutputArgs;
  serving: ServeArgs;
  state?: string;
  audit: { udp?: number; unix?: string; unixMode: number; file?: string; fromEnd: boolean; prefix: string; bind: string };
}

export class RecvRun {
  private settings: RecvSettings;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly o: RecvOptions,
    private readonly ctx: RunContext,
  ) {
    this.settings = o;
  }

  /** New limits apply to every connection from now on; the timers start again. */
  reconfigure(next: RecvSettings): void {
    this.settings = next;
    this.receiver?.reconfigure(next.limits);
    this.arm();
  }

  private receiver: Receiver | undefined;
  private printStats: () => void = () => undefined;
  /** Where --audit-file stands, for --state. */
  private auditAt: (() => AuditPosition | undefined) | undefined;

  private arm(): void {
    const r = this.receiver;
    if (!r) return;
    this.timers.forEach(clearInterval);
    this.timers = [setInterval(() => r.writeStatus(), this.settings.statusEveryMs)];
    if (this.settings.statsMs > 0) this.timers.push(setInterval(this.printStats, this.settings.statsMs));
  }

  /** Runs until the context's signal; then writes out everything received. */
  async run(): Promise<void> {
    const { o, ctx } = this;
    const server = servingFor(o.serving, ctx);
    const state = openState(o.state, 'smbta-recv', ctx.report);
    const writer = openBinaryOutput(
      'smbta-recv',
      o.output,
      { flushMs: 100, ...state?.writing(() => ({ senders: receiver.passedOnBySender(), audit: this.auditAt?.() })) },
      server ? [server] : [],
    );
    const served = server && (await listenServing(server, o.serving));
    const receiver = new Receiver({
      tcp: o.tcp,
      unix: o.unix,
      key: o.key,
      toUtc: o.toUtc,
      serverNames: o.serverNames,
      anonymize: o.anonymize,
      writer,
      observe: ctx.metrics && ((r) => ctx.metrics?.observeRecord(r)),
      report: ctx.report,
      limits: { ...o.limits },
      perSender: !!state,
    });
    this.receiver = receiver;
    if (ctx.metrics) {
      ctx.metrics.recordsOut = () => writer.records;
      ctx.metrics.connections = () => receiver.stats.connectionsOpen + (server?.clients ?? 0);
      ctx.metrics.droppedBy = () => ({ ...receiver.stats.rejected, ...receiver.stats.dropped });
    }
    try {
      await receiver.start();
    } catch (err) {
      throw new Error(`cannot listen: ${(err as Error).message}`, { cause: err });
    }
    const audit = await this.startAudit(receiver, state?.previous?.audit);
    const listening = [...receiver.listening, ...audit.listening];

    let lastRecords = 0;
    let lastTime = Date.now();
    this.printStats = (): void => {
      const now = Date.now();
      const rate = ((receiver.stats.records - lastRecords) * 1000) / Math.max(1, now - lastTime);
      lastRecords = receiver.stats.records;
      lastTime = now;
      ctx.report.warn(formatStats(receiver.stats, rate) + (server ? `; ${server.clients} readers` : ''));
    };
    this.arm();
    const onUsr1 = (): void => this.printStats();
    process.on('SIGUSR1', onUsr1);
    // Only now: whoever waits for this line may send SIGUSR1 at once, and before the handler
    // is in place that signal would start Node's inspector instead.
    ctx.report.warn(`listening on ${listening.join(' and ')}${served ? `; serving readers on ${served}` : ''}`);

    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    this.timers.forEach(clearInterval);
    process.off('SIGUSR1', onUsr1);
    await audit.stop();
    await receiver.close();
    receiver.writeStatus();
    this.printStats();
    await writer.close();
    state?.finish(writerState(writer, true, { audit: this.auditAt?.() }));
  }

  /** The full_audit inputs asked for, feeding the receiver; what they listen on, and how to stop them. */
  private async startAudit(receiver: Receiver, saved: AuditPosition | undefined): Promise<{ listening: string[]; stop: () => Promise<void> }> {
    const { audit: a, serverNames } = this.o;
    const { ctx } = this;
    const reader = (label: string): AuditReader =>
      new AuditReader(parsePrefix(a.prefix), { record: (r, s) => receiver.ingest(r, s), reject: (why) => receiver.reject(why), report: ctx.report }, label);
    const listening: string[] = [];
    const udp =
      a.udp === undefined
        ? undefined
        : await listenAuditUdp(a.udp, a.bind, reader('full_audit udp'), serverNames).catch((err: Error) => {
            throw new Error(`cannot listen for full_audit on udp ${a.bind}:${a.udp}: ${describeIoError(err)}`);
          });
    if (udp) listening.push(`full_audit syslog on udp ${a.bind}:${udp.address().port}`);
    if (a.unix !== undefined) {
      await listenAuditUnix(a.unix, a.unixMode, reader(a.unix), serverNames, ctx.signal).catch((err: Error) => {
        throw new Error(`cannot listen for full_audit on unix ${a.unix}: ${describeIoError(err)}`);
      });
      listening.push(`full_audit syslog on unix ${a.unix}`);
    }
    // Lines logged while smbta-recv was down are read: from where --state says it stopped, else from the file's start.
    const from: FollowFrom = saved && saved.path === a.file ? saved : a.fromEnd ? 'end' : 'start';
    const file = a.file === undefined ? undefined : followAuditFile(a.file, reader(a.file), ctx.signal, from);
    if (a.file !== undefined && file) {
      const path = a.file;
      this.auditAt = () => {
        const at = file.position();
        return at && { path, ...at };
      };
      listening.push(`full_audit log ${a.file} (followed from ${typeof from === 'object' ? `offset ${from.pos}, as --state says` : `its ${from}`})`);
    }
    return {
      listening,
      stop: async () => {
        udp?.close();
        await file?.done;
      },
    };
  }
}
