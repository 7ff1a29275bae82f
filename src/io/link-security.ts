/**
 * Security of the links smbta owns: a program serving the stream (-P) and every reader of
 * one (-S). TLS with a server certificate; clients trust a CA (--tls-ca), and prove who
 * they are by a certificate the server's CA signed, or by a shared token sent as the
 * first line of the connection. A serving program bound beyond loopback refuses to start
 * without TLS unless told --insecure. See docs/security.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { UsageError } from '../language/errors.js';
import { readSecretFile } from './secrets.js';

export interface LinkSecurity {
  /** This end's certificate and key (PEM): a server's, or a client's for client authentication. */
  cert?: Buffer;
  key?: Buffer;
  /** CA (PEM) a client trusts servers of. */
  ca?: Buffer;
  /** CA (PEM) whose client certificates a server requires. */
  clientCa?: Buffer;
  /** Shared secret: clients send it first; servers accept only clients that do. */
  token?: Buffer;
}

/** What a NATS link proves and trusts: --nats-creds (a .creds file, an nkey seed or a token) and --nats-ca. */
export interface NatsAuth {
  creds?: Buffer;
  ca?: Buffer;
  insecure?: boolean;
}

export interface SecurityArgs {
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-ca'?: string;
  'tls-client-ca'?: string;
  'token-file'?: string;
  insecure?: boolean;
}

const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

/** The first line a client sends when a token is set; nothing else is ever sent by a reader. */
const AUTH = 'SMBTA-AUTH ';
/** Longest first line a server reads while waiting for a token. */
const MAX_AUTH_LINE = 1024;
export const AUTH_TIMEOUT_MS = 5000;

export function loadLinkSecurity(a: SecurityArgs): LinkSecurity {
  if ((a['tls-cert'] === undefined) !== (a['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const sec: LinkSecurity = {};
  if (a['tls-cert'] !== undefined) sec.cert = readSecretFile(a['tls-cert'], '--tls-cert');
  if (a['tls-key'] !== undefined) sec.key = readSecretFile(a['tls-key'], '--tls-key');
  if (a['tls-ca'] !== undefined) sec.ca = readSecretFile(a['tls-ca'], '--tls-ca');
  if (a['tls-client-ca'] !== undefined) sec.clientCa = readSecretFile(a['tls-client-ca'], '--tls-client-ca');
  sec.token = readToken(a);
  return sec;
}

/** The shared token of --token-file, checked for shape. */
export function readToken(a: SecurityArgs): Buffer | undefined {
  if (a['token-file'] === undefined) return undefined;
  const token = readSecretFile(a['token-file'], '--token-file').toString();
  if (token.length < 16 || token.length > 512 || /\s/.test(token))
    throw new UsageError(`--token-file ${a['token-file']}: expected one token of 16 to 512 characters without spaces (openssl rand -hex 32)`);
  return Buffer.from(token);
}

/** Whether a secret presented equals the one expected, compared in constant time. */
export function sameSecret(presented: Buffer, expected: Buffer): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return /^::ffff:127\./.test(h);
}

/**
 * A serving program's check before it listens: beyond loopback the stream is encrypted,
 * or the user said --insecure (then said back on stderr).
 */
export function checkServingBind(bind: string, sec: LinkSecurity, insecure: boolean | undefined, warn: (m: string) => void): void {
  if (isLoopback(bind) || sec.cert) return;
  if (!insecure)
    throw new UsageError(
      `-B ${bind} serves the stream beyond this host: give --tls-cert and --tls-key (docs/security.md), or --insecure to serve it in the clear`,
    );
  warn(`serving on ${bind} without TLS (--insecure): anyone who can reach it reads every record`);
}

/** A client's first words, when a token is set. */
export function sendToken(socket: Socket, token: Buffer | undefined): void {
  if (token) socket.write(Buffer.concat([Buffer.from(AUTH), token, Buffer.from('\n')]));
}

/**
 * A server's wait for a client's token: resolves with why it is refused, or undefined when it
 * may read. Compared in constant time; a client that sends nothing is refused after a timeout.
 */
export function awaitToken(socket: Socket, token: Buffer, timeoutMs = AUTH_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(why);
    };
    const onClose = (): void => done('closed before authenticating');
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      const nl = got.indexOf(10);
      if (nl < 0) return void (got.length > MAX_AUTH_LINE && done('no token line'));
      const line = got.subarray(0, nl);
      const sent = line.subarray(0, AUTH.length).toString('latin1') === AUTH ? line.subarray(AUTH.length) : Buffer.alloc(0);
      done(sameSecret(sent, token) ? undefined : 'wrong token');
    };
    const timer = setTimeout(() => done(`no token within ${timeoutMs / 1000}s`), timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** A TLS error as an administrator wants to read it: OpenSSL's reason, not its error stack. */
export function tlsReason(err: Error): string {
  return (err as Error & { reason?: string }).reason ?? err.message;
}
