import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An opaque id: 16 random bytes, base64url. */
export const newId = (): string => randomBytes(16).toString('base64url');

/** A bearer or invite token: a random 256-bit value, base64url. Only its hash is stored. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/** What is stored of a token. SHA-256 of a 256-bit random value needs no salt or stretching. */
export const tokenHash = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Constant-time comparison of two byte strings (design.md invariant 7). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
