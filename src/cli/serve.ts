/** The stream served to readers (-P): one policy for every program that serves it. */
import { createBlockServer, type BlockServer } from '../io/block-server.js';
import { checkServingBind, loadLinkSecurity, type SecurityArgs } from '../io/link-security.js';
import type { Reporter } from './report.js';

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
  return createBlockServer({ ...opts, security, onClient: (m) => report.warn(m) });
}
