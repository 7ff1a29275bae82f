/** Secrets the programs read from files: the legacy AES key, the anonymisation key. */
import { readFileSync } from 'node:fs';
import { parseKey } from '../wire/protocol.js';
import { UsageError } from '../language/errors.js';

/** Reads `-k KEYFILE` for the encrypted protocol; a missing or wrong file is a usage error. */
export function readKeyFile(path: string, option = '-k'): Buffer {
  const key = parseKey(readSecretFile(path, option).toString());
  if (typeof key === 'string') throw new UsageError(`${option} ${path}: ${key}`);
  return key;
}

/** A secret from a file, surrounding whitespace trimmed; an unreadable file is a usage error. */
export function readSecretFile(path: string, option: string): Buffer {
  try {
    return Buffer.from(readFileSync(path, 'utf8').trim());
  } catch (err) {
    throw new UsageError(`${option} ${path}: ${(err as Error).message}`);
  }
}

/** Shortest --anon-key: fewer bytes would make keyed pseudonyms guessable by trying keys. */
const MIN_ANON_KEY = 16;

/** Reads --anon-key: a secret of at least 16 bytes, or a usage error (an empty one would make pseudonyms unkeyed). */
export function readAnonKey(path: string): Buffer {
  const key = readSecretFile(path, '--anon-key');
  if (key.length < MIN_ANON_KEY)
    throw new UsageError(`--anon-key ${path}: ${key.length} bytes; a key of at least ${MIN_ANON_KEY} is needed (openssl rand -hex 32 > ${path})`);
  return key;
}
