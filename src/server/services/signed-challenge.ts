/**
 * Challenges the server signs instead of storing (proof of work, mailbox login): issuing one
 * writes nothing. Spending one records its hash until it expires, which makes it single-use;
 * that record's expiry is the next whole hour, so the row says nothing finer about when.
 */
import { createHash, createHmac } from 'node:crypto';
import { sameBytes } from '../tokens.js';
import { toNextHour } from './coarse-time.js';

/** What a spent challenge leaves behind, so that it works once. */
export interface SpentChallenge {
  challengeHash: Buffer;
  expiresAt: Date;
}

export function createChallengeSigner(key: Uint8Array) {
  const mac = (data: string | Uint8Array): Buffer => createHmac('sha256', key).update(data).digest();
  return {
    mac,
    /** Whether `tag` is the MAC of `data`, cut to the tag's length, compared in constant time. */
    holds(data: string | Uint8Array, tag: Uint8Array): boolean {
      return tag.length >= 16 && sameBytes(mac(data).subarray(0, tag.length), tag);
    },
  };
}

export function spentChallenge(challenge: string | Uint8Array, expiresAt: Date): SpentChallenge {
  return { challengeHash: createHash('sha256').update(challenge).digest(), expiresAt: toNextHour(expiresAt) };
}
