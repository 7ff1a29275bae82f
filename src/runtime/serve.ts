/** The stream served to readers (-P): one policy for every program that serves it. */
import { createBlockServer, type BlockServer } from '../io/block-server.js';
import { checkServingBind, loadLinkSecurity, type SecurityArgs } from '../io/link-security.js';
import { describeIoError } from '../io/consume.js';
import type { Reporter } from '../io/report.js';

/** Where to listen: a port, at an address of its own or at the -B address. */
export interface Listen {
  host?: string;
  port: number;
}

export interface ServeArgs extends SecurityArgs {
  serve?: Listen;
  bind: string;
}

/** The address -P serves on: its own, or -B's. */
export function servingHost(a: ServeArgs): string {
  return a.serve?.host ?? a.bind;
}

/**
 * A block server for -P, secured as the options say (undefined without -P). Checked before
 * anything listens: beyond loopback it speaks TLS or was told --insecure.
 */
export function servingFor(
  a: ServeArgs,
  ctx: { report: Reporter; signal: AbortSignal },
  opts: { maxClientBuffer: number; paced?: boolean } = { maxClientBuffer: 8 << 20 },
): BlockServer | undefined {
  if (a.serve === undefined) return undefined;
  const security = loadLinkSecurity(a);
  checkServingBind(servingHost(a), security, a.insecure, (m) => ctx.report.warn(m));
  return createBlockServer({
    // Read through `opts` at every block, so a SIGHUP that changes the bound takes effect.
    get maxClientBuffer() {
      return opts.maxClientBuffer;
    },
    paced: opts.paced,
    stop: ctx.signal,
    security,
    onClient: (m) => ctx.report.warn(m),
  });
}

/** Starts serving on -P; the address and port it got (for -P 0), or an error naming the address. */
export async function listenServing(server: BlockServer, a: ServeArgs): Promise<string> {
  const host = servingHost(a);
  const port = a.serve?.port ?? 0;
  const got = await server.listen(port, host).catch((err: unknown) => {
    throw new Error(`cannot serve readers on ${formatHostPort(host, port)}: ${describeIoError(err)}`);
  });
  return formatHostPort(host, got);
}

/** `host:port`, with an IPv6 address in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
