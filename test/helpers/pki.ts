/**
 * Keys and certificates made with the real openssl, as docs/security.md tells an
 * administrator to: a site CA, a server certificate for 127.0.0.1 and localhost, a client
 * certificate, and a second CA that signs an impostor server.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { toolMissing } from './tools.js';

export const opensslMissing = (): string | false => toolMissing('openssl', 'openssl', ['version']);

const ssl = (dir: string, ...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

function ca(dir: string, name: string): void {
  ssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  );
}

function signed(dir: string, name: string, by: string, cn: string, ext: string): void {
  ssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(`${dir}/${name}.ext`, `${ext}\n`);
  ssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${by}.pem`,
    '-CAkey',
    `${by}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
}

/** Writes ca, server, client, rogue-ca and impostor (.pem and .key) into `dir`. */
export function makePki(dir: string): void {
  ca(dir, 'ca');
  ca(dir, 'rogue-ca');
  signed(dir, 'server', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  signed(dir, 'client', 'ca', 'reader', 'extendedKeyUsage=clientAuth');
  signed(dir, 'impostor', 'rogue-ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
}

/**
 * The keys the documentation's examples name, signed by one site CA (ca.pem): fs (a
 * receiver's), p (the probe's), hub (hub1's and hub2's) and me (a multiplexer's, which
 * serves and also proves itself to the hubs). Every certificate names the sandbox's hosts.
 */
export function makeExamplePki(dir: string): void {
  ca(dir, 'ca');
  const names = 'subjectAltName=DNS:localhost,DNS:hub,DNS:hub1,DNS:hub2,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3';
  for (const name of ['fs', 'p', 'hub', 'me']) signed(dir, name, 'ca', name, `${names}\nextendedKeyUsage=serverAuth,clientAuth`);
}
