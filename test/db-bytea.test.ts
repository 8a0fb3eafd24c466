// Raw bytes through the database: PGlite's bytea goes through our own codec (src/server/db/pglite-bytea.ts),
// node-postgres through its own; both must give back exactly the bytes stored, as plain Uint8Arrays.
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../src/server/db/connection.js';
import { parseBytea, serializeBytea } from '../src/server/db/pglite-bytea.js';
import { settings } from '../src/server/db/schema.js';
import { databaseKind, openTestDatabase } from './helper.js';

t.test('the codec: hex both ways, a fresh Uint8Array out, anything else refused', async (t) => {
  t.equal(serializeBytea(new Uint8Array([0, 1, 0xab, 0xff])), '\\x0001abff');
  t.equal(serializeBytea(new Uint8Array()), '\\x');
  const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
  t.equal(serializeBytea(view), '\\x0807', 'a view: only its own bytes');
  const parsed = parseBytea('\\x0001abff');
  t.same(Array.from(parsed), [0, 1, 0xab, 0xff]);
  t.notOk(Buffer.isBuffer(parsed), 'not a Buffer: a plain Uint8Array, as PGlite answers');
  t.equal(parsed.buffer.byteLength, 4, 'with a buffer of its own, not a slice of a shared pool');
  t.same(Array.from(parseBytea('\\x')), []);
  t.throws(() => parseBytea('abc'), /hex format/, 'the escape format is refused, not misread');
  t.throws(() => serializeBytea('00ff'), /Invalid input for bytea/);
  t.throws(() => serializeBytea([1, 2]), /Invalid input for bytea/);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => Buffer.from(parseBytea(serializeBytea(bytes))).equals(Buffer.from(bytes))));
});

async function roundTrip(t: Test, database: DatabaseHandle): Promise<void> {
  const { db } = database;
  const samples: Uint8Array[] = [new Uint8Array(), new Uint8Array([0]), new Uint8Array(70_000).fill(0xff), ...fc.sample(fc.uint8Array({ maxLength: 3000 }), 40)];
  for (const [i, value] of samples.entries()) await db.insert(settings).values({ key: `bytea-${i}`, value });
  for (const [i, value] of samples.entries()) {
    const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, `bytea-${i}`));
    if (!row || !Buffer.from(row.value).equals(Buffer.from(value))) t.fail(`sample ${i} (${value.length} bytes) changed`);
  }
  const answer = (await db.execute(sql`select length(value) as n from settings where key = 'bytea-2'`)) as unknown as { rows: Array<{ n: number }> };
  t.equal(Number(answer.rows[0]?.n), 70_000, 'the database holds the bytes, not their text');
  t.pass(`${samples.length} values`);
}

t.test(`bytes stored and read back unchanged (${databaseKind})`, async (t) => {
  await roundTrip(t, await openTestDatabase(t));
});

t.test('bytes stored and read back unchanged (PGlite on disk, durable)', { skip: databaseKind === 'postgres' ? 'the PostgreSQL run covers node-postgres above' : false }, async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'confidant-bytea-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const database = await openDatabase({ dataDir });
  t.teardown(() => database.close());
  await database.migrate();
  await roundTrip(t, database);
});
