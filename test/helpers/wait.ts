/** Waiting for what a program says or does, never for a fixed time: a condition, polled, with a bound. */

/**
 * Resolves once `check` gives a value other than undefined or false; fails after `timeoutMs`
 * naming `what` was awaited. `check` is polled every `everyMs`.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15000,
  everyMs = 25,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
