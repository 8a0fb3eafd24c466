/**
 * Bytes travel in JSON as base64url without padding (libsodium URLSAFE_NO_PADDING), §1.
 *
 * The codec is plain JavaScript with a lookup table rather than libsodium's: a browser decodes
 * tens of thousands of these for an annual report, and the round trip through WebAssembly
 * memory (plus a separate validity check) cost more than the decoding. Decoding accepts only
 * the canonical encoding, exactly what `isBase64url` accepts. Neither needs `ready()`.
 */
import { ProtocolError } from './errors.js';

const ALPHABET = /^[A-Za-z0-9_-]*$/;
/** The 64 symbols in order of their value. */
export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Symbol value by character code (0..127), -1 for a character outside the alphabet. */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64URL_ALPHABET.length; i++) VALUE[BASE64URL_ALPHABET.charCodeAt(i)] = i;

function valueAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? VALUE[code]! : -1;
}

export function toBase64url(bytes: Uint8Array): string {
  let out = '';
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64URL_ALPHABET[n >> 18]! + BASE64URL_ALPHABET[(n >> 12) & 63]! + BASE64URL_ALPHABET[(n >> 6) & 63]! + BASE64URL_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const n = (bytes[whole]! << 16) | (rest === 2 ? bytes[whole + 1]! << 8 : 0);
    out += BASE64URL_ALPHABET[n >> 18]! + BASE64URL_ALPHABET[(n >> 12) & 63]! + (rest === 2 ? BASE64URL_ALPHABET[(n >> 6) & 63]! : '');
  }
  return out;
}

/** The bytes, or null when `text` is not canonical unpadded base64url. */
function decode(text: string): Uint8Array | null {
  const length = text.length;
  const rest = length % 4;
  if (rest === 1) return null;
  const out = new Uint8Array(base64urlByteLength(text));
  const whole = length - rest;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = valueAt(text, i);
    const b = valueAt(text, i + 1);
    const c = valueAt(text, i + 2);
    const d = valueAt(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (rest === 2) {
    const a = valueAt(text, whole);
    const b = valueAt(text, whole + 1);
    // The last symbol's four low bits are not part of any byte: canonical means zero.
    if ((a | b) < 0 || (b & 0x0f) !== 0) return null;
    out[o] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = valueAt(text, whole);
    const b = valueAt(text, whole + 1);
    const c = valueAt(text, whole + 2);
    if ((a | b | c) < 0 || (c & 0x03) !== 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    out[o] = (n >> 8) & 0xff;
  }
  return out;
}

/** Decodes strictly; throws ProtocolError('bad_base64url') or ('bad_length'). */
export function fromBase64url(text: string, expectedByteLength?: number): Uint8Array {
  const bytes = typeof text === 'string' ? decode(text) : null;
  if (bytes === null) throw new ProtocolError('bad_base64url', 'not canonical base64url without padding');
  if (expectedByteLength !== undefined && bytes.length !== expectedByteLength) {
    throw new ProtocolError('bad_length', `expected ${expectedByteLength} bytes`);
  }
  return bytes;
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
