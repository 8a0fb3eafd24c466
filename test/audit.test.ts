/**
 * The audit log: events recorded in the action's transaction, sealed in batches into an
 * append-only hash chain, verified page by page; the database refuses to change the chain;
 * a chain broken on purpose is reported at exactly the broken entry; the sealer plugin.
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { asc, count, eq, sql } from 'drizzle-orm';
import Fastify from 'fastify';
import type { Database } from '../src/server/db/connection.js';
import { auditEvents, auditLog } from '../src/server/db/schema.js';
import { auditSealer } from '../src/server/plugins/audit-sealer.js';
import {
  AUDIT_BROKEN_CONTENT,
  AUDIT_BROKEN_LINK,
  GENESIS_HASH,
  SEAL_BATCH,
  auditHash,
  createAudit,
  recordAudit,
  type AuditAction,
} from '../src/server/services/audit.js';
import { LogCapture, databaseKind, openTestDatabase } from './helper.js';

// One database for the file (opening PGlite takes seconds); the tests run in order and each
// checks the whole chain, so they build on what the earlier ones sealed.
const database = await openTestDatabase(t);
const { db } = database;
const audit = createAudit(db);

const pending = async () => (await db.select({ n: count() }).from(auditEvents))[0]!.n;
const chain = () => db.select().from(auditLog).orderBy(asc(auditLog.seq));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Many events in one statement, subjects `${prefix}-0`, `${prefix}-1`, … in id order. */
async function addEvents(prefix: string, n: number, action: AuditAction = 'view'): Promise<string[]> {
  const subjects = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const at = new Date();
  await db.insert(auditEvents).values(subjects.map((subject) => ({ at, actor: 'acc_batch', action, subject })));
  return subjects;
}

/** The whole chain links from the genesis hash and every hash recomputes. */
async function checkChain(t: Test): Promise<Array<typeof auditLog.$inferSelect>> {
  const entries = await chain();
  let previous = GENESIS_HASH;
  let broken = 0;
  for (const entry of entries) {
    if (hex(entry.prevHash) !== hex(previous) || hex(entry.hash) !== hex(auditHash(entry.prevHash, entry))) broken++;
    previous = entry.hash;
  }
  t.equal(broken, 0, `all ${entries.length} entries link to the previous one and their hashes recompute`);
  return entries;
}

/** A database error's text, through drizzle's wrapping. */
async function refusal(query: Promise<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    const texts: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(e.message);
    return texts.join(' | ');
  }
  return 'accepted';
}

t.test('the hash: SHA-256 of the previous hash and the JSON array [at, actor, action, subject]', async (t) => {
  const at = new Date(Date.UTC(2025, 2, 1, 14, 5, 9, 123));
  const json = '["2025-03-01T14:05:09.123Z","acc_1","view","case \\"9\\" é\\n"]';
  const expected = createHash('sha256').update(Buffer.alloc(32)).update(Buffer.from(json, 'utf8')).digest('hex');
  t.equal(hex(auditHash(GENESIS_HASH, { at, actor: 'acc_1', action: 'view', subject: 'case "9" é\n' })), expected);
  const nullSubject = createHash('sha256').update(Buffer.alloc(32, 1)).update('["2025-03-01T14:05:09.123Z","system","export",null]').digest('hex');
  t.equal(hex(auditHash(new Uint8Array(32).fill(1), { at, actor: 'system', action: 'export', subject: null })), nullSubject, 'no subject is JSON null');
  t.not(
    hex(auditHash(GENESIS_HASH, { at, actor: 'a","b', action: 'c', subject: null })),
    hex(auditHash(GENESIS_HASH, { at, actor: 'a', action: 'b","c', subject: null })),
    'fields cannot bleed into each other',
  );
  t.equal(GENESIS_HASH.length, 32);
  t.ok(GENESIS_HASH.every((b) => b === 0), 'genesis is 32 zero bytes');
});

t.test('an event recorded in a transaction that rolls back leaves nothing; a committed one stays', async (t) => {
  await t.rejects(
    db.transaction(async (tx) => {
      await recordAudit(tx, { actor: 'acc_rollback', action: 'status', subject: 'case_rollback' });
      throw new Error('the action failed');
    }),
    /the action failed/,
  );
  t.equal(await pending(), 0, 'no event without its action');

  const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
  await db.transaction(async (tx) => {
    await recordAudit(tx, { actor: 'acc_commit', action: 'status', subject: 'case_commit', at });
  });
  await recordAudit(db, { actor: 'system', action: 'export' });
  const events = await db.select().from(auditEvents).orderBy(asc(auditEvents.id));
  t.match(events, [
    { actor: 'acc_commit', action: 'status', subject: 'case_commit', at },
    { actor: 'system', action: 'export', subject: null },
  ]);
  t.ok(Math.abs(events[1]!.at.getTime() - Date.now()) < 60_000, 'at defaults to now');
  t.equal(await db.select().from(auditLog).then((rows) => rows.length), 0, 'nothing sealed yet');
});

t.test('sealing appends the events in id order, each hashing the previous, and is idempotent', async (t) => {
  await recordAudit(db, { actor: 'system', action: 'export', subject: 'naïve "quotes" \\ and\nnewline' });
  const events = await db.select().from(auditEvents).orderBy(asc(auditEvents.id));
  t.equal(events.length, 3);

  t.equal(await audit.seal(), 3, 'seal() answers how many it sealed');
  t.equal(await pending(), 0, 'the sealed events are gone from audit_events');
  const entries = await checkChain(t);
  t.equal(entries.length, 3);
  t.equal(hex(entries[0]!.prevHash), '00'.repeat(32), 'the first entry follows the genesis hash');
  t.equal(hex(entries[1]!.prevHash), hex(entries[0]!.hash), 'entry 2 follows entry 1');
  t.equal(hex(entries[2]!.prevHash), hex(entries[1]!.hash), 'entry 3 follows entry 2');
  t.same(
    entries.map((e) => [e.at.toISOString(), e.actor, e.action, e.subject]),
    events.map((e) => [e.at.toISOString(), e.actor, e.action, e.subject]),
    'each entry keeps its event, and its time',
  );
  t.ok(entries[0]!.seq < entries[1]!.seq && entries[1]!.seq < entries[2]!.seq, 'seq follows the chain');

  t.equal(await audit.seal(), 0, 'sealing again seals nothing');
  t.same((await chain()).map((e) => hex(e.hash)), entries.map((e) => hex(e.hash)), 'and changes nothing');
  t.same(await audit.verify(), { ok: true, entries: 3 });
});

t.test(`more than ${SEAL_BATCH} pending events are sealed in several batches, in order`, async (t) => {
  const before = (await chain()).length;
  const subjects = await addEvents('batch', 2 * SEAL_BATCH + 234);
  t.equal(await audit.seal(), subjects.length, 'one seal() takes them all');
  t.equal(await pending(), 0);
  const entries = await checkChain(t);
  t.equal(entries.length, before + subjects.length);
  t.same(entries.slice(before).map((e) => e.subject), subjects, 'in the order they were recorded, once each');
  t.same(await audit.verify(), { ok: true, entries: entries.length }, 'verify walks several pages');
});

t.test('concurrent seals, while events keep arriving, make one linear chain without loss or duplicates', async (t) => {
  const before = (await chain()).length;
  const first = await addEvents('concurrent', 3 * SEAL_BATCH + 17);
  const late: string[] = [];
  const results = await Promise.all([
    audit.seal(),
    audit.seal(),
    audit.seal(),
    audit.seal(),
    (async () => {
      for (let i = 0; i < 20; i++) {
        await recordAudit(db, { actor: 'acc_live', action: 'message', subject: `live-${i}` });
        late.push(`live-${i}`);
      }
      return 0;
    })(),
    createAudit(db).seal(),
  ]);
  const sealed = results.reduce((a, b) => a + b, 0) + (await audit.seal());
  t.equal(sealed, first.length + late.length, 'together the seals sealed every event once');
  t.equal(await pending(), 0);
  const entries = await checkChain(t);
  const mine = entries.slice(before).map((e) => e.subject!);
  t.equal(mine.length, first.length + late.length, 'no entry lost or doubled');
  t.same([...mine].sort(), [...first, ...late].sort(), 'exactly the recorded events');
  t.same(
    mine.filter((s) => s.startsWith('concurrent-')),
    first,
    'the events recorded together keep their order',
  );
  t.equal(new Set(entries.map((e) => hex(e.prevHash))).size, entries.length, 'no two entries follow the same one: no fork');
  t.same(await audit.verify(), { ok: true, entries: entries.length });
});

t.test(
  'an event whose transaction commits late is sealed in a later batch, not lost',
  { skip: databaseKind === 'pglite' ? 'PGlite has one connection: a transaction held open blocks every other query' : false },
  async (t) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let recorded!: () => void;
    const isRecorded = new Promise<void>((resolve) => (recorded = resolve));
    const slow = db.transaction(async (tx) => {
      await recordAudit(tx, { actor: 'acc_slow', action: 'grant', subject: 'late-commit' });
      recorded();
      await held;
    });
    // Whatever fails below, the held transaction must end, or closing the pool waits forever.
    t.teardown(async () => {
      release();
      await slow.catch(() => {});
    });
    await isRecorded;
    await recordAudit(db, { actor: 'acc_fast', action: 'view', subject: 'early-commit' });
    t.equal(await audit.seal(), 1, 'only the committed event (with the higher id) is sealed');
    release();
    await slow;
    t.equal(await pending(), 1, 'the late one is still pending');
    t.equal(await audit.seal(), 1, 'and is sealed by the next seal');
    const entries = await checkChain(t);
    t.same(
      entries.slice(-2).map((e) => e.subject),
      ['early-commit', 'late-commit'],
      'the chain order is the sealing order',
    );
  },
);

t.test('the database refuses to update, delete or truncate audit_log', async (t) => {
  const [entry] = await db.select().from(auditLog).orderBy(asc(auditLog.seq)).limit(1);
  t.match(await refusal(db.update(auditLog).set({ action: 'login' }).where(eq(auditLog.seq, entry!.seq))), /audit_log is append-only/, 'UPDATE');
  t.match(await refusal(db.delete(auditLog).where(eq(auditLog.seq, entry!.seq))), /audit_log is append-only/, 'DELETE');
  t.match(await refusal(db.execute(sql`truncate audit_log`)), /audit_log is append-only/, 'TRUNCATE');
  t.match(
    await refusal(db.insert(auditLog).values({ ...entry!, seq: undefined })),
    /audit_log_prev_hash|duplicate key|unique/,
    'a second entry after the same one (a fork) is refused',
  );
  t.same((await audit.verify()).ok, true, 'the chain is untouched');
});

t.test('a chain broken on purpose: verify names the first broken entry', async (t) => {
  const trigger = (on: boolean) => db.execute(sql.raw(`alter table audit_log ${on ? 'enable' : 'disable'} trigger audit_log_no_update_or_delete`));
  t.teardown(() => trigger(true));
  await addEvents('broken', 5, 'deletion');
  await audit.seal();
  const entries = await chain();
  const total = entries.length;
  const index = total - 3;
  const target = entries[index]!;

  await trigger(false);
  await db.update(auditLog).set({ action: 'view' }).where(eq(auditLog.seq, target.seq));
  t.same(
    await audit.verify(),
    { ok: false, entries: index, brokenAt: target.seq, reason: AUDIT_BROKEN_CONTENT },
    `a changed action: entry ${target.seq} no longer matches its hash`,
  );
  await db.update(auditLog).set({ action: target.action }).where(eq(auditLog.seq, target.seq));
  t.same(await audit.verify(), { ok: true, entries: total }, 'changed back, the chain is intact again');

  await db
    .update(auditLog)
    .set({ action: 'view', hash: auditHash(target.prevHash, { ...target, action: 'view' }) })
    .where(eq(auditLog.seq, target.seq));
  t.same(
    await audit.verify(),
    { ok: false, entries: index + 1, brokenAt: entries[index + 1]!.seq, reason: AUDIT_BROKEN_LINK },
    'a changed entry with its hash recomputed: the next entry no longer follows it',
  );
  await db.update(auditLog).set({ action: target.action, hash: target.hash }).where(eq(auditLog.seq, target.seq));

  await db.delete(auditLog).where(eq(auditLog.seq, target.seq));
  t.same(
    await audit.verify(),
    { ok: false, entries: index, brokenAt: entries[index + 1]!.seq, reason: AUDIT_BROKEN_LINK },
    `a deleted entry: the entry after it, ${entries[index + 1]!.seq}, does not follow the one before`,
  );
  await db.insert(auditLog).values(target);
  await trigger(true);
  t.same(await audit.verify(), { ok: true, entries: total }, 'put back, the chain is intact again');
  t.match(await refusal(db.delete(auditLog).where(eq(auditLog.seq, target.seq))), /append-only/, 'and the trigger is on again');
});

t.test('the sealer plugin seals on its interval and when the app closes; logs only counts', async (t) => {
  const logs = new LogCapture();
  const app = Fastify({ logger: { level: 'debug', stream: logs } });
  app.decorate('database', database);
  await app.register(auditSealer, { intervalMs: 20 });
  await app.ready();
  t.teardown(() => app.close());

  await recordAudit(db, { actor: 'acc_plugin', action: 'relay_sent', subject: 'relay_1' });
  for (let i = 0; i < 200 && (await pending()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(await pending(), 0, 'the interval sealed the event');

  await recordAudit(db, { actor: 'acc_plugin', action: 'relay_view', subject: 'relay_1' });
  await app.close();
  t.equal(await pending(), 0, 'closing sealed the last one');
  const entries = await checkChain(t);
  t.same(entries.slice(-2).map((e) => e.action), ['relay_sent', 'relay_view']);

  const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg !== undefined && String(l.msg).includes('audit'));
  t.ok(lines.length > 0, 'the seals were logged');
  for (const line of lines) {
    t.same(Object.keys(line).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg'].includes(k)), ['sealed'], 'a count and nothing else');
  }
  t.notMatch(logs.text, /relay_1|acc_plugin/, 'no subject or actor in the logs');
});

t.test('a failing seal is logged as a warning and never stops the app', async (t) => {
  const logs = new LogCapture();
  const app = Fastify({ logger: { level: 'info', stream: logs } });
  let attempts = 0;
  const broken = {
    transaction: async () => {
      attempts++;
      // How drizzle wraps a database error: the query and its parameters, then the cause.
      throw new Error('Failed query: insert into "audit_log" …\nparams: acc_secret,case_secret', { cause: new Error('connection refused') });
    },
  } as unknown as Database;
  app.decorate('database', { ...database, db: broken });
  await app.register(auditSealer, { intervalMs: 10 });
  await app.ready();
  for (let i = 0; i < 100 && attempts < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.ok(attempts >= 3, 'it keeps trying on every tick');
  await t.resolves(app.close(), 'closing still works');
  const warnings = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.level === 40);
  t.ok(warnings.length >= 3, 'each failure is a warning');
  t.match(warnings[0], { msg: 'audit sealing failed', error: 'connection refused' });
  t.notMatch(logs.text, /"stack"/, 'no stack trace');
  t.notMatch(logs.text, /Failed query|acc_secret|case_secret/, 'only the database error, not the query and its parameters');
});
