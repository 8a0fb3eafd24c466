/**
 * Challenges the server signs instead of storing (proof of work, mailbox login, account
 * recovery): issuing one writes nothing. Spending one records its hash until it expires, which makes it single-use;
 * that record's expiry is the next whole hour, so the row says nothing finer about when.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
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

/**
 * Text challenges `<expiry>.<random>.<mac>`: the expiry in Unix seconds, 16 random bytes and
 * the MAC of both, all base64url. `context` binds a challenge to what it was issued for (the
 * user name of a recovery); without one, the MAC covers `<expiry>.<random>` alone.
 */
export function createTextChallenges(key: Uint8Array, ttlMs: number) {
  const signer = createChallengeSigner(key);
  const macInput = (body: string, context: string | undefined) => (context === undefined ? body : `${context}|${body}`);
  return {
    issue(now: Date, context?: string): { challenge: string; expiresAt: Date } {
      const expiresAt = new Date(now.getTime() + ttlMs);
      const body = `${Math.floor(expiresAt.getTime() / 1000)}.${randomBytes(16).toString('base64url')}`;
      return { challenge: `${body}.${signer.mac(macInput(body, context)).toString('base64url')}`, expiresAt };
    },

    /** The expiry of a challenge this server issued (for `context`), past or not; null for any other text. */
    expiryOf(challenge: string, context?: string): Date | null {
      const parts = challenge.split('.');
      const [expiry, random, tag] = parts;
      if (parts.length !== 3 || !expiry || !random || !tag || !/^\d+$/.test(expiry)) return null;
      // Compare the canonical text, not lenient decodings of it: each issued challenge has exactly one spelling.
      const tagBytes = Buffer.from(tag, 'base64url');
      if (tagBytes.toString('base64url') !== tag || !signer.holds(macInput(`${expiry}.${random}`, context), tagBytes)) return null;
      return new Date(Number(expiry) * 1000);
    },
  };
}
