/**
 * Retention and legal hold (docs/protocol.md "Retention and legal hold", SECURITY.md "Retention:
 * what deletion removes, and what it keeps"), with real reports made by the protocol client and
 * read by real adviser sessions over HTTP:
 *
 * - closing sets the deletion date (the calendar-month rule), reopening clears it, closing again
 *   restarts it, in the list, the case and the status change's answer;
 * - the hold routes, each success and each refusal, and the reason sealed so that the server
 *   never holds it in plaintext;
 * - the sweep: what it deletes, what it keeps, and how a deleted case answers afterwards;
 * - the purge of a deleted case's last traces after the calendar year that follows;
 * - the sweep landing between a route's check and its write, forced by deleting the case right
 *   after the check (both databases), and real races between the sweep and a hold, a reopen or
 *   another sweep (PostgreSQL only);
 * - the sweep of expired invites.
 *
 * Staff accounts are made through invites with random authKeys and real key pairs, then signed
 * in: the server derives nothing from a passphrase, so no Argon2id is needed on the staff side.
 * Rows are written by hand only where no route exists yet (a file) or a time must be forced.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eq, inArray, sql } from 'drizzle-orm';
import {
  ApiError,
  ConfidantClient,
  HOLD_BLOCK,
  HOLD_REASON_MAX,
  ProtocolError,
  STAFF_ARGON2_MEM,
  STAFF_ARGON2_OPS,
  StaffSession,
  addCalendarMonths,
  caseReference,
  emptyRegistration,
  encryptRecord,
  generateCode,
  holdAd,
  makeStaffKeys,
  openHoldReason,
  openMailbox,
  ready,
  sealHoldReason,
  sealKeyBundle,
  sealRecoveryBundle,
  sodium,
  submitNewReport,
  type FetchLike,
} from '../src/protocol/index.js';
import {
  auditLog,
  caseWraps,
  cases,
  channels,
  files,
  invites,
  mailboxSessions,
  messages,
  registrations,
  relayMessages,
  relays,
  relayWraps,
  reporterEvents,
} from '../src/server/db/schema.js';
import type { Database } from '../src/server/db/connection.js';
import { deletionDue, purgeDue } from '../src/server/services/retention.js';
import { apiFailure, buildTestApp, databaseKind, mailboxToken, type TestApp } from './helper.js';
import { personThroughApi, type ApiPerson } from './fixtures.js';

await ready();

type Teardown = { teardown(fn: () => unknown): void };
// Loosely typed access to an answer body.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DAY = 24 * 3600 * 1000;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const iso = (date: Date) => date.toISOString();
const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0) => new Date(Date.UTC(y, m - 1, d, h, min, s, ms));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const report = (what: string) => ({ v: 1 as const, lang: 'en', answers: { what }, anonymity: 'anonymous' as const });

// ─── One app per test, with its organisation, channels and people ───────────────────────────

type Person = ApiPerson;

interface World extends TestApp {
  db: Database;
  client: ConfidantClient;
  person(role: 'adviser', channels: string[]): Promise<Person>;
  person(role: 'recipient', organisation: string): Promise<Person>;
  /** A report submitted by the protocol client to `slug`. */
  submit(slug: string, what?: string): Promise<{ caseId: string; code: string }>;
  /** The case walked to closed by `who`: received → acknowledged → in progress → closed. */
  close(who: Person, caseId: string): Promise<Json>;
  row(caseId: string): Promise<typeof cases.$inferSelect | undefined>;
  /** A request as `who` (a person, a raw token, or nobody) through the app. */
  call(who: Person | string | undefined, method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: Json | null }>;
  /** Every audit entry about `subject`, sealed first so that nothing is in between. */
  audit(subject: string): Promise<Array<{ actor: string; action: string; at: string }>>;
}

async function world(t: Teardown, channelList: Array<{ slug: string; retentionMonths?: number }>): Promise<World> {
  const built = await buildTestApp(t);
  const { app, database, baseUrl } = built;
  const db = database.db;
  const admin = app.services.administration;
  const client = new ConfidantClient({ baseUrl });
  await admin.createOrganisation({ slug: 'org', name: 'Organisation' });
  for (const c of channelList) {
    await admin.createChannel({ slug: c.slug, name: `Channel ${c.slug}`, organisation: 'org' });
    if (c.retentionMonths !== undefined) await db.update(channels).set({ retentionMonths: c.retentionMonths }).where(eq(channels.slug, c.slug));
  }
  const person = (role: 'adviser' | 'recipient', where: string[] | string): Promise<Person> => personThroughApi(client, admin, role, where);

  return {
    ...built,
    db,
    client,
    person: person as World['person'],
    submit: async (slug, what = 'Invoices are split to avoid tendering.') => submitNewReport(client, { slug, report: report(what) }),
    async close(who, caseId) {
      await who.session.setStatus(caseId, 'acknowledged');
      await who.session.setStatus(caseId, 'in_progress');
      return who.session.setStatus(caseId, 'closed');
    },
    row: async (caseId) => (await db.select().from(cases).where(eq(cases.id, caseId)))[0],
    async call(who, method, url, payload) {
      const token = typeof who === 'string' ? who : who?.token;
      const answer = await app.inject({
        method,
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      return { status: answer.statusCode, body: answer.body ? (JSON.parse(answer.body) as Json) : null };
    },
    async audit(subject) {
      await app.services.audit.seal();
      const rows = await db.select().from(auditLog).where(eq(auditLog.subject, subject)).orderBy(auditLog.seq);
      return rows.map((r) => ({ actor: r.actor, action: r.action, at: iso(r.at) }));
    },
  };
}

/** A syntactically valid envelope of one block for routes that take one: refused only for what it addresses. */
const anyEnvelope = (blocks = 1, block = 1024) => ({ nonce: randomB64(24), ciphertext: randomB64(blocks * block + 16) });

// ─── 0. The rules, with fixed dates ────────────────────────────────────────────────────────

t.test('deletionDue and purgeDue: the calendar-month rule and the year after', async (t) => {
  const closed = (closedAt: Date) => ({ status: 'closed', closedAt, heldAt: null });
  t.same(deletionDue(closed(utc(2026, 1, 31, 9, 30)), 1), utc(2026, 2, 28, 9, 30), 'Jan 31 + 1 month → Feb 28');
  t.same(deletionDue(closed(utc(2028, 1, 31, 9, 30)), 1), utc(2028, 2, 29, 9, 30), 'Jan 31 + 1 month in a leap year → Feb 29');
  t.same(deletionDue(closed(utc(2028, 2, 29)), 12), utc(2029, 2, 28), 'Feb 29 + 12 months → Feb 28');
  t.same(deletionDue(closed(utc(2026, 3, 31, 23, 59, 59, 999)), 1), utc(2026, 4, 30, 23, 59, 59, 999), 'Mar 31 + 1 month → Apr 30, to the millisecond');
  t.same(deletionDue(closed(utc(2026, 12, 31, 12)), 2), utc(2027, 2, 28, 12), 'across the year: Dec 31 + 2 months → Feb 28');
  t.same(deletionDue(closed(utc(2026, 1, 15, 8)), 12), utc(2027, 1, 15, 8), 'the default 12 months: the same day a year later');
  t.same(deletionDue(closed(utc(2026, 1, 15, 8)), 120), utc(2036, 1, 15, 8), 'the longest retention, 120 months');
  t.equal(deletionDue({ status: 'in_progress', closedAt: null, heldAt: null }, 12), null, 'open: no deletion date');
  t.equal(deletionDue({ status: 'in_progress', closedAt: utc(2026, 1, 1), heldAt: null }, 12), null, 'not closed: none even with a stale closedAt');
  t.equal(deletionDue({ status: 'closed', closedAt: null, heldAt: null }, 12), null, 'closed without a closing time: none');
  t.equal(deletionDue({ status: 'closed', closedAt: utc(2026, 1, 1), heldAt: utc(2026, 2, 1) }, 12), null, 'held: none');

  t.same(purgeDue(utc(2026, 3, 5, 10)), utc(2028, 1, 1), 'deleted in 2026 → purged from 1 Jan 2028');
  t.same(purgeDue(utc(2026, 1, 1)), utc(2028, 1, 1), 'deleted on 1 Jan 2026 → 1 Jan 2028');
  t.same(purgeDue(utc(2026, 12, 31, 23, 59, 59, 999)), utc(2028, 1, 1), 'deleted at the last moment of 2026 → 1 Jan 2028');
  t.same(purgeDue(utc(2027, 1, 1)), utc(2029, 1, 1), 'deleted at the first moment of 2027 → 1 Jan 2029');
});

// ─── 1. Status and deleteAfter ─────────────────────────────────────────────────────────────

t.test('closing sets closedAt and deleteAfter; reopening clears them; closing again restarts', async (t) => {
  const w = await world(t, [{ slug: 'loket' }, { slug: 'maand', retentionMonths: 1 }]);
  const anna = await w.person('adviser', ['loket', 'maand']);
  const { caseId } = await w.submit('loket');

  const listed = async (id: string) => (await anna.session.listCases()).cases.find((c) => c.caseId === id);
  const shown = async (id: string) => {
    const [list, detail, opened] = [await listed(id), await w.client.getCase(anna.token, id), await anna.session.openCase(id)];
    return { list: list?.deleteAfter, detail: detail.deleteAfter, opened: opened.deleteAfter, held: [list?.held, detail.held] };
  };

  t.same(await shown(caseId), { list: null, detail: null, opened: null, held: [false, false] }, 'received: no deletion date anywhere');
  for (const status of ['acknowledged', 'in_progress'] as const) {
    const changed = await anna.session.setStatus(caseId, status);
    t.equal(changed.deleteAfter, null, `PATCH to ${status}: deleteAfter null`);
    t.equal((await w.row(caseId))?.closedAt, null, `${status}: closedAt null`);
  }
  t.same(await shown(caseId), { list: null, detail: null, opened: null, held: [false, false] }, 'in progress: still none');

  const before = Date.now();
  const closing = await anna.session.setStatus(caseId, 'closed');
  const after = Date.now();
  const closedAt = (await w.row(caseId))?.closedAt;
  t.ok(closedAt && closedAt.getTime() >= before && closedAt.getTime() <= after, 'closing sets closedAt to the time of the change');
  const due = iso(addCalendarMonths(closedAt!, 12));
  t.equal(closing.deleteAfter, due, 'the PATCH answer: closedAt + 12 months (the default retention)');
  t.same(await shown(caseId), { list: due, detail: due, opened: due, held: [false, false] }, 'list, case and opened case agree');

  const reopened = await anna.session.setStatus(caseId, 'in_progress');
  t.equal(reopened.deleteAfter, null, 'reopening: the PATCH answer has no deletion date');
  t.equal((await w.row(caseId))?.closedAt, null, 'reopening clears closedAt');
  t.same(await shown(caseId), { list: null, detail: null, opened: null, held: [false, false] }, 'and every view drops it');

  await pause(5);
  const closedAgain = await anna.session.setStatus(caseId, 'closed');
  const closedAt2 = (await w.row(caseId))?.closedAt;
  t.ok(closedAt2 && closedAt2.getTime() > closedAt!.getTime(), 'closing again takes a new closing time');
  const due2 = iso(addCalendarMonths(closedAt2!, 12));
  t.equal(closedAgain.deleteAfter, due2, 'and the clock restarts from it');
  t.same(await shown(caseId), { list: due2, detail: due2, opened: due2, held: [false, false] });

  // The channel's retention counts, with the calendar-month rule: a closure on 31 January is
  // forced (no route closes a case in the past), as are the months of the channel.
  const { caseId: monthly } = await w.submit('maand');
  const closed = await w.close(anna, monthly);
  const monthlyClosedAt = (await w.row(monthly))?.closedAt;
  t.equal(closed.deleteAfter, iso(addCalendarMonths(monthlyClosedAt!, 1)), "a channel with 1 month's retention: closedAt + 1 month");
  await w.db.update(cases).set({ closedAt: utc(2026, 1, 31, 9, 30) }).where(eq(cases.id, monthly));
  t.same(await shown(monthly), { list: '2026-02-28T09:30:00.000Z', detail: '2026-02-28T09:30:00.000Z', opened: '2026-02-28T09:30:00.000Z', held: [false, false] }, 'closed on Jan 31: deleted after Feb 28');
  await w.db.update(cases).set({ closedAt: utc(2028, 1, 31, 9, 30) }).where(eq(cases.id, monthly));
  t.equal((await listed(monthly))?.deleteAfter, '2028-02-29T09:30:00.000Z', 'in a leap year after Feb 29');
  await w.db.update(channels).set({ retentionMonths: 13 }).where(eq(channels.slug, 'maand'));
  t.equal((await listed(monthly))?.deleteAfter, '2029-02-28T09:30:00.000Z', 'a changed retention applies to cases closed already');

  // A hold suspends the date; lifting it brings it back.
  await anna.session.hold(caseId, 'A court asked to keep the file.');
  t.same(await shown(caseId), { list: null, detail: null, opened: null, held: [true, true] }, 'held: no deletion date, held true');
  const reopenedHeld = await anna.session.setStatus(caseId, 'in_progress');
  t.equal(reopenedHeld.deleteAfter, null);
  const closedHeld = await anna.session.setStatus(caseId, 'closed');
  t.equal(closedHeld.deleteAfter, null, 'closing a held case: the PATCH answer has no deletion date');
  const closedAt3 = (await w.row(caseId))?.closedAt;
  t.ok(closedAt3, 'but the closing time is kept');
  await anna.session.releaseHold(caseId);
  const due3 = iso(addCalendarMonths(closedAt3!, 12));
  t.same(await shown(caseId), { list: due3, detail: due3, opened: due3, held: [false, false] }, 'released: the date counts from the closure, not from the release');
});

// ─── 2. The hold routes ────────────────────────────────────────────────────────────────────

t.test('legal hold: set, change, read back, lift; every refusal; the reason never in plaintext', async (t) => {
  const w = await world(t, [{ slug: 'loket' }, { slug: 'tweede' }]);
  const anna = await w.person('adviser', ['loket']);
  const carl = await w.person('adviser', ['loket']);
  const bram = await w.person('adviser', ['tweede']);
  const olga = await w.person('recipient', 'org');
  const { caseId } = await w.submit('loket');
  const { caseId: bramsCase } = await w.submit('tweede');
  await w.close(anna, caseId);
  const url = `/api/v1/cases/${caseId}/hold`;
  const caseKey = await anna.session.caseKey(caseId);
  t.teardown(() => caseKey.fill(0));

  const reason = 'Rechtbank Amsterdam, zaak C/13/987654: bewaar het dossier tot de uitspraak.';
  const before = Date.now();
  const held = await anna.session.hold(caseId, reason);
  const after = Date.now();
  const heldAt = new Date(held.heldAt);
  t.ok(heldAt.getTime() >= before && heldAt.getTime() <= after, 'PUT answers 200 with the time of the hold');
  const row = await w.row(caseId);
  t.same([row?.heldAt?.toISOString(), row?.heldBy], [held.heldAt, anna.id], 'the server keeps when and by whom');
  t.equal(row?.holdCiphertext?.length, HOLD_BLOCK + 16, 'and a sealed reason of exactly one block');

  const detail = await w.client.getCase(anna.token, caseId);
  t.same(Object.keys(detail.hold ?? {}).sort(), ['heldAt', 'heldBy', 'reason']);
  t.match(detail.hold, { heldAt: held.heldAt, heldBy: anna.id, reason: { nonce: b64(row!.holdNonce!), ciphertext: b64(row!.holdCiphertext!) } }, 'the case shows the hold with its sealed reason');
  t.equal(detail.held, true);
  t.equal(detail.deleteAfter, null, 'a held case has no deletion date');
  t.equal((await anna.session.listCases()).cases.find((c) => c.caseId === caseId)?.held, true, 'the list marks it held');
  t.equal(openHoldReason(caseKey, caseId, detail.hold!.reason), reason, 'the sealed reason opens under the case key');
  t.equal(openHoldReason(caseKey, bramsCase, detail.hold!.reason), null, "but not as another case's reason (the associated data names the case)");
  t.same((await anna.session.openCase(caseId)).hold, { heldAt: held.heldAt, heldBy: anna.id, reason }, 'openCase gives back the plaintext reason');
  t.same((await carl.session.openCase(caseId)).hold?.reason, reason, 'and so it does for a colleague holding the case');

  // The reason is in no row of any table, in no log line, as text or as bytes.
  const needles = [reason, Buffer.from(reason, 'utf8').toString('hex'), 'zaak C/13/987654'];
  const tables = ((await w.db.execute(sql.raw(`select tablename from pg_tables where schemaname = 'public' order by tablename`))) as unknown as { rows: Array<{ tablename: string }> }).rows.map((r) => r.tablename);
  t.ok(tables.includes('cases') && tables.length > 10, 'every table is scanned');
  for (const table of tables) {
    const rows = ((await w.db.execute(sql.raw(`select t::text as row from "${table}" t`))) as unknown as { rows: Array<{ row: string }> }).rows;
    const found = rows.filter((r) => needles.some((n) => r.row.toLowerCase().includes(n.toLowerCase())));
    t.equal(found.length, 0, `no trace of the reason in ${table}`);
  }
  const [caseRow] = await w.db.select().from(cases).where(eq(cases.id, caseId));
  for (const [column, value] of Object.entries(caseRow!)) {
    if (value instanceof Uint8Array) t.equal(Buffer.from(value).indexOf(Buffer.from(reason)), -1, `cases.${column} does not hold the reason's bytes`);
  }
  t.notMatch(w.logs.text, 'C/13/987654', 'nor does the log');

  // A second PUT replaces the reason, keeps the time, names the adviser who changed it.
  await pause(5);
  const reason2 = 'Onderzoek door de Inspectie: bewaren tot nader bericht.';
  const heldAgain = await carl.session.hold(caseId, reason2);
  t.equal(heldAgain.heldAt, held.heldAt, 'a second PUT keeps the time of the first hold');
  t.same((await anna.session.openCase(caseId)).hold, { heldAt: held.heldAt, heldBy: carl.id, reason: reason2 }, 'and replaces the reason and who set it');
  t.not(b64((await w.row(caseId))!.holdCiphertext!), detail.hold!.reason.ciphertext, 'the stored ciphertext changed');

  // A reason sealed for another case is stored (the server cannot tell) but does not open.
  const alien = sealHoldReason(caseKey, bramsCase, 'Sealed under the wrong case id.');
  t.equal((await w.call(anna, 'PUT', url, alien)).status, 200);
  t.equal((await anna.session.openCase(caseId)).hold?.reason, null, 'openCase reports a reason that does not open as null');

  // Refusals: each with its status and code, a body of { error, message }, nothing changed.
  const valid = sealHoldReason(caseKey, caseId, 'A valid reason.');
  const unknownId = randomB64(16);
  const snapshot = async () => {
    const r = await w.row(caseId);
    return { heldAt: r?.heldAt?.toISOString(), heldBy: r?.heldBy, nonce: r?.holdNonce && b64(r.holdNonce), ciphertext: r?.holdCiphertext && b64(r.holdCiphertext) };
  };
  const kept = await snapshot();
  const refusals: Array<[string, Person | string | undefined, 'PUT' | 'DELETE', string, unknown, number, string]> = [
    ['an unknown case', anna, 'PUT', `/api/v1/cases/${unknownId}/hold`, valid, 404, 'unknown_case'],
    ['an unknown case', anna, 'DELETE', `/api/v1/cases/${unknownId}/hold`, undefined, 404, 'unknown_case'],
    ["another adviser's case", bram, 'PUT', url, valid, 404, 'unknown_case'],
    ["another adviser's case", bram, 'DELETE', url, undefined, 404, 'unknown_case'],
    ['a recipient', olga, 'PUT', url, valid, 403, 'advisers_only'],
    ['a recipient', olga, 'DELETE', url, undefined, 403, 'advisers_only'],
    ['no session', undefined, 'PUT', url, valid, 401, 'not_signed_in'],
    ['no session', undefined, 'DELETE', url, undefined, 401, 'not_signed_in'],
    ['a made-up token', randomB64(32), 'PUT', url, valid, 401, 'not_signed_in'],
    ['a nonce of 23 bytes', anna, 'PUT', url, { ...valid, nonce: randomB64(23) }, 400, 'invalid_nonce'],
    ['a nonce that is not base64url', anna, 'PUT', url, { ...valid, nonce: `${valid.nonce.slice(0, -1)}=` }, 400, 'invalid_nonce'],
    ['a ciphertext not a padded block', anna, 'PUT', url, { ...valid, ciphertext: randomB64(1000 + 16) }, 400, 'invalid_ciphertext'],
    ['a ciphertext without its tag', anna, 'PUT', url, { ...valid, ciphertext: randomB64(1024) }, 400, 'invalid_ciphertext'],
    ['a ciphertext that is not base64url', anna, 'PUT', url, { ...valid, ciphertext: `${valid.ciphertext.slice(0, -2)}+/` }, 400, 'invalid_ciphertext'],
    ['an empty ciphertext', anna, 'PUT', url, { ...valid, ciphertext: '' }, 400, 'invalid_ciphertext'],
    ['no ciphertext', anna, 'PUT', url, { nonce: valid.nonce }, 400, 'missing_ciphertext'],
    ['an extra field', anna, 'PUT', url, { ...valid, reason: 'in plaintext' }, 400, 'unknown_field'],
    ['a ciphertext of two blocks', anna, 'PUT', url, { ...valid, ciphertext: randomB64(2 * HOLD_BLOCK + 16) }, 413, 'ciphertext_too_large'],
    ['a ciphertext one byte over a block', anna, 'PUT', url, { ...valid, ciphertext: randomB64(HOLD_BLOCK + 17) }, 413, 'ciphertext_too_large'],
  ];
  for (const [what, who, method, path, payload, status, code] of refusals) {
    const answer = await w.call(who, method, path, payload);
    t.same({ status: answer.status, error: answer.body?.error }, { status, error: code }, `${method} for ${what}: ${status} ${code}`);
    t.same(Object.keys(answer.body ?? {}).sort(), ['error', 'message'], `${method} for ${what}: a body of { error, message }`);
    t.notMatch(JSON.stringify(answer.body), 'in plaintext', `${method} for ${what}: no echo of the request`);
  }
  t.same(await snapshot(), kept, 'no refusal changed the hold');
  t.same((await w.row(bramsCase))?.heldAt, null, "nor put Bram's own case on hold");

  // The protocol client refuses what the server must never see.
  t.match(await apiFailure(anna.session.hold(unknownId, 'x')), { status: 404, code: 'unknown_case' });
  t.match(await apiFailure(bram.session.hold(caseId, 'x')), { status: 404, code: 'unknown_case' });
  t.match(await apiFailure(bram.session.releaseHold(caseId)), { status: 404, code: 'unknown_case' });

  // Lifting: 204, the hold gone everywhere; lifting again: 409 not_held.
  const released = await w.call(anna, 'DELETE', url);
  t.same({ status: released.status, body: released.body }, { status: 204, body: null }, 'DELETE answers 204 without a body');
  t.same(await snapshot(), { heldAt: undefined, heldBy: null, nonce: null, ciphertext: null }, 'every hold column cleared');
  const afterRelease = await w.client.getCase(anna.token, caseId);
  t.same([afterRelease.hold, afterRelease.held], [null, false]);
  t.equal(afterRelease.deleteAfter, iso(addCalendarMonths((await w.row(caseId))!.closedAt!, 12)), 'the deletion date is back');
  const notHeld = await w.call(anna, 'DELETE', url);
  t.same({ status: notHeld.status, error: notHeld.body?.error }, { status: 409, error: 'not_held' }, 'DELETE when not held: 409 not_held');
  t.match(await apiFailure(carl.session.releaseHold(caseId)), { status: 409, code: 'not_held' });

  // Each change is audited with the adviser and the case only.
  const trail = (await w.audit(caseId)).filter((e) => e.action === 'hold' || e.action === 'hold_released');
  t.same(
    trail.map((e) => [e.actor, e.action]),
    [
      [anna.id, 'hold'],
      [carl.id, 'hold'],
      [anna.id, 'hold'],
      [anna.id, 'hold_released'],
    ],
    'audited: hold, hold, hold, hold_released, by who did it',
  );
});

t.test('sealHoldReason: empty and over-long reasons refused; an escape-heavy one never takes two blocks', async (t) => {
  const caseKey = sodium().randombytes_buf(32);
  const caseId = randomB64(16);
  const refused = (reason: string) => {
    try {
      sealHoldReason(caseKey, caseId, reason);
    } catch (error) {
      return error instanceof ProtocolError ? error.code : `not a ProtocolError: ${String(error)}`;
    }
    return 'sealed';
  };
  t.equal(HOLD_REASON_MAX, 250);
  t.equal(refused(''), 'bad_hold_reason', 'an empty reason');
  t.equal(refused('   \n\t '), 'bad_hold_reason', 'a reason of white space only');
  t.equal(refused('x'.repeat(251)), 'bad_hold_reason', 'a reason of 251 characters');
  t.equal(refused('x'.repeat(250)), 'sealed', 'a reason of 250 characters');
  t.equal(refused('x'), 'sealed', 'a reason of 1 character');

  // A reason at the limit in characters that escape or encode long: sealed in one block, or refused.
  for (const [what, reason] of [
    ['250 × "', '"'.repeat(250)],
    ['250 × \\', '\\'.repeat(250)],
    ['250 × U+0001', '\u0001'.repeat(250)],
    ['250 × 😀 (4 bytes each)', '😀'.repeat(250)],
    ['250 × é', 'é'.repeat(250)],
  ] as const) {
    let sealed: ReturnType<typeof sealHoldReason> | undefined;
    try {
      sealed = sealHoldReason(caseKey, caseId, reason);
    } catch (error) {
      t.ok(error instanceof ProtocolError && error.code === 'bad_hold_reason', `${what}: refused with bad_hold_reason`);
      continue;
    }
    t.equal(Buffer.from(sealed.ciphertext, 'base64url').length, HOLD_BLOCK + 16, `${what}: sealed within one block`);
    t.equal(openHoldReason(caseKey, caseId, sealed), reason, `${what}: and opens to the same reason`);
  }
  t.equal(refused('\u0001'.repeat(250)), 'bad_hold_reason', 'six bytes per character cannot fit one block: refused');
  t.equal(Buffer.from(sealHoldReason(caseKey, caseId, '"'.repeat(250)).ciphertext, 'base64url').length, HOLD_BLOCK + 16, '250 × " (500 bytes escaped) fits one block');
  t.equal(
    openHoldReason(caseKey, caseId, encryptRecord(caseKey, { v: 1, reason: 'x' }, holdAd(caseId), HOLD_BLOCK)),
    'x',
    'the record is { v: 1, reason } under the hold associated data',
  );
  t.equal(openHoldReason(caseKey, caseId, encryptRecord(caseKey, { v: 2, reason: 'x' }, holdAd(caseId), HOLD_BLOCK)), null, 'another version does not open');
  t.equal(openHoldReason(sodium().randombytes_buf(32), caseId, sealHoldReason(caseKey, caseId, 'x')), null, 'another key does not open');
});

// ─── 3. The sweep ──────────────────────────────────────────────────────────────────────────

/** The status and body the mailbox login answers for a code, through the real client. */
async function codeLogin(baseUrl: string, code: string): Promise<{ challenge: number; status: number; body: string }> {
  let seen: { status: number; body: string } | undefined;
  let challenge = 0;
  const recording: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    const body = await response.text();
    if (url.endsWith('/api/v1/mailbox/challenge')) challenge = response.status;
    if (url.endsWith('/api/v1/mailbox/session')) seen = { status: response.status, body };
    return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => body };
  };
  await openMailbox(new ConfidantClient({ baseUrl, fetch: recording }), code).then(
    () => undefined,
    (error: unknown) => {
      if (!(error instanceof ApiError)) throw error;
    },
  );
  if (!seen) throw new Error('no login answer');
  return { challenge, ...seen };
}

t.test('the sweep deletes a closed, unheld case past its retention, and keeps the rest', async (t) => {
  const w = await world(t, [{ slug: 'kort', retentionMonths: 1 }, { slug: 'lang', retentionMonths: 24 }]);
  const { db, app, baseUrl } = w;
  const anna = await w.person('adviser', ['kort', 'lang']);
  const olga = await w.person('recipient', 'org');
  const retention = app.services.retention;

  // The case that will be due, with everything a case collects.
  const due = await w.submit('kort', 'Purchase orders are split below the tender limit.');
  const mailbox = await openMailbox(w.client, due.code);
  await anna.session.setStatus(due.caseId, 'acknowledged');
  await anna.session.reply(due.caseId, 'Thank you, I am looking into it.');
  await mailbox.postMessage('Here is more detail.');
  const record = { ...emptyRegistration(), kind: 'report' as const, track: 'integrity' as const, categories: ['wrongdoing' as const], notes: 'split orders' };
  await anna.session.saveRegistration(due.caseId, record);
  const relayText = 'There are signs that purchase orders are split to avoid tendering.';
  const sent = await anna.session.createRelay(due.caseId, relayText);
  await mailbox.refresh();
  await mailbox.consent(sent.relayId, 'approve');
  await anna.session.sendRelay(sent.relayId);
  await olga.session.postRelayMessage(sent.relayId, 'We will investigate.');
  const approved = await anna.session.createRelay(due.caseId, 'A second relay, approved but never sent.');
  await mailbox.refresh();
  await mailbox.consent(approved.relayId, 'approve');
  const pending = await anna.session.createRelay(due.caseId, 'A third relay, awaiting consent.');
  const fileId = randomB64(16);
  const now = new Date();
  await db.insert(files).values({ id: fileId, caseId: due.caseId, author: 'reporter', headerNonce: randomBytes(24), headerCiphertext: randomBytes(1024 + 16), bytes: 300, completedAt: now, createdAt: now });
  await app.services.fileBodies.create(fileId, 300, now);
  await writeFile(path.join(app.config.filesDir, fileId), randomBytes(300));
  const oldToken = await mailboxToken(baseUrl, due.code);
  await anna.session.setStatus(due.caseId, 'in_progress');
  await anna.session.setStatus(due.caseId, 'closed');
  const beforeDetail = await w.client.getCase(anna.token, due.caseId);
  t.same(
    [beforeDetail.messages.length, beforeDetail.relays.length, beforeDetail.files.length, beforeDetail.registration !== null, beforeDetail.pin !== null],
    [2, 3, 1, true, true],
    'before: two messages, three relays, a file, a registration, a pin',
  );
  t.same((await anna.session.listCases({ reference: caseReference(due.caseId) })).cases.map((c) => c.caseId), [due.caseId], 'before: found by its reference');
  t.match((await olga.session.openRelay(sent.relayId)).text, { v: 1, body: relayText }, 'before: the organisation reads the relay');
  const approvalBefore = (await olga.session.openRelay(sent.relayId)).approval;
  t.equal(approvalBefore, 'verified', 'before: the text is the one the reporter approved');
  t.ok((await db.select().from(mailboxSessions).where(eq(mailboxSessions.caseId, due.caseId))).length >= 2, 'before: mailbox sessions');
  t.ok((await db.select().from(reporterEvents).where(eq(reporterEvents.caseId, due.caseId))).length >= 2, 'before: reporter events');

  // The others: held, open, not yet due (a channel of 24 months).
  const held = await w.submit('kort');
  await w.close(anna, held.caseId);
  await anna.session.hold(held.caseId, 'Kept for a court case.');
  const open = await w.submit('kort');
  await anna.session.setStatus(open.caseId, 'acknowledged');
  await anna.session.setStatus(open.caseId, 'in_progress');
  const notYet = await w.submit('lang');
  await w.close(anna, notYet.caseId);
  // And one closed on 31 January of this year (forced): due on the last day of February, to the
  // millisecond. This year's, so that no later sweep here is past its purge whatever today is.
  const year = new Date().getUTCFullYear();
  const lastOfFebruary = utc(year, 3, 0).getUTCDate();
  const january = await w.submit('kort');
  await w.close(anna, january.caseId);
  await db.update(cases).set({ closedAt: utc(year, 1, 31, 9, 30) }).where(eq(cases.id, january.caseId));

  t.same(await retention.sweep(utc(year, 2, lastOfFebruary, 9, 29, 59, 999)), { deleted: 0, purged: 0 }, `a millisecond before Feb ${lastOfFebruary} 09:30: nothing deleted`);
  t.equal((await w.row(january.caseId))?.deletedAt, null);
  t.same(await retention.sweep(utc(year, 2, lastOfFebruary, 9, 30)), { deleted: 1, purged: 0 }, `at Feb ${lastOfFebruary} 09:30: the January case is deleted`);
  t.same((await w.row(january.caseId))?.deletedAt, utc(year, 2, lastOfFebruary, 9, 30), 'deletedAt is the sweep time');

  const closedAt = (await w.row(due.caseId))!.closedAt!;
  const sweepAt = addCalendarMonths(closedAt, 1);
  t.same(await retention.sweep(new Date(sweepAt.getTime() - 1)), { deleted: 0, purged: 0 }, 'a millisecond before its retention ends: kept');
  const untouched = await w.row(due.caseId);
  t.ok(untouched?.deletedAt === null && untouched.reportCiphertext !== null, 'still whole');
  const snapshotOf = async (caseId: string) => {
    const r = await w.row(caseId);
    return { deletedAt: r?.deletedAt, report: r?.reportCiphertext && b64(r.reportCiphertext), heldAt: r?.heldAt?.toISOString() ?? null };
  };
  const keptBefore = await Promise.all([held, open, notYet].map((c) => snapshotOf(c.caseId)));
  t.same(await retention.sweep(sweepAt), { deleted: 1, purged: 0 }, 'at closedAt + 1 month: one case deleted');
  t.same(await Promise.all([held, open, notYet].map((c) => snapshotOf(c.caseId))), keptBefore, 'the held, the open and the not-yet-due cases are untouched');
  t.ok(keptBefore.every((k) => k.deletedAt === null && k.report), 'and whole');

  // What is left of the deleted case, in the database.
  const gone = await w.row(due.caseId);
  t.match(
    gone,
    {
      id: due.caseId,
      status: 'closed',
      deletedAt: sweepAt,
      closedAt,
      mailboxId: null,
      reporterSignPublicKey: null,
      reporterBoxPublicKey: null,
      reporterWrap: null,
      reportNonce: null,
      reportCiphertext: null,
      commitmentKey: null,
      commitmentSignature: null,
      commitmentChosen: null,
      commitmentExcluded: null,
      followUpOn: null,
      heldAt: null,
      holdCiphertext: null,
    },
    'the case row keeps its dates and status; report, reporter keys, wrap, mailbox id and commitment are null',
  );
  t.ok(gone?.receivedAt && gone.acknowledgedAt, 'its received and acknowledged times stay, for the annual report');
  t.equal(beforeDetail.commitment !== null, true, 'the case had a commitment, now removed');
  const count = async (query: Promise<unknown[]>) => (await query).length;
  t.equal(await count(db.select().from(messages).where(eq(messages.caseId, due.caseId))), 0, 'messages gone');
  t.equal(await count(db.select().from(files).where(eq(files.caseId, due.caseId))), 0, 'files gone');
  t.ok((await app.services.fileBodies.ids()).includes(fileId), 'the file body waits for the file sweep');
  t.same(await app.services.files.sweep(sweepAt), { uploads: 0, bodies: 1 }, 'which removes it, the one body no row names');
  t.notOk(existsSync(path.join(app.config.filesDir, fileId)), 'file body gone from the disk');
  t.equal(await count(db.select().from(mailboxSessions).where(eq(mailboxSessions.caseId, due.caseId))), 0, 'mailbox sessions gone');
  t.equal(await count(db.select().from(reporterEvents).where(eq(reporterEvents.caseId, due.caseId))), 0, 'reporter events gone');
  const unsent = [approved.relayId, pending.relayId];
  t.equal(await count(db.select().from(relays).where(inArray(relays.id, unsent))), 0, 'relays never sent are gone (approved and awaiting consent)');
  t.equal(await count(db.select().from(relayWraps).where(inArray(relayWraps.relayId, unsent))), 0, 'with their relay wraps');
  const [sentRow] = await db.select().from(relays).where(eq(relays.id, sent.relayId));
  t.match(sentRow, { state: 'sent', caseId: due.caseId, copyNonce: null, copyCiphertext: null, decidedAt: null }, 'the sent relay stays, without the reporter’s copy or the hour of their decision');
  t.match(gone, { messageSeq: 0, reporterSeq: 0 }, 'the length of the conversation is forgotten too');
  t.ok(sentRow?.textCiphertext.length, 'its organisation text stays');
  t.ok((await count(db.select().from(relayWraps).where(eq(relayWraps.relayId, sent.relayId)))) >= 2, 'its wraps stay');
  t.equal(await count(db.select().from(relayMessages).where(eq(relayMessages.relayId, sent.relayId))), 1, 'its thread stays');
  const opened = await olga.session.openRelay(sent.relayId);
  t.match(opened.text, { v: 1, body: relayText }, 'the recipient still reads the relay (GET /api/v1/relays/:id)');
  t.equal(opened.approval, approvalBefore, 'its approval check answers as before');
  t.same(opened.messages.map((m) => m.message.body), ['We will investigate.']);
  t.same((await olga.session.listRelays()).relays.map((r) => r.relayId), [sent.relayId], 'and still lists it');
  t.equal(await count(db.select().from(registrations).where(eq(registrations.caseId, due.caseId))), 1, 'the registration stays');
  const wraps = await db.select().from(caseWraps).where(eq(caseWraps.caseId, due.caseId));
  t.ok(wraps.length === 1 && wraps[0]?.pin, "the adviser's wrap and pin stay");

  const trail = await w.audit(due.caseId);
  const system = trail.filter((e) => e.actor === 'system');
  t.same(system, [{ actor: 'system', action: 'deletion', at: iso(sweepAt) }], "one audit entry by 'system': deletion, at the sweep time");
  t.equal(trail.filter((e) => e.action === 'deletion').length, 1, 'and no other deletion entry');
  await app.services.audit.seal();
  const bySweep = await db.select().from(auditLog).where(eq(auditLog.actor, 'system'));
  t.same(
    bySweep.map((e) => [e.action, e.subject]).sort(),
    [
      ['deletion', due.caseId],
      ['deletion', january.caseId],
    ].sort(),
    'the sweeps recorded nothing but the case ids they deleted',
  );
  t.match(await app.services.audit.verify(), { ok: true }, 'the chain verifies');

  // Through the API, for the adviser.
  t.notOk((await anna.session.listCases()).cases.some((c) => c.caseId === due.caseId), 'the list no longer shows it');
  t.notOk((await anna.session.listCases({ status: 'closed' })).cases.some((c) => c.caseId === due.caseId), 'nor the list of closed cases');
  t.same((await anna.session.listCases({ reference: caseReference(due.caseId) })).cases, [], 'nor a search by its reference');
  t.same(
    (await anna.session.listCases()).cases.map((c) => c.caseId).sort(),
    [held.caseId, open.caseId, notYet.caseId].sort(),
    'and shows the kept ones',
  );
  t.match(await apiFailure(w.client.getCase(anna.token, due.caseId)), { status: 404, code: 'unknown_case' }, 'GET case: 404 unknown_case');
  t.match(await apiFailure(anna.session.openCase(due.caseId)), { status: 404, code: 'unknown_case' });
  const base = `/api/v1/cases/${due.caseId}`;
  for (const [method, path, payload] of [
    ['PUT', `${base}/registration`, { ...anyEnvelope(), followUpOn: null }],
    ['POST', `${base}/messages`, anyEnvelope()],
    ['PATCH', base, { status: 'in_progress' }],
    ['PUT', `${base}/hold`, anyEnvelope()],
    ['DELETE', `${base}/hold`, undefined],
    ['GET', `${base}/relay-recipients`, undefined],
    ['PUT', `${base}/pin`, { pin: randomB64(64) }],
    ['POST', `${base}/grants`, { keyId: anna.id, wrap: randomB64(80) }],
  ] as const) {
    const answer = await w.call(anna, method, path, payload);
    t.same({ status: answer.status, error: answer.body?.error }, { status: 404, error: 'unknown_case' }, `${method} ${path.replace(due.caseId, ':caseId')}: 404 unknown_case`);
  }
  t.same((await w.row(due.caseId))?.status, 'closed', 'none of them changed the case');
  t.equal(await count(db.select().from(messages).where(eq(messages.caseId, due.caseId))), 0);
  t.equal((await w.call(anna, 'GET', `/api/v1/relays/${sent.relayId}`)).status, 404, 'the adviser no longer opens the relay through the case');

  // For the reporter.
  const deletedLogin = await codeLogin(baseUrl, due.code);
  const wrongLogin = await codeLogin(baseUrl, generateCode().display);
  t.same([deletedLogin.challenge, deletedLogin.status], [200, 401], 'a challenge is issued, the login refused');
  t.same(deletedLogin, wrongLogin, "the deleted case's code answers exactly as a wrong code");
  t.same(JSON.parse(deletedLogin.body), { error: 'mailbox_login_failed', message: JSON.parse(wrongLogin.body).message });
  t.match(await apiFailure(openMailbox(w.client, due.code)), { status: 401, code: 'mailbox_login_failed' }, 'the protocol login fails');
  const withOld = async (method: 'GET' | 'POST', path: string, payload?: unknown) => {
    const answer = await w.call(oldToken, method, path, payload);
    return { status: answer.status, error: answer.body?.error };
  };
  t.same(await withOld('GET', '/api/v1/mailbox'), { status: 401, error: 'not_signed_in' }, 'a session made before the deletion: 401 not_signed_in');
  t.same(await withOld('POST', '/api/v1/mailbox/messages', anyEnvelope()), { status: 401, error: 'not_signed_in' }, 'and it cannot write');
  t.same(await withOld('POST', `/api/v1/mailbox/relays/${pending.relayId}/consent`, { decision: 'approve' }), { status: 401, error: 'not_signed_in' });
  t.match(await apiFailure(mailbox.refresh()), { status: 401, code: 'not_signed_in' }, 'the open mailbox of the reporter ends too');
  t.equal(await count(db.select().from(messages).where(eq(messages.caseId, due.caseId))), 0, 'nothing was written');

  // The annual report still counts it.
  const receivedYear = gone!.receivedAt.getUTCFullYear();
  const period = { from: `${receivedYear}-01-01T00:00:00Z`, to: `${receivedYear + 1}-01-01T00:00:00Z` };
  const listedRegs = await w.client.listRegistrations(anna.token, period);
  const entry = listedRegs.registrations.find((r) => r.caseId === due.caseId);
  t.match(entry, { caseId: due.caseId, channel: 'kort', status: 'closed', registration: { nonce: String, ciphertext: String } }, 'GET /api/v1/registrations still returns it with its registration');
  const counted = await anna.session.periodCases(period);
  t.equal(counted.unread, 0, 'every registration of the period opens');
  t.ok(counted.cases.some((c) => c.registration !== null && JSON.stringify(c.registration) === JSON.stringify(record)), "the deleted case's registration decrypts for the annual report");
  t.equal(counted.cases.length, 5, 'all five cases of the period count');

  // Lifting the hold: the held case, closed long ago now, goes at the next sweep.
  const later = new Date(sweepAt.getTime() + DAY);
  t.same(await retention.sweep(later), { deleted: 0, purged: 0 }, 'held: still kept');
  await anna.session.releaseHold(held.caseId);
  t.same(await retention.sweep(later), { deleted: 1, purged: 0 }, 'after lifting the hold it is deleted at the next sweep');
  t.same((await w.row(held.caseId))?.deletedAt, later);
  t.match(await w.row(held.caseId), { heldAt: null, holdNonce: null, holdCiphertext: null, heldBy: null, reportCiphertext: null });
  t.same(await Promise.all([open, notYet].map((c) => snapshotOf(c.caseId))), keptBefore.slice(1), 'the open and the not-yet-due cases are still untouched');
  t.same(await retention.sweep(later), { deleted: 0, purged: 0 }, 'a sweep with nothing due does nothing');
  // That late, deleted cases whose following year has ended are purged too: which ones depends on today's date.
  const lastSweep = addCalendarMonths((await w.row(notYet.caseId))!.closedAt!, 24);
  const deletedRows = await db.select({ deletedAt: cases.deletedAt }).from(cases).where(sql`${cases.deletedAt} is not null`);
  const purgeable = deletedRows.filter((r) => purgeDue(r.deletedAt!) <= lastSweep).length;
  t.ok(purgeable >= 1, `the January case, deleted in ${year}, is past its following year by then`);
  t.same(await retention.sweep(lastSweep), { deleted: 1, purged: purgeable }, 'the 24-month case goes after 24 months');
  t.equal((await w.row(january.caseId)), undefined, 'and the January case is purged');
  t.equal((await w.row(open.caseId))?.deletedAt, null, 'an open case is never deleted, however late');
});

// ─── 4. The purge ──────────────────────────────────────────────────────────────────────────

t.test('a case deleted in year Y is kept through 31 December Y+1 and purged from 1 January Y+2', async (t) => {
  const w = await world(t, [{ slug: 'kort', retentionMonths: 1 }, { slug: 'dertien', retentionMonths: 13 }]);
  const { db, app } = w;
  const anna = await w.person('adviser', ['kort', 'dertien']);
  const olga = await w.person('recipient', 'org');
  const retention = app.services.retention;

  const first = await w.submit('kort');
  const mailbox = await openMailbox(w.client, first.code);
  await anna.session.setStatus(first.caseId, 'acknowledged');
  await anna.session.saveRegistration(first.caseId, { ...emptyRegistration(), track: 'integrity', categories: ['wrongdoing'] });
  const relayText = 'A relay the organisation keeps.';
  const relay = await anna.session.createRelay(first.caseId, relayText);
  await mailbox.refresh();
  await mailbox.consent(relay.relayId, 'approve');
  await anna.session.sendRelay(relay.relayId);
  await anna.session.setStatus(first.caseId, 'in_progress');
  await anna.session.setStatus(first.caseId, 'closed');
  // A second case, deleted a year later: 13 months after its closure always falls in Y+1.
  const second = await w.submit('dertien');
  await w.close(anna, second.caseId);
  await anna.session.saveRegistration(second.caseId, emptyRegistration());

  const deletedAt = addCalendarMonths((await w.row(first.caseId))!.closedAt!, 1);
  const Y = deletedAt.getUTCFullYear();
  t.same(await retention.sweep(deletedAt), { deleted: 1, purged: 0 }, `the first case deleted in ${Y}`);
  const secondAt = addCalendarMonths((await w.row(second.caseId))!.closedAt!, 13);
  t.equal(secondAt.getUTCFullYear(), Y + 1);
  t.same(await retention.sweep(secondAt), { deleted: 1, purged: 0 }, `the second case deleted in ${Y + 1}`);

  const traces = async (caseId: string) => ({
    case: (await db.select().from(cases).where(eq(cases.id, caseId))).length,
    wraps: (await db.select().from(caseWraps).where(eq(caseWraps.caseId, caseId))).length,
    registration: (await db.select().from(registrations).where(eq(registrations.caseId, caseId))).length,
  });
  t.same(await traces(first.caseId), { case: 1, wraps: 1, registration: 1 }, 'after deletion: row, wrap and registration stay');
  t.same(await retention.sweep(utc(Y + 1, 12, 31, 23, 59, 59, 999)), { deleted: 0, purged: 0 }, `on 31 Dec ${Y + 1}, the last millisecond: nothing purged`);
  t.same(await traces(first.caseId), { case: 1, wraps: 1, registration: 1 }, 'still there');
  const regYear = (await w.row(first.caseId))!.receivedAt.getUTCFullYear();
  const period = { from: `${regYear}-01-01T00:00:00Z`, to: `${regYear + 1}-01-01T00:00:00Z` };
  t.ok((await w.client.listRegistrations(anna.token, period)).registrations.some((r) => r.caseId === first.caseId), 'and counted in the annual report');

  t.same(await retention.sweep(utc(Y + 2, 1, 1)), { deleted: 0, purged: 1 }, `on 1 Jan ${Y + 2}: the first case purged`);
  t.same(await traces(first.caseId), { case: 0, wraps: 0, registration: 0 }, 'case row, wraps and registration gone');
  t.same(await traces(second.caseId), { case: 1, wraps: 1, registration: 1 }, `the case deleted in ${Y + 1} stays`);
  t.equal((await db.select().from(reporterEvents).where(eq(reporterEvents.caseId, first.caseId))).length, 0);
  const [relayRow] = await db.select().from(relays).where(eq(relays.id, relay.relayId));
  t.match(relayRow, { state: 'sent', caseId: null, copyNonce: null, copyCiphertext: null }, 'the sent relay remains, with no case');
  const opened = await olga.session.openRelay(relay.relayId);
  t.match(opened.text, { v: 1, body: relayText }, 'and the recipient still reads it');
  t.equal(opened.approval, 'verified', 'and checks it against the approval the reporter gave');
  t.equal((await w.call(anna, 'GET', `/api/v1/relays/${relay.relayId}`)).status, 404, 'the adviser does not reach the relay of a purged case');
  t.notOk((await w.client.listRegistrations(anna.token, period)).registrations.some((r) => r.caseId === first.caseId), 'the annual report no longer sees it');

  const trail = await w.audit(first.caseId);
  t.same(
    trail.filter((e) => e.actor === 'system'),
    [
      { actor: 'system', action: 'deletion', at: iso(deletedAt) },
      { actor: 'system', action: 'purge', at: iso(utc(Y + 2, 1, 1)) },
    ],
    "audited by 'system': deletion, then purge",
  );
  t.same(await retention.sweep(utc(Y + 2, 6, 1)), { deleted: 0, purged: 0 }, 'nothing left to purge in Y+2');
  t.same(await retention.sweep(utc(Y + 3, 1, 1)), { deleted: 0, purged: 1 }, `on 1 Jan ${Y + 3}: the second case purged`);
  t.same(await traces(second.caseId), { case: 0, wraps: 0, registration: 0 });
  t.equal((await w.audit(second.caseId)).filter((e) => e.action === 'purge').length, 1);
  t.match(await app.services.audit.verify(), { ok: true });
});

// ─── 5a. The sweep between a check and a write, forced ───────────────────────────────────────

t.test('a sweep that lands between a check and a write: the re-checks hold, on either database', async (t) => {
  const w = await world(t, [{ slug: 'kort', retentionMonths: 1 }]);
  const { db, app, baseUrl } = w;
  const anna = await w.person('adviser', ['kort']);
  await w.person('recipient', 'org');
  const retention = app.services.retention;
  const closedAtOf = async (caseId: string) => (await w.row(caseId))!.closedAt!;

  // A candidate list gone stale: held meanwhile.
  const heldMeanwhile = await w.submit('kort');
  await w.close(anna, heldMeanwhile.caseId);
  const staleHeld = await closedAtOf(heldMeanwhile.caseId);
  await anna.session.hold(heldMeanwhile.caseId, 'Held after the sweep listed it.');
  t.equal(await retention.deleteCase(heldMeanwhile.caseId, staleHeld, new Date()), false, 'a case held after the sweep listed it is left alone');
  const keptRow = await w.row(heldMeanwhile.caseId);
  t.ok(keptRow?.deletedAt === null && keptRow.reportCiphertext && keptRow.heldAt, 'and whole, and held');

  // Reopened meanwhile, then closed again: the listed closing time no longer matches.
  const reopened = await w.submit('kort');
  await w.close(anna, reopened.caseId);
  const firstClose = await closedAtOf(reopened.caseId);
  await anna.session.setStatus(reopened.caseId, 'in_progress');
  t.equal(await retention.deleteCase(reopened.caseId, firstClose, new Date()), false, 'a case reopened after the sweep listed it is left alone');
  await pause(5);
  await anna.session.setStatus(reopened.caseId, 'closed');
  t.equal(await retention.deleteCase(reopened.caseId, firstClose, new Date()), false, 'and so is one closed again: its retention restarted');
  const secondClose = await closedAtOf(reopened.caseId);
  t.equal(await retention.deleteCase(reopened.caseId, secondClose, new Date()), true, 'with the current closing time it is deleted');
  t.equal(await retention.deleteCase(reopened.caseId, secondClose, new Date()), false, 'once');
  t.equal((await w.audit(reopened.caseId)).filter((e) => e.action === 'deletion').length, 1, 'one deletion entry');

  /**
   * A session whose next request matching `when` finds its case deleted right after the server
   * checked it (services.cases.caseFor, which the relay routes call): the interleaving a sweep
   * can take on PostgreSQL between a route's check and its transaction, made certain.
   */
  const services = app.services.cases as { caseFor: typeof app.services.cases.caseFor };
  const original = services.caseFor;
  t.teardown(() => {
    services.caseFor = original;
  });
  const deletingSession = (caseId: string, when: (method: string, url: string) => boolean) => {
    let armed = false;
    services.caseFor = (async (accountId: string, id: string) => {
      const found = await original(accountId, id);
      if (armed && id === caseId) {
        armed = false;
        t.equal(await retention.deleteCase(caseId, await closedAtOf(caseId), new Date()), true, 'the sweep deletes the case in the gap');
      }
      return found;
    }) as typeof original;
    const arming: FetchLike = async (url, init) => {
      if (when(init?.method ?? 'GET', url)) armed = true;
      const response = await fetch(url, init);
      const text = await response.text();
      return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => text };
    };
    return new StaffSession(new ConfidantClient({ baseUrl, fetch: arming }), anna.token, anna.session.account, anna.keys);
  };

  // Sending a relay whose case the sweep deletes meanwhile: the relay (approved, never sent) went with the case.
  const sending = await w.submit('kort');
  const sendingBox = await openMailbox(w.client, sending.code);
  const approved = await anna.session.createRelay(sending.caseId, 'Approved, about to be sent.');
  await sendingBox.refresh();
  await sendingBox.consent(approved.relayId, 'approve');
  await w.close(anna, sending.caseId);
  const sendFailure = await apiFailure(deletingSession(sending.caseId, (method, url) => method === 'POST' && url.endsWith('/send')).sendRelay(approved.relayId));
  t.equal((await db.select().from(relays).where(eq(relays.id, approved.relayId))).length, 0, 'the relay never reached the organisation: it is gone');
  t.same({ status: sendFailure.status, code: sendFailure.code }, { status: 404, code: 'unknown_relay' }, 'sending it answers 404, as for a relay that does not exist');

  // Creating a relay while the sweep deletes the case: no relay may be left on the deleted case.
  const relaying = await w.submit('kort');
  await w.close(anna, relaying.caseId);
  const createFailure = await apiFailure(deletingSession(relaying.caseId, (method, url) => method === 'POST' && url.endsWith('/relays')).createRelay(relaying.caseId, 'Written as the case goes.')).catch(
    (error: unknown) => (error instanceof Error ? new ApiError(0, 'succeeded', error.message) : new ApiError(0, 'succeeded', String(error))),
  );
  t.same({ status: createFailure.status, code: createFailure.code }, { status: 404, code: 'unknown_case' }, 'creating the relay answers 404 unknown_case');
  const leftover = await db.select().from(relays).where(eq(relays.caseId, relaying.caseId));
  t.same(leftover.map((r) => ({ state: r.state, copy: r.copyCiphertext !== null })), [], 'no relay, and no reporter copy, is left on the deleted case');
  t.comment(`creating the relay answered ${createFailure.status} ${createFailure.code}; left on the deleted case: ${JSON.stringify(leftover.map((r) => ({ state: r.state, copy: r.copyCiphertext !== null })))}`);
  t.match(await w.row(relaying.caseId), { deletedAt: Date, reportCiphertext: null }, 'the case is deleted');

  // Its last traces go at the purge, whatever was left behind.
  const deletedAt = (await w.row(relaying.caseId))!.deletedAt!;
  let purge: unknown;
  try {
    purge = await retention.sweep(purgeDue(deletedAt));
  } catch (error) {
    purge = `the sweep failed: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`;
  }
  t.comment(`the purge sweep: ${typeof purge === 'string' ? purge : JSON.stringify(purge)}`);
  t.match(purge, { purged: Number }, 'the purge sweep completes');
  t.equal((await db.select().from(cases).where(eq(cases.id, relaying.caseId))).length, 0, 'and removes the case row');
});

// ─── 5. Races (PostgreSQL) ─────────────────────────────────────────────────────────────────

t.test(
  'races: a sweep against a hold, a reopen, and another sweep',
  { skip: databaseKind === 'pglite' ? 'PGlite runs one query at a time: races need PostgreSQL (TEST_DATABASE_URL)' : false },
  async (t) => {
    const w = await world(t, [{ slug: 'kort', retentionMonths: 1 }]);
    const { db, app, baseUrl } = w;
    const anna = await w.person('adviser', ['kort']);
    const retention = app.services.retention;
    const ROUNDS = 3;
    const CASES = 8;

    /** Real HTTP, so that requests run side by side on the server's connection pool. */
    const http = async (method: 'PUT' | 'PATCH', path: string, body: unknown) => {
      const response = await fetch(baseUrl + path, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${anna.token}` },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, error: text ? (JSON.parse(text) as { error?: string }).error : undefined };
    };
    const closedCases = async (n: number) => {
      const made: string[] = [];
      for (let i = 0; i < n; i++) {
        const { caseId } = await w.submit('kort');
        await w.close(anna, caseId);
        made.push(caseId);
      }
      return made;
    };
    const dueFor = async (ids: string[]) => {
      const rows = await db.select({ closedAt: cases.closedAt }).from(cases).where(inArray(cases.id, ids));
      return new Date(Math.max(...rows.map((r) => addCalendarMonths(r.closedAt!, 1).getTime())));
    };
    const jitter = (ms: number) => pause(Math.floor(Math.random() * ms));
    const auditCount = async (caseId: string, action: string) => (await w.audit(caseId)).filter((e) => e.action === action).length;

    const tally: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const ids = await closedCases(CASES);
      const reasons = await Promise.all(ids.map(async (id) => {
        const key = await anna.session.caseKey(id);
        try {
          return sealHoldReason(key, id, `Hold in round ${round}.`);
        } finally {
          key.fill(0);
        }
      }));
      const at = await dueFor(ids);
      const [swept, ...answers] = await Promise.all([
        jitter(5).then(() => retention.sweep(at)),
        ...ids.map((id, i) => jitter(40).then(() => http('PUT', `/api/v1/cases/${id}/hold`, reasons[i]))),
      ]);
      let deleted = 0;
      for (const [i, id] of ids.entries()) {
        const answer = answers[i]!;
        const row = await w.row(id);
        const outcome = `${answer.status} ${answer.error ?? ''}`.trim();
        tally[`hold ${outcome}`] = (tally[`hold ${outcome}`] ?? 0) + 1;
        if (answer.status === 200) {
          t.ok(row?.heldAt && row.deletedAt === null && row.reportCiphertext, `round ${round}, case ${i}: the hold won, the case is whole and held`);
          t.equal(await auditCount(id, 'deletion'), 0, `round ${round}, case ${i}: no deletion recorded`);
        } else {
          t.same({ status: answer.status, error: answer.error }, { status: 404, error: 'unknown_case' }, `round ${round}, case ${i}: deletion won, the hold answers 404`);
          t.ok(row?.deletedAt && row.heldAt === null && row.reportCiphertext === null, `round ${round}, case ${i}: deleted and not held`);
          t.equal(await auditCount(id, 'hold'), 0, `round ${round}, case ${i}: no hold recorded`);
          deleted++;
        }
      }
      t.equal(swept.deleted, deleted, `round ${round}: the sweep counts what it deleted`);
    }
    t.comment(`hold against sweep: ${JSON.stringify(tally)}`);

    const reopenTally: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const ids = await closedCases(CASES);
      const at = await dueFor(ids);
      const [swept, ...answers] = await Promise.all([
        jitter(5).then(() => retention.sweep(at)),
        ...ids.map((id) => jitter(40).then(() => http('PATCH', `/api/v1/cases/${id}`, { status: 'in_progress' }))),
      ]);
      let deleted = 0;
      for (const [i, id] of ids.entries()) {
        const answer = answers[i]!;
        const row = await w.row(id);
        const outcome = `${answer.status} ${answer.error ?? ''}`.trim();
        reopenTally[`reopen ${outcome}`] = (reopenTally[`reopen ${outcome}`] ?? 0) + 1;
        if (answer.status === 200) {
          t.ok(row?.status === 'in_progress' && row.closedAt === null && row.deletedAt === null && row.reportCiphertext, `round ${round}, case ${i}: the reopen won, the case is whole and open`);
        } else {
          t.same({ status: answer.status, error: answer.error }, { status: 404, error: 'unknown_case' }, `round ${round}, case ${i}: deletion won, the reopen answers 404`);
          t.ok(row?.status === 'closed' && row.deletedAt && row.reportCiphertext === null, `round ${round}, case ${i}: deleted, still closed`);
          deleted++;
        }
      }
      t.equal(swept.deleted, deleted, `round ${round}: the sweep counts what it deleted`);
    }
    t.comment(`reopen against sweep: ${JSON.stringify(reopenTally)}`);

    for (let round = 0; round < ROUNDS; round++) {
      const ids = await closedCases(CASES);
      const at = await dueFor(ids);
      const results = await Promise.all(Array.from({ length: 4 }, () => jitter(5).then(() => retention.sweep(at))));
      t.equal(results.reduce((n, r) => n + r.deleted, 0), CASES, `round ${round}: four parallel sweeps delete ${CASES} cases in all`);
      for (const id of ids) {
        t.ok((await w.row(id))?.deletedAt, 'deleted');
        t.equal(await auditCount(id, 'deletion'), 1, 'one deletion audit entry per case');
      }
    }
    t.match(await app.services.audit.verify(), { ok: true });
  },
);

// ─── 6. Invites ────────────────────────────────────────────────────────────────────────────

t.test('sweepInvites: an expired unused invite goes; an unexpired one and a used one stay', async (t) => {
  const w = await world(t, [{ slug: 'loket' }]);
  const { db, app } = w;
  const admin = app.services.administration;
  const now = new Date();
  const expired = await admin.createInvite({ role: 'adviser', channel: 'loket' }, new Date(now.getTime() - 8 * DAY));
  const live = await admin.createInvite({ role: 'recipient', organisation: 'org' }, now);
  const anna = await w.person('adviser', ['loket']);
  const [used] = await db.select().from(invites).where(eq(invites.accountId, anna.id));
  t.ok(used?.usedAt, 'accepting an invite marks it used');
  // A used invite expired long ago: it names the account it made, and stays.
  await db.update(invites).set({ expiresAt: new Date(now.getTime() - 30 * DAY) }).where(eq(invites.id, used!.id));
  t.ok(expired.expiresAt < now && live.expiresAt > now);

  const ids = async () => (await db.select({ id: invites.id }).from(invites)).map((r) => r.id).sort();
  t.same(await ids(), [expired.id, live.id, used!.id].sort());
  await app.services.accounts.sweepInvites(now);
  t.same(await ids(), [live.id, used!.id].sort(), 'the expired unused invite is removed');
  await app.services.accounts.sweepInvites(now);
  t.same(await ids(), [live.id, used!.id].sort(), 'a second sweep changes nothing');
  await app.services.accounts.sweepInvites(new Date(live.expiresAt.getTime() + 1));
  t.same(await ids(), [used!.id], 'once it has expired, the other unused invite goes too; the used one stays');
  const keys = makeStaffKeys();
  const late = w.client.acceptInvite({
    token: live.token,
    username: 'too-late',
    displayName: 'Too late',
    kdf: { salt: randomB64(16), ops: STAFF_ARGON2_OPS, mem: STAFF_ARGON2_MEM },
    authKey: randomB64(32),
    boxPublicKey: b64(keys.boxPublicKey),
    signPublicKey: b64(keys.signPublicKey),
    keyBundle: sealKeyBundle(randomBytes(32), keys, 'too-late'),
    recoveryBundle: sealRecoveryBundle(randomBytes(32), keys, 'too-late'),
  });
  t.match(await apiFailure(late), { status: 404, code: 'invite_invalid' }, 'a swept invite answers like any invalid one');
});
