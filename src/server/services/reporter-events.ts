/**
 * What reporters did (submitted, wrote, decided on a relay, changed the code), kept apart from
 * the permanent, precise audit chain: by whole hour and case only, and forgotten after
 * REPORTER_EVENTS_DAYS, so that no lasting trail of a reporter's activity builds up.
 */
import { lt } from 'drizzle-orm';
import type { Database, Transaction } from '../db/connection.js';
import { reporterEvents } from '../db/schema.js';
import { HOUR_MS, toHour } from './coarse-time.js';

export type ReporterAction = (typeof reporterEvents.$inferInsert)['action'];

export const REPORTER_EVENTS_DAYS = 90;

/** Records one event; pass the transaction of the action so both commit together. */
export async function recordReporterEvent(db: Database | Transaction, event: { action: ReporterAction; caseId: string; at: Date }): Promise<void> {
  await db.insert(reporterEvents).values({ hour: toHour(event.at), action: event.action, caseId: event.caseId });
}

export function createReporterEvents(db: Database) {
  return {
    /** Forgets events older than REPORTER_EVENTS_DAYS. */
    async sweep(now = new Date()): Promise<void> {
      await db.delete(reporterEvents).where(lt(reporterEvents.hour, new Date(now.getTime() - REPORTER_EVENTS_DAYS * 24 * HOUR_MS)));
    },
  };
}

export type ReporterEvents = ReturnType<typeof createReporterEvents>;
