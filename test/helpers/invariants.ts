/**
 * What must hold in the database whatever requests came before: nothing half-written. Each
 * check is SQL counting the rows that break it. Foreign keys already refuse some orphans; they
 * are counted anyway, so a migration that loses a constraint is noticed here.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/server/db/connection.js';

const CHECKS: Record<string, string> = {
  'a case without a wrap': `select count(*) from cases c where not exists (select 1 from case_wraps w where w.case_id = c.id)`,
  'a case without its report': `select count(*) from cases where octet_length(report_ciphertext) = 0 or octet_length(report_nonce) <> 24`,
  'a case without reporter keys': `select count(*) from cases where octet_length(reporter_sign_public_key) <> 32 or octet_length(reporter_box_public_key) <> 32 or octet_length(reporter_wrap) <> 80`,
  'a case commitment half there': `select count(*) from cases where num_nulls(commitment_key, commitment_signature, commitment_chosen, commitment_excluded) not in (0, 4)`,
  'a case wrap of no case': `select count(*) from case_wraps w where not exists (select 1 from cases c where c.id = w.case_id)`,
  'a case wrap of no account': `select count(*) from case_wraps w where not exists (select 1 from staff_accounts a where a.id = w.account_id)`,
  'a case wrap that is not a sealed key': `select count(*) from case_wraps where octet_length(wrap) <> 80`,
  'a message of no case': `select count(*) from messages m where not exists (select 1 from cases c where c.id = m.case_id)`,
  'a message whose author does not fit its account': `select count(*) from messages where (author = 'adviser') <> (account_id is not null)`,
  'a message without ciphertext': `select count(*) from messages where octet_length(ciphertext) = 0 or octet_length(nonce) <> 24`,
  'a registration of no case': `select count(*) from registrations r where not exists (select 1 from cases c where c.id = r.case_id)`,
  'a relay of no case': `select count(*) from relays r where not exists (select 1 from cases c where c.id = r.case_id)`,
  'a relay without wraps': `select count(*) from relays r where not exists (select 1 from relay_wraps w where w.relay_id = r.id)`,
  'a relay without a wrap for its writer': `select count(*) from relays r where not exists (select 1 from relay_wraps w where w.relay_id = r.id and w.account_id = r.created_by)`,
  'a relay sent without a time, or a time without being sent': `select count(*) from relays where (state = 'sent') <> (sent_at is not null)`,
  'a relay wrap of no relay': `select count(*) from relay_wraps w where not exists (select 1 from relays r where r.id = w.relay_id)`,
  'a relay message of no relay': `select count(*) from relay_messages m where not exists (select 1 from relays r where r.id = m.relay_id)`,
  // A sent relay's attachment outlives its case (retention's purge), and only that.
  'a file of no case': `select count(*) from files f where f.case_id is not null and not exists (select 1 from cases c where c.id = f.case_id)`,
  'a file without a case, other than a sent relay\'s attachment': `select count(*) from files f where f.case_id is null and not exists (select 1 from relays r where r.id = f.relay_id and r.state = 'sent')`,
  'a relay attachment of another case than its relay': `select count(*) from files f join relays r on r.id = f.relay_id where f.case_id is not null and r.case_id is distinct from f.case_id`,
  'a file of an adviser without its adviser, or of the reporter with one': `select count(*) from files where (author = 'adviser') <> (account_id is not null)`,
  'a file of no possible encrypted length': `select count(*) from files where bytes < 41`,
  'a mailbox session of no case': `select count(*) from mailbox_sessions s where not exists (select 1 from cases c where c.id = s.case_id)`,
  'a staff account without keys': `select count(*) from staff_accounts where octet_length(box_public_key) <> 32 or octet_length(sign_public_key) <> 32 or octet_length(verifier) = 0 or octet_length(key_bundle) = 0 or octet_length(recovery_bundle) = 0 or octet_length(kdf_salt) <> 16`,
  'a recipient without an organisation': `select count(*) from staff_accounts where role = 'recipient' and organisation_id is null`,
};

type Rows = { rows: Array<Record<string, unknown>> };
const rowsOf = (result: unknown) => (result as Rows).rows;

/** The names of the invariants that do not hold, with how many rows break each. */
export async function brokenInvariants(db: Database): Promise<string[]> {
  const query = Object.entries(CHECKS)
    .map(([name, check]) => `select ${quote(name)} as name, (${check}) as broken`)
    .join(' union all ');
  const rows = rowsOf(await db.execute(sql.raw(query)));
  return rows.filter((row) => Number(row.broken) > 0).map((row) => `${String(row.name)}: ${String(row.broken)}`);
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Rows per table, to compare around requests that were refused. Mailbox challenges are left
 * out: a failed login spends its challenge, as designed. Audit events move to the audit log
 * as they are sealed, so the two count together, and a failed login's event is left out:
 * refusing a login records it, as designed.
 */
export async function rowCounts(db: Database): Promise<Record<string, number>> {
  const tables = rowsOf(
    await db.execute(
      sql.raw(`select tablename from pg_tables where schemaname = 'public' and tablename not in ('mailbox_challenges', 'audit_events', 'audit_log') order by tablename`),
    ),
  ).map((row) => String(row.tablename));
  const audit = `(select count(*) from audit_events where action <> 'login_failed') + (select count(*) from audit_log where action <> 'login_failed')`;
  const query = [...tables.map((table) => `select ${quote(table)} as name, count(*) as n from ${table}`), `select 'audit' as name, ${audit} as n`].join(' union all ');
  return Object.fromEntries(rowsOf(await db.execute(sql.raw(query))).map((row) => [String(row.name), Number(row.n)]));
}
