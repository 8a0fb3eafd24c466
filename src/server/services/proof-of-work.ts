/**
 * Proof-of-work challenges (protocol-v1 §6). A challenge is `<expiry>.<random>.<mac>`,
 * signed with the instance's pow key, so issuing one writes nothing; spending one records
 * its hash inside the submission's transaction, so each works once.
 */
import { lt } from 'drizzle-orm';
import { verifyPow } from '../../protocol/checks.js';
import type { Database } from '../db/connection.js';
import { spentPowChallenges } from '../db/schema.js';
import { workRequired } from '../errors.js';
import { createTextChallenges, spentChallenge, type SpentChallenge } from './signed-challenge.js';

export const POW_TTL_SECONDS = 300;

export type { SpentChallenge };

export const powReused = () => workRequired('pow_reused', 'This proof-of-work challenge was used already: fetch a new one.');

export interface IssuedChallenge {
  challenge: string;
  difficulty: number;
  expiresAt: Date;
}

export function createProofOfWork(db: Database, powKey: Uint8Array) {
  const challenges = createTextChallenges(powKey, POW_TTL_SECONDS * 1000);
  const notIssued = () => workRequired('pow_invalid', 'The proof-of-work challenge was not issued by this server.');

  return {
    issue(difficulty: number, now = new Date()): IssuedChallenge {
      return { ...challenges.issue(now), difficulty };
    },

    /**
     * Checks a solution; throws when it does not hold. Returns what spending it records (the
     * caller inserts it in the same statement as the report), or null when none is needed.
     */
    verify(solution: { challenge: string; nonce: number } | undefined, difficulty: number, now = new Date()): SpentChallenge | null {
      if (difficulty === 0) return null;
      if (!solution) throw workRequired('pow_required', 'This channel needs a proof of work: fetch /api/v1/pow and solve it.');
      const expiresAt = challenges.expiryOf(solution.challenge);
      if (!expiresAt) throw notIssued();
      if (expiresAt <= now) throw workRequired('pow_expired', 'The proof-of-work challenge has expired: fetch a new one.');
      if (!verifyPow(solution.challenge, difficulty, solution.nonce)) {
        throw workRequired('pow_wrong', `The proof-of-work nonce does not give ${difficulty} leading zero bits.`);
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
