/**
 * Serves a program's metrics over HTTP for Prometheus to scrape: GET /metrics, nothing else.
 * Like the stream, it stays on loopback unless told --insecure (it is plain HTTP: put a TLS
 * proxy in front to scrape across a network); with --token-file a scraper must send the
 * token as a bearer token.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { RunContext } from './context.js';
import { UsageError } from '../language/errors.js';
import { isLoopback, readToken, sameSecret, type SecurityArgs } from '../io/link-security.js';
import { describeIoError } from '../io/consume.js';
import { StreamMetrics } from './metrics.js';
import type { Listen } from './serve.js';

/**
 * Starts the metrics endpoint at ADDR:PORT (a bare PORT listens on loopback) and puts the
 * metrics where the readers find them (ctx.metrics). Stops with the run.
 */
export async function serveMetrics(at: Listen, program: string, perUser: boolean, ctx: RunContext, sec: SecurityArgs): Promise<StreamMetrics> {
  const host = at.host ?? '127.0.0.1';
  const target = { port: at.port };
  if (!isLoopback(host)) {
    if (!sec.insecure)
      throw new UsageError(
        `--metrics ${host}:${at.port} serves beyond this host in clear text: scrape it on loopback (or through a TLS proxy), or give --insecure`,
      );
    ctx.report.warn(`metrics on ${host} in clear text (--insecure)${sec['token-file'] ? '; the bearer token crosses the network unencrypted' : ''}`);
  }
  const token = readToken(sec);
  const metrics = new StreamMetrics(program, perUser);
  const server = createServer((req, res) => {
    if (token && !bearerIs(req, token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="smbta"' });
      res.end('smbta: send the token of --token-file as a bearer token\n');
    } else if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metrics.render());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('smbta: metrics are at /metrics\n');
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot serve metrics on ${host}:${target.port}: ${describeIoError(err)}`)));
    server.listen(target.port, host, () => resolve((server.address() as { port: number }).port));
  });
  server.unref();
  ctx.signal.addEventListener('abort', () => server.close());
  ctx.report.warn(`metrics on http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`);
  ctx.metrics = metrics;
  return metrics;
}

function bearerIs(req: IncomingMessage, token: Buffer): boolean {
  const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
  return !!m && sameSecret(Buffer.from(m[1]!), token);
}
