/**
 * smbta-alert's run: rules from -c, --builtin and --canary; records from the reader's
 * sources; alerts as lines for people (stdout, or stderr with --json) and NDJSON (--json).
 */
import { readFileSync } from 'node:fs';
import { createStdoutSink } from '../io/byte-sink.js';
import { UsageError } from '../language/errors.js';
import { suggest } from '../language/suggest.js';
import type { RunContext } from '../runtime/context.js';
import { liveFlushMs, parseRemote, prepareInput, readSelected, type ReaderArgs } from '../runtime/input.js';
import { forwarding } from '../runtime/forward.js';
import { openBinaryOutput, type OutputArgs } from '../runtime/output.js';
import { listenServing, servingFor, type ServeArgs } from '../runtime/serve.js';
import { BlockKind } from '../stream/format.js';
import { alertJson, type Alert } from '../record/alert.js';
import { builtinRules, canaryRule } from './builtin.js';
import { describeLanguageError, LanguageError } from '../language/errors.js';
import { AlertEngine, type SavedBaselines } from './engine.js';
import { openState } from '../runtime/state-file.js';
import { AlertExec } from './exec.js';
import { SyslogOut, type SyslogFormat } from './syslog-out.js';
import { formatAlert, wantsColour } from '../format/alert-line.js';
import { parseRules, type Rule } from './rules.js';

export interface AlertArgs extends ReaderArgs, OutputArgs, ServeArgs {
  config?: string;
  state?: string;
  'alerts-only': boolean;
  builtin: string[];
  canary: string[];
  json: boolean;
  'max-groups': number;
  exec?: string;
  'exec-max': number;
  'exec-timeout': number;
  'dry-run': boolean;
  syslog?: string;
  'syslog-format': SyslogFormat;
  _: string[];
}

/** How often --state is saved while running: a kill loses at most this much of the baselines' sums. */
const SAVE_EVERY_MS = 60_000;

/** Every rule asked for; a mistake in any is an error before anything is read. */
export function loadRules(a: Pick<AlertArgs, 'config' | 'builtin' | 'canary'>): Rule[] {
  const rules: Rule[] = a.config === undefined ? [] : parseRules(readFileSync(a.config, 'utf8'), a.config);
  const builtins = builtinRules();
  for (const name of a.builtin.flatMap((b) => b.split(','))) {
    const rule = name === 'all' ? [...builtins.values()] : builtins.get(name);
    if (!rule)
      throw new UsageError(
        `--builtin ${name}: no such rule; ${suggest(name, [...builtins.keys()]) ?? `the built-in rules are ${[...builtins.keys()].join(', ')}, or all`}`,
      );
    rules.push(...[rule].flat().filter((r) => !rules.some((x) => x.name === r.name)));
  }
  if (a.canary.length) rules.push(canaryRule(a.canary));
  if (!rules.length) throw new UsageError('no rules: give -c FILE with [rule NAME] sections, --builtin NAME (or all), or --canary GLOB');
  return rules;
}

/** --syslog's HOST:PORT, read as -S reads one (a plain TCP-style address: UDP has no TLS or Unix form here). */
function syslogTarget(text: string): { host: string; port: number } {
  let spec: ReturnType<typeof parseRemote> | undefined;
  try {
    spec = parseRemote(text);
  } catch {
    spec = undefined;
  }
  if (spec?.kind !== 'tcp' || spec.tls) throw new UsageError(`--syslog ${text}: expected HOST:PORT (or [V6]:PORT)`);
  return { host: spec.host, port: spec.port };
}

export async function runAlert(a: AlertArgs, ctx: RunContext): Promise<void> {
  const rules = loadRules(a);
  const input = prepareInput(a, a._);
  if (a['dry-run'] && a.exec === undefined) throw new UsageError('--dry-run says what --exec would run: give --exec CMD');
  if (a.json && a.write === '-') throw new UsageError('--json and -w - both write to stdout: give -w a file or FIFO');
  const syslog = a.syslog === undefined ? undefined : new SyslogOut(syslogTarget(a.syslog), a['syslog-format'], ctx.report);
  const exec = a.exec === undefined ? undefined : new AlertExec(a.exec, ctx.report, { max: a['exec-max'], timeoutMs: a['exec-timeout'], dryRun: a['dry-run'] });
  if (a['alerts-only'] && a.write === undefined && a.serve === undefined) throw new UsageError('--alerts-only says what -w and -P carry: give one');
  // -w and -P: the records read (unless --alerts-only), and each alert and clearing as an alert block at its record time.
  const server = servingFor(a, ctx);
  const stream = a.write === undefined && !server ? undefined : openBinaryOutput('smbta-alert', a, { flushMs: liveFlushMs(input) }, server ? [server] : []);
  if (server) ctx.report.warn(`serving on ${await listenServing(server, a)}`);
  const records = a['alerts-only'] || !stream ? undefined : forwarding(stream);
  // The lines for people go to stdout, unless it carries the stream or NDJSON.
  const out = a.write === '-' ? undefined : createStdoutSink();
  const said = (alert: Alert): void => {
    if (a.json) out?.write(`${JSON.stringify(alertJson(alert))}\n`);
    if (a.json || !out) ctx.report.warn(formatAlert(alert, wantsColour(process.stderr)));
    else out.write(`${formatAlert(alert, wantsColour(process.stdout))}\n`);
    stream?.writeSide(BlockKind.Alert, alertJson(alert), alert.time);
    syslog?.send(alert);
    if (alert.kind === 'alert') exec?.run(alert);
  };
  const engine = new AlertEngine(rules, said, a['max-groups']);
  // --state: the baseline rules' periods, restored at start and saved every minute and at the end.
  const state = openState(a.state, 'smbta-alert', ctx.report);
  const baselines = state?.previous?.baselines;
  if (baselines) ctx.report.warn(`${a.state}: ${engine.restoreBaselines(baselines as SavedBaselines)} baselines restored`);
  const save = (): void => state?.save({ covered: {}, clean: false, baselines: engine.baselines() });
  save();
  const saving = state && setInterval(save, SAVE_EVERY_MS).unref();
  ctx.report.warn(`${rules.length} rules: ${rules.map((r) => r.name).join(', ')}`);
  const reload = (): void => {
    try {
      const next = loadRules(a);
      engine.setRules(next);
      ctx.report.warn(`SIGHUP: ${next.length} rules: ${next.map((r) => r.name).join(', ')}`);
    } catch (err) {
      const why = err instanceof LanguageError ? describeLanguageError(err) : (err as Error).message;
      ctx.report.warn(`SIGHUP: the rules are unchanged: ${why}`);
    }
  };
  if (a.config !== undefined) process.on('SIGHUP', reload);
  try {
    await readSelected(
      input,
      ctx,
      async (b, rows, n, source) => {
        records?.rows(b, rows, n, source);
        engine.batch(b, rows, n);
        await stream?.ready();
      },
      records?.side,
      records?.none,
    );
  } finally {
    process.off('SIGHUP', reload);
    clearInterval(saving);
  }
  engine.finish();
  state?.finish({ covered: {}, clean: true, baselines: engine.baselines() });
  await stream?.close();
  await out?.close();
  await exec?.drained();
  await syslog?.close();
  const s = engine.stats;
  const ran = exec && !a['dry-run'] ? `; --exec ran ${exec.stats.ran} (${exec.stats.failed} failed, ${exec.stats.dropped} dropped)` : '';
  ctx.report.warn(
    `${s.records} records, ${s.alerts} alerts, ${s.cleared} cleared${s.evictedGroups ? `; ${s.evictedGroups} groups forgotten at --max-groups` : ''}${ran}`,
  );
}
