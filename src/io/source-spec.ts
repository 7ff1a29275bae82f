/** What a reader reads: files, directories, stdin, live servers, JetStream streams; and how each is named in messages. */
import { natsLabel, type NatsSpec } from './jetstream.js';

export type SourceSpec =
  | { kind: 'file'; path: string }
  | { kind: 'dir'; path: string }
  | { kind: 'tcp'; host: string; port: number; tls?: boolean }
  | { kind: 'unix'; path: string }
  | NatsSpec;

export function sourceLabel(s: SourceSpec): string {
  switch (s.kind) {
    case 'file':
      return s.path === '-' ? 'stdin' : s.path;
    case 'dir':
      return s.path;
    case 'tcp':
      return `${s.tls ? 'tls://' : ''}${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
    case 'unix':
      return `unix:${s.path}`;
    case 'nats':
      return natsLabel(s);
  }
}

/** A source whose end is not in sight: a live server or stdin (not files read to their end). */
export function isLiveSource(s: SourceSpec): boolean {
  return s.kind === 'tcp' || s.kind === 'unix' || s.kind === 'nats' || (s.kind === 'file' && s.path === '-');
}
