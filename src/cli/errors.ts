/** Typed errors, rendered in one place (formatError) with fixed exit codes. */
import { FilterSyntaxError, formatFilterError } from '../filter/errors.js';

/** A bad option or argument: exit status 2. */
export class UsageError extends Error {}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof FilterSyntaxError ? 2 : 1;
}

export function formatError(program: string, err: unknown): string {
  if (err instanceof FilterSyntaxError) return `${program}: ${formatFilterError(err)}`;
  if (err instanceof UsageError) return `${program}: ${err.message}\nTry '${program} --help' for more information.`;
  const e = err as Error;
  return `${program}: ${process.env.SMBTA_DEBUG ? (e.stack ?? e.message) : (e.message ?? String(err))}`;
}
