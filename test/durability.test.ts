/**
 * The embedded database is durable: PostgreSQL inside PGlite runs with fsync on, and every
 * commit reaches fsync(2) on the real file, so an acknowledged write survives a power cut and
 * not only a killed process (which the page cache alone would survive).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { openDatabase } from '../src/server/db/connection.js';
import { durablePglite } from '../src/server/db/durable-pglite.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'confidant-durable-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the embedded database on disk runs with fsync on', async (t) => {
  const database = await openDatabase({ dataDir: await tempDir(t) });
  t.teardown(() => database.close());
  const show = async (name: string) => ((await database.db.execute(sql.raw(`show ${name}`))) as unknown as { rows: Array<Record<string, string>> }).rows[0]![name];
  t.equal(await show('fsync'), 'on');
  t.equal(await show('synchronous_commit'), 'on');
  t.equal(await show('wal_sync_method'), 'fsync');
});

t.test('every commit reaches fsync(2); a read-only query does not', async (t) => {
  const { client, fs } = durablePglite(await tempDir(t));
  t.teardown(() => client.close());
  await client.waitReady;
  await client.exec('create table kept (n int)');
  for (let i = 1; i <= 5; i++) {
    const before = fs.syncs;
    await client.query('insert into kept values ($1)', [i]);
    t.ok(fs.syncs > before, `commit ${i} was synced to disk`);
  }
  const before = fs.syncs;
  await client.query('select count(*) from kept');
  t.equal(fs.syncs, before, 'reading syncs nothing');
});

t.test('data written and closed is there when the folder is opened again', async (t) => {
  const dir = await tempDir(t);
  const first = await openDatabase({ dataDir: dir });
  await first.migrate();
  await first.db.execute(sql`insert into settings (key, value) values ('durability-test', '\\x01'::bytea)`);
  await first.close();
  const second = await openDatabase({ dataDir: dir });
  t.teardown(() => second.close());
  const rows = ((await second.db.execute(sql`select key from settings where key = 'durability-test'`)) as unknown as { rows: unknown[] }).rows;
  t.equal(rows.length, 1);
});
