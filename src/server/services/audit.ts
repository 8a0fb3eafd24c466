/**
 * The audit log. Services record an event with recordAudit() inside the transaction of the
 * action it describes, so both commit or neither does, and no request waits for the chain.
 * A sealer (plugins/audit-sealer.ts, and `confidant audit verify`) moves pending events into
 * the append-only, hash-chained auditLog in batches; verify() walks the chain.
 *
 * An event names who acted (a staff account id, 'operator' for the `confidant` command, or
 * 'system'), what was done and to what (a case, relay or account id). Nothing a reporter does
 * enters the chain: it is permanent and precise (services/reporter-events.ts keeps those apart,
 * coarse and for a while only).
 */
import { createHash } from 'node:crypto';
import { asc, desc, gt, inArray, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/connection.js';
import { auditEvents, auditLog } from '../db/schema.js';

export type AuditAction =
  | 'pin'
  // An adviser stored sealed copies of case keys it pinned (one entry per request, no subject).
  | 'key_copies'
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'account_created'
  | 'channel_joined'
  | 'passphrase_changed'
  | 'recovered'
  | 'totp_enabled'
  | 'view'
  | 'message'
  // An adviser attached a file to a case (its upload was made).
  | 'file'
  | 'status'
  | 'registration'
  | 'registrations_read'
  | 'grant'
  | 'relay_created'
  | 'relay_sent'
  | 'relay_message'
  | 'relay_view'
  | 'export'
  // Retention (services/retention.ts), actor 'system': a case deleted, and later its last trace purged.
  | 'deletion'
  | 'purge'
  // A legal hold set or changed, and lifted, by an adviser.
  | 'hold'
  | 'hold_released'
  // A staff member changed where and how they get notifications.
  | 'notifications'
  // The operator's work (services/administration.ts): actor 'operator' from the command line, the
  // operator's account id from the console, 'system' at the first start.
  | 'organisation_created'
  | 'channel_created'
  | 'channel_changed'
  | 'channel_locations'
  | 'invite_created'
  | 'invite_revoked'
  | 'account_disabled'
  | 'account_enabled'
  | 'adviser_removed'
  | 'channel_retention';

export interface AuditEvent {
  /** A staff account id, 'operator' (the `confidant` command) or 'system'. Reporter actions go to reporter events (services/reporter-events.ts). */
  actor: string;
  action: AuditAction;
  /** The object acted on (case, relay, account id); null when there is none. */
  subject?: string | null;
  /** When it happened; now when absent. Kept at millisecond precision. */
  at?: Date;
}

export type AuditVerification =
  | { ok: true; entries: number }
  /** entries: how many entries verified before the broken one. */
  | { ok: false; entries: number; brokenAt: number; reason: string };

/** The prevHash of the first entry. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);

/** Events moved into the chain per transaction. */
export const SEAL_BATCH = 500;

/** Entries read per page by verify(). */
const VERIFY_PAGE = 1000;

/** Serialises sealers of every instance on one database (7426001 serialises migrations). */
const SEAL_LOCK = 7426002;

export const AUDIT_BROKEN_CONTENT = 'hash does not match its content';
export const AUDIT_BROKEN_LINK = 'does not follow the previous entry';

/** Records one event; pass the transaction of the action so both commit together. */
export async function recordAudit(db: Database | Transaction, event: AuditEvent): Promise<void> {
  await db.insert(auditEvents).values({
    at: event.at ?? new Date(),
    actor: event.actor,
    action: event.action,
    subject: event.subject ?? null,
  });
}

/**
 * The hash of one chain entry:
 *
 *   hash = SHA-256( prevHash ‖ UTF-8( JSON.stringify([at, actor, action, subject]) ) )
 *
 * - prevHash: the 32 raw bytes of the previous entry's hash (32 zero bytes for the first);
 * - at: the entry's time as `Date.prototype.toISOString()`, always UTC with milliseconds,
 *   e.g. "2025-03-01T14:05:09.123Z";
 * - actor, action: JSON strings; subject: a JSON string, or JSON null when absent;
 * - the JSON is ECMAScript's JSON.stringify of that four-element array: no whitespace,
 *   strings in double quotes with only `"`, `\` and U+0000–U+001F escaped (as \" \\ \b \f
 *   \n \r \t or lower-case \u00XX) plus lone surrogates as \uDXXX in lower case, every other
 *   character written as itself; e.g. ["2025-03-01T14:05:09.123Z","acc_1","view","case_9"].
 *
 * The JSON array keeps the fields apart unambiguously, so no two entries share an input.
 */
export function auditHash(prevHash: Uint8Array, entry: { at: Date; actor: string; action: string; subject: string | null }): Uint8Array {
  const content = JSON.stringify([entry.at.toISOString(), entry.actor, entry.action, entry.subject]);
  return new Uint8Array(createHash('sha256').update(prevHash).update(content, 'utf8').digest());
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export function createAudit(db: Database) {
  /** One batch: lock, read the head, append up to SEAL_BATCH events in id order, delete them. */
  async function sealBatch(): Promise<number> {
    return db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(SEAL_LOCK))})`);
      // Read after the lock: under READ COMMITTED each statement sees what earlier sealers committed.
      const [head] = await tx.select({ hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
      const events = await tx.select().from(auditEvents).orderBy(asc(auditEvents.id)).limit(SEAL_BATCH);
      if (events.length === 0) return 0;

      let prevHash = head?.hash ?? GENESIS_HASH;
      const entries = events.map((event) => {
        const hash = auditHash(prevHash, event);
        const entry = { at: event.at, actor: event.actor, action: event.action, subject: event.subject, prevHash, hash };
        prevHash = hash;
        return entry;
      });
      // One multi-row INSERT: PostgreSQL assigns seq in the order of the VALUES rows.
      await tx.insert(auditLog).values(entries);
      // By id, not by a range: an event of a transaction that commits late has a lower id
      // than some sealed ones and must stay pending for the next batch.
      await tx.delete(auditEvents).where(
        inArray(
          auditEvents.id,
          events.map((event) => event.id),
        ),
      );
      return events.length;
    });
  }

  return {
    /** Moves every pending event into the chain, in batches; returns how many it sealed. */
    async seal(): Promise<number> {
      let sealed = 0;
      for (;;) {
        const count = await sealBatch();
        sealed += count;
        if (count < SEAL_BATCH) return sealed;
      }
    },

    /** Walks the whole chain in seq order, page by page, and reports the first broken entry. */
    async verify(): Promise<AuditVerification> {
      let entries = 0;
      let expected = GENESIS_HASH;
      let after = 0;
      for (;;) {
        const page = await db.select().from(auditLog).where(gt(auditLog.seq, after)).orderBy(asc(auditLog.seq)).limit(VERIFY_PAGE);
        for (const entry of page) {
          if (!sameBytes(entry.prevHash, expected)) return { ok: false, entries, brokenAt: entry.seq, reason: AUDIT_BROKEN_LINK };
          if (!sameBytes(entry.hash, auditHash(entry.prevHash, entry))) {
            return { ok: false, entries, brokenAt: entry.seq, reason: AUDIT_BROKEN_CONTENT };
          }
          expected = entry.hash;
          after = entry.seq;
          entries++;
        }
        if (page.length < VERIFY_PAGE) return { ok: true, entries };
      }
    },
  };
}

export type Audit = ReturnType<typeof createAudit>;
