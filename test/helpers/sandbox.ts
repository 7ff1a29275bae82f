/**
 * A throwaway machine for running documented commands exactly as written: a network
 * namespace of its own (only loopback, so the documented ports 3490, 3491, 3499... are
 * free, and names such as hub, srv1, fs1 and db resolve to it), a PID namespace (whatever
 * a command leaves running dies with it), and overlays on /etc, /var, /usr/local, /root,
 * /run, /srv, /home and /opt whose changes land in the test's temporary directory, so
 * /etc/smbta, /var/lib/smbta, /srv/projects and /usr/local/bin/smbta-* exist inside and
 * nothing outside changes (/var/tmp is the sandbox's own). Needs root.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from './children.js';
import { ROOT } from './run-bin.js';

export interface SandboxResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Directories overlaid inside the sandbox; their changes go under the sandbox's own. */
const OVERLAID = ['/etc', '/var', '/usr/local', '/root', '/run', '/srv', '/home', '/opt'];

/** Host names the documentation uses, all this machine inside the sandbox (two tiers need two addresses). */
const HOSTS = ['127.0.0.1 hub fs1 db fileserver1', '127.0.0.2 srv1 hub1', '127.0.0.3 srv2 hub2'];

let checked: string | false | undefined;

/** Why sandboxes cannot run here, or false when they can. */
export function sandboxMissing(): string | false {
  checked ??= (() => {
    if (process.getuid?.() !== 0) return 'sandboxes need root (network, PID and mount namespaces, overlays)';
    const r = spawnSync('unshare', ['--net', '--mount', '--pid', '--fork', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt && ip link set lo up'], { encoding: 'utf8' });
    return r.status === 0 ? false : `namespaces are not allowed here: ${r.stderr.trim()}`;
  })();
  return checked;
}

/** The prelude every sandbox script starts with: namespaces set up, the programs on PATH, cwd at home. */
function prelude(dir: string): string {
  const overlays = OVERLAID.map((d) => {
    const name = d.slice(1).replace(/\//g, '-');
    mkdirSync(join(dir, 'overlay', name, 'up'), { recursive: true });
    mkdirSync(join(dir, 'overlay', name, 'work'), { recursive: true });
    return `mount -t overlay overlay -o lowerdir=${d},upperdir=${dir}/overlay/${name}/up,workdir=${dir}/overlay/${name}/work ${d}`;
  });
  return [
    'set -uo pipefail',
    ...overlays,
    'mount -t tmpfs tmpfs /var/tmp',
    'mount -t proc proc /proc',
    'ip link set lo up',
    `printf '%s\\n' ${HOSTS.map((h) => `'${h}'`).join(' ')} >> /etc/hosts`,
    'mkdir -p /usr/local/bin',
    `for f in ${ROOT}bin/smbta-*.js; do ln -sf "$f" "/usr/local/bin/$(basename "$f" .js)"; done`,
    'export PATH=/usr/local/bin:$PATH HOME=/root TZ=UTC NO_COLOR=1 COLUMNS=100',
    `cd ${dir}/home`,
    `. ${ROOT}test/helpers/sandbox-lib.sh`,
  ].join('\n');
}

/**
 * Runs a bash script in a fresh sandbox whose home (the working directory) is `dir/home`.
 * The script fails on the first failing check (`fail MESSAGE`); the sandbox and everything
 * in it ends when it does, or after `timeoutMs`.
 */
export function runInSandbox(dir: string, script: string, timeoutMs = 120_000): Promise<SandboxResult> {
  mkdirSync(join(dir, 'home'), { recursive: true });
  const file = join(dir, 'script.sh');
  writeFileSync(file, `${prelude(dir)}\n${script}\n`);
  return new Promise((resolve, reject) => {
    const child = track(
      spawn('unshare', ['--net', '--mount', '--pid', '--fork', '--kill-child', 'bash', file], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', COLUMNS: '100' },
      }),
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sandbox still running after ${timeoutMs} ms:\n${err.slice(-4000)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}
