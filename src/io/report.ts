/**
 * Everything a program says on stderr goes through one reporter: `program: message`,
 * once, and any failure turns the final exit status to 1 while the run goes on.
 */
export interface Reporter {
  readonly program: string;
  /** Something the user should know; the run still succeeds. */
  warn(message: string): void;
  /** Something went wrong with part of the input; the run goes on and exits 1. */
  fail(message: string): void;
  readonly failed: boolean;
}

export function createReporter(program: string, write: (text: string) => void = (t) => process.stderr.write(t)): Reporter {
  let failed = false;
  return {
    program,
    warn: (message) => write(`${program}: ${message}\n`),
    fail(message) {
      failed = true;
      write(`${program}: ${message}\n`);
    },
    get failed() {
      return failed;
    },
  };
}

/** A reporter for one kind of message that stops repeating it; `count` is how many came. */
export interface FirstFew {
  (message: string): void;
  readonly count: number;
}

/**
 * Says the first `limit` messages, then `more` once, and only counts the rest: a flood of
 * bad input cannot flood stderr.
 */
export function sayFirst(limit: number, say: (message: string) => void, more: string): FirstFew {
  let count = 0;
  const f = (message: string): void => {
    count++;
    if (count <= limit) say(message);
    else if (count === limit + 1) say(more);
  };
  return Object.defineProperty(f, 'count', { get: () => count }) as FirstFew;
}
