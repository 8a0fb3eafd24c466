/**
 * Records, §1 and §4: UTF-8 JSON, padded to the record's block, sealed with
 * XChaCha20-Poly1305 (IETF) under a 24-byte random nonce and the record's associated data.
 * Also the key wraps (`crypto_box_seal`) and the length checks the server can apply.
 */
import { base64urlByteLength, fromBase64url, isBase64url, toBase64url } from './base64url.js';
import { AEAD_TAG_BYTES, KEY_BYTES, NONCE_BYTES, SEALED_KEY_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';
import { pad, unpad } from './padding.js';
import { sodium } from './sodium.js';
import type { Envelope } from './wire.js';

function assertKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) throw new ProtocolError('bad_length', `a key is ${KEY_BYTES} bytes`);
}

/** aead(key, nonce, bytes, ad) without padding; the nonce is random unless given (vectors). */
export function encryptBytes(key: Uint8Array, bytes: Uint8Array, ad: string, nonce?: Uint8Array): Envelope {
  assertKey(key);
  const s = sodium();
  const n = nonce ?? s.randombytes_buf(NONCE_BYTES);
  if (n.length !== NONCE_BYTES) throw new ProtocolError('bad_length', `a nonce is ${NONCE_BYTES} bytes`);
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(bytes, ad, null, n, key);
  return { nonce: toBase64url(n), ciphertext: toBase64url(ciphertext) };
}

/** Opens an envelope; any failure (malformed, tampered, wrong key or ad) is 'decrypt_failed'. */
export function decryptBytes(key: Uint8Array, envelope: Envelope, ad: string): Uint8Array {
  assertKey(key);
  if (!isEnvelope(envelope)) throw new ProtocolError('decrypt_failed');
  const s = sodium();
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromBase64url(envelope.ciphertext), ad, fromBase64url(envelope.nonce), key);
  } catch {
    throw new ProtocolError('decrypt_failed');
  }
}

export function encodeJson(value: unknown): Uint8Array {
  const json = JSON.stringify(value);
  if (json === undefined) throw new ProtocolError('bad_plaintext', 'the plaintext is not JSON-serialisable');
  return sodium().from_string(json);
}

export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(sodium().to_string(bytes)); // to_string decodes UTF-8 strictly (fatal)
  } catch {
    throw new ProtocolError('bad_plaintext', 'the plaintext is not UTF-8 JSON');
  }
}

/** JSON → UTF-8 → pad(block) → aead(key, nonce, …, ad). */
export function encryptRecord(key: Uint8Array, plaintext: unknown, ad: string, block: number, nonce?: Uint8Array): Envelope {
  return encryptBytes(key, pad(encodeJson(plaintext), block), ad, nonce);
}

/**
 * The reverse of encryptRecord. Returns the parsed JSON as `unknown`: check its shape
 * (see plaintexts.ts) before use. Throws ProtocolError 'decrypt_failed', 'bad_padding' or
 * 'bad_plaintext'.
 */
export function decryptRecord(key: Uint8Array, envelope: Envelope, ad: string, block: number): unknown {
  return decodeJson(unpad(decryptBytes(key, envelope, ad), block));
}

/** seal(key, pk) as base64url: a wrap of a case, relay or file key (§4). */
export function sealKey(key: Uint8Array, boxPublicKey: Uint8Array): string {
  assertKey(key);
  if (boxPublicKey.length !== 32) throw new ProtocolError('bad_length', 'a box public key is 32 bytes');
  return toBase64url(sodium().crypto_box_seal(key, boxPublicKey));
}

/** unseal(wrap); throws ProtocolError('unseal_failed') for anything but a sealed 32-byte key. */
export function unsealKey(wrap: string, boxPublicKey: Uint8Array, boxSecretKey: Uint8Array): Uint8Array {
  if (!isSealedKey(wrap)) throw new ProtocolError('unseal_failed');
  let key: Uint8Array;
  try {
    key = sodium().crypto_box_seal_open(fromBase64url(wrap), boxPublicKey, boxSecretKey);
  } catch {
    throw new ProtocolError('unseal_failed');
  }
  if (key.length !== KEY_BYTES) throw new ProtocolError('unseal_failed');
  return key;
}

/** True when byteLength is the ciphertext length of a plaintext padded to `block`. */
export function isPaddedCiphertextLength(byteLength: number, block: number): boolean {
  if (!Number.isSafeInteger(byteLength) || !Number.isSafeInteger(block) || block <= 0) return false;
  const padded = byteLength - AEAD_TAG_BYTES;
  return padded > 0 && padded % block === 0;
}

/**
 * True for `{ nonce, ciphertext }` with a 24-byte nonce and a ciphertext at least a tag
 * long, both canonical base64url; with `block`, the ciphertext must also be padded to it.
 * Extra properties are not checked (a schema should refuse them).
 */
export function isEnvelope(value: unknown, block?: number): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { nonce, ciphertext } = value as Record<string, unknown>;
  if (!isBase64url(nonce, NONCE_BYTES) || !isBase64url(ciphertext)) return false;
  const length = base64urlByteLength(ciphertext);
  return block === undefined ? length >= AEAD_TAG_BYTES : isPaddedCiphertextLength(length, block);
}

/** True for a wrap of a 32-byte key: canonical base64url of 80 bytes. */
export function isSealedKey(value: unknown): value is string {
  return isBase64url(value, SEALED_KEY_BYTES);
}
