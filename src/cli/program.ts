/** What a program declares about itself: everything help, docs and completions need. */
import type { Reporter } from '../io/report.js';
import type { OptionName } from './options.js';
import type { StreamMetrics } from '../runtime/metrics.js';

export interface RunContext {
  report: Reporter;
  /** Aborted on SIGINT/SIGTERM or when a program has all it needs (-N). */
  signal: AbortSignal;
  abort(): void;
  /** Set by --metrics: what the readers count for Prometheus. */
  metrics?: StreamMetrics;
  /**
   * Set by a program whose `reloadable` options SIGHUP may change: called with the
   * arguments as -c FILE and the command line now give them. It may throw a UsageError.
   */
  onReload?: (args: Record<string, unknown>) => void;
}

export interface Program {
  readonly name: string;
  /** One line: what the program does. */
  readonly summary: string;
  /** A paragraph for help and the man page. */
  readonly description: string;
  readonly options: readonly OptionName[];
  /** The trailing argument, when the program takes one. */
  readonly positional?: { readonly name: string; readonly describe: string };
  readonly examples: readonly (readonly [command: string, meaning: string])[];
  readonly exitStatus?: string;
  /** Options a SIGHUP re-reading -c FILE applies while running; changes to others need a restart. */
  readonly reloadable?: readonly OptionName[];
  run(args: Record<string, unknown>, ctx: RunContext): Promise<void>;
}
