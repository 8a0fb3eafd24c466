import { sql } from 'drizzle-orm';
import type { Database } from '../../src/server/db/connection.js';

export interface AuditEntry {
  actor: string;
  action: string;
  subject: string | null;
}

/**
 * Every audit entry, pending and sealed, read in one statement: the background sealer moves
 * entries from audit_events into audit_log at any moment, and two reads could see one twice or
 * not at all.
 */
export async function auditEntries(db: Database): Promise<AuditEntry[]> {
  const result = await db.execute(sql`select actor, action, subject from audit_events union all select actor, action, subject from audit_log`);
  return (result as unknown as { rows: AuditEntry[] }).rows;
}
