import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { settings } from '../db/schema.js';

/** Instance secrets made once at first start and shared by every instance through the database. */
export interface InstanceSecrets {
  /** Seeds the fake pre-login parameters of unknown user names. */
  serverSecret: Uint8Array;
  /** Mixed into every staff verifier. */
  pepper: Uint8Array;
  /** Signs proof-of-work challenges so that issuing one writes nothing. */
  powKey: Uint8Array;
}

async function secret(db: Database, key: string): Promise<Uint8Array> {
  // Several instances may start at once: the first insert wins, everyone reads the winner.
  await db.insert(settings).values({ key, value: randomBytes(32) }).onConflictDoNothing();
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
  if (!row) throw new Error(`setting ${key} vanished`);
  return new Uint8Array(row.value);
}

export async function loadSecrets(db: Database): Promise<InstanceSecrets> {
  return {
    serverSecret: await secret(db, 'server_secret'),
    pepper: await secret(db, 'pepper'),
    powKey: await secret(db, 'pow_key'),
  };
}

/** Sets a one-time flag; true only for the caller that set it first. */
export async function claimFlag(db: Database, key: string): Promise<boolean> {
  const inserted = await db
    .insert(settings)
    .values({ key, value: new Uint8Array([1]) })
    .onConflictDoNothing()
    .returning({ key: settings.key });
  return inserted.length === 1;
}

export async function hasFlag(db: Database, key: string): Promise<boolean> {
  const rows = await db.select({ n: sql<number>`1` }).from(settings).where(eq(settings.key, key));
  return rows.length > 0;
}
