/**
 * Report submission (protocol-v1 §4, §6): one transaction that stores the case, the
 * encrypted report and the wraps. The server checks shapes and who may receive a wrap;
 * it never sees the report or the case key.
 */
import type { Database } from '../db/connection.js';
import { caseWraps, cases } from '../db/schema.js';
import { isUniqueViolation } from '../db/errors.js';
import { badRequest, conflict } from '../errors.js';
import type { Channels } from './channels.js';
import { recordAudit } from './audit.js';
import { acknowledgeBy } from './deadlines.js';
import type { ProofOfWork } from './proof-of-work.js';

export interface NewCase {
  caseId: string;
  mailboxId: string;
  reporterSignPublicKey: Uint8Array;
  reporterBoxPublicKey: Uint8Array;
  wraps: Array<{ keyId: string; wrap: Uint8Array }>;
  reporterWrap: Uint8Array;
  report: { nonce: Uint8Array; ciphertext: Uint8Array };
  pow?: { challenge: string; nonce: number } | undefined;
}

export interface Submitted {
  caseId: string;
  receivedAt: Date;
  acknowledgeBy: Date;
}

export function createReports(db: Database, channels: Channels, pow: ProofOfWork) {
  return {
    async submit(slug: string, input: NewCase, now = new Date()): Promise<Submitted> {
      const channel = await channels.bySlug(slug);
      const advisers = new Set(channel.advisers.map((a) => a.keyId));
      const seen = new Set<string>();
      for (const [index, { keyId }] of input.wraps.entries()) {
        if (!advisers.has(keyId)) throw badRequest('invalid_wraps', `Wrap ${index + 1} is not for an adviser of this channel.`);
        if (seen.has(keyId)) throw badRequest('invalid_wraps', `Wrap ${index + 1} is for an adviser who has a wrap already.`);
        seen.add(keyId);
      }
      if (input.wraps.length === 0) throw badRequest('invalid_wraps', 'A report needs a wrap for at least one adviser of the channel.');

      try {
        await db.transaction(async (tx) => {
          await pow.spend(tx, input.pow, channel.powDifficulty, now);
          await tx.insert(cases).values({
            id: input.caseId,
            channelId: channel.id,
            mailboxId: input.mailboxId,
            reporterSignPublicKey: input.reporterSignPublicKey,
            reporterBoxPublicKey: input.reporterBoxPublicKey,
            reporterWrap: input.reporterWrap,
            reportNonce: input.report.nonce,
            reportCiphertext: input.report.ciphertext,
            receivedAt: now,
            lastReporterActivityAt: now,
          });
          await tx.insert(caseWraps).values(input.wraps.map((w) => ({ caseId: input.caseId, accountId: w.keyId, wrap: w.wrap, createdAt: now })));
          await recordAudit(tx, { actor: 'reporter', action: 'submitted', subject: input.caseId, at: now });
        });
      } catch (error) {
        if (isUniqueViolation(error, 'mailbox_id')) throw conflict('mailbox_exists', 'This mailbox id is taken: make a new code.');
        if (isUniqueViolation(error, 'pkey')) throw conflict('case_exists', 'A case with this id exists already: make a new case id.');
        throw error;
      }
      return { caseId: input.caseId, receivedAt: now, acknowledgeBy: acknowledgeBy(now) };
    },
  };
}

export type Reports = ReturnType<typeof createReports>;
