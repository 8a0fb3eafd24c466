/**
 * Proof-of-work challenges (protocol-v1 §6). A challenge is `<expiry>.<random>.<mac>`,
 * signed with the instance's pow key, so issuing one writes nothing; spending one records
 * its hash inside the submission's transaction, so each works once.
 */
import { randomBytes } from 'node:crypto';
import { lt } from 'drizzle-orm';
import { verifyPow } from '../../protocol/checks.js';
import type { Database } from '../db/connection.js';
import { spentPowChallenges } from '../db/schema.js';
import { powRequired } from '../errors.js';
import { createChallengeSigner, spentChallenge, type SpentChallenge } from './signed-challenge.js';

export const POW_TTL_SECONDS = 300;

export type { SpentChallenge };

export const powReused = () => powRequired('pow_reused', 'This proof-of-work challenge was used already: fetch a new one.');

export interface IssuedChallenge {
  challenge: string;
  difficulty: number;
  expiresAt: Date;
}

export function createProofOfWork(db: Database, powKey: Uint8Array) {
  const signer = createChallengeSigner(powKey);

  return {
    issue(difficulty: number, now = new Date()): IssuedChallenge {
      const expiresAt = new Date(now.getTime() + POW_TTL_SECONDS * 1000);
      const body = `${Math.floor(expiresAt.getTime() / 1000)}.${randomBytes(16).toString('base64url')}`;
      return { challenge: `${body}.${signer.mac(body).toString('base64url')}`, difficulty, expiresAt };
    },

    /**
     * Checks a solution; throws a 428 when it does not hold. Returns what spending it records
     * (the caller inserts it in the same statement as the report), or null when none is needed.
     */
    verify(solution: { challenge: string; nonce: number } | undefined, difficulty: number, now = new Date()): SpentChallenge | null {
      if (difficulty === 0) return null;
      if (!solution) throw powRequired('pow_required', 'This channel needs a proof of work: fetch /api/v1/pow and solve it.');
      const parts = solution.challenge.split('.');
      const [expiry, random, tag] = parts;
      if (parts.length !== 3 || !expiry || !random || !tag || !/^\d+$/.test(expiry)) {
        throw powRequired('pow_invalid', 'The proof-of-work challenge was not issued by this server.');
      }
      // Compare the canonical text, not lenient decodings of it: each issued challenge has exactly one spelling.
      const tagBytes = Buffer.from(tag, 'base64url');
      if (tagBytes.toString('base64url') !== tag || !signer.holds(`${expiry}.${random}`, tagBytes)) {
        throw powRequired('pow_invalid', 'The proof-of-work challenge was not issued by this server.');
      }
      const expiresAt = new Date(Number(expiry) * 1000);
      if (expiresAt <= now) throw powRequired('pow_expired', 'The proof-of-work challenge has expired: fetch a new one.');
      if (!verifyPow(solution.challenge, difficulty, solution.nonce)) {
        throw powRequired('pow_wrong', `The proof-of-work nonce does not give ${difficulty} leading zero bits.`);
      }
      return spentChallenge(solution.challenge, expiresAt);
    },

    /** Forgets spent challenges that can no longer be presented. */
    async sweep(now = new Date()): Promise<void> {
      await db.delete(spentPowChallenges).where(lt(spentPowChallenges.expiresAt, now));
    },
  };
}

export type ProofOfWork = ReturnType<typeof createProofOfWork>;
