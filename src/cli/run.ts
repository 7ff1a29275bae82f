/**
 * The single entry point of every program: parse the command line by the program's option
 * specs, run, and map the outcome to an exit status (0 ok, 1 runtime failure, 2 usage error).
 */
import { createReporter } from '../io/report.js';
import { ENOUGH } from '../io/stored.js';
import { finishAllNow } from '../io/temp-files.js';
import { describeLanguageError, LanguageError } from '../language/errors.js';
import { exitCodeFor, formatError } from '../runtime/errors.js';
import type { Listen } from '../runtime/serve.js';
import { parseArgs } from './parse.js';
import type { Program, ProgramContext } from './program.js';

type Args = Record<string, unknown>;

/** The registry, loaded only for -c (which checks every program's section). */
const registry = async (): Promise<readonly Program[]> => (await import('../commands/index.js')).PROGRAMS;

export async function main(program: Program, given: readonly string[] = process.argv.slice(2)): Promise<void> {
  const report = createReporter(program.name);
  // A closed pipe downstream (`| head`) is a normal way to stop: exit quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(formatError(program.name, err) + '\n');
    process.exit(1);
  });
  const controller = new AbortController();
  const stop = (sig: NodeJS.Signals): void => {
    if (!controller.signal.aborted) return controller.abort();
    // A second signal (GNU timeout sends two; an impatient Ctrl-C): finish what can be finished
    // at once, say where it is, and go.
    for (const kept of finishAllNow()) report.warn(`${sig} during shutdown: ${kept}`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const argv = program.legacyArgv?.(given) ?? given;
    const args = await parseArgs(program, argv, registry);
    // Local times (filters, periods, bins, printed times) are all read through TZ; Node follows a change of it.
    if (typeof args.tz === 'string') process.env.TZ = args.tz;
    const ctx: ProgramContext<Args> = { report, signal: controller.signal, abort: () => controller.abort(ENOUGH) };
    // Loaded only when asked for: node:http costs every program's start-up.
    if (args.metrics !== undefined)
      await (await import('../runtime/metrics-server.js')).serveMetrics(args.metrics as Listen, program.name, args['metrics-users'] === true, ctx, args);
    const reload = typeof args.config === 'string' ? () => void reloadConfig(program, argv, args, ctx) : undefined;
    if (reload) process.on('SIGHUP', reload);
    try {
      await program.run(args, ctx);
    } finally {
      if (reload) process.off('SIGHUP', reload);
    }
    process.exitCode = report.failed ? 1 : 0;
  } catch (err) {
    process.stderr.write(formatError(program.name, err) + '\n');
    process.exitCode = exitCodeFor(err);
    // A listener opened before the failure (a receiver's port) must not keep a failed program
    // alive: what waits on the signal stops now, and whatever is left gets two seconds.
    controller.abort();
    setTimeout(() => process.exit(), 2000).unref();
  }
  // The handlers stay: a second signal after the run (while output drains) still exits 130/143.
}

/**
 * SIGHUP: reads -c FILE again with the same command line. Changed options the program can
 * apply while running are applied; the others are named as needing a restart. A file
 * that no longer parses changes nothing.
 */
async function reloadConfig(program: Program, argv: readonly string[], current: Args, ctx: ProgramContext<Args>): Promise<void> {
  const file = String(current.config);
  try {
    const next = await parseArgs(program, argv, registry);
    const changed = Object.keys(program.options).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
    const now = changed.filter((k) => program.reloadable?.includes(k));
    const later = changed.filter((k) => !now.includes(k));
    if (now.length) ctx.onReload?.({ ...current, ...Object.fromEntries(now.map((k) => [k, next[k]])) });
    for (const k of now) current[k] = next[k];
    const said = [
      now.length ? `applied ${now.join(', ')}` : '',
      later.length ? `${later.join(', ')} changed but need${later.length === 1 ? 's' : ''} a restart` : '',
    ];
    ctx.report.warn(`SIGHUP: ${file} re-read; ${said.filter(Boolean).join('; ') || 'nothing changed'}`);
  } catch (err) {
    const why = err instanceof LanguageError ? describeLanguageError(err) : err instanceof Error ? err.message : String(err);
    ctx.report.warn(`SIGHUP: ${file} not applied (${why}); the running settings stay`);
  }
}
