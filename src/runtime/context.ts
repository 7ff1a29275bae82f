/** What a running program hands its engines: where to report, when to stop, what to count. */
import type { Reporter } from '../io/report.js';
import type { StreamMetrics } from './metrics.js';

export interface RunContext<Args = unknown> {
  report: Reporter;
  /** Aborted on SIGINT/SIGTERM or when a program has all it needs (-N). */
  signal: AbortSignal;
  abort(): void;
  /** Set by --metrics: what the readers count for Prometheus. */
  metrics?: StreamMetrics;
  /**
   * Set by a program whose reloadable options SIGHUP may change: called with the options
   * as -c FILE and the command line now give them. It may throw a UsageError.
   */
  onReload?: (args: Args) => void;
}
