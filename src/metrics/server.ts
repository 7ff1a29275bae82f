/** Serves a program's metrics over HTTP for Prometheus to scrape: GET /metrics, nothing else. */
import { createServer } from 'node:http';
import type { RunContext } from '../cli/program.js';
import { UsageError } from '../cli/errors.js';
import { StreamMetrics } from './stream-metrics.js';

/**
 * Starts the metrics endpoint at ADDR:PORT (a bare PORT listens on loopback) and puts the
 * metrics where the readers find them (ctx.metrics). Stops with the run.
 */
export async function serveMetrics(spec: string, program: string, perUser: boolean, ctx: RunContext): Promise<StreamMetrics> {
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]*):)?(\d{1,5})$/.exec(spec);
  if (!m || Number(m[3]) > 65535) throw new UsageError(`--metrics ${spec}: expected ADDR:PORT or PORT (loopback)`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const target = { port: Number(m[3]) };
  const metrics = new StreamMetrics(program, perUser);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metrics.render());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('smbta: metrics are at /metrics\n');
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot serve metrics on ${host}:${target.port}: ${err.message}`)));
    server.listen(target.port, host, () => resolve((server.address() as { port: number }).port));
  });
  server.unref();
  ctx.signal.addEventListener('abort', () => server.close());
  ctx.report.warn(`metrics on http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`);
  ctx.metrics = metrics;
  return metrics;
}
