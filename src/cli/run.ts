/**
 * The single entry point of every program: parse with yargs from the option table, run,
 * and map the outcome to an exit status (0 ok, 1 runtime failure, 2 usage error).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { OPTIONS, joinDashValues, toYargs } from './options.js';
import { exitCodeFor, formatError } from '../runtime/errors.js';
import { UsageError } from '../language/errors.js';
import { configPathIn, readConfigFile } from './config-file.js';
import { createReporter } from '../io/report.js';
import type { Program, RunContext } from './program.js';
import type { SecurityArgs } from '../io/link-security.js';

// yargs 17's single-file CommonJS build starts ~150 ms faster than yargs 18's ESM modules,
// which matters for small programs run in pipelines.
const yargs = createRequire(import.meta.url)('yargs/yargs') as (args: readonly string[]) => Argv;

export const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function main(program: Program, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const report = createReporter(program.name);
  // A closed pipe downstream (`| head`) is a normal way to stop: exit quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(formatError(program.name, err) + '\n');
    process.exit(1);
  });
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const args = await parseArgs(program, argv);
    const ctx: RunContext = { report, signal: controller.signal, abort: () => controller.abort() };
    if (typeof args.metrics === 'string') await (await import('../runtime/metrics-server.js')).serveMetrics(args.metrics, program.name, args['metrics-users'] === true, ctx, args as SecurityArgs);
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
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * SIGHUP: reads -c FILE again with the same command line. Changed options the program can
 * apply while running are applied; the others are named as needing a restart. A file
 * that no longer parses changes nothing.
 */
async function reloadConfig(program: Program, argv: readonly string[], current: Record<string, unknown>, ctx: RunContext): Promise<void> {
  const file = String(current.config);
  try {
    const next = await parseArgs(program, argv);
    const changed = program.options.map((n) => OPTIONS[n].name).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
    const now = changed.filter((k) => program.reloadable?.some((n) => OPTIONS[n].name === k));
    const later = changed.filter((k) => !now.includes(k));
    if (now.length) ctx.onReload?.({ ...current, ...Object.fromEntries(now.map((k) => [k, next[k]])) });
    for (const k of now) current[k] = next[k];
    const said = [now.length ? `applied ${now.join(', ')}` : '', later.length ? `${later.join(', ')} changed but need${later.length === 1 ? 's' : ''} a restart` : ''];
    ctx.report.warn(`SIGHUP: ${file} re-read; ${said.filter(Boolean).join('; ') || 'nothing changed'}`);
  } catch (err) {
    ctx.report.warn(`SIGHUP: ${file} not applied (${err instanceof Error ? err.message : String(err)}); the running settings stay`);
  }
}

export async function parseArgs(program: Program, argv: readonly string[]): Promise<Record<string, unknown>> {
  const specs = program.options.map((n) => OPTIONS[n]);
  const pos = program.positional;
  let parsed: Record<string, unknown> | undefined;
  const configPath = program.options.includes('config') ? configPathIn(argv) : undefined;
  // The registry is loaded only for -c, which checks every program's section.
  const fromFile = configPath === undefined ? {} : readConfigFile(configPath, program, (await import('../commands/index.js')).PROGRAMS);
  await yargs(joinDashValues(argv, specs))
    .config(fromFile)
    .scriptName(program.name)
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .alias('V', 'version')
    .strict()
    .parserConfiguration({ 'populate--': true })
    .wrap(Math.min(100, process.stdout.columns || 80))
    .fail((msg, err) => {
      throw msg ? new UsageError(msg) : err;
    })
    .command(
      pos ? `$0 [${pos.name}..]` : '$0',
      false,
      (y) => {
        y.usage(`${program.name}: ${program.summary}\n\nUsage: ${program.name} [options]${pos ? ` [${pos.name}]` : ''}\n\n${program.description}`);
        for (const s of specs) y.option(s.name, toYargs(s));
        if (pos) y.positional(pos.name, { describe: pos.describe, type: 'string', array: true });
        for (const [cmd, meaning] of program.examples) y.example(cmd, meaning);
        if (program.exitStatus) y.epilogue(`Exit status: ${program.exitStatus}`);
        return y;
      },
      (args) => {
        parsed = args as Record<string, unknown>;
      },
    )
    .parseAsync();
  // --help and --version print and exit inside yargs; anything else parsed.
  const args = parsed!;
  const rest = [...((args[pos?.name ?? '_'] as unknown[]) ?? []), ...((args['--'] as unknown[]) ?? [])].map(String);
  return { ...args, [pos?.name ?? '_']: rest };
}
