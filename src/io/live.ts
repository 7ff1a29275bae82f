/** Live sources (TCP, TLS, Unix sockets): read side by side, reconnecting with backoff; what was missed is counted. */
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { SequenceTracker } from '../stream/sequence.js';
import { consume, describeIoError, type ReadOptions, type RecordHandlers } from './consume.js';
import { sendToken, type LinkSecurity } from './link-security.js';
import { sourceLabel, type SourceSpec } from './source-spec.js';

const MAX_RETRY_MS = 30_000;

export async function readLive(spec: SourceSpec, on: RecordHandlers, opts: ReadOptions): Promise<void> {
  const label = sourceLabel(spec);
  const first = opts.retryMs ?? 250;
  let delay = first;
  let failedBefore = false;
  // One tracker across reconnections: what was sent while we were away is counted.
  const tracker = new SequenceTracker(opts.resume?.get(label));
  while (!opts.signal.aborted) {
    let reason: string;
    try {
      const socket = await connectTo(spec, opts.signal, opts.security ?? {});
      if (failedBefore) opts.report.warn(`${label}: connected`);
      delay = first;
      await consume(label, socket, on, opts, tracker);
      reason = 'connection closed';
    } catch (err) {
      reason = describeIoError(err);
    }
    if (opts.signal.aborted) return;
    failedBefore = true;
    opts.report.warn(`${label}: ${reason}; reconnecting in ${delay / 1000}s`);
    await sleep(delay, undefined, { signal: opts.signal }).catch(() => undefined);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}

function connectTo(spec: SourceSpec, signal: AbortSignal, sec: LinkSecurity): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tcp = spec as { host: string; port: number; tls?: boolean };
    const socket =
      spec.kind === 'unix'
        ? connect({ path: spec.path })
        : tcp.tls
          ? connectTls({ host: tcp.host, port: tcp.port, ca: sec.ca, cert: sec.cert, key: sec.key, servername: isIP(tcp.host) ? undefined : tcp.host })
          : connect({ host: tcp.host, port: tcp.port });
    const abort = (): void => void socket.destroy();
    signal.addEventListener('abort', abort, { once: true });
    socket.once('close', () => signal.removeEventListener('abort', abort));
    socket.once('error', reject);
    socket.once(tcp.tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      sendToken(socket, sec.token);
      // Errors after connecting end the iteration in consume(); keep them from being unhandled.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
