/**
 * Who may read a served stream. A connection waits here while it proves itself (a TLS
 * handshake, a token). The waiting are bounded: past the bound the one waiting longest makes
 * room (a flood of silent connections cannot lock out a reader that proves itself at once),
 * and under pressure the wait shortens. A reader that is refused is told why in an info
 * block it reads before the connection closes: a plain reader on a TLS port, a wrong token.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, TLSSocket } from 'node:tls';
import { BlockKind, frameBlock } from '../stream/format.js';
import { awaitToken, tlsReason, type LinkSecurity } from './link-security.js';

export interface AdmissionOptions {
  security: LinkSecurity;
  /** Called with every connection that has proved itself (a TLS socket when TLS is on). */
  admit: (socket: Socket) => void;
  /** Says what happened to a connection (refused, and why). */
  onClient?: (message: string) => void;
  /** Connections waiting at most; the longest waiting makes room for a new one. */
  maxWaiting?: number;
  /** How long a connection may take to prove itself; a quarter of that when over half the room is taken. */
  waitMs?: number;
}

/** Why a reader's certificate is not one `ca` issued and in force now, or undefined when it is. */
function untrusted(tls: TLSSocket, ca: X509Certificate): string | undefined {
  const peer = tls.getPeerX509Certificate();
  if (!peer) return 'no client certificate';
  if (!peer.checkIssued(ca) || !peer.verify(ca.publicKey)) return 'client certificate not signed by --tls-client-ca';
  const now = Date.now();
  if (now < Date.parse(peer.validFrom) || now > Date.parse(peer.validTo)) return 'client certificate not valid now';
  return undefined;
}

/** A TLS ClientHello starts with a handshake record. */
const TLS_HANDSHAKE = 0x16;

/** How a reader learns why it was refused: an info block saying so, which every reader reports. */
export function refusalBlock(why: string): Buffer {
  const now = Date.now();
  return frameBlock(BlockKind.Info, Buffer.from(JSON.stringify({ refused: why })), 0, now, now);
}

export function createAdmission(o: AdmissionOptions): (socket: Socket) => void {
  const sec = o.security;
  const maxWaiting = o.maxWaiting ?? 256;
  const waitMs = o.waitMs ?? 5000;
  const waiting = new Map<Socket, () => void>();
  const secureContext = sec.cert ? createSecureContext({ cert: sec.cert, key: sec.key, ca: sec.clientCa }) : undefined;
  const clientCa = sec.clientCa ? new X509Certificate(sec.clientCa) : undefined;
  /** Who a connection is, named once: a closed socket no longer knows its address. */
  const names = new WeakMap<Socket, string>();
  const who = (s: Socket): string => names.get(s) ?? (s.remoteAddress ? `reader ${s.remoteAddress}:${s.remotePort}` : 'a reader');

  const refuse = (s: Socket, why: string, tell = true): void => {
    o.onClient?.(`${who(s)} refused: ${why}`);
    if (tell && !s.destroyed) s.end(refusalBlock(why));
    setTimeout(() => s.destroy(), 1000).unref();
  };

  return (raw: Socket): void => {
    raw.on('error', () => undefined);
    names.set(raw, who(raw));
    if (!secureContext && !sec.token) return o.admit(raw);
    // Room for this one: the longest waiting goes first.
    if (waiting.size >= maxWaiting) {
      const [oldest, drop] = waiting.entries().next().value ?? [];
      if (oldest && drop) {
        drop();
        refuse(oldest, `${maxWaiting} connections waiting to authenticate; the longest waiting made room`, false);
      }
    }
    const budget = waiting.size > maxWaiting / 2 ? waitMs / 4 : waitMs;
    let timer: NodeJS.Timeout | undefined;
    let over = false;
    /** Ends the wait, once: true for the first caller only, so a connection is refused or admitted once. */
    const settle = (): boolean => {
      if (over) return false;
      over = true;
      clearTimeout(timer);
      waiting.delete(raw);
      return true;
    };
    waiting.set(raw, () => void settle());

    const proven = (s: Socket): void => {
      if (!sec.token) return void (settle() && o.admit(s));
      void awaitToken(s, sec.token, budget).then((refused) => {
        if (!settle()) return;
        if (refused) refuse(s, refused);
        else o.admit(s);
      });
    };

    if (!secureContext) return proven(raw);
    // A TLS reader says hello at once; a plain one says nothing (or its token): tell it to use TLS.
    const plain = 'this port speaks TLS: read it with -S tls://HOST:PORT (and --tls-ca)';
    timer = setTimeout(() => settle() && refuse(raw, plain), budget);
    raw.once('data', (first: Buffer) => {
      raw.pause();
      raw.unshift(first);
      if (first[0] !== TLS_HANDSHAKE) return void (settle() && refuse(raw, plain));
      clearTimeout(timer);
      timer = setTimeout(() => settle() && refuse(raw, `no TLS handshake within ${budget / 1000}s`, false), budget);
      // Over the socket as a stream, so TLS reads the hello this peek took (a wrapped handle would not).
      const tls = new TLSSocket(Duplex.from({ readable: raw, writable: raw }), {
        isServer: true,
        secureContext,
        requestCert: !!clientCa,
        rejectUnauthorized: !!clientCa,
      });
      names.set(tls, who(raw));
      tls.on('error', (err: Error) => void (settle() && refuse(raw, `TLS: ${tlsReason(err)}`, false)));
      tls.once('close', () => raw.destroy());
      raw.once(
        'close',
        () => void (settle() && refuse(raw, "TLS: the reader hung up during the handshake (does its --tls-ca trust this server's certificate?)", false)),
      );
      tls.once('secure', () => {
        const why = clientCa && untrusted(tls, clientCa);
        if (why) return void (settle() && refuse(raw, `TLS: ${why}`, false));
        clearTimeout(timer);
        proven(tls);
      });
    });
  };
}
