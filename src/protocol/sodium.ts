/**
 * The one libsodium instance (the sumo build: the standard one has no crypto_pwhash).
 *
 * `await ready()` once before calling any synchronous protocol function; `sodium()` then
 * returns the instance and throws a ProtocolError when it is not loaded yet.
 *
 * The package's ESM build takes its randomness from `globalThis.crypto.getRandomValues`
 * (browsers, Node >= 19) and embeds the WebAssembly, so nothing here is Node-only.
 */
import libsodium from 'libsodium-wrappers-sumo';
import { ProtocolError } from './errors.js';

export type Sodium = typeof libsodium;

let instance: Sodium | undefined;
let loading: Promise<Sodium> | undefined;

export function ready(): Promise<Sodium> {
  loading ??= libsodium.ready.then(() => {
    instance = libsodium;
    return libsodium;
  });
  return loading;
}

export function sodium(): Sodium {
  if (instance === undefined) {
    throw new ProtocolError('sodium_not_ready', 'libsodium is not loaded: await ready() first');
  }
  return instance;
}

/** Overwrites secret bytes once they are no longer needed. */
export function wipe(...secrets: Uint8Array[]): void {
  for (const secret of secrets) secret.fill(0);
}
