/** Properties that go wrong on purpose, to show the watchdog catches each way (watchdog.test.ts). */
import fc from 'fast-check';
import type { FuzzProperties } from './watchdog.js';

const kept: number[][] = [];

export const PROPS: FuzzProperties = {
  holds: (opts) =>
    fc.assert(
      fc.property(fc.nat(), (n) => n >= 0),
      opts,
    ),
  fails: (opts) =>
    fc.assert(
      fc.property(fc.nat(), (n) => n < 1000),
      opts,
    ),
  // The fifth run never returns, as a parser stuck in a loop would.
  hangs: (opts) => {
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(), () => {
        if (++runs === 5) for (;;);
      }),
      opts,
    );
  },
  // Every run keeps 8 MB, as a parser that holds on to what it saw would.
  grows: (opts) =>
    fc.assert(
      fc.property(fc.nat(), () => void kept.push(new Array<number>(1 << 20).fill(kept.length))),
      opts,
    ),
};
