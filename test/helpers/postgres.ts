/**
 * A real PostgreSQL for tests: a throwaway cluster of the machine's PostgreSQL binaries
 * (Debian's postgresql package), in a temporary directory, on a free loopback port, which
 * a test may restart or stop. As root the cluster runs as the postgres user, as
 * PostgreSQL insists. Tests skip with a message when no binaries are found.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { onCleanup } from './children.js';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  url: string;
  restart(): void;
  stop(): void;
}

export function postgresBin(): string | undefined {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dirs = [fromConfig.status === 0 ? fromConfig.stdout.trim() : '', ...listVersions()];
  return dirs.find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
}

function listVersions(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .sort()
      .reverse()
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

export const NO_POSTGRES =
  postgresBin() || process.env.SMBTA_TEST_PG ? false : 'PostgreSQL is not installed (apt-get install postgresql) and SMBTA_TEST_PG is not set';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `fsync: false` (tests) trades crash safety for speed; benchmarks keep PostgreSQL's default. */
export async function startPostgres(opts: { fsync?: boolean } = {}): Promise<TestPostgres> {
  const bin = postgresBin()!;
  const dir = mkdtempSync(join(tmpdir(), 'smbta-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): void => {
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  if (root) {
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  }
  as(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'smbta', '-E', 'UTF8', '--locale', 'C']);
  const port = await freePort();
  const ctl = (...args: string[]): void => as(join(bin, 'pg_ctl'), ['-D', data, '-w', '-l', join(dir, 'log'), ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${opts.fsync ? '' : ' -c fsync=off'}`;
  ctl('-o', options, 'start');
  const stop = onCleanup(() => {
    try {
      ctl('-m', 'immediate', 'stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return {
    url: `postgres://smbta@127.0.0.1:${port}/postgres`,
    restart: () => ctl('-o', options, '-m', 'fast', 'restart'),
    stop,
  };
}

/**
 * A PostgreSQL database for a test: a new database on the server SMBTA_TEST_PG names, or a
 * throwaway cluster. `close` drops or stops it.
 */
export async function testDatabase(): Promise<{ url: string; close(): Promise<void> }> {
  const shared = process.env.SMBTA_TEST_PG;
  if (!shared) {
    const server = await startPostgres();
    return { url: server.url, close: async () => server.stop() };
  }
  const { default: pg } = await import('pg');
  const name = `smbta_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: shared });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(shared);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async close() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
