/**
 * The registrations of a period for the annual report: every case received in [from, to) that
 * holds a wrap for the adviser, oldest first, a page at a time, with its encrypted registration
 * (or none yet). What the server sends is what the case list and case page already show; the
 * counting happens in the adviser's browser.
 */
import { and, asc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { caseWraps, cases, channels, registrations, type CaseStatus } from '../db/schema.js';
import { invalid } from '../errors.js';
import { recordAudit } from './audit.js';
import { decodeCursor, encodeCursor } from './cases.js';
import type { Sealed } from './sealed.js';

/** Ten years: a report over several years is possible, an unbounded scan is not needed. */
const LONGEST_PERIOD_MS = 10 * 366 * 24 * 3600 * 1000;

export interface PeriodRegistration {
  caseId: string;
  channel: string;
  status: CaseStatus;
  receivedAt: Date;
  acknowledgedAt: Date | null;
  feedbackGivenAt: Date | null;
  wrap: Uint8Array;
  pin: Uint8Array | null;
  keyCopy: Sealed | null;
  registration: (Sealed & { updatedAt: Date }) | null;
}

export interface PeriodQuery {
  from: Date;
  to: Date;
  channel?: string | undefined;
  after?: string | undefined;
  limit: number;
}

export function createPeriodRegistrations(db: Database) {
  return {
    async page(accountId: string, query: PeriodQuery, now = new Date()): Promise<{ registrations: PeriodRegistration[]; next: string | null }> {
      const { from, to, limit } = query;
      if (!(from < to)) throw invalid('invalid_period', '"from" must be before "to".');
      if (to.getTime() - from.getTime() > LONGEST_PERIOD_MS) throw invalid('invalid_period', 'A period is at most ten years.');
      const conditions: SQL[] = [eq(caseWraps.accountId, accountId), gte(cases.receivedAt, from), lt(cases.receivedAt, to)];
      if (query.channel) conditions.push(eq(channels.slug, query.channel));
      if (query.after) {
        const cursor = decodeCursor(query.after);
        conditions.push(sql`(${cases.receivedAt}, ${cases.id}) > (${cursor.receivedAt}, ${cursor.caseId})`);
      }
      const rows = await db
        .select({
          caseId: cases.id,
          channel: channels.slug,
          status: cases.status,
          receivedAt: cases.receivedAt,
          acknowledgedAt: cases.acknowledgedAt,
          feedbackGivenAt: cases.feedbackGivenAt,
          wrap: caseWraps.wrap,
          pin: caseWraps.pin,
          keyCopyNonce: caseWraps.keyCopyNonce,
          keyCopyCiphertext: caseWraps.keyCopyCiphertext,
          nonce: registrations.nonce,
          ciphertext: registrations.ciphertext,
          updatedAt: registrations.updatedAt,
        })
        .from(caseWraps)
        .innerJoin(cases, eq(caseWraps.caseId, cases.id))
        .innerJoin(channels, eq(cases.channelId, channels.id))
        .leftJoin(registrations, eq(registrations.caseId, cases.id))
        .where(and(...conditions))
        .orderBy(asc(cases.receivedAt), asc(cases.id))
        .limit(limit + 1);
      // One audit entry per reading of a period, not one per page.
      if (!query.after) await recordAudit(db, { actor: accountId, action: 'registrations_read', subject: query.channel ?? null, at: now });
      const page = rows.slice(0, limit).map(({ nonce, ciphertext, updatedAt, keyCopyNonce, keyCopyCiphertext, ...row }) => ({
        ...row,
        keyCopy: keyCopyNonce && keyCopyCiphertext ? { nonce: keyCopyNonce, ciphertext: keyCopyCiphertext } : null,
        registration: nonce && ciphertext && updatedAt ? { nonce, ciphertext, updatedAt } : null,
      }));
      const last = page.at(-1);
      return { registrations: page, next: rows.length > limit && last ? encodeCursor(last.receivedAt, last.caseId) : null };
    },

    /**
     * Stores this adviser's sealed copies of case keys, each once and only after the adviser's
     * pin (a copy is made of a key the client trusts, never replaced), in one statement; answers
     * how many were stored. Copies of cases not held, not pinned, deleted or copied already are
     * skipped: a client backfilling a period may send some twice.
     */
    async storeKeyCopies(accountId: string, copies: ReadonlyArray<{ caseId: string } & Sealed>, now = new Date()): Promise<number> {
      const values = sql.join(
        copies.map((c) => sql`(${c.caseId}::text, ${c.nonce}::bytea, ${c.ciphertext}::bytea)`),
        sql`, `,
      );
      return db.transaction(async (tx) => {
        // Both drivers answer a raw statement with { rows } (node-postgres' QueryResult, PGlite's Results).
        const stored = (await tx.execute(sql`
          update case_wraps w
             set key_copy_nonce = v.nonce, key_copy_ciphertext = v.ciphertext
            from (values ${values}) as v(case_id, nonce, ciphertext)
           where w.case_id = v.case_id and w.account_id = ${accountId}
             and w.pin is not null and w.key_copy_ciphertext is null
             and exists (select 1 from cases c where c.id = w.case_id and c.deleted_at is null)
          returning w.case_id`)) as unknown as { rows: unknown[] };
        const count = stored.rows.length;
        if (count > 0) await recordAudit(tx, { actor: accountId, action: 'key_copies', subject: null, at: now });
        return count;
      });
    },
  };
}
