/**
 * Notifications without content (docs/protocol.md §6 "Notifications", SECURITY.md): what staff members chose (an address, a
 * language, mail right after an event or only the daily digest), and the note an event leaves
 * for them, written in the transaction of the event itself so that none is lost.
 *
 * A note is a flag per person and channel (advisers) or organisation (recipients): no time, no
 * case, no count. The digest consumes the flags; an opted-in person also gets one pending
 * immediate mail, however many events follow before it goes.
 */
import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database, Transaction } from '../db/connection.js';
import { adviserChannels, channels, mailOutbox, notificationNews, staffAccounts } from '../db/schema.js';
import { invalid } from '../errors.js';
import { recordAudit } from './audit.js';
import { toHour } from './coarse-time.js';
import type { Role } from './roles.js';

export type PlaceKind = 'channel' | 'organisation';
export type MailLang = 'nl' | 'en';

export interface NotificationSettings {
  email: string | null;
  immediate: boolean;
  lang: MailLang;
}

/** Longest address SMTP carries (RFC 5321 path limit). */
export const EMAIL_MAX = 254;
/** One address, no display name, no spaces or line breaks: it goes into a mail header. */
const EMAIL = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;

/**
 * The statements that note activity for `people` (an SQL select of account ids) at one place:
 * as CTE parts, so that a caller with a single-statement hot path (the submission) can include
 * them. Only people with an address and an enabled account are noted; immediate mail only where
 * the place allows it (a channel whose operator turned it off gets the digest only).
 */
export function activityCtes(people: SQL, place: { id: SQL | string; kind: PlaceKind }, now: Date): SQL {
  // The event may be a reporter's: the queued mail keeps its whole hour only (services/coarse-time.ts).
  const hour = toHour(now).toISOString();
  const immediateAllowed = place.kind === 'channel' ? sql`coalesce((select immediate_mail from channels where id = ${place.id}::text), true)` : sql`true`;
  return sql`
    noted_people as (
      select s.id, s.notify_immediate from staff_accounts s
      where s.id in (${people}) and s.notify_email is not null and s.disabled_at is null
    ),
    noted_news as (
      insert into notification_news (account_id, place_id, place_kind)
      select id, ${place.id}::text, ${place.kind}::text from noted_people
      on conflict do nothing
    ),
    noted_mail as (
      insert into mail_outbox (id, account_id, kind, due_at, next_attempt_at)
      select gen_random_uuid()::text, id, 'immediate', ${hour}::timestamptz, ${hour}::timestamptz
      from noted_people where notify_immediate and ${immediateAllowed}
      on conflict do nothing
    )`;
}

/** Notes activity for `people` at one place, inside the caller's transaction. */
export async function noteActivity(tx: Database | Transaction, people: SQL, place: { id: SQL | string; kind: PlaceKind }, now = new Date()): Promise<void> {
  await tx.execute(sql`with ${activityCtes(people, place, now)} select 1`);
}

/** The advisers holding a case's key, and its channel: who hears of a reporter's act, and where. */
export const caseAdvisers = (caseId: string): SQL => sql`select account_id from case_wraps where case_id = ${caseId}::text`;
export const caseChannel = (caseId: string): { id: SQL; kind: PlaceKind } => ({ id: sql`(select channel_id from cases where id = ${caseId}::text)`, kind: 'channel' });

/** The holders of a relay's key in one role: the organisation's recipients, or its advisers. */
export const relayHolders = (relayId: string, role: 'adviser' | 'recipient'): SQL =>
  sql`select w.account_id from relay_wraps w join staff_accounts a on a.id = w.account_id where w.relay_id = ${relayId}::text and a.role = ${role}::text`;

export function createNotificationSettings(db: Database) {
  return {
    async get(accountId: string): Promise<NotificationSettings> {
      const [row] = await db
        .select({ email: staffAccounts.notifyEmail, immediate: staffAccounts.notifyImmediate, lang: staffAccounts.notifyLang })
        .from(staffAccounts)
        .where(eq(staffAccounts.id, accountId));
      return row ?? { email: null, immediate: false, lang: 'nl' };
    },

    /** The names of the adviser's channels that allow the digest only (an operator's choice per channel). */
    async digestOnlyChannels(accountId: string): Promise<string[]> {
      const rows = await db
        .select({ name: channels.name })
        .from(adviserChannels)
        .innerJoin(channels, eq(channels.id, adviserChannels.channelId))
        .where(and(eq(adviserChannels.accountId, accountId), eq(channels.immediateMail, false)))
        .orderBy(asc(channels.name));
      return rows.map((r) => r.name);
    },

    /**
     * Without an address there is nothing to send: immediate mail is off then, whatever was asked.
     * Operators get the digest only: what needs them is configuration, which no event of the day changes.
     */
    async set(account: { accountId: string; role: Role }, input: NotificationSettings, now = new Date()): Promise<NotificationSettings> {
      const { accountId } = account;
      const email = input.email === null ? null : input.email.trim();
      if (email !== null && (email.length > EMAIL_MAX || !EMAIL.test(email))) {
        throw invalid('invalid_email', 'The address must be one e-mail address such as naam@example.nl, at most 254 characters.');
      }
      if (account.role === 'operator' && input.immediate) {
        throw invalid('immediate_not_for_operators', 'Operators get the daily digest only: set immediate to false.');
      }
      const saved: NotificationSettings = { email, immediate: email !== null && input.immediate, lang: input.lang };
      await db.transaction(async (tx) => {
        await tx
          .update(staffAccounts)
          .set({ notifyEmail: saved.email, notifyImmediate: saved.immediate, notifyLang: saved.lang })
          .where(eq(staffAccounts.id, accountId));
        if (saved.email === null) {
          // No address, no mail: nothing waits for one.
          await tx.delete(notificationNews).where(eq(notificationNews.accountId, accountId));
          await tx.delete(mailOutbox).where(and(eq(mailOutbox.accountId, accountId), isNull(mailOutbox.sentAt)));
        } else if (!saved.immediate) {
          await tx.delete(mailOutbox).where(and(eq(mailOutbox.accountId, accountId), eq(mailOutbox.kind, 'immediate'), isNull(mailOutbox.sentAt)));
        }
        await recordAudit(tx, { actor: accountId, action: 'notifications', subject: accountId, at: now });
      });
      return saved;
    },
  };
}

export type NotificationSettingsService = ReturnType<typeof createNotificationSettings>;
