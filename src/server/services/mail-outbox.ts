/**
 * The mail outbox: the daily digest for every person with an address, made once a day at the
 * configured time; the immediate mails events queue (services/notifications.ts); and their
 * delivery after the commit, retried every hour until the mail server accepts them (for three
 * days). The row's times are whole hours, except a digest's fixed time.
 *
 * A sender claims a row for a while before sending, so two senders (or two instances) never send
 * one row at the same time; the row is marked sent right after the server accepts it. Only a crash
 * between those two steps can send a mail twice, and its Message-ID is the row's, so mail clients
 * show one. The body is written once, at the first attempt (consuming the news flags), and every
 * retry sends those bytes.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { deadlines } from '../../protocol/deadlines.js';
import type { Database, Transaction } from '../db/connection.js';
import { adviserChannels, caseWraps, cases, channels, mailOutbox, notificationNews, organisations, staffAccounts } from '../db/schema.js';
import { toHour } from './coarse-time.js';
import { digestText, immediateText, operatorDigestText, type DigestPlace, type MailText } from '../mail/texts.js';
import { operatorAttention } from './operator-attention.js';
import type { Role } from './roles.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/**
 * A sender holds a claimed row until the hour after next: far longer than an SMTP exchange, and a
 * whole hour, since a row left claimed by a crash keeps it (the claim of an immediate mail is close
 * to a reporter's act).
 */
const claimEnd = (now: Date): Date => new Date(toHour(now).getTime() + 120 * MINUTE);
/** Rows sent per round. */
const BATCH = 50;
/** A mail not accepted within this after it was due is given up (the next digest follows anyway). */
const GIVE_UP_MS = 3 * DAY;
/** Sent rows are kept this long: the digest's unique row per person and day must outlive the day. */
const KEEP_SENT_MS = 3 * DAY;
/** "Due soon": a deadline or follow-up within this. */
const DUE_SOON_MS = 2 * DAY;

export interface OutgoingMail {
  /** The outbox row's id: also the Message-ID, so that a mail sent twice after a crash shows once. */
  id: string;
  to: string;
  subject: string;
  text: string;
  /** The digest's fixed time, or the immediate mail's queueing time, never the moment of sending. */
  date: Date;
}

/** Hands a mail to the mail server; throws when it is not accepted. */
export type SendMail = (mail: OutgoingMail) => Promise<void>;

export interface DeliveryResult {
  sent: number;
  failed: number;
  dropped: number;
}

/**
 * A mail the server did not accept is tried again at the next whole hour: a finer time, kept in
 * the row, would be close to the reporter's act that queued an immediate mail.
 */
export const nextAttemptAfterFailure = (now: Date): Date => new Date(toHour(now).getTime() + 60 * MINUTE);

/** The day's digest time at or before `now`, in UTC. */
export function digestDueAt(now: Date, digestMinuteUtc: number): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + digestMinuteUtc * MINUTE;
  return new Date(today <= now.getTime() ? today : today - DAY);
}

export function createMailOutbox(db: Database, options: { publicUrl: string; digestMinuteUtc: number }) {
  /** The places of an adviser's or recipient's digest, in name order, with their news and (advisers) what falls due. */
  async function digestPlaces(q: Database | Transaction, account: { id: string; role: Role; organisationId: string | null }, news: Set<string>, now: Date): Promise<DigestPlace[]> {
    if (account.role === 'recipient') {
      if (!account.organisationId) return [];
      const [org] = await q.select({ id: organisations.id, name: organisations.name }).from(organisations).where(eq(organisations.id, account.organisationId));
      return org ? [{ name: org.name, news: news.has(org.id) }] : [];
    }
    const served = await q
      .select({ id: channels.id, name: channels.name, organisationId: channels.organisationId })
      .from(adviserChannels)
      .innerJoin(channels, eq(adviserChannels.channelId, channels.id))
      .where(eq(adviserChannels.accountId, account.id))
      .orderBy(asc(channels.name), asc(channels.id));
    const open = await q
      .select({
        channelId: cases.channelId,
        status: cases.status,
        receivedAt: cases.receivedAt,
        acknowledgedAt: cases.acknowledgedAt,
        feedbackGivenAt: cases.feedbackGivenAt,
        followUpOn: cases.followUpOn,
      })
      .from(caseWraps)
      .innerJoin(cases, eq(caseWraps.caseId, cases.id))
      .where(and(eq(caseWraps.accountId, account.id), isNull(cases.deletedAt), or(sql`${cases.status} <> 'closed'`, isNotNull(cases.followUpOn))));
    const horizon = now.getTime() + DUE_SOON_MS;
    const dueSoon = new Set<string>();
    for (const c of open) {
      const due = deadlines(c, now);
      const legal = c.status !== 'closed' && ((c.acknowledgedAt === null && due.acknowledgeBy.getTime() <= horizon) || (c.feedbackGivenAt === null && due.feedbackBy.getTime() <= horizon));
      const followUp = c.followUpOn !== null && Date.parse(`${c.followUpOn}T00:00:00Z`) <= horizon;
      if (legal || followUp) dueSoon.add(c.channelId);
    }
    // News about an organisation (a reply on an annual report) shows at each of its channels.
    return served.map((c) => ({ name: c.name, news: news.has(c.id) || news.has(c.organisationId), dueSoon: dueSoon.has(c.id) }));
  }

  /** Writes the row's text once, consuming the person's news flags in the same transaction. */
  async function textOf(row: typeof mailOutbox.$inferSelect, account: typeof staffAccounts.$inferSelect, now: Date): Promise<MailText> {
    if (row.subject !== null && row.body !== null) return { subject: row.subject, body: row.body };
    return db.transaction(async (tx) => {
      let text: MailText;
      if (row.kind === 'digest') {
        const consumed = await tx.delete(notificationNews).where(eq(notificationNews.accountId, account.id)).returning({ placeId: notificationNews.placeId });
        // Inside the transaction: the embedded database has one connection, which it holds.
        text =
          account.role === 'operator'
            ? operatorDigestText(account.notifyLang, await operatorAttention(tx, now), options.publicUrl, options.digestMinuteUtc)
            : digestText(account.notifyLang, await digestPlaces(tx, account, new Set(consumed.map((n) => n.placeId)), now), options.publicUrl, options.digestMinuteUtc);
      } else {
        text = immediateText(account.notifyLang, options.publicUrl);
      }
      const [written] = await tx
        .update(mailOutbox)
        .set({ subject: text.subject, body: text.body })
        .where(and(eq(mailOutbox.id, row.id), isNull(mailOutbox.body)))
        .returning({ subject: mailOutbox.subject, body: mailOutbox.body });
      // Another sender wrote it first (this one's claim had run out): send that text, not a second one.
      if (!written) {
        const [kept] = await tx.select({ subject: mailOutbox.subject, body: mailOutbox.body }).from(mailOutbox).where(eq(mailOutbox.id, row.id));
        return { subject: kept?.subject ?? text.subject, body: kept?.body ?? text.body };
      }
      return text;
    });
  }

  return {
    /** Makes today's digest row for every person with an address once its time has come; a second call makes none. */
    async scheduleDigests(now = new Date()): Promise<number> {
      const due = digestDueAt(now, options.digestMinuteUtc);
      const made = await db.execute(sql`
        insert into mail_outbox (id, account_id, kind, due_at, next_attempt_at)
        select gen_random_uuid()::text, id, 'digest', ${due.toISOString()}::timestamptz, ${due.toISOString()}::timestamptz
        from staff_accounts where notify_email is not null and disabled_at is null
        on conflict do nothing
        returning id`);
      return (made as unknown as { rows: unknown[] }).rows.length;
    },

    /** Sends what is due; a row another sender holds is left alone. */
    async deliver(send: SendMail, now = new Date()): Promise<DeliveryResult> {
      const result: DeliveryResult = { sent: 0, failed: 0, dropped: 0 };
      const until = claimEnd(now);
      const free = or(isNull(mailOutbox.claimedUntil), lt(mailOutbox.claimedUntil, now));
      // The batch is chosen once (a materialised CTE: a plain subquery may run again per row and
      // take more than a batch), locked, and claimed in one statement: of two senders, one takes each row.
      const claimable = db.$with('claimable').as(
        db
          .select({ id: mailOutbox.id })
          .from(mailOutbox)
          .where(and(isNull(mailOutbox.sentAt), lte(mailOutbox.nextAttemptAt, now), free))
          .orderBy(asc(mailOutbox.nextAttemptAt))
          .limit(BATCH)
          .for('update', { skipLocked: true }),
      );
      const claimed = await db
        .with(claimable)
        .update(mailOutbox)
        .set({ claimedUntil: until, attempts: sql`${mailOutbox.attempts} + 1` })
        .where(and(inArray(mailOutbox.id, db.select({ id: claimable.id }).from(claimable)), isNull(mailOutbox.sentAt), free))
        .returning();
      for (const row of claimed) {
        const [account] = await db.select().from(staffAccounts).where(eq(staffAccounts.id, row.accountId));
        if (!account?.notifyEmail || account.disabledAt !== null || now.getTime() - row.dueAt.getTime() > GIVE_UP_MS) {
          await db.delete(mailOutbox).where(eq(mailOutbox.id, row.id));
          result.dropped++;
          continue;
        }
        try {
          const text = await textOf(row, account, now);
          await send({ id: row.id, to: account.notifyEmail, subject: text.subject, text: text.body, date: row.dueAt });
          // A whole hour: an immediate mail's sending time is close to a reporter's act.
          await db.update(mailOutbox).set({ sentAt: toHour(now), claimedUntil: null }).where(eq(mailOutbox.id, row.id));
          result.sent++;
        } catch {
          await db
            .update(mailOutbox)
            .set({ claimedUntil: null, nextAttemptAt: nextAttemptAfterFailure(now) })
            .where(eq(mailOutbox.id, row.id));
          result.failed++;
        }
      }
      return result;
    },

    /** Forgets sent rows after a few days. */
    async sweep(now = new Date()): Promise<void> {
      await db.delete(mailOutbox).where(and(isNotNull(mailOutbox.sentAt), lt(mailOutbox.sentAt, new Date(now.getTime() - KEEP_SENT_MS))));
    },
  };
}

export type MailOutbox = ReturnType<typeof createMailOutbox>;
