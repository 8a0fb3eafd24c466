/** The stored case commitment and the case's readers, as both the mailbox and the adviser see them. */
import { asc, eq, sql, type Placeholder } from 'drizzle-orm';
import { toBase64url, type CaseCommitment, type CaseReader } from '../../protocol/index.js';
import type { Database } from '../db/connection.js';
import { caseWraps, staffAccounts, type cases } from '../db/schema.js';

type CommitmentColumns = Pick<typeof cases.$inferSelect, 'commitmentKey' | 'commitmentSignature' | 'commitmentChosen' | 'commitmentExcluded'>;

const ids = (joined: string | null) => (joined ? joined.split(',') : []);

/** Null for a case a v1 client sent without a commitment. */
export function commitmentOf(row: CommitmentColumns): CaseCommitment | null {
  if (row.commitmentKey === null || row.commitmentSignature === null) return null;
  return {
    key: toBase64url(row.commitmentKey),
    signature: toBase64url(row.commitmentSignature),
    chosen: ids(row.commitmentChosen),
    excluded: ids(row.commitmentExcluded),
  };
}

const readerColumns = { keyId: caseWraps.accountId, name: staffAccounts.displayName, grantedBy: caseWraps.grantedBy, createdAt: caseWraps.createdAt };

const readersQuery = (db: Database, caseId: string | Placeholder) =>
  db
    .select(readerColumns)
    .from(caseWraps)
    .innerJoin(staffAccounts, eq(staffAccounts.id, caseWraps.accountId))
    .where(eq(caseWraps.caseId, caseId))
    .orderBy(asc(caseWraps.createdAt), asc(caseWraps.accountId));

export const toReaders = (rows: Array<{ keyId: string; name: string; grantedBy: string | null }>): CaseReader[] =>
  rows.map((r) => ({ keyId: r.keyId, name: r.name, granted: r.grantedBy !== null }));

/** Every adviser holding a wrap of the case key, in the order they got it. */
export async function caseReaders(db: Database, caseId: string): Promise<CaseReader[]> {
  return toReaders(await readersQuery(db, caseId));
}

/** The same query prepared once under `name`, for a hot path: `execute({ caseId })`, then toReaders. */
export const preparedCaseReaders = (db: Database, name: string) => readersQuery(db, sql.placeholder('caseId')).prepare(name);

