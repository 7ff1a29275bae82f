/** Every error a program ends with is rendered here, once, with its fixed exit status. */
import { LanguageError, UsageError, formatLanguageError } from '../language/errors.js';

/** 2 for a mistake in what the user wrote (an option, an expression, a file in one of our languages), else 1. */
export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof LanguageError ? 2 : 1;
}

export function formatError(program: string, err: unknown): string {
  if (err instanceof LanguageError) return `${program}: ${formatLanguageError(err)}`;
  if (err instanceof UsageError) return `${program}: ${err.message}\nTry '${program} --help' for more information.`;
  const e = err instanceof Error ? err : new Error(String(err));
  return `${program}: ${process.env.SMBTA_DEBUG ? (e.stack ?? e.message) : e.message}`;
}
