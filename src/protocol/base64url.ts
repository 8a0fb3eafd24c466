/**
 * Bytes travel in JSON as base64url without padding (libsodium URLSAFE_NO_PADDING), §1.
 *
 * `isBase64url` is a pure function (no libsodium needed) so the server can validate
 * request bodies with it: it accepts only the canonical encoding of some byte string.
 */
import { ProtocolError } from './errors.js';
import { sodium } from './sodium.js';

const ALPHABET = /^[A-Za-z0-9_-]*$/;
/** The 64 symbols in order of their value. */
export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function toBase64url(bytes: Uint8Array): string {
  const s = sodium();
  return s.to_base64(bytes, s.base64_variants.URLSAFE_NO_PADDING);
}

/** Decodes strictly; throws ProtocolError('bad_base64url') or ('bad_length'). */
export function fromBase64url(text: string, expectedByteLength?: number): Uint8Array {
  if (!isBase64url(text)) throw new ProtocolError('bad_base64url', 'not canonical base64url without padding');
  if (expectedByteLength !== undefined && base64urlByteLength(text) !== expectedByteLength) {
    throw new ProtocolError('bad_length', `expected ${expectedByteLength} bytes`);
  }
  const s = sodium();
  return s.from_base64(text, s.base64_variants.URLSAFE_NO_PADDING);
}

/**
 * True when `value` is the canonical unpadded base64url encoding of some bytes (of
 * `expectedByteLength` bytes when given): only `A-Z a-z 0-9 - _`, no `=`, no length that
 * leaves a lone symbol, and the unused low bits of the last symbol are zero.
 */
export function isBase64url(value: unknown, expectedByteLength?: number): value is string {
  if (typeof value !== 'string' || !ALPHABET.test(value)) return false;
  const rest = value.length % 4;
  if (rest === 1) return false;
  if (rest !== 0) {
    const last = BASE64URL_ALPHABET.indexOf(value.charAt(value.length - 1));
    const unusedBits = rest === 2 ? 0x0f : 0x03;
    if ((last & unusedBits) !== 0) return false;
  }
  return expectedByteLength === undefined || base64urlByteLength(value) === expectedByteLength;
}

/** The number of bytes a (valid) unpadded base64url string encodes. */
export function base64urlByteLength(text: string): number {
  return Math.floor(text.length * 3 / 4);
}
