/**
 * Runs whole programs as a user would and measures them: wall time (best of N runs),
 * records per second, and peak memory of every smbta process in the pipeline.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = new URL('./rss-probe.js', import.meta.url).href;

export interface Measurement {
  seconds: number;
  peakRssMiB: number;
}

/** `smbta-x args` as a shell word list, with the memory probe preloaded. */
export function smbta(program: string, args: string): string {
  return `node --import ${PROBE} ${ROOT}bin/${program}.js ${args}`;
}

/** Runs a shell pipeline `runs` times; returns the fastest run and the largest peak RSS seen. */
export async function measure(pipeline: string, runs = 3): Promise<Measurement> {
  let best = Infinity;
  let peak = 0;
  for (let k = 0; k < runs; k++) {
    const rssFile = join(tmpdir(), `smbta-bench-rss-${process.pid}-${k}`);
    const start = process.hrtime.bigint();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('bash', ['-o', 'pipefail', '-c', pipeline], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SMBTA_RSS_OUT: rssFile } });
      child.on('close', resolve);
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (code !== 0) throw new Error(`benchmark pipeline failed (${code}): ${pipeline}`);
    best = Math.min(best, seconds);
    try {
      for (const line of readFileSync(rssFile, 'utf8').split('\n').filter(Boolean)) peak = Math.max(peak, Number(line) / 1024);
    } catch {
      // A pipeline of peer tools only: nothing probed.
    }
    rmSync(rssFile, { force: true });
  }
  return { seconds: best, peakRssMiB: peak };
}

export function onPath(tool: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
}

export function formatRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;
}
