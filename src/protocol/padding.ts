/** Padding, §1: ISO/IEC 7816-4 (`sodium.pad`) to a multiple of the record's block. */
import { ProtocolError } from './errors.js';
import { sodium } from './sodium.js';

function assertBlock(block: number): void {
  if (!Number.isSafeInteger(block) || block <= 0) throw new ProtocolError('bad_length', 'block must be a positive integer');
}

/** Always adds at least one byte, so a plaintext of exactly n blocks grows to n + 1. */
export function pad(bytes: Uint8Array, block: number): Uint8Array {
  assertBlock(block);
  return sodium().pad(bytes, block);
}

export function unpad(bytes: Uint8Array, block: number): Uint8Array {
  assertBlock(block);
  if (bytes.length === 0 || bytes.length % block !== 0) throw new ProtocolError('bad_padding');
  try {
    return sodium().unpad(bytes, block);
  } catch {
    throw new ProtocolError('bad_padding');
  }
}

/** The padded length of `byteLength` plaintext bytes. */
export function paddedLength(byteLength: number, block: number): number {
  assertBlock(block);
  return (Math.floor(byteLength / block) + 1) * block;
}
