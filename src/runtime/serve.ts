/** The stream served to readers (-P): one policy for every program that serves it. */
import { createBlockServer, type BlockServer } from '../io/block-server.js';
import { checkServingBind, loadLinkSecurity, type SecurityArgs } from '../io/link-security.js';
import type { Reporter } from '../io/report.js';

export interface ServeArgs extends SecurityArgs {
  serve?: number;
  bind: string;
}

/**
 * A block server for -P, secured as the options say (undefined without -P). Checked before
 * anything listens: beyond loopback it speaks TLS or was told --insecure.
 */
export function servingFor(a: ServeArgs, report: Reporter, opts: { maxClientBuffer: number } = { maxClientBuffer: 8 << 20 }): BlockServer | undefined {
  if (a.serve === undefined) return undefined;
  const security = loadLinkSecurity(a);
  checkServingBind(a.bind, security, a.insecure, (m) => report.warn(m));
  // The bound is read through `opts` at every block, so a SIGHUP that changes it takes effect.
  return createBlockServer({ get maxClientBuffer() { return opts.maxClientBuffer; }, security, onClient: (m) => report.warn(m) });
}

/** Starts serving on -P at -B; the port it got (for -P 0), or an error naming the address. */
export function listenServing(server: BlockServer, a: ServeArgs): Promise<number> {
  return server.listen(a.serve!, a.bind).catch((err: Error) => {
    throw new Error(`cannot serve readers on ${a.bind}:${a.serve}: ${err.message}`);
  });
}
