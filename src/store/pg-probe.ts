/**
 * pg asks, as it loads, whether it runs in a Cloudflare Worker: where Node has no
 * `navigator` (Node 20) it makes a fetch Response to see, which loads all of Node's fetch
 * (~45 ms of every start that uses PostgreSQL). Imported just before pg, this lends it a
 * navigator that says Node; `pgLoaded` takes it back.
 */
const global = globalThis as { navigator?: unknown };
const lent = global.navigator === undefined;
if (lent) global.navigator = { userAgent: `Node.js/${process.versions.node}` };

export function pgLoaded(): void {
  if (lent) delete global.navigator;
}
