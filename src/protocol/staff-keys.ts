/**
 * Staff keys, §3: a passphrase derives `authKey` (sent at login) and `wrapKey` (never leaves
 * the client); `wrapKey` and a recovery key each seal the account's secret keys.
 */
import { fromBase64url, isBase64url, toBase64url } from './base64url.js';
import { keysAd, recoveryAd } from './associated-data.js';
import { normaliseCrockford } from './code.js';
import {
  BOX_SECRET_KEY_BYTES, CODE_ALPHABET, RECOVERY_KEY_BYTES, RECOVERY_KEY_GROUP_SYMBOLS,
  RECOVERY_KEY_SYMBOLS, SIGN_SECRET_KEY_BYTES, STAFF_ARGON2_MEM, STAFF_ARGON2_MIN_MEM,
  STAFF_ARGON2_MIN_OPS, STAFF_ARGON2_OPS, STAFF_MASTER_BYTES, STAFF_SALT_BYTES
} from './constants.js';
import { decodeJson, decryptBytes, encodeJson, encryptBytes } from './envelope.js';
import { ProtocolError } from './errors.js';
import { ready, sodium } from './sodium.js';
import type { Envelope, KdfParams } from './wire.js';

export interface StaffMaster {
  /** master[0..32]: sent at login, stored by the server only as hash(authKey ‖ pepper). */
  authKey: Uint8Array;
  /** master[32..64]: seals the key bundle; never leaves the client. */
  wrapKey: Uint8Array;
}

export interface StaffSecretKeys {
  boxSecretKey: Uint8Array;
  signSecretKey: Uint8Array;
}

export interface StaffKeys extends StaffSecretKeys {
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
}

export interface RecoveryKey {
  key: Uint8Array;
  /** 52 Crockford base32 symbols in groups of four, shown once at setup. */
  display: string;
}

export interface DeriveOptions {
  /**
   * Accept parameters below §3's floor (ops ≥ 3, mem ≥ 128 MiB). Only for tests: a client
   * must refuse weak parameters from prelogin, or a hostile server could make the authKey
   * it receives cheap to brute-force.
   */
  allowWeakParams?: boolean;
}

/** True when `params` meet §3: a 16-byte base64url salt, ops ≥ 3, mem ≥ 128 MiB. */
export function isStrongKdfParams(params: KdfParams): boolean {
  return isBase64url(params.salt, STAFF_SALT_BYTES) &&
    Number.isSafeInteger(params.ops) && params.ops >= STAFF_ARGON2_MIN_OPS &&
    Number.isSafeInteger(params.mem) && params.mem >= STAFF_ARGON2_MIN_MEM;
}

/** A fresh salt with today's parameters, for a new account or a new passphrase. */
export function newKdfParams(): KdfParams {
  return { salt: toBase64url(sodium().randombytes_buf(STAFF_SALT_BYTES)), ops: STAFF_ARGON2_OPS, mem: STAFF_ARGON2_MEM };
}

/** master = argon2id(64, passphrase, salt, ops, mem), split into authKey and wrapKey. */
export async function deriveStaffMaster(passphrase: string, params: KdfParams, options: DeriveOptions = {}): Promise<StaffMaster> {
  const s = await ready();
  if (options.allowWeakParams !== true && !isStrongKdfParams(params)) {
    throw new ProtocolError('weak_kdf_params', 'the key derivation parameters are below the protocol minimum');
  }
  const salt = fromBase64url(params.salt, STAFF_SALT_BYTES);
  let master: Uint8Array;
  try {
    // NFKC: the same passphrase typed on another device or keyboard derives the same keys.
    master = s.crypto_pwhash(STAFF_MASTER_BYTES, passphrase.normalize('NFKC'), salt, params.ops, params.mem, s.crypto_pwhash_ALG_ARGON2ID13);
  } catch {
    throw new ProtocolError('kdf_failed', 'argon2id refused the parameters or ran out of memory');
  }
  const result = { authKey: master.slice(0, 32), wrapKey: master.slice(32, 64) };
  s.memzero(master);
  return result;
}

/** A new box (X25519) and sign (Ed25519) key pair for an account. */
export function makeStaffKeys(): StaffKeys {
  const s = sodium();
  const box = s.crypto_box_keypair();
  const sign = s.crypto_sign_keypair();
  return { boxPublicKey: box.publicKey, boxSecretKey: box.privateKey, signPublicKey: sign.publicKey, signSecretKey: sign.privateKey };
}

function bundlePlaintext(keys: StaffSecretKeys): Uint8Array {
  if (keys.boxSecretKey.length !== BOX_SECRET_KEY_BYTES || keys.signSecretKey.length !== SIGN_SECRET_KEY_BYTES) {
    throw new ProtocolError('bad_length', 'secret keys of the wrong length');
  }
  return encodeJson({ boxSecretKey: toBase64url(keys.boxSecretKey), signSecretKey: toBase64url(keys.signSecretKey) });
}

function openBundle(key: Uint8Array, bundle: Envelope, ad: string): StaffSecretKeys {
  const bytes = decryptBytes(key, bundle, ad);
  let value: unknown;
  try {
    value = decodeJson(bytes);
  } finally {
    sodium().memzero(bytes);
  }
  if (typeof value !== 'object' || value === null) throw new ProtocolError('bad_key_bundle');
  const { boxSecretKey, signSecretKey } = value as Record<string, unknown>;
  if (!isBase64url(boxSecretKey, BOX_SECRET_KEY_BYTES) || !isBase64url(signSecretKey, SIGN_SECRET_KEY_BYTES)) {
    throw new ProtocolError('bad_key_bundle');
  }
  return { boxSecretKey: fromBase64url(boxSecretKey), signSecretKey: fromBase64url(signSecretKey) };
}

/** keyBundle = aead(wrapKey, nonce, JSON{boxSecretKey, signSecretKey}, "confidant-v1/keys/" + username). */
export function sealKeyBundle(wrapKey: Uint8Array, keys: StaffSecretKeys, username: string): Envelope {
  return encryptBytes(wrapKey, bundlePlaintext(keys), keysAd(username));
}

/** Throws ProtocolError('decrypt_failed') for a wrong passphrase or user name. */
export function openKeyBundle(wrapKey: Uint8Array, bundle: Envelope, username: string): StaffSecretKeys {
  return openBundle(wrapKey, bundle, keysAd(username));
}

/** recoveryBundle = aead(recoveryKey, nonce, same JSON, "confidant-v1/recovery/" + username). */
export function sealRecoveryBundle(recoveryKey: Uint8Array, keys: StaffSecretKeys, username: string): Envelope {
  return encryptBytes(recoveryKey, bundlePlaintext(keys), recoveryAd(username));
}

export function openRecoveryBundle(recoveryKey: Uint8Array, bundle: Envelope, username: string): StaffSecretKeys {
  return openBundle(recoveryKey, bundle, recoveryAd(username));
}

/** 32 random bytes, displayed as Crockford base32 (MSB first, the last symbol zero-filled). */
export function generateRecoveryKey(): RecoveryKey {
  const key = sodium().randombytes_buf(RECOVERY_KEY_BYTES);
  return { key, display: formatRecoveryKey(key) };
}

export function formatRecoveryKey(key: Uint8Array): string {
  if (key.length !== RECOVERY_KEY_BYTES) throw new ProtocolError('bad_length', 'a recovery key is 32 bytes');
  let symbols = '';
  let acc = 0;
  let bits = 0;
  for (const byte of key) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      symbols += CODE_ALPHABET.charAt((acc >>> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) symbols += CODE_ALPHABET.charAt((acc << (5 - bits)) & 31);
  const groups: string[] = [];
  for (let i = 0; i < symbols.length; i += RECOVERY_KEY_GROUP_SYMBOLS) groups.push(symbols.slice(i, i + RECOVERY_KEY_GROUP_SYMBOLS));
  return groups.join('-');
}

/**
 * Reads a typed recovery key back (same normalisation as the code). Throws
 * ProtocolError('bad_recovery_key') for a wrong symbol or length; a wrong but well-formed
 * key shows up as 'decrypt_failed' when the bundle is opened.
 */
export function parseRecoveryKey(display: string): Uint8Array {
  const symbols = normaliseCrockford(display);
  if (symbols.length !== RECOVERY_KEY_SYMBOLS) throw new ProtocolError('bad_recovery_key', `a recovery key is ${RECOVERY_KEY_SYMBOLS} symbols`);
  const key = new Uint8Array(RECOVERY_KEY_BYTES);
  let acc = 0;
  let bits = 0;
  let i = 0;
  for (const c of symbols) {
    const value = CODE_ALPHABET.indexOf(c);
    if (value < 0) throw new ProtocolError('bad_recovery_key', 'a recovery key is Crockford base32');
    acc = (acc << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      key[i++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw new ProtocolError('bad_recovery_key', 'the last symbol is not canonical');
  return key;
}
