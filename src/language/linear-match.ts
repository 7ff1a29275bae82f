/**
 * Matching whose time is linear in the text, whatever the pattern: filters and searches run
 * patterns typed by anyone over names sent by anyone, and a backtracking engine lets
 * `*a*a*a*b` over a 4 KB path, or `(a+)+$`, run for hours. RE2's engine (re2js, its
 * JavaScript port) has no backtracking, and so no lookaround or backreferences.
 */
import { createRequire } from 'node:module';
import type { RE2JS as Engine } from 're2js';

/** re2js, loaded when the first pattern is compiled: most runs have none, and it costs start-up time. */
let re2: typeof Engine | undefined;
function engine(): typeof Engine {
  return (re2 ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof Engine }).RE2JS);
}

/** A test for `pattern` (RE2 syntax) found anywhere in the text; throws with RE2's reason when it does not compile. */
export function linearRegex(pattern: string, flags = ''): (s: string) => boolean {
  const RE2JS = engine();
  const bit: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, s: RE2JS.DOTALL, m: RE2JS.MULTILINE, u: 0 };
  let bits = 0;
  for (const f of flags) bits |= bit[f] ?? 0;
  try {
    const re = RE2JS.compile(pattern, bits);
    return (s) => re.matcher(s).find();
  } catch (err) {
    throw new Error((err as Error).message.replace(/^error parsing regexp: /, ''), { cause: err });
  }
}
