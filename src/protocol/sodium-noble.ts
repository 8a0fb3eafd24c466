/**
 * The primitives of `Sodium` in pure JavaScript, for browsers without WebAssembly (Tor Browser
 * at its "Safer" level, any browser with JIT disabled): the audited `@noble` hashes, curves and
 * ciphers, composed exactly as libsodium composes them so that every vector and every message
 * is the same byte for byte (test/protocol/sodium-noble.test.ts checks both against each other).
 *
 * Only what src/protocol uses is here. Argon2id reports its progress (work-progress.ts): without
 * a JIT it takes most of a minute.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { argon2id } from '@noble/hashes/argon2.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { fromBase64url, toBase64url } from './base64url.js';
import type { KeyPair, Sodium } from './sodium.js';
import * as stream from './secretstream-noble.js';
import { reportWork } from './work-progress.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const URLSAFE_NO_PADDING = 7;
/** "expand 32-byte k", the Salsa20 constant crypto_box's key derivation (HSalsa20) uses. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

const bytesOf = (input: string | Uint8Array): Uint8Array => (typeof input === 'string' ? encoder.encode(input) : input);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < length; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}

function onlyUrlsafe(variant: number): void {
  if (variant !== URLSAFE_NO_PADDING) throw new TypeError('only base64url without padding is implemented');
}

function toBase64(input: Uint8Array, variant: number): string {
  onlyUrlsafe(variant);
  return toBase64url(input);
}

/** Callers check the encoding first (base64url.ts); this refuses anything else all the same. */
function fromBase64(text: string, variant: number): Uint8Array {
  onlyUrlsafe(variant);
  try {
    return fromBase64url(text);
  } catch {
    throw new TypeError('invalid input');
  }
}

function uniform(upperBound: number): number {
  if (!Number.isInteger(upperBound) || upperBound < 1 || upperBound > 0xffffffff) throw new TypeError('invalid upper bound');
  // Rejection sampling, as libsodium: no modulo bias.
  const limit = 0x100000000 - (0x100000000 % upperBound);
  const word = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(word);
    if (word[0]! < limit) return word[0]! % upperBound;
  }
}

function signKeypairFromSeed(seed: Uint8Array): KeyPair {
  const publicKey = ed25519.getPublicKey(seed);
  return { keyType: 'ed25519', publicKey, privateKey: concat(seed, publicKey) };
}

function boxKeypairFromSecret(privateKey: Uint8Array): KeyPair {
  return { keyType: 'x25519', publicKey: x25519.getPublicKey(privateKey), privateKey };
}

/** crypto_box_beforenm: HSalsa20 of the X25519 shared secret (which must not be all zeros). */
function boxKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const shared = x25519.getSharedSecret(secretKey, publicKey);
  if (shared.every((byte) => byte === 0)) throw new Error('invalid public key');
  const out = new Uint32Array(8);
  hsalsa(SIGMA, new Uint32Array(shared.buffer, shared.byteOffset, 8), new Uint32Array(4), out);
  shared.fill(0);
  return new Uint8Array(out.buffer);
}

/** crypto_box_seal's nonce: BLAKE2b-192 of the ephemeral and the recipient's public key. */
const sealNonce = (ephemeralPublicKey: Uint8Array, publicKey: Uint8Array): Uint8Array =>
  blake2b(concat(ephemeralPublicKey, publicKey), { dkLen: 24 });

function littleEndian64(value: number): Uint8Array {
  const out = new Uint8Array(16);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

export const nobleSodium: Sodium = {
  base64_variants: { URLSAFE_NO_PADDING },
  crypto_pwhash_ALG_ARGON2ID13: 2,

  from_string: (text) => encoder.encode(text),
  to_string: (bytes) => decoder.decode(bytes),
  to_base64: toBase64,
  from_base64: fromBase64,
  randombytes_buf: randomBytes,
  randombytes_uniform: uniform,
  memzero: (bytes) => bytes.fill(0),
  memcmp(a, b) {
    if (a.length !== b.length) throw new TypeError('Arguments must be of equal length');
    let difference = 0;
    for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
    return difference === 0;
  },

  pad(bytes, blockSize) {
    const out = new Uint8Array((Math.floor(bytes.length / blockSize) + 1) * blockSize);
    out.set(bytes);
    out[bytes.length] = 0x80;
    return out;
  },
  unpad(bytes, blockSize) {
    if (blockSize < 1 || bytes.length < blockSize || bytes.length % blockSize !== 0) throw new Error('unsupported/invalid padding');
    for (let i = bytes.length - 1; i >= bytes.length - blockSize; i--) {
      if (bytes[i] === 0x80) return bytes.slice(0, i);
      if (bytes[i] !== 0) break;
    }
    throw new Error('unsupported/invalid padding');
  },

  crypto_generichash: (length, message, key) =>
    blake2b(bytesOf(message), { dkLen: length, ...(key ? { key: bytesOf(key) } : {}) }),
  crypto_kdf_derive_from_key(length, subkeyId, context, key) {
    const personalization = new Uint8Array(16);
    personalization.set(encoder.encode(context).subarray(0, 8));
    return blake2b(new Uint8Array(0), { dkLen: length, key, salt: littleEndian64(subkeyId), personalization });
  },
  crypto_pwhash(length, password, salt, ops, mem, algorithm) {
    if (algorithm !== 2) throw new Error('only Argon2id is implemented');
    return argon2id(bytesOf(password), salt, {
      t: ops, m: mem / 1024, p: 1, dkLen: length, maxmem: mem + 1024 * 1024,
      onProgress: (fraction) => reportWork('deriving', fraction),
    });
  },

  crypto_sign_keypair: () => signKeypairFromSeed(randomBytes(32)),
  crypto_sign_seed_keypair: signKeypairFromSeed,
  crypto_sign_ed25519_sk_to_pk: (secretKey) => secretKey.slice(32, 64),
  crypto_sign_detached: (message, secretKey) => ed25519.sign(bytesOf(message), secretKey.subarray(0, 32)),
  crypto_sign_verify_detached(signature, message, publicKey) {
    try {
      // zip215 off: the strict RFC 8032 rules, which libsodium also applies.
      return ed25519.verify(signature, bytesOf(message), publicKey, { zip215: false });
    } catch {
      return false;
    }
  },

  crypto_scalarmult_base: (secretKey) => x25519.getPublicKey(secretKey),
  crypto_box_keypair: () => boxKeypairFromSecret(randomBytes(32)),
  crypto_box_seed_keypair: (seed) => boxKeypairFromSecret(sha512(seed).slice(0, 32)),
  crypto_secretstream_xchacha20poly1305_init_push(key) {
    const header = randomBytes(stream.HEADER_BYTES);
    return { state: stream.initState(header, key), header };
  },
  crypto_secretstream_xchacha20poly1305_push: (state, message, ad, tag) => stream.push(state as stream.NobleStreamState, message, ad ?? new Uint8Array(0), tag),
  crypto_secretstream_xchacha20poly1305_init_pull: (header, key) => stream.initState(header, key),
  crypto_secretstream_xchacha20poly1305_pull: (state, ciphertext, ad) => stream.pull(state as stream.NobleStreamState, ciphertext, ad ?? new Uint8Array(0)) ?? false,

  crypto_box_seal(message, publicKey) {
    const ephemeral = boxKeypairFromSecret(randomBytes(32));
    const key = boxKey(ephemeral.privateKey, publicKey);
    const sealed = xsalsa20poly1305(key, sealNonce(ephemeral.publicKey, publicKey)).encrypt(bytesOf(message));
    key.fill(0);
    ephemeral.privateKey.fill(0);
    return concat(ephemeral.publicKey, sealed);
  },
  crypto_box_seal_open(ciphertext, publicKey, secretKey) {
    if (ciphertext.length < 48) throw new Error('incorrect key pair for the given ciphertext');
    const ephemeralPublicKey = ciphertext.subarray(0, 32);
    const key = boxKey(secretKey, ephemeralPublicKey);
    try {
      return xsalsa20poly1305(key, sealNonce(ephemeralPublicKey, publicKey)).decrypt(ciphertext.subarray(32));
    } catch {
      throw new Error('incorrect key pair for the given ciphertext');
    } finally {
      key.fill(0);
    }
  },

  crypto_aead_xchacha20poly1305_ietf_encrypt: (message, ad, _secretNonce, nonce, key) =>
    xchacha20poly1305(key, nonce, ad ? bytesOf(ad) : undefined).encrypt(bytesOf(message)),
  crypto_aead_xchacha20poly1305_ietf_decrypt(_secretNonce, ciphertext, ad, nonce, key) {
    try {
      return xchacha20poly1305(key, nonce, ad ? bytesOf(ad) : undefined).decrypt(ciphertext);
    } catch {
      throw new Error('ciphertext cannot be decrypted using that key');
    }
  },
};
