/**
 * Key fingerprints (an extension, docs/protocol.md "Fingerprints"): a short name for an
 * account's two public keys that people compare out of band, and that an organisation puts in
 * its channel link to pin its advisers' keys.
 *
 *   fingerprint = first 80 bits of hash(32, ASCII("confidant-v1/fingerprint/") ‖ boxPk ‖ signPk),
 *                 as 16 Crockford base32 symbols (most significant bit first) in groups of four
 *                 joined by "-".
 */
import { fromBase64url } from './base64url.js';
import { BOX_PUBLIC_KEY_BYTES, CODE_ALPHABET, SIGN_PUBLIC_KEY_BYTES } from './constants.js';
import { sodium } from './sodium.js';

export const FINGERPRINT_PREFIX = 'confidant-v1/fingerprint/';
const FINGERPRINT_SYMBOLS = 16;

export function keyFingerprint(boxPublicKey: Uint8Array, signPublicKey: Uint8Array): string {
  const s = sodium();
  const prefix = s.from_string(FINGERPRINT_PREFIX);
  const input = new Uint8Array(prefix.length + boxPublicKey.length + signPublicKey.length);
  input.set(prefix);
  input.set(boxPublicKey, prefix.length);
  input.set(signPublicKey, prefix.length + boxPublicKey.length);
  const digest = s.crypto_generichash(32, input, null);
  let symbols = '';
  for (let i = 0; i < FINGERPRINT_SYMBOLS; i++) {
    const bit = i * 5;
    // Five bits starting at `bit`, read across a byte boundary when needed.
    const pair = (digest[bit >> 3]! << 8) | digest[(bit >> 3) + 1]!;
    symbols += CODE_ALPHABET[(pair >> (11 - (bit & 7))) & 31];
  }
  return symbols.match(/.{4}/g)!.join('-');
}

/** The fingerprint of keys as the API lists them (base64url). */
export function fingerprintOf(keys: { boxPublicKey: string; signPublicKey: string }): string {
  return keyFingerprint(fromBase64url(keys.boxPublicKey, BOX_PUBLIC_KEY_BYTES), fromBase64url(keys.signPublicKey, SIGN_PUBLIC_KEY_BYTES));
}

/** Reads a fingerprint as a person or a link gives it: case, spaces and "-" do not matter. */
export function normaliseFingerprint(input: string): string | null {
  const symbols = input.toUpperCase().replace(/[\s-]/g, '');
  if (symbols.length !== FINGERPRINT_SYMBOLS || [...symbols].some((c) => !CODE_ALPHABET.includes(c))) return null;
  return symbols.match(/.{4}/g)!.join('-');
}
