/**
 * Retention (docs/protocol.md "Retention"): a closed case is deleted its channel's retention
 * months after it was closed, unless an adviser put it on legal hold. Deletion removes, in one
 * transaction, the report, the reporter's keys and mailbox, the messages and their count, the
 * files, the relays the organisation never received and the reporter's copies (and decision
 * hours) of those it did (whose attachments stay with the organisation), the mailbox sessions and the reporter events. What stays is the case's dates and status, the advisers' wraps and
 * pins and the encrypted registration, so the annual report still counts the case; those go at
 * the end of the calendar year after the deletion. Every step leaves an audit entry naming the
 * case id only.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, ne, notInArray, or, sql } from 'drizzle-orm';
import { addCalendarMonths } from '../../protocol/deadlines.js';
import type { Database, Transaction } from '../db/connection.js';
import {
  caseWraps, cases, channels, files, mailboxSessions, messages, registrations, relayMessages, relays, relayWraps, reporterEvents
} from '../db/schema.js';
import { recordAudit } from './audit.js';

export const RETENTION_MONTHS_DEFAULT = 12;
export const RETENTION_MONTHS_MIN = 1;
export const RETENTION_MONTHS_MAX = 120;

/** Cases looked at per round: a sweep after a long pause does its work in rounds. */
const BATCH = 100;
const DAY_MS = 24 * 3600 * 1000;

/** The ids of a case's sent relays, as a subquery: what the organisation keeps. */
const sentRelaysOf = (tx: Transaction, caseId: string) => tx.select({ id: relays.id }).from(relays).where(and(eq(relays.caseId, caseId), eq(relays.state, 'sent')));

/** When retention deletes a closed case: its closure plus the channel's months; null while open or held. */
export function deletionDue(row: { status: string; closedAt: Date | null; heldAt: Date | null }, retentionMonths: number): Date | null {
  if (row.status !== 'closed' || row.closedAt === null || row.heldAt !== null) return null;
  return addCalendarMonths(row.closedAt, retentionMonths);
}

/** The first moment after the calendar year that follows the deletion's year (UTC): when the last trace goes. */
export function purgeDue(deletedAt: Date): Date {
  return new Date(Date.UTC(deletedAt.getUTCFullYear() + 2, 0, 1));
}

export interface SweepResult {
  deleted: number;
  purged: number;
}

export function createRetention(db: Database) {
  /**
   * Deletes one case if it is still due: the first statement re-checks closure, hold and closing
   * time under the row's lock, so a case reopened, held or closed again meanwhile is left alone.
   */
  async function deleteCase(caseId: string, closedAt: Date, now: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const [deleted] = await tx
        .update(cases)
        .set({
          deletedAt: now,
          mailboxId: null,
          reporterSignPublicKey: null,
          reporterBoxPublicKey: null,
          reporterWrap: null,
          reportNonce: null,
          reportCiphertext: null,
          commitmentKey: null,
          commitmentSignature: null,
          commitmentChosen: null,
          commitmentExcluded: null,
          followUpOn: null,
          // How long the conversation was is the reporter's too.
          messageSeq: 0,
          reporterSeq: 0,
        })
        .where(and(eq(cases.id, caseId), eq(cases.status, 'closed'), eq(cases.closedAt, closedAt), isNull(cases.heldAt), isNull(cases.deletedAt)))
        .returning({ id: cases.id });
      if (!deleted) return false;
      await tx.delete(mailboxSessions).where(eq(mailboxSessions.caseId, caseId));
      await tx.delete(messages).where(eq(messages.caseId, caseId));
      // Their bodies on disk, now of no row, go in the file sweep that follows (services/files.ts).
      // The attachments of sent relays stay with the organisation, like the relays.
      await tx.delete(files).where(and(eq(files.caseId, caseId), or(isNull(files.relayId), notInArray(files.relayId, sentRelaysOf(tx, caseId)))));
      // Relays the organisation never received go whole; those it did lose the reporter's copy.
      const unsent = tx.select({ id: relays.id }).from(relays).where(and(eq(relays.caseId, caseId), ne(relays.state, 'sent')));
      await tx.delete(relayMessages).where(inArray(relayMessages.relayId, unsent));
      await tx.delete(relayWraps).where(inArray(relayWraps.relayId, unsent));
      await tx.delete(relays).where(and(eq(relays.caseId, caseId), ne(relays.state, 'sent')));
      await tx.update(relays).set({ copyNonce: null, copyCiphertext: null, decidedAt: null }).where(eq(relays.caseId, caseId));
      await tx.delete(reporterEvents).where(eq(reporterEvents.caseId, caseId));
      await recordAudit(tx, { actor: 'system', action: 'deletion', subject: caseId, at: now });
      return true;
    });
  }

  /** The last trace of a deleted case: its wraps, registration and row; sent relays stay with the organisation, unlinked. */
  async function purgeCase(caseId: string, now: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .select({ id: cases.id })
        .from(cases)
        .where(and(eq(cases.id, caseId), isNotNull(cases.deletedAt)))
        .for('update');
      if (!row) return false;
      // Only sent relays can be left (deletion took the others), and without a reporter copy; made sure of, since the check constraint insists.
      const unsent = tx.select({ id: relays.id }).from(relays).where(and(eq(relays.caseId, caseId), ne(relays.state, 'sent')));
      await tx.delete(relayMessages).where(inArray(relayMessages.relayId, unsent));
      await tx.delete(relayWraps).where(inArray(relayWraps.relayId, unsent));
      await tx.delete(relays).where(and(eq(relays.caseId, caseId), ne(relays.state, 'sent')));
      await tx.update(relays).set({ caseId: null, copyNonce: null, copyCiphertext: null, decidedAt: null }).where(eq(relays.caseId, caseId));
      // What deletion left of the case's files: the attachments of those sent relays.
      await tx.update(files).set({ caseId: null }).where(eq(files.caseId, caseId));
      await tx.delete(registrations).where(eq(registrations.caseId, caseId));
      await tx.delete(caseWraps).where(eq(caseWraps.caseId, caseId));
      await tx.delete(reporterEvents).where(eq(reporterEvents.caseId, caseId));
      await tx.delete(mailboxSessions).where(eq(mailboxSessions.caseId, caseId));
      await tx.delete(cases).where(eq(cases.id, caseId));
      await recordAudit(tx, { actor: 'system', action: 'purge', subject: caseId, at: now });
      return true;
    });
  }

  return {
    deleteCase,

    /** Deletes every closed case whose retention has passed and purges what deleted cases left past their year. */
    async sweep(now = new Date()): Promise<SweepResult> {
      const result: SweepResult = { deleted: 0, purged: 0 };
      for (;;) {
        // SQL narrows with a day's margin either way (its month arithmetic follows the session's
        // time zone); the exact due time is the rule the inbox shows, deletionDue.
        const candidates = await db
          .select({ id: cases.id, status: cases.status, closedAt: cases.closedAt, heldAt: cases.heldAt, retentionMonths: channels.retentionMonths })
          .from(cases)
          .innerJoin(channels, eq(cases.channelId, channels.id))
          .where(
            and(
              eq(cases.status, 'closed'),
              isNull(cases.deletedAt),
              isNull(cases.heldAt),
              sql`${cases.closedAt} + make_interval(months => ${channels.retentionMonths}) <= ${new Date(now.getTime() + DAY_MS).toISOString()}::timestamptz`,
            ),
          )
          .orderBy(asc(cases.closedAt), asc(cases.id))
          .limit(BATCH);
        let deletedThisRound = 0;
        for (const c of candidates) {
          const due = deletionDue(c, c.retentionMonths);
          if (c.closedAt && due && due <= now && (await deleteCase(c.id, c.closedAt, now))) deletedThisRound++;
        }
        result.deleted += deletedThisRound;
        // A full batch with nothing due means the rest is not due either (they are in closing order, within a day).
        if (candidates.length < BATCH || deletedThisRound === 0) break;
      }
      // purgeDue(deletedAt) <= now exactly when the deletion's year ended before last year began.
      const purgeBefore = new Date(Date.UTC(now.getUTCFullYear() - 1, 0, 1));
      const expired = await db.select({ id: cases.id }).from(cases).where(lt(cases.deletedAt, purgeBefore));
      for (const { id } of expired) {
        if (await purgeCase(id, now)) result.purged++;
      }
      return result;
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
