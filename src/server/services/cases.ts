/**
 * The adviser's casework (protocol-v1 §6, §7): the case list with deadlines, the case, messages
 * to the reporter, status changes, the registration record and grants. An adviser reaches only
 * cases that hold a wrap for them; every other case answers as if it did not exist.
 */
import { and, asc, desc, eq, isNotNull, isNull, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { CaseCommitment } from '../../protocol/index.js';
import type { Database } from '../db/connection.js';
import { adviserChannels, caseWraps, cases, channels, files, messages, registrations, relays, type CaseStatus, type RelayState } from '../db/schema.js';
import { invalid, conflict, forbidden, notFound } from '../errors.js';
import { newId } from '../tokens.js';
import { recordAudit } from './audit.js';
import { commitmentOf } from './case-commitments.js';
import { BASE64URL_ALPHABET, deadlines, parseReference, REFERENCE_VALUES } from '../../protocol/index.js';
import { attachmentsByRelay, caseRelayAttachments, type RelayAttachment } from './files.js';
import { deletionDue } from './retention.js';
import { caseFileHeader, reporterCopy, type Sealed } from './sealed.js';

const unknownCase = () => notFound('unknown_case', 'There is no case with this id that you can open.');

type CaseRow = typeof cases.$inferSelect;
/** A case retention has not deleted: its reporter's keys and report are there (the check constraint cases_deleted_shape). */
type LiveCase = CaseRow & { [K in 'reporterWrap' | 'reporterSignPublicKey' | 'reporterBoxPublicKey' | 'reportNonce' | 'reportCiphertext']: Uint8Array };

function liveCase(row: CaseRow): LiveCase | null {
  const { reporterWrap, reporterSignPublicKey, reporterBoxPublicKey, reportNonce, reportCiphertext } = row;
  if (!reporterWrap || !reporterSignPublicKey || !reporterBoxPublicKey || !reportNonce || !reportCiphertext) return null;
  return { ...row, reporterWrap, reporterSignPublicKey, reporterBoxPublicKey, reportNonce, reportCiphertext };
}

function holdOf(row: CaseRow): CaseDetail['hold'] {
  if (!row.heldAt || !row.heldBy || !row.holdNonce || !row.holdCiphertext) return null;
  return { heldAt: row.heldAt, heldBy: row.heldBy, reason: { nonce: row.holdNonce, ciphertext: row.holdCiphertext } };
}

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;

/** The steps a status may take: forward along the chain, or a closed case reopened. */
const TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  received: ['acknowledged'],
  acknowledged: ['in_progress'],
  in_progress: ['closed'],
  closed: ['in_progress'],
};

export interface CaseSummary {
  caseId: string;
  channel: string;
  status: CaseStatus;
  receivedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgeBy: Date;
  feedbackBy: Date;
  feedbackGivenAt: Date | null;
  overdue: boolean;
  /** The registration's earliest open follow-up day (YYYY-MM-DD), or null. */
  followUpOn: string | null;
  /** When retention deletes the closed case; null while open or held. */
  deleteAfter: Date | null;
  held: boolean;
  unread: boolean;
  wrap: Uint8Array;
}

export interface CaseDetail extends Omit<CaseSummary, 'unread'> {
  reporterWrap: Uint8Array;
  reporterSignPublicKey: Uint8Array;
  commitment: CaseCommitment | null;
  /** This adviser's signed pin of the case key, or null before the first open. */
  pin: Uint8Array | null;
  report: Sealed;
  messages: Array<{ id: string; author: 'reporter' | 'adviser'; sentAt: Date; feedback: boolean } & Sealed>;
  relays: Array<{ relayId: string; state: RelayState; createdAt: Date; sentAt: Date | null; copy: Sealed; attachments: RelayAttachment[] }>;
  files: Array<{ fileId: string; header: Sealed; bytes: number; author: 'reporter' | 'adviser' }>;
  registration: (Sealed & { updatedAt: Date }) | null;
  hold: { heldAt: Date; heldBy: string; reason: Sealed } | null;
}

/** An opaque keyset cursor: the last row's receivedAt and id. */
export function encodeCursor(receivedAt: Date, caseId: string): string {
  return Buffer.from(`${receivedAt.toISOString()}|${caseId}`).toString('base64url');
}

export function decodeCursor(cursor: string): { receivedAt: Date; caseId: string } {
  const [time, caseId] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const receivedAt = new Date(time ?? '');
  if (!caseId || Number.isNaN(receivedAt.getTime())) throw invalid('invalid_before', 'The "before" cursor is not one this server gave.');
  return { receivedAt, caseId };
}

const summaryColumns = {
  id: cases.id,
  status: cases.status,
  receivedAt: cases.receivedAt,
  acknowledgedAt: cases.acknowledgedAt,
  feedbackGivenAt: cases.feedbackGivenAt,
  followUpOn: cases.followUpOn,
  reporterSeq: cases.reporterSeq,
  closedAt: cases.closedAt,
  heldAt: cases.heldAt,
};
type CaseTimesRow = { [K in keyof typeof summaryColumns]: (typeof cases.$inferSelect)[K] };

/**
 * Cases whose reference (protocol/case-reference.ts) is `typed`: the same arithmetic in SQL, the
 * id's first eight base64url symbols as a 48-bit number modulo 30^6, so nothing is stored for it.
 */
function hasReference(typed: string): SQL {
  const value = parseReference(typed);
  if (value === null) throw invalid('invalid_reference', 'A reference is six symbols such as K7M-4QX.');
  const digits = Array.from({ length: 8 }, (_, i) => sql`greatest(strpos(${BASE64URL_ALPHABET}, substr(${cases.id}, ${i + 1}, 1)) - 1, 0)::bigint * ${64 ** (7 - i)}::bigint`);
  return sql`(${sql.join(digits, sql` + `)}) % ${REFERENCE_VALUES}::bigint = ${value}::bigint`;
}

export function createCases(db: Database) {
  /**
   * The case with this adviser's wrap, or a 404 that says nothing about other channels' cases. A
   * case retention deleted answers the same: what is left of it serves the annual report only.
   */
  async function caseFor(accountId: string, caseId: string) {
    const [row] = await db
      .select({ case: cases, wrap: caseWraps.wrap, pin: caseWraps.pin, channel: channels.slug, retentionMonths: channels.retentionMonths })
      .from(cases)
      .innerJoin(caseWraps, and(eq(caseWraps.caseId, cases.id), eq(caseWraps.accountId, accountId)))
      .innerJoin(channels, eq(cases.channelId, channels.id))
      .where(and(eq(cases.id, caseId), isNull(cases.deletedAt)));
    const live = row && liveCase(row.case);
    if (!row || !live) throw unknownCase();
    return { ...row, case: live };
  }

  function summary(row: CaseTimesRow, channel: string, retentionMonths: number, wrap: Uint8Array, now: Date) {
    const due = deadlines(row, now);
    return {
      caseId: row.id,
      channel,
      status: row.status,
      receivedAt: row.receivedAt,
      acknowledgedAt: row.acknowledgedAt,
      acknowledgeBy: due.acknowledgeBy,
      feedbackBy: due.feedbackBy,
      feedbackGivenAt: row.feedbackGivenAt,
      overdue: due.overdue,
      followUpOn: row.followUpOn,
      deleteAfter: deletionDue(row, retentionMonths),
      held: row.heldAt !== null,
      wrap,
    };
  }

  /** One page of an account's cases, newest first. Only the summary's columns: the report ciphertext is kilobytes per row and not shown here. */
  const pageQuery = (accountId: string | Placeholder, conditions: SQL[], limit: number | Placeholder) =>
    db
      .select({ case: summaryColumns, channel: channels.slug, retentionMonths: channels.retentionMonths, wrap: caseWraps.wrap, lastReadSeq: caseWraps.lastReadSeq })
      .from(caseWraps)
      .innerJoin(cases, eq(caseWraps.caseId, cases.id))
      .innerJoin(channels, eq(cases.channelId, channels.id))
      .where(and(eq(caseWraps.accountId, accountId), isNull(cases.deletedAt), ...conditions))
      .orderBy(desc(cases.receivedAt), desc(cases.id))
      .limit(limit);
  /** A row comparison, so that the index scan starts at the cursor instead of filtering up to it. */
  const after = (receivedAt: Date | Placeholder, caseId: string | Placeholder) => sql`(${cases.receivedAt}, ${cases.id}) < (${receivedAt}, ${caseId})`;
  /** The inbox as an adviser opens it, and its next pages: prepared once. */
  const firstPage = pageQuery(sql.placeholder('accountId'), [], sql.placeholder('limit')).prepare('case_list_first_page');
  const nextPage = pageQuery(sql.placeholder('accountId'), [after(sql.placeholder('receivedAt'), sql.placeholder('caseId'))], sql.placeholder('limit')).prepare(
    'case_list_next_page',
  );

  return {
    caseFor,

    async list(
      accountId: string,
      filter: { status?: CaseStatus | undefined; channel?: string | undefined; reference?: string | undefined; before?: string | undefined; limit?: number | undefined },
      now = new Date(),
    ): Promise<{ cases: CaseSummary[]; next: string | null }> {
      const limit = Math.min(filter.limit ?? PAGE_DEFAULT, PAGE_MAX);
      const cursor = filter.before ? decodeCursor(filter.before) : undefined;
      let rows;
      if (!filter.status && !filter.channel && !filter.reference) {
        // The inbox and its next pages, unfiltered: the hot path, prepared.
        rows = cursor
          ? await nextPage.execute({ accountId, limit: limit + 1, receivedAt: cursor.receivedAt, caseId: cursor.caseId })
          : await firstPage.execute({ accountId, limit: limit + 1 });
      } else {
        const conditions: SQL[] = [];
        if (filter.status) conditions.push(eq(cases.status, filter.status));
        if (filter.channel) conditions.push(eq(channels.slug, filter.channel));
        if (filter.reference) conditions.push(hasReference(filter.reference));
        if (cursor) conditions.push(after(cursor.receivedAt, cursor.caseId));
        rows = await pageQuery(accountId, conditions, limit + 1);
      }
      const page: CaseSummary[] = rows.slice(0, limit).map((r) => {
        const due = deadlines(r.case, now);
        // Written out rather than spread from summary(): this runs for every row of every inbox page.
        return {
          caseId: r.case.id,
          channel: r.channel,
          status: r.case.status,
          receivedAt: r.case.receivedAt,
          acknowledgedAt: r.case.acknowledgedAt,
          acknowledgeBy: due.acknowledgeBy,
          feedbackBy: due.feedbackBy,
          feedbackGivenAt: r.case.feedbackGivenAt,
          overdue: due.overdue,
          followUpOn: r.case.followUpOn,
          deleteAfter: deletionDue(r.case, r.retentionMonths),
          held: r.case.heldAt !== null,
          // By message seq, not time: reporter times are whole hours, and a counter cannot miss a message.
          unread: r.lastReadSeq === null || r.lastReadSeq < r.case.reporterSeq,
          wrap: r.wrap,
        };
      });
      const last = page[page.length - 1];
      return { cases: page, next: rows.length > limit && last ? encodeCursor(last.receivedAt, last.caseId) : null };
    },

    async detail(accountId: string, caseId: string, now = new Date()): Promise<CaseDetail> {
      const { case: row, wrap, pin, channel, retentionMonths } = await caseFor(accountId, caseId);
      const [messageRows, relayRows, fileRows, attachmentRows, registrationRows] = await Promise.all([
        db
          .select({ id: messages.id, author: messages.author, seq: messages.seq, sentAt: messages.sentAt, nonce: messages.nonce, ciphertext: messages.ciphertext, feedback: messages.feedback })
          .from(messages)
          .where(eq(messages.caseId, caseId))
          .orderBy(asc(messages.seq)),
        db.select().from(relays).where(eq(relays.caseId, caseId)).orderBy(asc(relays.createdAt), asc(relays.id)),
        db.select().from(files).where(and(eq(files.caseId, caseId), isNotNull(files.completedAt), isNotNull(files.headerNonce))).orderBy(asc(files.createdAt), asc(files.id)),
        caseRelayAttachments(db, caseId),
        db.select().from(registrations).where(eq(registrations.caseId, caseId)),
      ]);
      // Read up to the last message shown: one posted meanwhile stays unread. Never moves back.
      const seen = messageRows.at(-1)?.seq ?? 0;
      await db.transaction(async (tx) => {
        await tx
          .update(caseWraps)
          .set({ lastReadSeq: sql`greatest(coalesce(${caseWraps.lastReadSeq}, 0), ${seen}::integer)` })
          .where(and(eq(caseWraps.caseId, caseId), eq(caseWraps.accountId, accountId)));
        await recordAudit(tx, { actor: accountId, action: 'view', subject: caseId, at: now });
      });
      const registration = registrationRows[0];
      const attachments = attachmentsByRelay(attachmentRows);
      return {
        ...summary(row, channel, retentionMonths, wrap, now),
        reporterWrap: row.reporterWrap,
        reporterSignPublicKey: row.reporterSignPublicKey,
        commitment: commitmentOf(row),
        pin,
        report: { nonce: row.reportNonce, ciphertext: row.reportCiphertext },
        messages: messageRows.map(({ seq: _seq, ...m }) => m),
        relays: relayRows.map((r) => ({
          relayId: r.id,
          state: r.state,
          createdAt: r.createdAt,
          sentAt: r.sentAt,
          copy: reporterCopy(r.copyNonce, r.copyCiphertext),
          attachments: attachments(r.id),
        })),
        files: fileRows.map((f) => ({ fileId: f.id, header: caseFileHeader(f.headerNonce, f.headerCiphertext), bytes: f.bytes, author: f.author })),
        registration: registration ? { nonce: registration.nonce, ciphertext: registration.ciphertext, updatedAt: registration.updatedAt } : null,
        hold: holdOf(row),
      };
    },

    /**
     * A message to the reporter. Marked as the feedback, it meets the 3-month deadline: the
     * first such message sets the case's feedbackGivenAt, in the statement that takes its seq.
     */
    async postMessage(accountId: string, caseId: string, envelope: Sealed, options: { feedback?: boolean } = {}, now = new Date()) {
      await caseFor(accountId, caseId);
      const id = newId();
      const feedback = options.feedback === true;
      await db.transaction(async (tx) => {
        // Takes the message's seq atomically (and the case row's lock until commit).
        const [next] = await tx
          .update(cases)
          .set({ messageSeq: sql`${cases.messageSeq} + 1`, ...(feedback ? { feedbackGivenAt: sql`coalesce(${cases.feedbackGivenAt}, ${now.toISOString()}::timestamptz)` } : {}) })
          .where(and(eq(cases.id, caseId), isNull(cases.deletedAt)))
          .returning({ seq: cases.messageSeq });
        if (!next) throw unknownCase();
        await tx.insert(messages).values({ id, caseId, author: 'adviser', accountId, seq: next.seq, nonce: envelope.nonce, ciphertext: envelope.ciphertext, sentAt: now, feedback });
        await recordAudit(tx, { actor: accountId, action: 'message', subject: caseId, at: now });
      });
      return { id, sentAt: now };
    },

    async setStatus(accountId: string, caseId: string, status: CaseStatus, now = new Date()) {
      const { retentionMonths } = await caseFor(accountId, caseId);
      return db.transaction(async (tx) => {
        const [current] = await tx.select().from(cases).where(and(eq(cases.id, caseId), isNull(cases.deletedAt))).for('update');
        if (!current) throw unknownCase();
        if (!TRANSITIONS[current.status].includes(status)) {
          throw conflict('invalid_transition', `A case that is ${current.status.replace('_', ' ')} cannot become ${status.replace('_', ' ')}.`);
        }
        const acknowledgedAt = status === 'acknowledged' ? now : current.acknowledgedAt;
        // Retention counts from the latest closure: reopening stops the clock, closing again restarts it.
        const closedAt = status === 'closed' ? now : null;
        await tx.update(cases).set({ status, acknowledgedAt, closedAt }).where(eq(cases.id, caseId));
        await recordAudit(tx, { actor: accountId, action: 'status', subject: caseId, at: now });
        return { ...current, status, acknowledgedAt, closedAt };
      }).then((row) => ({ status: row.status, acknowledgedAt: row.acknowledgedAt, ...deadlines(row, now), deleteAfter: deletionDue(row, retentionMonths) }));
    },

    /** The record and the follow-up day the inbox shows, together: the day never outlives the record that set it. */
    async putRegistration(accountId: string, caseId: string, envelope: Sealed, followUpOn: string | null, now = new Date()) {
      await caseFor(accountId, caseId);
      await db.transaction(async (tx) => {
        const [live] = await tx.update(cases).set({ followUpOn }).where(and(eq(cases.id, caseId), isNull(cases.deletedAt))).returning({ id: cases.id });
        if (!live) throw unknownCase();
        await tx
          .insert(registrations)
          .values({ caseId, nonce: envelope.nonce, ciphertext: envelope.ciphertext, updatedAt: now, updatedBy: accountId })
          .onConflictDoUpdate({ target: registrations.caseId, set: { nonce: envelope.nonce, ciphertext: envelope.ciphertext, updatedAt: now, updatedBy: accountId } });
        await recordAudit(tx, { actor: accountId, action: 'registration', subject: caseId, at: now });
      });
      return { updatedAt: now };
    },

    /**
     * Puts the case on legal hold, or changes the reason: one statement, so a hold and the
     * retention sweep never both win (the sweep deletes only where no hold is set). The first
     * hold's time stays; the adviser who set the current reason is recorded.
     */
    async putHold(accountId: string, caseId: string, reason: Sealed, now = new Date()): Promise<{ heldAt: Date }> {
      await caseFor(accountId, caseId);
      return db.transaction(async (tx) => {
        const [held] = await tx
          .update(cases)
          .set({ heldAt: sql`coalesce(${cases.heldAt}, ${now.toISOString()}::timestamptz)`, heldBy: accountId, holdNonce: reason.nonce, holdCiphertext: reason.ciphertext })
          .where(and(eq(cases.id, caseId), isNull(cases.deletedAt)))
          .returning({ heldAt: cases.heldAt });
        if (!held?.heldAt) throw unknownCase();
        await recordAudit(tx, { actor: accountId, action: 'hold', subject: caseId, at: now });
        return { heldAt: held.heldAt };
      });
    },

    async releaseHold(accountId: string, caseId: string, now = new Date()): Promise<void> {
      await caseFor(accountId, caseId);
      await db.transaction(async (tx) => {
        const [released] = await tx
          .update(cases)
          .set({ heldAt: null, heldBy: null, holdNonce: null, holdCiphertext: null })
          .where(and(eq(cases.id, caseId), isNull(cases.deletedAt), isNotNull(cases.heldAt)))
          .returning({ id: cases.id });
        if (!released) throw conflict('not_held', 'This case is not on legal hold.');
        await recordAudit(tx, { actor: accountId, action: 'hold_released', subject: caseId, at: now });
      });
    },

    /**
     * Stores this adviser's pin of the case key, once: a pin is never replaced, so a later
     * request (or a server-side swap) cannot move the adviser onto another key.
     */
    async pin(accountId: string, caseId: string, pin: Uint8Array, now = new Date()) {
      await caseFor(accountId, caseId);
      await db.transaction(async (tx) => {
        const pinned = await tx
          .update(caseWraps)
          .set({ pin })
          .where(and(eq(caseWraps.caseId, caseId), eq(caseWraps.accountId, accountId), isNull(caseWraps.pin), sql`exists (select 1 from cases where id = ${caseId}::text and deleted_at is null)`))
          .returning({ caseId: caseWraps.caseId });
        if (pinned.length === 0) throw conflict('pin_exists', 'You pinned the key of this case already.');
        await recordAudit(tx, { actor: accountId, action: 'pin', subject: caseId, at: now });
      });
    },

    /**
     * Gives the case key to another adviser of the case's channel, unless the reporter left
     * that adviser out when submitting.
     */
    async grant(accountId: string, caseId: string, grant: { keyId: string; wrap: Uint8Array }, now = new Date()) {
      const { case: row } = await caseFor(accountId, caseId);
      if (commitmentOf(row)?.excluded.includes(grant.keyId)) {
        throw forbidden('adviser_excluded', 'The reporter chose not to send this case to that adviser.');
      }
      await db.transaction(async (tx) => {
        // The case row shared: a deletion by retention since the check above waits, or is seen.
        const [live] = await tx.select({ id: cases.id }).from(cases).where(and(eq(cases.id, caseId), isNull(cases.deletedAt))).for('share');
        if (!live) throw unknownCase();
        // Checked under a share lock on the membership: an operator removing that adviser from the
        // channel meanwhile waits for this grant, then deletes its wrap with the others.
        const [member] = await tx
          .select({ accountId: adviserChannels.accountId })
          .from(adviserChannels)
          .where(and(eq(adviserChannels.channelId, row.channelId), eq(adviserChannels.accountId, grant.keyId)))
          .for('share');
        if (!member) throw invalid('invalid_key_id', 'A case can be granted only to an adviser of its channel.');
        const inserted = await tx
          .insert(caseWraps)
          .values({ caseId, accountId: grant.keyId, wrap: grant.wrap, grantedBy: accountId, createdAt: now })
          .onConflictDoNothing()
          .returning({ caseId: caseWraps.caseId });
        if (inserted.length === 0) throw conflict('grant_exists', 'This adviser holds the case key already.');
        await recordAudit(tx, { actor: accountId, action: 'grant', subject: caseId, at: now });
      });
    },
  };
}

export type Cases = ReturnType<typeof createCases>;
