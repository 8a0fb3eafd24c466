/**
 * What `/readyz` proves: the database answers, it can write, and the embedded database's disk
 * has room. A read alone stays green on a read-only or full database, and PostgreSQL fails a
 * full disk only once it must extend a file, so a tiny upsert is the write that is tried; for
 * the embedded database, whose disk is ours, free space is checked before it runs out.
 */
import { statfs } from 'node:fs/promises';
import { unavailable } from '../errors.js';
import type { DatabaseHandle } from '../db/connection.js';
import { settings } from '../db/schema.js';

const databaseUnavailable = () => unavailable('database_unavailable', 'The database does not answer or cannot write.');

/** Resolves when ready; throws an 'unavailable' DomainError naming what is wrong otherwise. */
export async function checkReadiness(database: DatabaseHandle, minFreeDiskBytes: number): Promise<void> {
  if (database.dataDir !== undefined && minFreeDiskBytes > 0) {
    const disk = await statfs(database.dataDir);
    if (disk.bavail * disk.bsize < minFreeDiskBytes) {
      throw unavailable('disk_full', 'The disk of the embedded database is (nearly) full.');
    }
  }
  try {
    await database.ping();
    await database.db
      .insert(settings)
      .values({ key: 'readiness_probe', value: new Uint8Array([1]) })
      .onConflictDoUpdate({ target: settings.key, set: { value: new Uint8Array([1]) } });
  } catch {
    throw databaseUnavailable();
  }
}
