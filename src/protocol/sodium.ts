/**
 * The one set of primitives every protocol module uses, from one of two engines:
 *
 * - libsodium (the sumo build: the standard one has no crypto_pwhash), in WebAssembly, wherever
 *   WebAssembly runs: Node, and every browser at its default settings;
 * - the same primitives in pure JavaScript (sodium-noble.ts) where it does not: Tor Browser at
 *   its "Safer" level and any browser with JIT disabled. Slower (Argon2id takes most of a minute
 *   without JIT), byte for byte the same.
 *
 * `await ready()` once before calling any synchronous protocol function; `sodium()` then
 * returns the engine and throws a ProtocolError when none is loaded yet.
 */
import libsodium from 'libsodium-wrappers-sumo';
import { ProtocolError } from './errors.js';
import { nobleSodium } from './sodium-noble.js';

export interface KeyPair {
  keyType: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** The part of libsodium's API the protocol uses, with libsodium's names and semantics. */
export interface Sodium {
  readonly base64_variants: { readonly URLSAFE_NO_PADDING: number };
  readonly crypto_pwhash_ALG_ARGON2ID13: number;
  from_string(text: string): Uint8Array;
  to_string(bytes: Uint8Array): string;
  to_base64(bytes: Uint8Array, variant: number): string;
  from_base64(text: string, variant: number): Uint8Array;
  randombytes_buf(length: number): Uint8Array;
  randombytes_uniform(upperBound: number): number;
  memzero(bytes: Uint8Array): void;
  memcmp(a: Uint8Array, b: Uint8Array): boolean;
  pad(bytes: Uint8Array, blockSize: number): Uint8Array;
  unpad(bytes: Uint8Array, blockSize: number): Uint8Array;
  crypto_generichash(length: number, message: Uint8Array | string, key: Uint8Array | string | null): Uint8Array;
  crypto_kdf_derive_from_key(length: number, subkeyId: number, context: string, key: Uint8Array): Uint8Array;
  crypto_pwhash(length: number, password: Uint8Array | string, salt: Uint8Array, ops: number, mem: number, algorithm: number): Uint8Array;
  crypto_sign_keypair(): KeyPair;
  crypto_sign_seed_keypair(seed: Uint8Array): KeyPair;
  crypto_sign_ed25519_sk_to_pk(secretKey: Uint8Array): Uint8Array;
  crypto_sign_detached(message: Uint8Array | string, secretKey: Uint8Array): Uint8Array;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array | string, publicKey: Uint8Array): boolean;
  crypto_scalarmult_base(secretKey: Uint8Array): Uint8Array;
  crypto_box_keypair(): KeyPair;
  crypto_box_seed_keypair(seed: Uint8Array): KeyPair;
  crypto_box_seal(message: Uint8Array | string, publicKey: Uint8Array): Uint8Array;
  crypto_box_seal_open(ciphertext: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array;
  crypto_aead_xchacha20poly1305_ietf_encrypt(message: Uint8Array | string, ad: Uint8Array | string | null, secretNonce: null, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  crypto_aead_xchacha20poly1305_ietf_decrypt(secretNonce: null, ciphertext: Uint8Array, ad: Uint8Array | string | null, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  crypto_secretstream_xchacha20poly1305_init_push(key: Uint8Array): { state: SecretStreamState; header: Uint8Array };
  crypto_secretstream_xchacha20poly1305_push(state: SecretStreamState, message: Uint8Array, ad: Uint8Array | null, tag: number): Uint8Array;
  crypto_secretstream_xchacha20poly1305_init_pull(header: Uint8Array, key: Uint8Array): SecretStreamState;
  /** false (or, in some builds, a throw) when the chunk does not verify. */
  crypto_secretstream_xchacha20poly1305_pull(state: SecretStreamState, ciphertext: Uint8Array, ad: Uint8Array | null): { message: Uint8Array; tag: number } | false;
}

/** A secretstream's state: libsodium keeps it in its heap (an address), the JavaScript engine in an object. Opaque to callers. */
export type SecretStreamState = unknown;

export type Engine = 'libsodium' | 'noble';

// libsodium starts loading on import; where WebAssembly is missing its `ready` rejects, and
// unhandled that rejection is an error in the page although the other engine takes over.
libsodium.ready.catch(() => undefined);

let instance: Sodium | undefined;
let active: Engine | undefined;
let loading: Promise<Sodium> | undefined;

async function load(engine: Engine): Promise<Sodium> {
  if (engine === 'libsodium') {
    try {
      await libsodium.ready;
      return use('libsodium', libsodium);
    } catch {
      // WebAssembly exists but may not run (a CSP without 'wasm-unsafe-eval', a browser policy).
    }
  }
  return use('noble', nobleSodium);
}

function use(engine: Engine, primitives: Sodium): Sodium {
  instance = primitives;
  active = engine;
  return primitives;
}

/** Loads libsodium where WebAssembly runs, the pure-JavaScript engine elsewhere. */
export function ready(): Promise<Sodium> {
  loading ??= load(typeof WebAssembly === 'object' ? 'libsodium' : 'noble');
  return loading;
}

/** Switches engine: the tests run the vectors through both. */
export function useEngine(engine: Engine): Promise<Sodium> {
  loading = load(engine);
  return loading;
}

/** The engine in use, once ready() has settled. */
export function activeEngine(): Engine | undefined {
  return active;
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
