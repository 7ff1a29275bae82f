/**
 * Real NATS servers with JetStream for tests (Debian's nats-server): one node, or a cluster
 * of several on loopback, each with its own store in a temporary directory, which a test may
 * kill (SIGKILL) and start again. Stopped by pid when the test file ends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { decodeAll, type Decoded } from './stream.js';
import { onCleanup, track } from './children.js';
import { freePort } from './ports.js';
import { waitUntil } from './wait.js';

const BIN = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => spawnSync(p, ['--version']).status === 0);
export const NO_NATS = BIN ? false : 'nats-server is not installed (apt-get install nats-server)';

export interface NatsNode {
  port: number;
  /** Stops it at once, as a crash would (SIGKILL); its store stays for `start`. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every node's client address, comma-separated: what a nats:// URL's server part takes. */
  servers: string;
  /** A client connection to any node up (closed when the file ends). */
  client(): Promise<NatsConnection>;
  stop(): Promise<void>;
}

/**
 * Starts `size` JetStream nodes (a cluster when more than one) and waits until JetStream
 * answers; `extra` are further server options (--auth, --tls...), and `client` what the
 * helper's own connections need to get in.
 */
export async function startNats(size = 1, extra: readonly string[] = [], client: ConnectionOptions = {}): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'smbta-nats-'));
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort() })));
  const routes = ports.map((p) => `nats://127.0.0.1:${p.route}`).join(',');
  const nodes = ports.map((p, i): NatsNode & { child?: ChildProcess } => {
    const args = ['-a', '127.0.0.1', '-p', String(p.client), '-js', '-sd', join(dir, `n${i}`), '-n', `n${i}`, ...extra];
    if (size > 1) args.push('--cluster_name', 'smbta', '--cluster', `nats://127.0.0.1:${p.route}`, '--routes', routes);
    const node: NatsNode & { child?: ChildProcess } = {
      port: p.client,
      async start() {
        node.child = track(spawn(BIN!, args, { stdio: ['ignore', 'ignore', 'ignore'] }));
        await waitUntil(
          `nats-server n${i} to listen`,
          async () =>
            (await connect({ ...client, servers: `127.0.0.1:${p.client}`, reconnect: false }).then(
              (nc) => nc.close(),
              () => 'down',
            )) !== 'down',
          10_000,
        );
      },
      async kill() {
        const c = node.child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        await new Promise<void>((r) => (c.once('exit', () => r()), c.kill('SIGKILL')));
      },
    };
    return node;
  });
  const clients: NatsConnection[] = [];
  const servers = ports.map((p) => `127.0.0.1:${p.client}`).join(',');
  const cluster: NatsCluster = {
    nodes,
    servers,
    async client() {
      const nc = await connect({ ...client, servers: servers.split(','), maxReconnectAttempts: -1 });
      clients.push(nc);
      return nc;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
      done();
    },
  };
  const done = onCleanup(() => void cluster.stop());
  await Promise.all(nodes.map((n) => n.start()));
  // A cluster answers JetStream requests once it has elected its meta leader.
  const nc = await cluster.client();
  await waitUntil(
    'JetStream to answer',
    () =>
      nc.jetstreamManager().then(
        (m) => m.getAccountInfo(),
        () => undefined,
      ),
    20_000,
    200,
  );
  return cluster;
}

/** Everything a JetStream stream holds (of one subject, or all), decoded as one stream in order. */
export async function jetStreamContent(nc: NatsConnection, stream: string, subject?: string): Promise<Decoded> {
  const jsm = await nc.jetstreamManager();
  const { state } = await jsm.streams.info(stream);
  const parts: Buffer[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (m && (!subject || m.subject === subject)) parts.push(Buffer.from(m.data));
  }
  return decodeAll(Buffer.concat(parts));
}
