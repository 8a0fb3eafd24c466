/**
 * The registrations of a period for the annual report (GET /api/v1/registrations): every case
 * received in [from, to) that holds a wrap for the signed-in adviser, oldest first, a keyset page
 * at a time, each with the server's dates, the adviser's wrap and the encrypted registration as
 * it was saved (or null). Every success answer's exact shape; every refusal's status, code, a
 * body of exactly { error, message } and no echo; one audit entry per reading of a period.
 *
 * Cases are inserted as the reporter route stores them (a real case key sealed to each holder, a
 * real encrypted report) where a test needs times in the past, and submitted with the protocol
 * client (submitNewReport) for the annual-report flow at the end. Advisers are stored as invite
 * acceptance stores them (fixtures.addAdviser), with sessions stored as login stores them.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { asc, gt } from 'drizzle-orm';
import {
  ConfidantClient,
  REGISTRATION_BLOCK,
  REPORT_BLOCK,
  decryptRecord,
  emptyRegistration,
  encryptRecord,
  makeStaffKeys,
  readRegistration,
  ready,
  registrationAd,
  reportAd,
  sealKey,
  sealKeyBundle,
  sealRecoveryBundle,
  sodium,
  submitNewReport,
  unsealKey,
  type Registration,
} from '../src/protocol/index.js';
import { adviserChannels, auditLog, caseWraps, cases, type CaseStatus } from '../src/server/db/schema.js';

import { createAdministration } from '../src/server/services/administration.js';

import { apiFailure, buildTestApp } from './helper.js';
import { addAdviser, addChannel, sessionOf, type TestAdviser } from './fixtures.js';
import { ECHO, isError } from './helpers/answers.js';

await ready();

const { app, database, baseUrl } = await buildTestApp(t);
const { db } = database;
const loket = await addChannel(db, 'loket');
const tweede = await addChannel(db, 'tweede');

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));
const iso = (ms: number) => new Date(ms).toISOString();

// ─── Accounts ───────────────────────────────────────────────────────────────────────────────

interface Adviser extends TestAdviser {
  token: string;
}

/** An adviser of `channel` (and of `more`), signed in. */
async function newAdviser(channel = 'loket', ...more: Array<{ id: string }>): Promise<Adviser> {
  const adviser = await addAdviser(db, channel);
  for (const other of more) await db.insert(adviserChannels).values({ accountId: adviser.id, channelId: other.id });
  return { ...adviser, token: await sessionOf(db, adviser.id) };
}

/** A recipient of loket's organisation, made through an invite and signed in. */
async function newRecipientToken(): Promise<string> {
  const admin = createAdministration(db, { powDifficulty: 0 });
  const invite = await admin.createInvite({ role: 'recipient', organisation: 'loket-org' });
  const username = `recipient-${randomBytes(4).toString('hex')}`;
  const authKey = randomB64(32);
  const keys = makeStaffKeys();
  const accepted = await app.inject({
    method: 'POST',
    url: '/api/v1/invites/accept',
    payload: {
      token: invite.token,
      username,
      displayName: 'Recipient',
      kdf: { salt: randomB64(16), ops: 3, mem: 134217728 },
      authKey,
      boxPublicKey: b64(keys.boxPublicKey),
      signPublicKey: b64(keys.signPublicKey),
      keyBundle: sealKeyBundle(randomBytes(32), keys, username),
      recoveryBundle: sealRecoveryBundle(randomBytes(32), keys, username),
    },
  });
  if (accepted.statusCode !== 201) throw new Error(`accepting failed: ${accepted.body}`);
  const signedIn = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, authKey } });
  if (signedIn.statusCode !== 200) throw new Error(`login failed: ${signedIn.body}`);
  return signedIn.json().token as string;
}

/** A request as `who` (an adviser, a raw token, or nobody). */
function request(who: Adviser | string | undefined, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const token = typeof who === 'string' ? who : who?.token;
  return app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

// ─── Cases ──────────────────────────────────────────────────────────────────────────────────

interface MadeCase {
  id: string;
  caseKey: Uint8Array;
  receivedAt: Date;
}

/** A case inserted as the reporter route stores one, sealed to `holders`, at the time the test sets. */
async function insertCase(
  holders: Adviser[],
  options: { id?: string; channelId?: string; receivedAt: Date; status?: CaseStatus; acknowledgedAt?: Date | null; feedbackGivenAt?: Date | null },
): Promise<MadeCase> {
  const s = sodium();
  const id = options.id ?? randomB64(16);
  const caseKey = s.randombytes_buf(32);
  const box = s.crypto_box_keypair();
  const report = encryptRecord(caseKey, { v: 1, lang: 'nl', answers: { what: 'Declaraties dubbel ingediend.' }, anonymity: 'anonymous' }, reportAd(id), REPORT_BLOCK);
  await db.insert(cases).values({
    id,
    channelId: options.channelId ?? loket.id,
    mailboxId: randomB64(16),
    reporterSignPublicKey: s.crypto_sign_keypair().publicKey,
    reporterBoxPublicKey: box.publicKey,
    reporterWrap: fromB64(sealKey(caseKey, box.publicKey)),
    reportNonce: fromB64(report.nonce),
    reportCiphertext: fromB64(report.ciphertext),
    status: options.status ?? 'received',
    receivedAt: options.receivedAt,
    acknowledgedAt: options.acknowledgedAt ?? null,
    feedbackGivenAt: options.feedbackGivenAt ?? null,
  });
  if (holders.length > 0) {
    await db.insert(caseWraps).values(holders.map((h) => ({ caseId: id, accountId: h.id, wrap: fromB64(sealKey(caseKey, h.boxPublicKey)), createdAt: options.receivedAt })));
  }
  return { id, caseKey, receivedAt: options.receivedAt };
}

/** Saves `record` as `adviser` through the route; returns the envelope as sent and the answer's updatedAt. */
async function putRegistration(adviser: Adviser, made: MadeCase, record: Registration) {
  const envelope = encryptRecord(made.caseKey, record, registrationAd(made.id), REGISTRATION_BLOCK);
  const answer = await request(adviser, 'PUT', `/api/v1/cases/${made.id}/registration`, envelope);
  if (answer.statusCode !== 200) throw new Error(`saving the registration failed: ${answer.body}`);
  return { ...envelope, updatedAt: answer.json().updatedAt as string };
}

/** Ids of only [a-z0-9] (with a canonical last symbol), so that every collation orders them as JavaScript does. */
const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
const neutralId = () => `${Array.from(randomBytes(21), (byte) => alphabet[byte % alphabet.length]).join('')}g`;

// ─── The route ──────────────────────────────────────────────────────────────────────────────

interface Item {
  caseId: string;
  channel: string;
  status: CaseStatus;
  receivedAt: string;
  acknowledgedAt: string | null;
  feedbackGivenAt: string | null;
  wrap: string;
  pin: string | null;
  keyCopy: { nonce: string; ciphertext: string } | null;
  registration: { nonce: string; ciphertext: string; updatedAt: string } | null;
}
interface Page {
  registrations: Item[];
  next: string | null;
}

const ITEM_KEYS = ['acknowledgedAt', 'caseId', 'channel', 'feedbackGivenAt', 'keyCopy', 'pin', 'receivedAt', 'registration', 'status', 'wrap'];

const query = (parameters: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined) search.set(key, String(value));
  return `/api/v1/registrations?${search.toString()}`;
};

async function page(adviser: Adviser, parameters: Record<string, string | number | undefined>): Promise<Page> {
  const answer = await request(adviser, 'GET', query(parameters));
  if (answer.statusCode !== 200) throw new Error(`reading the registrations failed: ${answer.body}`);
  return answer.json() as Page;
}

/** Every page, following `next`, as the annual report reads a period. */
async function allPages(adviser: Adviser, parameters: Record<string, string | number | undefined>) {
  const pages: Page[] = [];
  let after: string | undefined;
  do {
    const next = await page(adviser, { ...parameters, after });
    pages.push(next);
    after = next.next ?? undefined;
  } while (after !== undefined && pages.length < 100);
  return pages;
}

let auditMark = 0;
/** The audit entries recorded since the previous call, sealed into the chain first. */
async function newAuditEntries(): Promise<Array<{ actor: string; action: string; subject: string | null }>> {
  await app.services.audit.seal();
  const rows = await db.select().from(auditLog).where(gt(auditLog.seq, auditMark)).orderBy(asc(auditLog.seq));
  auditMark = rows.at(-1)?.seq ?? auditMark;
  return rows.map((r) => ({ actor: r.actor, action: r.action, subject: r.subject }));
}

// ─── Tests ──────────────────────────────────────────────────────────────────────────────────

t.test('every case received in [from, to) with a wrap for this adviser, oldest first, each with exactly its fields', async (t) => {
  const anna = await newAdviser('loket', tweede);
  const bert = await newAdviser('loket');
  const carl = await newAdviser('tweede');
  const from = Date.UTC(2025, 0, 1);
  const to = Date.UTC(2026, 0, 1);
  const at = (ms: number) => new Date(ms);

  const first = await insertCase([anna], { receivedAt: at(from) });
  const acknowledged = await insertCase([anna], {
    receivedAt: at(from + 10 * DAY),
    status: 'closed',
    acknowledgedAt: at(from + 12 * DAY),
    feedbackGivenAt: at(from + 40 * DAY),
  });
  const shared = await insertCase([anna, bert], { channelId: tweede.id, receivedAt: at(from + 20 * DAY) });
  const granted = await insertCase([bert], { receivedAt: at(from + 30 * DAY) });
  const last = await insertCase([anna], { receivedAt: at(to - 1) });
  // Outside: just before `from`, exactly at `to`; someone else's; another channel's adviser's; nobody's.
  const before = await insertCase([anna], { receivedAt: at(from - 1) });
  const atEnd = await insertCase([anna], { receivedAt: at(to) });
  const bertsOwn = await insertCase([bert], { receivedAt: at(from + 5 * DAY) });
  const carlsOwn = await insertCase([carl], { channelId: tweede.id, receivedAt: at(from + 6 * DAY) });
  await insertCase([], { receivedAt: at(from + 7 * DAY) });

  // Bert grants his case to Anna through the route: then it is hers to count too.
  const grant = await request(bert, 'POST', `/api/v1/cases/${granted.id}/grants`, { keyId: anna.id, wrap: sealKey(granted.caseKey, anna.boxPublicKey) });
  t.equal(grant.statusCode, 201, 'Bert grants a case to Anna');

  const record: Registration = { ...emptyRegistration(), kind: 'report', track: 'integrity', categories: ['fraud-theft'], minutes: 45, notes: 'Declaraties.' };
  const savedAcknowledged = await putRegistration(anna, acknowledged, record);
  // Saved by the other holder of the case: the registration is the case's, not the adviser's.
  const savedShared = await putRegistration(bert, shared, { ...emptyRegistration(), kind: 'question' });
  const savedGranted = await putRegistration(anna, granted, { ...emptyRegistration(), kind: 'advice' });
  await putRegistration(anna, before, emptyRegistration());
  await putRegistration(bert, bertsOwn, emptyRegistration());

  await newAuditEntries();
  const answer = await request(anna, 'GET', query({ from: iso(from), to: iso(to) }));
  t.equal(answer.statusCode, 200, '200');
  const body = answer.json() as Page;
  t.strictSame(Object.keys(body).sort(), ['next', 'registrations'], 'exactly { registrations, next }');
  t.strictSame(
    body.registrations.map((r) => r.caseId),
    [first.id, acknowledged.id, shared.id, granted.id, last.id],
    "this adviser's cases received in the period, oldest first; the granted case too; the case of two advisers once",
  );
  t.equal(body.next, null, 'one page: next is null');
  for (const item of body.registrations) t.strictSame(Object.keys(item).sort(), ITEM_KEYS, `${item.caseId}: exactly the fields of an item`);
  const ids = body.registrations.map((r) => r.caseId);
  t.notOk(ids.includes(before.id), 'a case received 1 ms before `from` is not in the period (from is inclusive, nothing earlier)');
  t.notOk(ids.includes(atEnd.id), 'a case received exactly at `to` is not in the period (to is exclusive)');
  t.ok(ids.includes(first.id) && ids.includes(last.id), 'cases received exactly at `from` and 1 ms before `to` are');
  t.notOk(ids.includes(bertsOwn.id), "a colleague's case without Anna's wrap is not listed");
  t.notOk(ids.includes(carlsOwn.id), "another channel's adviser's case is not listed");

  const byId = new Map(body.registrations.map((r) => [r.caseId, r]));
  t.strictSame(
    byId.get(acknowledged.id),
    {
      caseId: acknowledged.id,
      channel: 'loket',
      status: 'closed',
      receivedAt: iso(from + 10 * DAY),
      acknowledgedAt: iso(from + 12 * DAY),
      feedbackGivenAt: iso(from + 40 * DAY),
      wrap: byId.get(acknowledged.id)?.wrap,
      pin: null,
      keyCopy: null,
      registration: savedAcknowledged,
    },
    'a closed case: its status, the three dates, and the registration envelope exactly as it was PUT, with the updatedAt the PUT answered',
  );
  t.strictSame(
    byId.get(first.id),
    {
      caseId: first.id,
      channel: 'loket',
      status: 'received',
      receivedAt: iso(from),
      acknowledgedAt: null,
      feedbackGivenAt: null,
      wrap: byId.get(first.id)?.wrap,
      pin: null,
      keyCopy: null,
      registration: null,
    },
    'a new case without a registration: registration null, no acknowledgement or feedback',
  );
  t.strictSame(byId.get(shared.id)?.registration, savedShared, 'the registration saved by the other holder of the case');
  t.equal(byId.get(shared.id)?.channel, 'tweede', 'with the slug of its channel');
  t.strictSame(byId.get(granted.id)?.registration, savedGranted, 'the granted case with its registration');

  for (const [what, made] of [['first', first], ['shared', shared], ['granted', granted]] as const) {
    const item = byId.get(made.id)!;
    t.same(unsealKey(item.wrap, anna.boxPublicKey, anna.boxSecretKey), made.caseKey, `${what}: the wrap is Anna's own, and opens to the case key`);
  }
  const opened = decryptRecord(unsealKey(byId.get(acknowledged.id)!.wrap, anna.boxPublicKey, anna.boxSecretKey), savedAcknowledged, registrationAd(acknowledged.id), REGISTRATION_BLOCK);
  t.strictSame(readRegistration(opened), record, 'the case key from the wrap opens the registration to the record saved');

  t.strictSame(await newAuditEntries(), [{ actor: anna.id, action: 'registrations_read', subject: null }], 'one audit entry: registrations_read, no channel');

  // Each adviser reads only the cases holding a wrap for them.
  t.strictSame(
    (await page(bert, { from: iso(from), to: iso(to) })).registrations.map((r) => r.caseId),
    [bertsOwn.id, shared.id, granted.id],
    'Bert: his own case, the shared one and the one he granted (he keeps his wrap)',
  );
  t.strictSame(
    (await page(carl, { from: iso(from), to: iso(to) })).registrations.map((r) => r.caseId),
    [carlsOwn.id],
    "Carl: only his own case; Anna's tweede case without his wrap is not listed",
  );

  // The pin is the reading adviser's own: Anna pins the shared case, Bert has not.
  const pin = randomB64(64);
  t.equal((await request(anna, 'PUT', `/api/v1/cases/${shared.id}/pin`, { pin })).statusCode, 204, 'Anna pins the key of the shared case');
  const pinOf = async (who: Adviser) => (await page(who, { from: iso(from), to: iso(to) })).registrations.find((r) => r.caseId === shared.id)?.pin;
  t.equal(await pinOf(anna), pin, "Anna's item carries her pin as she stored it");
  t.equal(await pinOf(bert), null, "Bert's item of the same case: no pin, he never pinned it");

  // The bounds as a half-open interval, one millisecond at a time.
  const window = async (a: number, b: number) => (await page(anna, { from: iso(a), to: iso(b) })).registrations.map((r) => r.caseId);
  t.strictSame(await window(from, from + 1), [first.id], '[from, from + 1 ms): the case received at `from`');
  t.strictSame(await window(from - 1, from), [before.id], '[from − 1 ms, from): only the case received 1 ms before');
  t.strictSame(await window(to - 1, to), [last.id], '[to − 1 ms, to): the case received 1 ms before `to`');
  t.strictSame(await window(to, to + 1), [atEnd.id], '[to, to + 1 ms): the case received at `to`');
  t.strictSame(await window(from + 1, from + 10 * DAY), [], 'a window between cases: an empty page');
  t.strictSame(await window(from - DAY, to + DAY), [before.id, first.id, acknowledged.id, shared.id, granted.id, last.id, atEnd.id], 'a wider period: all seven');
  const wider = await page(anna, { from: iso(from - 1), to: iso(to + 1) });
  t.not(wider.registrations.find((r) => r.caseId === before.id)?.registration, null, 'a case outside the first period shows its registration once a period holds it');
});

t.test('keyset pages cover every case exactly once, in order, across equal receivedAt values', async (t) => {
  const pia = await newAdviser('loket', tweede);
  const base = Date.UTC(2024, 5, 1);
  // 6 cases at distinct times and groups of 3 and 4 at one time each, inserted in a shuffled order.
  const times = [
    ...Array.from({ length: 6 }, (_, i) => base + i * 11 * MINUTE),
    ...Array.from({ length: 3 }, () => base + 20 * MINUTE),
    ...Array.from({ length: 4 }, () => base + 3 * HOUR),
  ];
  const shuffled = times.map((time) => ({ time, key: Math.random() })).sort((a, b) => a.key - b.key);
  const made: Array<{ id: string; time: number; channel: string }> = [];
  for (const [i, { time }] of shuffled.entries()) {
    const id = neutralId();
    const channel = i % 3 === 0 ? 'tweede' : 'loket';
    await insertCase([pia], { id, receivedAt: new Date(time), channelId: channel === 'tweede' ? tweede.id : loket.id });
    made.push({ id, time, channel });
  }
  const expected = [...made].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1)).map((c) => c.id);
  const n = expected.length;
  t.equal(n, 13, '13 cases');
  const period = { from: iso(base), to: iso(base + DAY) };

  const whole = await page(pia, period);
  t.strictSame(whole.registrations.map((r) => r.caseId), expected, 'the default page (500) holds all: oldest first, equal times by id');
  t.equal(whole.next, null, 'and next is null');

  for (const limit of [1, 2, 3, 4, 12, 13, 14, 1000]) {
    const pages = await allPages(pia, { ...period, limit });
    const seen = pages.flatMap((p) => p.registrations.map((r) => r.caseId));
    t.strictSame(seen, expected, `limit ${limit}: the pages together are every case exactly once, in order`);
    t.equal(pages.length, Math.max(1, Math.ceil(n / limit)), `limit ${limit}: ${Math.max(1, Math.ceil(n / limit))} pages`);
    t.ok(pages.slice(0, -1).every((p) => p.registrations.length === limit && p.next !== null), `limit ${limit}: every page but the last is full and has a next`);
    t.equal(pages.at(-1)?.next, null, `limit ${limit}: the last page's next is null`);
    for (const p of pages) if (p.next !== null) t.match(p.next, /^[A-Za-z0-9_-]+$/, `limit ${limit}: the cursor is base64url`);
    const timeOf = (id: string | undefined) => made.find((c) => c.id === id)?.time;
    if (limit === 2 || limit === 3) {
      t.ok(expected.some((id, i) => i > 0 && i % limit === 0 && timeOf(id) === timeOf(expected[i - 1])), `limit ${limit}: a page boundary falls inside a group of equal times`);
    }
  }

  // The channel filter with pages of 2: a cursor works with a filter too.
  for (const channel of ['loket', 'tweede']) {
    const only = made.filter((c) => c.channel === channel).map((c) => c.id);
    const inOrder = expected.filter((id) => only.includes(id));
    const pages = await allPages(pia, { ...period, channel, limit: 2 });
    t.strictSame(pages.flatMap((p) => p.registrations.map((r) => r.caseId)), inOrder, `channel=${channel}, limit 2: its ${inOrder.length} cases, once each, in order`);
    t.ok(pages.flatMap((p) => p.registrations).every((r) => r.channel === channel), `channel=${channel}: only that channel's cases`);
  }

  // A cursor stays inside the period it is used with: the next page of a shorter period ends there.
  const firstTwo = await page(pia, { ...period, limit: 2 });
  const shorter = await page(pia, { from: period.from, to: iso(base + 21 * MINUTE), after: firstTwo.next ?? undefined });
  t.strictSame(
    shorter.registrations.map((r) => r.caseId),
    made.filter((c) => c.time < base + 21 * MINUTE).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1)).map((c) => c.id).slice(2),
    'after the first two, a shorter period gives the rest of the shorter period only',
  );

  // A cursor is a position, (receivedAt, id): the cases after that case, whichever page gave it.
  for (const i of [0, 4, 5, 12]) {
    const at = made.find((c) => c.id === expected[i])!;
    const position = Buffer.from(`${iso(at.time)}|${at.id}`).toString('base64url');
    const rest = await page(pia, { ...period, after: position });
    t.strictSame(rest.registrations.map((r) => r.caseId), expected.slice(i + 1), `after = (time, id) of case ${i + 1}: the ${n - i - 1} cases after it`);
  }
});

t.test('the channel filter', async (t) => {
  const fien = await newAdviser('loket', tweede);
  const from = Date.UTC(2023, 0, 1);
  const inLoket = await insertCase([fien], { receivedAt: new Date(from + HOUR) });
  const inTweede = await insertCase([fien], { channelId: tweede.id, receivedAt: new Date(from + 2 * HOUR) });
  const period = { from: iso(from), to: iso(from + DAY) };
  const ids = async (channel?: string) => (await page(fien, { ...period, channel })).registrations.map((r) => r.caseId);
  t.strictSame(await ids(), [inLoket.id, inTweede.id], 'no filter: both channels');
  t.strictSame(await ids('loket'), [inLoket.id], 'channel=loket');
  t.strictSame(await ids('tweede'), [inTweede.id], 'channel=tweede');
  t.strictSame(await ids('nergens'), [], 'a channel that does not exist: an empty page, not an error');

  const gijs = await newAdviser('loket');
  t.strictSame((await page(gijs, { ...period, channel: 'tweede' })).registrations, [], "a channel the adviser does not serve: an empty page");
  t.strictSame((await page(gijs, period)).registrations, [], "and Fien's cases are not Gijs's");

  const refused: Array<[string, string, string]> = [
    ['an upper-case channel', `${ECHO}X`.toUpperCase(), 'invalid_channel'],
    ['a channel with a slash', 'a/b', 'invalid_channel'],
    ['an empty channel', '', 'invalid_channel'],
    ['a channel of 65 characters', 'c'.repeat(65), 'invalid_channel'],
  ];
  for (const [what, channel, code] of refused) isError(t, await request(fien, 'GET', query({ ...period, channel })), 400, code, what);
});

t.test('refusals: the period, the query, the cursor, the session and the role', async (t) => {
  const hugo = await newAdviser('loket');
  await insertCase([hugo], { receivedAt: new Date(Date.UTC(2022, 2, 1)) });
  const recipient = await newRecipientToken();
  const from = Date.UTC(2022, 0, 1);
  const to = Date.UTC(2023, 0, 1);
  const period = { from: iso(from), to: iso(to) };
  const url = (parameters: Record<string, string | number | undefined>) => query(parameters);

  await newAuditEntries();
  const periods: Array<[string, Record<string, string>]> = [
    ['from equal to to', { from: iso(from), to: iso(from) }],
    ['from after to', { from: iso(to), to: iso(from) }],
    ['from 1 ms after to', { from: iso(from + 1), to: iso(from) }],
    ['eleven years', { from: '2010-01-01T00:00:00.000Z', to: '2021-01-01T00:00:00.000Z' }],
    ['ten years and a month', { from: '2010-01-01T00:00:00.000Z', to: '2020-02-01T00:00:00.000Z' }],
  ];
  for (const [what, parameters] of periods) isError(t, await request(hugo, 'GET', url(parameters)), 400, 'invalid_period', what);
  for (const [what, parameters] of [
    ['ten calendar years', { from: '2016-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }],
    ['one millisecond', { from: iso(from), to: iso(from + 1) }],
  ] as const) {
    t.equal((await request(hugo, 'GET', url(parameters))).statusCode, 200, `${what}: 200`);
  }
  await newAuditEntries();

  const malformed: Array<[string, string, string]> = [
    ['no from', url({ to: period.to }), 'missing_from'],
    ['no to', url({ from: period.from }), 'missing_to'],
    ['no query at all', '/api/v1/registrations', 'missing_from'],
    ['an unknown parameter', url({ ...period, [ECHO]: '1' }), 'unknown_field'],
    ['limit 0', url({ ...period, limit: 0 }), 'invalid_limit'],
    ['limit 1001', url({ ...period, limit: 1001 }), 'invalid_limit'],
    ['limit -1', url({ ...period, limit: -1 }), 'invalid_limit'],
    ['limit 1.5', url({ ...period, limit: '1.5' }), 'invalid_limit'],
    ['limit ten', url({ ...period, limit: 'ten' }), 'invalid_limit'],
    ['an empty limit', url({ ...period, limit: '' }), 'invalid_limit'],
  ];
  for (const [what, path, code] of malformed) isError(t, await request(hugo, 'GET', path), 400, code, what);
  for (const limit of [1, 1000]) t.equal((await request(hugo, 'GET', url({ ...period, limit }))).statusCode, 200, `limit=${limit} is accepted`);
  await newAuditEntries();

  const encoded = (text: string) => Buffer.from(text).toString('base64url');
  const cursors: Array<[string, string]> = [
    ['random text', `${ECHO}garbage`],
    ['no case id', encoded(new Date(from).toISOString())],
    ['not a time', encoded(`${ECHO}|${randomB64(16)}`)],
    ['an impossible day', encoded(`2022-02-30T00:00:00.000Z|${randomB64(16)}`)],
    ['a time before 1970', encoded(`1969-12-31T23:59:59.999Z|${randomB64(16)}`)],
    ['a case id of 15 bytes', encoded(`${iso(from)}|${randomB64(15)}`)],
    ['a dot', 'abc.def'],
    ['an empty cursor', ''],
    ['201 characters', 'a'.repeat(201)],
  ];
  for (const [what, after] of cursors) isError(t, await request(hugo, 'GET', url({ ...period, after })), 400, 'invalid_after', `after: ${what}`, [after]);

  isError(t, await request(undefined, 'GET', url(period)), 401, 'not_signed_in', 'no session');
  isError(t, await request(randomB64(32), 'GET', url(period)), 401, 'not_signed_in', 'a made-up token');
  isError(t, await request(recipient, 'GET', url(period)), 403, 'advisers_only', 'a recipient of the organisation');
  t.strictSame(await newAuditEntries(), [], 'no refused request is audited');

  // A signed-out session: the same 401.
  const ended = await newAdviser('loket');
  t.equal((await request(ended, 'POST', '/api/v1/auth/logout')).statusCode, 204, 'an adviser logs out');
  isError(t, await request(ended, 'GET', url(period)), 401, 'not_signed_in', 'a session that was logged out');
});

t.test('from and to must be times PostgreSQL can store, as the contract says (date-time): 400, never 500', async (t) => {
  const jet = await newAdviser('loket');
  const to = '2026-01-01T00:00:00.000Z';
  const refused: Array<[string, Record<string, string>, string]> = [
    ['from that is no time', { from: `${ECHO}`, to }, 'invalid_from'],
    ['to that is no time', { from: '2025-01-01T00:00:00.000Z', to: `${ECHO}` }, 'invalid_to'],
    ['from on February 30th', { from: '2025-02-30T00:00:00.000Z', to }, 'invalid_from'],
    ['from a bare number (year 12345)', { from: '12345', to: '12346' }, 'invalid_from'],
    ['from in year +275000', { from: '+275000-01-01T00:00:00.000Z', to: '+275001-01-01T00:00:00.000Z' }, 'invalid_from'],
    ['from in year -4000', { from: '-004000-01-01T00:00:00.000Z', to: '-003999-01-01T00:00:00.000Z' }, 'invalid_from'],
  ];
  for (const [what, parameters, code] of refused) {
    const answer = await request(jet, 'GET', query(parameters));
    t.not(answer.statusCode, 500, `${what}: not a 500`);
    t.equal(answer.statusCode, 400, `${what}: 400`);
    t.equal((answer.json() as { error?: string }).error, code, `${what}: ${code}`);
    t.notOk(answer.body.includes(ECHO), `${what}: no echo`);
  }
});

t.test('audit: one registrations_read per reading of a period, naming the channel filter; none for later pages', async (t) => {
  const ilse = await newAdviser('loket', tweede);
  const from = Date.UTC(2021, 0, 1);
  for (let i = 0; i < 5; i++) await insertCase([ilse], { receivedAt: new Date(from + i * HOUR), channelId: i % 2 === 0 ? loket.id : tweede.id });
  const period = { from: iso(from), to: iso(from + DAY) };

  await newAuditEntries();
  const pages = await allPages(ilse, { ...period, limit: 2 });
  t.equal(pages.length, 3, 'three pages of 2');
  t.strictSame(await newAuditEntries(), [{ actor: ilse.id, action: 'registrations_read', subject: null }], 'three pages: one entry, for the first page (no after)');

  const tweedePages = await allPages(ilse, { ...period, channel: 'tweede', limit: 1 });
  t.equal(tweedePages.length, 2, 'tweede: two pages of 1');
  t.strictSame(await newAuditEntries(), [{ actor: ilse.id, action: 'registrations_read', subject: 'tweede' }], 'with a channel filter: the subject is the channel');

  await page(ilse, { ...period, channel: 'nergens' });
  t.strictSame(await newAuditEntries(), [{ actor: ilse.id, action: 'registrations_read', subject: 'nergens' }], 'an empty page is a reading too');

  await page(ilse, { ...period, after: pages[0]!.next! });
  t.strictSame(await newAuditEntries(), [], 'a later page alone (with after): no entry');

  await page(ilse, { from: iso(from - 365 * DAY), to: iso(from - 364 * DAY) });
  await page(ilse, period);
  t.strictSame(
    await newAuditEntries(),
    [
      { actor: ilse.id, action: 'registrations_read', subject: null },
      { actor: ilse.id, action: 'registrations_read', subject: null },
    ],
    'each reading of a period is its own entry',
  );
});

t.test('the annual-report flow through the client: submitted cases, saved registrations, pages of 2, each decrypted', async (t) => {
  const admin = createAdministration(db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'jaar-org', name: 'Jaarverslag' });
  const channel = await admin.createChannel({ slug: 'jaar', name: 'Jaar', organisation: 'jaar-org' });
  const jan = await newAdviser('jaar');
  const client = new ConfidantClient({ baseUrl });
  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Een melding voor het jaarverslag.' }, anonymity: 'anonymous' as const };
  // Reporter times are whole hours: the period starts two hours back.
  const start = Date.now() - 2 * HOUR;
  const submitted = [];
  for (let i = 0; i < 3; i++) submitted.push(await submitNewReport(client, { slug: 'jaar', report, adviserKeyIds: [jan.id] }));
  // One older case of the channel, from before the period the report asks about.
  await insertCase([jan], { channelId: channel.id, receivedAt: new Date(start - 30 * DAY) });

  const records: Registration[] = [
    { ...emptyRegistration(), kind: 'report', contactBy: 'web', track: 'integrity', categories: ['wrongdoing', 'irregularity'], minutes: 30, outcome: 'ongoing' },
    { ...emptyRegistration(), kind: 'question', track: 'undesirable-behaviour', categories: ['bullying'], actions: ['listened', 'referred'], referredTo: ['company-doctor'] },
  ];
  const caseKeyOf = async (caseId: string) => {
    const listed = await client.listCases(jan.token, {});
    const wrap = listed.cases.find((c) => c.caseId === caseId)?.wrap;
    if (!wrap) throw new Error('the case is not listed');
    return unsealKey(wrap, jan.boxPublicKey, jan.boxSecretKey);
  };
  for (const [i, record] of records.entries()) {
    const caseId = submitted[i]!.caseId;
    const envelope = encryptRecord(await caseKeyOf(caseId), record, registrationAd(caseId), REGISTRATION_BLOCK);
    await client.putRegistration(jan.token, caseId, envelope);
  }

  const period = { from: new Date(start).toISOString(), to: new Date(Date.now() + MINUTE).toISOString() };
  const read: Array<{ caseId: string; record: Registration | null }> = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const answer = await client.listRegistrations(jan.token, { ...period, channel: 'jaar', limit: 2, ...(after ? { after } : {}) });
    pages++;
    for (const item of answer.registrations) {
      const caseKey = unsealKey(item.wrap, jan.boxPublicKey, jan.boxSecretKey);
      const record = item.registration ? readRegistration(decryptRecord(caseKey, item.registration, registrationAd(item.caseId), REGISTRATION_BLOCK)) : null;
      read.push({ caseId: item.caseId, record });
    }
    after = answer.next ?? undefined;
  } while (after !== undefined && pages < 10);
  t.equal(pages, 2, 'three cases in pages of 2: two pages');
  t.strictSame(
    new Set(read.map((r) => r.caseId)),
    new Set(submitted.map((s) => s.caseId)),
    'the three submitted cases, not the older one',
  );
  t.equal(read.length, 3, 'each once');
  for (const [i, s] of submitted.entries()) {
    t.strictSame(read.find((r) => r.caseId === s.caseId)?.record, records[i] ?? null, `case ${i + 1}: ${records[i] ? 'the registration decrypts to the record saved' : 'no registration: null'}`);
  }

  const refused = await apiFailure(client.listRegistrations(jan.token, { from: period.to, to: period.from }));
  t.match(refused, { status: 400, code: 'invalid_period' }, 'the client gets invalid_period as an ApiError');
});
