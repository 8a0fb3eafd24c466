import { fileURLToPath } from 'node:url';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { durablePglite } from './durable-pglite.js';
import { byteaCodec } from './pglite-bytea.js';
import * as schema from './schema.js';

/** One drizzle type for both drivers: they share the PostgreSQL dialect. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** What a service receives inside db.transaction(). */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** The folder of an embedded database on disk; undefined for PostgreSQL and in-memory PGlite. */
  dataDir: string | undefined;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Applies the committed migrations; safe to run at every start and on several instances. */
  migrate(): Promise<void>;
  /**
   * The embedded database only: a consistent copy of the whole database as a gzipped tar
   * (PGlite's dump, taken between queries, so while the service runs). PostgreSQL has pg_dump.
   */
  dump?: () => Promise<Uint8Array>;
  close(): Promise<void>;
}

/** `src/server/db` and `dist/server/db` both sit three folders below the package root. */
const migrationsFolder = fileURLToPath(new URL('../../../migrations', import.meta.url));

export interface DatabaseOptions {
  /** A postgres:// URL; absent means the embedded PGlite database. */
  url?: string | undefined;
  /** Folder of the embedded database; absent means in memory (tests). */
  dataDir?: string | undefined;
  poolSize?: number;
  /** Embedded database only: false runs PGlite as it comes (fsync off), for the benchmark's comparison alone. */
  durable?: boolean;
}

/** Closing twice (a test and its teardown, a signal during shutdown) must not fail. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  return openPglite(options.dataDir, options.durable ?? true);
}

function openPostgres(url: string, max: number): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client that loses its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Nor may a checked-out one (inside a transaction, between two statements, when PostgreSQL is
  // stopped): the pool listens only to idle clients, and an 'error' event nobody hears ends the
  // process. The failure reaches the caller through its next query, and the pool drops the
  // broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = drizzlePg(pool, { schema }) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    dataDir: undefined,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    migrate: async () => {
      // Serialise concurrent starts of several instances on one database.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock(7426001)');
        await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
      } finally {
        await client.query('select pg_advisory_unlock(7426001)').catch(() => {});
        client.release();
      }
    },
    close: once(() => pool.end()),
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite serves one process: a second one writing the same folder would silently lose data.
 * A lock file with the owner's pid refuses the second process; a stale one is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dataDir, 'confidant.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${owner}; stop that process first (PGlite serves one process at a time), or use PostgreSQL`,
        );
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new Error(`could not lock the embedded database in ${dataDir}`);
}

/**
 * Makes an embedded database in `dataDir` from a dump (DatabaseHandle.dump): the folder must be
 * empty or absent, so that a restore can never overwrite a database. The restored folder is
 * then opened as usual.
 */
export async function restoreEmbedded(dataDir: string, dump: Uint8Array): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const present = (await readdir(dataDir)).filter((name) => name !== 'confidant.lock');
  if (present.length > 0) throw new Error(`${dataDir} is not empty: restore into a new, empty folder`);
  const unlock = await lockDataDir(dataDir);
  try {
    const client = durablePglite(dataDir, new Blob([new Uint8Array(dump)])).client;
    await client.waitReady;
    await client.close();
  } finally {
    await unlock();
  }
}

async function openPglite(dataDir: string | undefined, durable: boolean): Promise<DatabaseHandle> {
  let unlock = async () => {};
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    unlock = await lockDataDir(dataDir);
  }
  // In memory (tests) there is no disk to sync to.
  const client = !dataDir ? new PGlite(byteaCodec) : durable ? durablePglite(dataDir).client : new PGlite(dataDir, byteaCodec);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    dataDir,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    migrate: async () => {
      await migratePglite(drizzlePglite(client, { schema }), { migrationsFolder });
    },
    dump: async () => new Uint8Array(await (await client.dumpDataDir('gzip')).arrayBuffer()),
    close: once(async () => {
      await client.close();
      await unlock();
    }),
  };
}
