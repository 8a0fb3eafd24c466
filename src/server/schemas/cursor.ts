/**
 * The keyset cursors of the case and relay lists (`before`) and of the registrations (`after`): base64url of `<ISO time>|<id>`, as
 * the services make them. Read strictly before any query: a time PostgreSQL cannot store or a
 * NUL in the id would otherwise fail the query with a 500 instead of telling the client.
 */
import { invalid } from '../errors.js';

/** The exact form Date#toISOString gives, with a 16-byte base64url id. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|[A-Za-z0-9_-]{22}$/;

/** Throws 400 invalid_<field> unless the cursor is absent or one this server could have made. */
export function checkBefore(cursor: string | undefined, field: 'before' | 'after' = 'before'): void {
  if (cursor === undefined) return;
  const time = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1];
  const at = time === undefined ? Number.NaN : Date.parse(time);
  // The round trip refuses impossible days (February 30th); rows are never older than 1970.
  if (Number.isNaN(at) || at < 0 || new Date(at).toISOString() !== time) {
    throw invalid(`invalid_${field}`, `The "${field}" cursor is not one this server gave.`);
  }
}
