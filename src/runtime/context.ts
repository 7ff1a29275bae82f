/** What a running program hands its engines: where to report, when to stop, what to count. */
import type { Reporter } from '../io/report.js';
import type { StreamMetrics } from './metrics.js';

export interface RunContext {
  report: Reporter;
  /** Aborted on SIGINT/SIGTERM or when a program has all it needs (-N). */
  signal: AbortSignal;
  abort(): void;
  /** Set by --metrics: what the readers count for Prometheus. */
  metrics?: StreamMetrics;
}
