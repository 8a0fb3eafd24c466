/**
 * Proof of work, §6: the smallest nonce (an integer from 0) such that
 * hash(32, ASCII(challenge) ‖ uint64le(nonce)) begins with `difficulty` zero bits.
 */
import { POW_HASH_BYTES, POW_MAX_DIFFICULTY } from './constants.js';
import { ProtocolError } from './errors.js';
import { sodium } from './sodium.js';
import { reportWork } from './work-progress.js';

const ASCII = /^[\x00-\x7f]*$/; // eslint-disable-line no-control-regex
const TWO_32 = 0x1_0000_0000;

function challengeBytes(challenge: string): Uint8Array {
  if (typeof challenge !== 'string' || !ASCII.test(challenge)) throw new ProtocolError('bad_challenge', 'a challenge is an ASCII string');
  return sodium().from_string(challenge);
}

function isNonce(nonce: unknown): nonce is number {
  return typeof nonce === 'number' && Number.isSafeInteger(nonce) && nonce >= 0;
}

function isDifficulty(difficulty: unknown): difficulty is number {
  return typeof difficulty === 'number' && Number.isInteger(difficulty) && difficulty >= 0 && difficulty <= POW_HASH_BYTES * 8;
}

/** Writes a safe integer as 8 little-endian bytes at `offset` (two 32-bit halves, no BigInt). */
function writeUint64le(buffer: Uint8Array, offset: number, value: number): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  view.setUint32(offset, value % TWO_32, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}

function input(prefix: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(prefix.length + 8);
  buffer.set(prefix);
  return buffer;
}

export function powHash(challenge: string, nonce: number): Uint8Array {
  if (!isNonce(nonce)) throw new ProtocolError('bad_nonce', 'a nonce is a non-negative safe integer');
  const prefix = challengeBytes(challenge);
  const buffer = input(prefix);
  writeUint64le(buffer, prefix.length, nonce);
  return sodium().crypto_generichash(POW_HASH_BYTES, buffer, null);
}

/** The number of zero bits before the first one bit, most significant bit of byte 0 first. */
export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const byte of bytes) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/**
 * The smallest nonce that meets `difficulty`. Synchronous: at difficulty d it takes about
 * 2^d hashes. Refuses difficulties above POW_MAX_DIFFICULTY (ProtocolError 'bad_difficulty').
 */
export function solvePow(challenge: string, difficulty: number): number {
  if (!isDifficulty(difficulty) || difficulty > POW_MAX_DIFFICULTY) {
    throw new ProtocolError('bad_difficulty', `a difficulty is an integer from 0 to ${POW_MAX_DIFFICULTY}`);
  }
  const s = sodium();
  const prefix = challengeBytes(challenge);
  const buffer = input(prefix);
  const expected = 2 ** difficulty;
  for (let nonce = 0; nonce <= Number.MAX_SAFE_INTEGER; nonce++) {
    // The chance of having found a nonce by now: a bar that moves evenly and never stalls.
    if (nonce % 1024 === 1023) reportWork('pow', 1 - Math.exp(-nonce / expected));
    writeUint64le(buffer, prefix.length, nonce);
    if (leadingZeroBits(s.crypto_generichash(POW_HASH_BYTES, buffer, null)) >= difficulty) return nonce;
  }
  /* c8 ignore next */
  throw new ProtocolError('bad_difficulty', 'no nonce found');
}

/** True when `nonce` meets `difficulty` for `challenge`; false (never throws) for bad input. */
export function verifyPow(challenge: unknown, difficulty: unknown, nonce: unknown): boolean {
  if (typeof challenge !== 'string' || !ASCII.test(challenge) || !isDifficulty(difficulty) || !isNonce(nonce)) return false;
  return leadingZeroBits(powHash(challenge, nonce)) >= difficulty;
}
