declare module 'bzip2-wasm' {
  const BZip2: unknown;
  export default BZip2;
}

declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';
  export interface UnixDgramSocket extends EventEmitter {
    bind(path: string): void;
    close(): void;
  }
  export function createSocket(type: 'unix_dgram', listener?: (buf: Buffer) => void): UnixDgramSocket;
}
