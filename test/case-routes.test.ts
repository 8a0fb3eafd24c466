/**
 * The adviser's case routes (protocol-v1 §6 staff side, §7 deadlines): the list with its
 * keyset pages, filters, overdue and unread markers; the case; messages to the reporter; status
 * changes; the registration record; grants. Each success answer's exact shape; each failure's
 * status, error code, a body of exactly { error, message } and no echo of the request; and one
 * audit entry, naming the adviser, the action and the case, for each route that changes a case.
 *
 * Cases are made as the reporter route stores them, or inserted directly where a test needs
 * times or states in the past. Advisers get accounts through invites with random authKeys: the
 * server never derives anything from a passphrase, so no Argon2id is needed.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt } from 'drizzle-orm';
import {
  MESSAGE_BLOCK,
  REGISTRATION_BLOCK,
  REPORT_BLOCK,
  decryptRecord,
  encryptRecord,
  makeStaffKeys,
  messageAd,
  ready,
  registrationAd,
  reportAd,
  sealKey,
  sealKeyBundle,
  sealRecoveryBundle,
  signMailboxLogin,
  sodium,
  unsealKey,
  type StaffKeys,
} from '../src/protocol/index.js';
import { auditLog, caseWraps, cases, messages, registrations, type CaseStatus } from '../src/server/db/schema.js';
import { addCalendarMonths, caseReference } from '../src/protocol/index.js';
import { buildTestApp } from './helper.js';
import { addChannel } from './fixtures.js';
import { ECHO, isError } from './helpers/answers.js';

await ready();

// One app for the file; messages and registrations may be at most 2048 bytes padded here.
const { app, database } = await buildTestApp(t, { MAX_MESSAGE_BYTES: '2048' });
const { db } = database;
const loket = await addChannel(db, 'loket');
const tweede = await addChannel(db, 'tweede');

/** Put into requests wherever a value may go; lower case, so snake-casing cannot disguise it. */
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));
const iso = (ms: number) => new Date(ms).toISOString();

// Loosely typed access to a body.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// ─── Advisers ───────────────────────────────────────────────────────────────────────────────

interface Adviser extends StaffKeys {
  id: string;
  token: string;
}

let people = 0;
/** An adviser account made through an invite of `channel`, signed in, joined to `more` channels. */
async function newAdviser(channel = 'loket', ...more: string[]): Promise<Adviser> {
  const invite = await app.services.administration.createInvite({ role: 'adviser', channel });
  const keys = makeStaffKeys();
  const username = `adviser-${++people}-${randomBytes(3).toString('hex')}`;
  const authKey = randomB64(32);
  const accepted = await app.inject({
    method: 'POST',
    url: '/api/v1/invites/accept',
    payload: {
      token: invite.token,
      username,
      displayName: `Adviser ${people}`,
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
  const adviser = { ...keys, id: accepted.json().accountId as string, token: signedIn.json().token as string };
  for (const slug of more) {
    const join = await app.services.administration.createInvite({ role: 'adviser', channel: slug });
    const joined = await request(adviser, 'POST', '/api/v1/invites/join', { token: join.token });
    if (joined.statusCode !== 200) throw new Error(`joining failed: ${joined.body}`);
  }
  return adviser;
}

/** A request as `who` (an adviser, a raw token, or nobody). */
function request(who: Adviser | string | undefined, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown) {
  const token = typeof who === 'string' ? who : who?.token;
  return app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

interface ListedCase {
  caseId: string;
  channel: string;
  status: CaseStatus;
  receivedAt: string;
  acknowledgedAt: string | null;
  acknowledgeBy: string;
  feedbackBy: string;
  feedbackGivenAt: string | null;
  overdue: boolean;
  followUpOn: string | null;
  unread: boolean;
  wrap: string;
}
interface Page {
  cases: ListedCase[];
  next: string | null;
}

async function list(adviser: Adviser, query = ''): Promise<Page> {
  const answer = await request(adviser, 'GET', `/api/v1/cases${query}`);
  if (answer.statusCode !== 200) throw new Error(`listing failed: ${answer.body}`);
  return answer.json() as Page;
}
/** The case as the adviser's list shows it (each adviser here holds fewer than a default page of 50). */
const listed = async (adviser: Adviser, caseId: string) => (await list(adviser)).cases.find((c) => c.caseId === caseId);

// ─── Cases ──────────────────────────────────────────────────────────────────────────────────

interface MadeCase {
  id: string;
  caseKey: Uint8Array;
  receivedAt: Date;
  reporter: { signPublicKey: Uint8Array; signSecretKey: Uint8Array; mailboxId: string };
}

/**
 * A case inserted as the reporter route stores one, with times and state set by the test:
 * a real case key sealed to each holder, a real encrypted report.
 */
async function insertCase(
  holders: Adviser[],
  options: {
    id?: string;
    channelId?: string;
    receivedAt?: Date;
    status?: CaseStatus;
    acknowledgedAt?: Date | null;
    feedbackGivenAt?: Date | null;
  } = {},
): Promise<MadeCase> {
  const s = sodium();
  const id = options.id ?? randomB64(16);
  const caseKey = s.randombytes_buf(32);
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  const mailboxId = randomB64(16);
  const receivedAt = options.receivedAt ?? new Date();
  const report = encryptRecord(caseKey, { v: 1, lang: 'nl', answers: { what: 'Facturen dubbel betaald.' }, anonymity: 'anonymous' }, reportAd(id), REPORT_BLOCK);
  await db.insert(cases).values({
    id,
    channelId: options.channelId ?? loket.id,
    mailboxId,
    reporterSignPublicKey: sign.publicKey,
    reporterBoxPublicKey: box.publicKey,
    reporterWrap: fromB64(sealKey(caseKey, box.publicKey)),
    reportNonce: fromB64(report.nonce),
    reportCiphertext: fromB64(report.ciphertext),
    status: options.status ?? 'received',
    receivedAt,
    acknowledgedAt: options.acknowledgedAt ?? null,
    feedbackGivenAt: options.feedbackGivenAt ?? null,
  });
  if (holders.length > 0) {
    await db.insert(caseWraps).values(holders.map((h) => ({ caseId: id, accountId: h.id, wrap: fromB64(sealKey(caseKey, h.boxPublicKey)), createdAt: receivedAt })));
  }
  return { id, caseKey, receivedAt, reporter: { signPublicKey: sign.publicKey, signSecretKey: sign.privateKey, mailboxId } };
}

/** A case submitted through the reporter route, sealed to `holders`. */
async function submitCase(holders: Adviser[]): Promise<MadeCase & { report: { nonce: string; ciphertext: string }; reporterWrap: string }> {
  const s = sodium();
  const id = randomB64(16);
  const caseKey = s.randombytes_buf(32);
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  const mailboxId = randomB64(16);
  const report = encryptRecord(caseKey, { v: 1, lang: 'nl', answers: { what: 'Offertes worden opgesplitst.' }, anonymity: 'anonymous' }, reportAd(id), REPORT_BLOCK);
  const reporterWrap = sealKey(caseKey, box.publicKey);
  const answer = await app.inject({
    method: 'POST',
    url: '/api/v1/channels/loket/reports',
    payload: {
      v: 1,
      caseId: id,
      mailboxId,
      reporterSignPublicKey: b64(sign.publicKey),
      reporterBoxPublicKey: b64(box.publicKey),
      wraps: holders.map((h) => ({ keyId: h.id, wrap: sealKey(caseKey, h.boxPublicKey) })),
      reporterWrap,
      report,
    },
  });
  if (answer.statusCode !== 201) throw new Error(`submission failed: ${answer.body}`);
  const receivedAt = new Date(answer.json().receivedAt as string);
  return { id, caseKey, receivedAt, report, reporterWrap, reporter: { signPublicKey: sign.publicKey, signSecretKey: sign.privateKey, mailboxId } };
}

/** The reporter of `made` signs in to the mailbox and posts a message. */
async function reporterMessage(made: MadeCase): Promise<void> {
  const challenge = (await app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: { mailboxId: made.reporter.mailboxId } })).json().challenge as string;
  const signature = b64(signMailboxLogin(fromB64(challenge), made.reporter.signSecretKey));
  const session = await app.inject({ method: 'POST', url: '/api/v1/mailbox/session', payload: { mailboxId: made.reporter.mailboxId, challenge, signature } });
  if (session.statusCode !== 200) throw new Error(`mailbox login failed: ${session.body}`);
  const envelope = encryptRecord(made.caseKey, { v: 1, body: 'Nog een vraag.', sentAt: new Date().toISOString() }, messageAd(made.id, 'reporter'), MESSAGE_BLOCK);
  const posted = await app.inject({ method: 'POST', url: '/api/v1/mailbox/messages', headers: { authorization: `Bearer ${session.json().token}` }, payload: envelope });
  if (posted.statusCode !== 201) throw new Error(`reporter message failed: ${posted.body}`);
}

/** A message or registration plaintext of `plaintextBytes` (padded), with a random nonce: the server cannot tell. */
const rawEnvelope = (ciphertextBytes: number) => ({ nonce: randomB64(24), ciphertext: randomB64(ciphertextBytes) });

let auditMark = 0;
/** The audit entries recorded since the previous call, sealed into the chain first. */
async function newAuditEntries(): Promise<Array<{ actor: string; action: string; subject: string | null }>> {
  await app.services.audit.seal();
  const rows = await db.select().from(auditLog).where(gt(auditLog.seq, auditMark)).orderBy(asc(auditLog.seq));
  auditMark = rows.at(-1)?.seq ?? auditMark;
  return rows.map((r) => ({ actor: r.actor, action: r.action, subject: r.subject }));
}

const SUMMARY_KEYS = ['acknowledgeBy', 'acknowledgedAt', 'caseId', 'channel', 'deleteAfter', 'feedbackBy', 'feedbackGivenAt', 'followUpOn', 'held', 'overdue', 'receivedAt', 'status', 'unread', 'wrap'];
const DETAIL_KEYS = [
  'acknowledgeBy', 'acknowledgedAt', 'caseId', 'channel', 'commitment', 'deleteAfter', 'feedbackBy', 'feedbackGivenAt', 'files', 'followUpOn', 'held', 'hold', 'messages',
  'overdue', 'pin', 'receivedAt', 'registration', 'relays', 'report', 'reporterSignPublicKey', 'reporterWrap', 'status', 'wrap',
];

// ─── The list ───────────────────────────────────────────────────────────────────────────────

t.test('GET /api/v1/cases: the cases holding a wrap for this adviser, newest first, each with its deadlines', async (t) => {
  const anna = await newAdviser();
  const other = await newAdviser();
  const now = Date.now();
  const oldest = await insertCase([anna], { receivedAt: new Date(now - 3 * HOUR) });
  const newest = await insertCase([anna, other], { receivedAt: new Date(now - 1 * HOUR) });
  const middle = await insertCase([anna], { receivedAt: new Date(now - 2 * HOUR) });
  await insertCase([other], { receivedAt: new Date(now - 30 * MINUTE) });

  const answer = await request(anna, 'GET', '/api/v1/cases');
  t.equal(answer.statusCode, 200, '200');
  const page = answer.json() as Page;
  t.strictSame(Object.keys(page).sort(), ['cases', 'next'], 'exactly { cases, next }');
  t.strictSame(page.cases.map((c) => c.caseId), [newest.id, middle.id, oldest.id], 'only this adviser\'s cases, newest first');
  t.equal(page.next, null, 'one page: next is null');
  for (const c of page.cases) t.strictSame(Object.keys(c).sort(), SUMMARY_KEYS, `case ${c.caseId}: exactly the summary fields`);
  const ackBy = newest.receivedAt.getTime() + 7 * DAY;
  t.strictSame(
    page.cases[0],
    {
      caseId: newest.id,
      channel: 'loket',
      status: 'received',
      receivedAt: iso(newest.receivedAt.getTime()),
      acknowledgedAt: null,
      acknowledgeBy: iso(ackBy),
      feedbackBy: addCalendarMonths(new Date(ackBy), 3).toISOString(),
      feedbackGivenAt: null,
      overdue: false,
      followUpOn: null,
      deleteAfter: null,
      held: false,
      unread: true,
      wrap: page.cases[0]!.wrap,
    },
    'a new case: received, acknowledge within 7 days, feedback 3 months after that, not overdue, no follow-up day, unread',
  );
  t.same(unsealKey(page.cases[0]!.wrap, anna.boxPublicKey, anna.boxSecretKey), newest.caseKey, 'the wrap is this adviser\'s: it opens to the case key');

  isError(t, await request(undefined, 'GET', '/api/v1/cases'), 401, 'not_signed_in', 'no session');
  isError(t, await request(randomB64(32), 'GET', '/api/v1/cases'), 401, 'not_signed_in', 'a made-up token');
});

t.test('GET /api/v1/cases: keyset pages cover every case exactly once, in order, across equal receivedAt values', async (t) => {
  const pia = await newAdviser();
  const base = Date.now() - DAY;
  // 10 cases at distinct times and three groups at one time each (5, 4 and 6 cases), inserted
  // in a shuffled order. Ids use only [a-z0-9] (and a canonical last symbol), so their order is
  // the same in every collation and the test can compute the expected order itself.
  const times = [
    ...Array.from({ length: 10 }, (_, i) => base + i * 7 * MINUTE),
    ...Array.from({ length: 5 }, () => base + 20 * MINUTE),
    ...Array.from({ length: 4 }, () => base + 41 * MINUTE),
    ...Array.from({ length: 6 }, () => base + 2 * HOUR),
  ];
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const neutralId = () => `${Array.from(randomBytes(21), (byte) => alphabet[byte % alphabet.length]).join('')}g`;
  const shuffled = times.map((time) => ({ time, key: Math.random() })).sort((a, b) => a.key - b.key);
  const made: Array<{ id: string; time: number }> = [];
  for (const { time } of shuffled) {
    const id = neutralId();
    await insertCase([pia], { id, receivedAt: new Date(time) });
    made.push({ id, time });
  }
  const expected = [...made].sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : -1)).map((c) => c.id);
  t.equal(expected.length, 25, '25 cases');

  const whole = await list(pia);
  t.strictSame(whole.cases.map((c) => c.caseId), expected, 'the default page (50) holds all 25: newest first, equal times by id descending');
  t.equal(whole.next, null, 'and next is null');

  const limited = await request(pia, 'GET', '/api/v1/cases?limit=4');
  // The query string is text: "4" must be read as the integer 4.
  t.equal(limited.statusCode, 200, '?limit=4 through the route: 200');
  if (limited.statusCode === 200) t.strictSame((limited.json() as Page).cases.map((c) => c.caseId), expected.slice(0, 4), '?limit=4: the 4 newest');

  // The keyset logic behind the route, through the service with the limits a query would give.
  for (const limit of [1, 4, 5, 7, 24, 25, 26]) {
    const seen: string[] = [];
    const sizes: number[] = [];
    let before: string | undefined;
    let pages = 0;
    let nextOnlyAtEnd = true;
    do {
      const page = await app.services.cases.list(pia.id, { limit, before });
      pages++;
      seen.push(...page.cases.map((c) => c.caseId));
      sizes.push(page.cases.length);
      before = page.next ?? undefined;
      if (page.next === null && seen.length < 25) nextOnlyAtEnd = false;
      if (page.next !== null) t.match(page.next, /^[A-Za-z0-9_-]+$/, `limit ${limit}: the cursor is base64url`);
    } while (before !== undefined && pages < 40);
    t.strictSame(seen, expected, `limit ${limit}: the pages together are every case exactly once, in order`);
    t.equal(pages, Math.ceil(25 / limit), `limit ${limit}: ${Math.ceil(25 / limit)} pages, the last one's next null`);
    t.ok(nextOnlyAtEnd, `limit ${limit}: next is null only on the last page`);
    t.ok(sizes.slice(0, -1).every((size) => size === limit), `limit ${limit}: every page but the last is full`);
    const timeOf = (id: string | undefined) => made.find((c) => c.id === id)?.time;
    const splitsATie = expected.some((id, i) => i > 0 && i % limit === 0 && timeOf(id) === timeOf(expected[i - 1]));
    if (limit === 4 || limit === 7) t.ok(splitsATie, `limit ${limit}: a page boundary falls inside a group of equal times`);
  }

  // The route takes the cursor: `before` alone (with the default limit) gives the rest.
  for (const cut of [4, 7, 10]) {
    const first = await app.services.cases.list(pia.id, { limit: cut });
    const rest = await list(pia, `?before=${first.next}`);
    t.strictSame(rest.cases.map((c) => c.caseId), expected.slice(cut), `?before= the cursor after ${cut} cases: the other ${25 - cut}, in order`);
    t.equal(rest.next, null, `?before= after ${cut}: the last page, next null`);
  }
  const receivedFirst = await app.services.cases.list(pia.id, { status: 'received', limit: 10 });
  const receivedRest = await list(pia, `?status=received&before=${receivedFirst.next}`);
  t.strictSame([...receivedFirst.cases, ...receivedRest.cases].map((c) => c.caseId), expected, 'a cursor works with a filter too');
});

t.test('GET /api/v1/cases: the status and channel filters', async (t) => {
  const fien = await newAdviser('loket', 'tweede');
  const now = Date.now();
  const made = {
    loketReceived: await insertCase([fien], { receivedAt: new Date(now - 1 * HOUR) }),
    loketAcknowledged: await insertCase([fien], { receivedAt: new Date(now - 2 * HOUR), status: 'acknowledged', acknowledgedAt: new Date(now - HOUR) }),
    loketClosed: await insertCase([fien], { receivedAt: new Date(now - 3 * HOUR), status: 'closed', acknowledgedAt: new Date(now - 2 * HOUR) }),
    tweedeReceived: await insertCase([fien], { channelId: tweede.id, receivedAt: new Date(now - 4 * HOUR) }),
    tweedeInProgress: await insertCase([fien], { channelId: tweede.id, receivedAt: new Date(now - 5 * HOUR), status: 'in_progress', acknowledgedAt: new Date(now - 4 * HOUR) }),
  };
  const ids = async (query: string) => (await list(fien, query)).cases.map((c) => c.caseId);
  const filters: Array<[string, string, MadeCase[]]> = [
    ['no filter', '', Object.values(made)],
    ['status=received', '?status=received', [made.loketReceived, made.tweedeReceived]],
    ['status=acknowledged', '?status=acknowledged', [made.loketAcknowledged]],
    ['status=in_progress', '?status=in_progress', [made.tweedeInProgress]],
    ['status=closed', '?status=closed', [made.loketClosed]],
    ['channel=tweede', '?channel=tweede', [made.tweedeReceived, made.tweedeInProgress]],
    ['channel=loket', '?channel=loket', [made.loketReceived, made.loketAcknowledged, made.loketClosed]],
    ['status=received&channel=loket', '?status=received&channel=loket', [made.loketReceived]],
    ['status=closed&channel=tweede', '?status=closed&channel=tweede', []],
    ['a channel that does not exist', '?channel=nergens', []],
  ];
  for (const [what, query, expected] of filters) t.strictSame(await ids(query), expected.map((c) => c.id), `${what}: ${expected.length} cases`);
  t.ok((await list(fien, '?channel=tweede')).cases.every((c) => c.channel === 'tweede'), 'the channel filter lists only that channel\'s cases');

  const refused: Array<[string, string, string]> = [
    ['status=open', `?status=${ECHO}`, 'invalid_status'],
    ['status=Received', '?status=Received', 'invalid_status'],
    ['an upper-case channel', `?channel=${ECHO.toUpperCase()}`, 'invalid_channel'],
    ['a channel with a slash', '?channel=a%2Fb', 'invalid_channel'],
    ['an unknown parameter', `?${ECHO}=1`, 'unknown_field'],
  ];
  for (const [what, query, code] of refused) isError(t, await request(fien, 'GET', `/api/v1/cases${query}`), 400, code, what);
});

t.test('GET /api/v1/cases: the reference search finds a case by the reference people read aloud, only among this adviser\'s cases', async (t) => {
  const gijs = await newAdviser('loket');
  const now = Date.now();
  const mine: MadeCase[] = [];
  for (let i = 0; i < 5; i++) mine.push(await insertCase([gijs], { receivedAt: new Date(now - (i + 1) * HOUR) }));
  const someoneElses = await insertCase([], { receivedAt: new Date(now - HOUR) });
  const ids = async (query: string) => (await list(gijs, query)).cases.map((c) => c.caseId);
  const target = mine[2]!;
  const reference = caseReference(target.id);
  for (const typed of [reference, reference.toLowerCase(), reference.replace('-', '')]) {
    t.strictSame(await ids(`?reference=${encodeURIComponent(typed)}`), [target.id], `"${typed}": exactly that case`);
  }
  t.strictSame(await ids(`?reference=${caseReference(target.id)}&status=closed`), [], 'with another filter: both must hold');
  // (Five of 30^6 references: the other case sharing one of them is a chance of one in 10^8.)
  t.strictSame(await ids(`?reference=${caseReference(someoneElses.id)}`), [], 'a case without this adviser\'s wrap is not found');
  const unused = ['222-222', 'ZZZ-ZZZ'].find((r) => !mine.some((c) => caseReference(c.id) === r)) ?? '';
  t.strictSame(await ids(`?reference=${unused}`), [], 'a reference no case has: an empty page');
  for (const [what, typed] of [['a 0', 'K7M-4Q0'], ['an O', 'K7M-4QO'], ['five symbols', 'K7M-4Q'], ['seven symbols', 'K7M-4QXX'], ['two hyphens', 'K7-M-4QX'], ['an echo', ECHO]] as const) {
    isError(t, await request(gijs, 'GET', `/api/v1/cases?reference=${encodeURIComponent(typed)}`), 400, 'invalid_reference', what);
  }
});

t.test('GET /api/v1/cases: a bad cursor answers 400 invalid_before; limit must be 1 to 200', async (t) => {
  const bas = await newAdviser();
  await insertCase([bas]);
  const encoded = (text: string) => Buffer.from(text).toString('base64url');
  const cursors: Array<[string, string]> = [
    ['random text', `${ECHO}garbage`],
    ['no case id', encoded(new Date().toISOString())],
    ['not a time', encoded(`${ECHO}|${randomB64(16)}`)],
    ['an empty time', encoded(`|${randomB64(16)}`)],
    ['a dot', 'abc.def'],
    ['an empty cursor', ''],
    ['201 characters', 'a'.repeat(201)],
  ];
  for (const [what, before] of cursors) isError(t, await request(bas, 'GET', `/api/v1/cases?before=${before}`), 400, 'invalid_before', `before: ${what}`, [before]);

  for (const limit of ['0', '201', '-1', '1.5', 'ten', '']) {
    isError(t, await request(bas, 'GET', `/api/v1/cases?limit=${limit}`), 400, 'invalid_limit', `limit=${limit || '(empty)'}`);
  }
  for (const limit of [1, 200]) {
    t.equal((await request(bas, 'GET', `/api/v1/cases?limit=${limit}`)).statusCode, 200, `limit=${limit} is accepted`);
  }
});

t.test('GET /api/v1/cases: overdue when a deadline passed with its step not done (§7)', async (t) => {
  const otto = await newAdviser();
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);
  const MONTH = 30 * DAY;
  const rows: Array<[string, Parameters<typeof insertCase>[1], boolean]> = [
    ['received just now', { receivedAt: ago(0) }, false],
    ['received 6 days ago, not acknowledged', { receivedAt: ago(6 * DAY) }, false],
    ['received 8 days ago, not acknowledged', { receivedAt: ago(8 * DAY) }, true],
    ['received 8 days ago, acknowledged on day 6', { receivedAt: ago(8 * DAY), status: 'acknowledged', acknowledgedAt: ago(2 * DAY) }, false],
    ['acknowledged 2 months ago, no feedback', { receivedAt: ago(2 * MONTH + DAY), status: 'acknowledged', acknowledgedAt: ago(2 * MONTH) }, false],
    ['acknowledged 4 months ago, no feedback', { receivedAt: ago(4 * MONTH + DAY), status: 'acknowledged', acknowledgedAt: ago(4 * MONTH) }, true],
    ['in progress, acknowledged 4 months ago, no feedback', { receivedAt: ago(4 * MONTH + DAY), status: 'in_progress', acknowledgedAt: ago(4 * MONTH) }, true],
    [
      'acknowledged 4 months ago, feedback given a month later',
      { receivedAt: ago(4 * MONTH + DAY), status: 'acknowledged', acknowledgedAt: ago(4 * MONTH), feedbackGivenAt: ago(3 * MONTH) },
      false,
    ],
    [
      'acknowledged 4 months ago, feedback given late',
      { receivedAt: ago(4 * MONTH + 2 * DAY), status: 'acknowledged', acknowledgedAt: ago(4 * MONTH), feedbackGivenAt: ago(DAY) },
      false,
    ],
    ['never acknowledged, received 4 months ago, no message', { receivedAt: ago(4 * MONTH) }, true],
    ['closed, received 8 days ago, never acknowledged', { receivedAt: ago(8 * DAY), status: 'closed' }, false],
    ['closed, acknowledged 4 months ago, no feedback', { receivedAt: ago(4 * MONTH + DAY), status: 'closed', acknowledgedAt: ago(4 * MONTH) }, false],
  ];
  const made: MadeCase[] = [];
  for (const [, options] of rows) made.push(await insertCase([otto], options));
  const page = await list(otto);
  for (const [i, [what, , overdue]] of rows.entries()) {
    t.equal(page.cases.find((c) => c.caseId === made[i]!.id)?.overdue, overdue, `${what}: overdue ${overdue}`);
  }

  // Through the routes: the feedback ends the feedback deadline's overdue, a plain reply does not; closing does too.
  const late = made[5]!;
  const detail = await request(otto, 'GET', `/api/v1/cases/${late.id}`);
  t.equal(detail.json().overdue, true, 'the case also says overdue');
  t.equal((await request(otto, 'POST', `/api/v1/cases/${late.id}/messages`, rawEnvelope(MESSAGE_BLOCK + 16))).statusCode, 201, 'the adviser replies');
  t.equal((await listed(otto, late.id))?.overdue, true, 'a message not marked as the feedback: still overdue');
  t.equal((await request(otto, 'POST', `/api/v1/cases/${late.id}/messages`, { ...rawEnvelope(MESSAGE_BLOCK + 16), feedback: true })).statusCode, 201, 'the adviser gives the feedback');
  t.equal((await listed(otto, late.id))?.overdue, false, 'the feedback after the acknowledgement: no longer overdue');
  t.equal((await request(otto, 'GET', `/api/v1/cases/${late.id}`)).json().overdue, false, 'the case agrees');

  const unacknowledged = made[2]!;
  const acknowledged = await request(otto, 'PATCH', `/api/v1/cases/${unacknowledged.id}`, { status: 'acknowledged' });
  t.equal(acknowledged.json().overdue, false, 'acknowledging a case 8 days old: the status answer says not overdue');
  t.equal((await listed(otto, unacknowledged.id))?.overdue, false, 'and so does the list');

  const inProgress = made[6]!;
  t.equal((await listed(otto, inProgress.id))?.overdue, true, 'an in-progress case without feedback for 4 months is overdue');
  const closed = await request(otto, 'PATCH', `/api/v1/cases/${inProgress.id}`, { status: 'closed' });
  t.equal(closed.statusCode, 200, 'the adviser closes it');
  t.equal((await listed(otto, inProgress.id))?.overdue, false, 'closed: the list says not overdue');
  t.equal((await request(otto, 'GET', `/api/v1/cases/${inProgress.id}`)).json().overdue, false, 'closed: the case says not overdue');
  // The status answer, the list and the case must agree.
  t.equal(closed.json().overdue, false, 'closed: the status answer agrees, not overdue');
  const reopened = await request(otto, 'PATCH', `/api/v1/cases/${inProgress.id}`, { status: 'in_progress' });
  t.equal(reopened.json().overdue, true, 'reopened without feedback: the status answer says overdue again');
  t.equal((await listed(otto, inProgress.id))?.overdue, true, 'and so does the list');
});

t.test('GET /api/v1/cases: unread until this adviser opens the case, and again after a reporter message', async (t) => {
  const uma = await newAdviser();
  const vera = await newAdviser();
  const made = await submitCase([uma, vera]);
  t.equal((await listed(uma, made.id))?.unread, true, 'a new case is unread');
  t.equal((await request(uma, 'GET', `/api/v1/cases/${made.id}`)).statusCode, 200, 'the adviser opens it');
  t.equal((await listed(uma, made.id))?.unread, false, 'after opening: read');
  t.equal((await listed(vera, made.id))?.unread, true, 'still unread for the other adviser who holds it');
  t.equal((await request(uma, 'POST', `/api/v1/cases/${made.id}/messages`, rawEnvelope(MESSAGE_BLOCK + 16))).statusCode, 201, 'the adviser replies');
  t.equal((await listed(uma, made.id))?.unread, false, 'the adviser\'s own message does not make it unread');
  await reporterMessage(made);
  t.equal((await listed(uma, made.id))?.unread, true, 'a reporter message makes it unread again');
  await request(uma, 'GET', `/api/v1/cases/${made.id}`);
  t.equal((await listed(uma, made.id))?.unread, false, 'opening it again: read');
});

// ─── The case ───────────────────────────────────────────────────────────────────────────────

t.test('GET /api/v1/cases/{caseId}: the case as the mailbox shows it, plus wrap and registration', async (t) => {
  const dirk = await newAdviser();
  const made = await submitCase([dirk]);
  await newAuditEntries();
  const answer = await request(dirk, 'GET', `/api/v1/cases/${made.id}`);
  t.equal(answer.statusCode, 200, '200');
  const body = answer.json() as Json;
  t.strictSame(Object.keys(body).sort(), DETAIL_KEYS, 'exactly the fields of a case');
  const ackBy = made.receivedAt.getTime() + 7 * DAY;
  t.strictSame(
    { ...body, wrap: undefined },
    {
      caseId: made.id,
      channel: 'loket',
      status: 'received',
      receivedAt: made.receivedAt.toISOString(),
      acknowledgedAt: null,
      acknowledgeBy: iso(ackBy),
      feedbackBy: addCalendarMonths(new Date(ackBy), 3).toISOString(),
      feedbackGivenAt: null,
      overdue: false,
      followUpOn: null,
      deleteAfter: null,
      held: false,
      wrap: undefined,
      reporterWrap: made.reporterWrap,
      reporterSignPublicKey: b64(made.reporter.signPublicKey),
      commitment: null,
      pin: null,
      report: made.report,
      messages: [],
      relays: [],
      files: [],
      registration: null,
      hold: null,
    },
    'a new case: its times, the reporter\'s wrap, key and report as submitted, no commitment (a v1 client), no pin, nothing else yet, registration, follow-up day, deletion day and hold null',
  );
  const caseKey = unsealKey(body.wrap, dirk.boxPublicKey, dirk.boxSecretKey);
  t.same(decryptRecord(caseKey, body.report, reportAd(made.id), REPORT_BLOCK), { v: 1, lang: 'nl', answers: { what: 'Offertes worden opgesplitst.' }, anonymity: 'anonymous' }, 'the adviser decrypts the report with the wrap');
  t.strictSame(await newAuditEntries(), [{ actor: dirk.id, action: 'view', subject: made.id }], 'one audit entry: view');

  const registration = encryptRecord(caseKey, { v: 1, category: 'integriteit' }, registrationAd(made.id), REGISTRATION_BLOCK);
  const saved = await request(dirk, 'PUT', `/api/v1/cases/${made.id}/registration`, registration);
  const reply = encryptRecord(caseKey, { v: 1, body: 'Dank u.', sentAt: new Date().toISOString() }, messageAd(made.id, 'adviser'), MESSAGE_BLOCK);
  const posted = await request(dirk, 'POST', `/api/v1/cases/${made.id}/messages`, reply);
  await reporterMessage(made);
  const again = (await request(dirk, 'GET', `/api/v1/cases/${made.id}`)).json() as Json;
  t.strictSame(again.registration, { ...registration, updatedAt: saved.json().updatedAt }, 'registration present: the envelope and when it was saved');
  t.equal(again.messages.length, 2, 'two messages');
  t.strictSame(again.messages[0], { id: posted.json().id, author: 'adviser', sentAt: posted.json().sentAt, feedback: false, ...reply }, 'the adviser\'s message as posted');
  t.strictSame(Object.keys(again.messages[1]).sort(), ['author', 'ciphertext', 'feedback', 'id', 'nonce', 'sentAt'], 'each message has exactly its fields');
  t.equal(again.messages[1].author, 'reporter', 'then the reporter\'s, in order');
  t.match(decryptRecord(caseKey, again.messages[1], messageAd(made.id, 'reporter'), MESSAGE_BLOCK), { v: 1, body: 'Nog een vraag.' }, 'which the adviser decrypts');
});

t.test('the case routes answer 404 unknown_case, alike, for a case this adviser holds no wrap for', async (t) => {
  const eli = await newAdviser();
  const colleague = await newAdviser();
  const theirs = await insertCase([colleague]);
  const elsewhere = await insertCase([], { channelId: tweede.id });
  const missing = randomB64(16);
  const routes = (caseId: string): Array<[string, 'GET' | 'POST' | 'PATCH' | 'PUT', string, unknown]> => [
    ['detail', 'GET', `/api/v1/cases/${caseId}`, undefined],
    ['message', 'POST', `/api/v1/cases/${caseId}/messages`, rawEnvelope(MESSAGE_BLOCK + 16)],
    ['status', 'PATCH', `/api/v1/cases/${caseId}`, { status: 'acknowledged' }],
    ['registration', 'PUT', `/api/v1/cases/${caseId}/registration`, rawEnvelope(REGISTRATION_BLOCK + 16)],
    ['grant', 'POST', `/api/v1/cases/${caseId}/grants`, { keyId: eli.id, wrap: randomB64(80) }],
  ];
  await newAuditEntries();
  for (const [whose, caseId] of [
    ['a colleague\'s case', theirs.id],
    ['a case of another channel', elsewhere.id],
    ['a case that does not exist', missing],
  ] as const) {
    const bodies = new Set<string>();
    for (const [what, method, url, payload] of routes(caseId)) {
      const answer = await request(eli, method, url, payload);
      isError(t, answer, 404, 'unknown_case', `${what} of ${whose}`, [caseId]);
      bodies.add(answer.body);
    }
    t.equal(bodies.size, 1, `${whose}: every route answers the same body`);
  }
  t.strictSame(await newAuditEntries(), [], 'nothing refused is audited');
  t.match((await db.select().from(cases).where(eq(cases.id, theirs.id)))[0], { status: 'received' }, 'the colleague\'s case is unchanged');

  const malformed: Array<[string, string]> = [
    ['a case id of 15 bytes', randomB64(15)],
    ['a case id of 17 bytes', randomB64(17)],
    ['a non-canonical case id', `${randomB64(16).slice(0, 21)}B`],
    ['a case id with "."', `${randomB64(16).slice(0, 21)}.`],
  ];
  for (const [what, caseId] of malformed) {
    for (const [route, method, url, payload] of routes(caseId)) isError(t, await request(eli, method, url, payload), 400, 'invalid_case_id', `${route}: ${what}`);
  }
  for (const [route, method, url, payload] of routes(theirs.id)) isError(t, await request(undefined, method, url, payload), 401, 'not_signed_in', `${route} without a session`);
});

// ─── Messages ───────────────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/cases/{caseId}/messages: 201 { id, sentAt }; padded to 1024; at most MAX_MESSAGE_BYTES', async (t) => {
  const femke = await newAdviser();
  const made = await insertCase([femke]);
  const envelope = encryptRecord(made.caseKey, { v: 1, body: 'Dank voor uw melding.', sentAt: new Date().toISOString() }, messageAd(made.id, 'adviser'), MESSAGE_BLOCK);
  await newAuditEntries();
  const before = Date.now();
  const answer = await request(femke, 'POST', `/api/v1/cases/${made.id}/messages`, envelope);
  t.equal(answer.statusCode, 201, '201');
  const body = answer.json() as { id: string; sentAt: string };
  t.strictSame(Object.keys(body).sort(), ['id', 'sentAt'], 'exactly { id, sentAt }');
  t.match(body.id, /^[A-Za-z0-9_-]{22}$/, 'the id is 16 bytes of base64url');
  t.ok(Date.parse(body.sentAt) >= before - 1000 && Date.parse(body.sentAt) <= Date.now() + 1000, 'sentAt is now');
  t.strictSame(await newAuditEntries(), [{ actor: femke.id, action: 'message', subject: made.id }], 'one audit entry: message');
  const [row] = await db.select().from(messages).where(eq(messages.id, body.id));
  t.match(row, { caseId: made.id, author: 'adviser', accountId: femke.id }, 'stored as the adviser\'s message in the case');
  t.equal(b64(row!.ciphertext), envelope.ciphertext, 'with the ciphertext as sent');
  t.equal((await db.select().from(cases).where(eq(cases.id, made.id)))[0]?.feedbackGivenAt, null, 'a message not marked as the feedback does not count as feedback');

  for (const bytes of [2 * MESSAGE_BLOCK + 16]) {
    t.equal((await request(femke, 'POST', `/api/v1/cases/${made.id}/messages`, rawEnvelope(bytes))).statusCode, 201, `${bytes - 16} bytes padded, the limit: 201`);
  }
  await newAuditEntries();
  const refused: Array<[string, unknown, number, string]> = [
    ['1000 bytes padded', rawEnvelope(1000 + 16), 400, 'invalid_ciphertext'],
    ['1024 bytes without the tag', rawEnvelope(1024), 400, 'invalid_ciphertext'],
    ['only the tag (an empty plaintext)', rawEnvelope(16), 400, 'invalid_ciphertext'],
    ['an empty ciphertext', { nonce: randomB64(24), ciphertext: '' }, 400, 'invalid_ciphertext'],
    ['1025 bytes', rawEnvelope(1025 + 16), 400, 'invalid_ciphertext'],
    ['3072 bytes padded, above MAX_MESSAGE_BYTES', rawEnvelope(3 * MESSAGE_BLOCK + 16), 413, 'ciphertext_too_large'],
    ['a non-canonical ciphertext', { nonce: randomB64(24), ciphertext: `${randomB64(MESSAGE_BLOCK + 16).slice(0, -1)}B` }, 400, 'invalid_ciphertext'],
    ['a nonce of 23 bytes', { ...rawEnvelope(MESSAGE_BLOCK + 16), nonce: randomB64(23) }, 400, 'invalid_nonce'],
    ['a nonce of 25 bytes', { ...rawEnvelope(MESSAGE_BLOCK + 16), nonce: randomB64(25) }, 400, 'invalid_nonce'],
    ['no ciphertext', { nonce: randomB64(24) }, 400, 'missing_ciphertext'],
    ['no nonce', { ciphertext: randomB64(MESSAGE_BLOCK + 16) }, 400, 'missing_nonce'],
    ['an unknown field', { ...rawEnvelope(MESSAGE_BLOCK + 16), [ECHO]: ECHO }, 400, 'unknown_field'],
    ['a ciphertext with "+"', { nonce: randomB64(24), ciphertext: `+${randomB64(MESSAGE_BLOCK + 16).slice(1)}` }, 400, 'invalid_ciphertext'],
  ];
  for (const [what, payload, status, code] of refused) {
    isError(t, await request(femke, 'POST', `/api/v1/cases/${made.id}/messages`, payload), status, code, what, [(payload as Json).nonce]);
  }
  t.strictSame(await newAuditEntries(), [], 'no refused message is audited');
  t.equal((await db.select().from(messages).where(eq(messages.caseId, made.id))).length, 2, 'and none is stored');
});

t.test('POST /api/v1/cases/{caseId}/messages with feedback: true is the feedback; only the first one sets feedbackGivenAt', async (t) => {
  const gijs = await newAdviser();
  const made = await insertCase([gijs], { receivedAt: new Date(Date.now() - 120 * DAY), status: 'acknowledged', acknowledgedAt: new Date(Date.now() - 119 * DAY) });
  const message = (body: string) => encryptRecord(made.caseKey, { v: 1, body, sentAt: new Date().toISOString() }, messageAd(made.id, 'adviser'), MESSAGE_BLOCK);
  t.match(await listed(gijs, made.id), { overdue: true, feedbackGivenAt: null }, 'acknowledged four months ago without feedback: overdue');

  const plain = await request(gijs, 'POST', `/api/v1/cases/${made.id}/messages`, { ...message('Ik kijk ernaar.'), feedback: false });
  t.equal(plain.statusCode, 201, 'feedback: false is an ordinary message');
  t.match(await listed(gijs, made.id), { overdue: true, feedbackGivenAt: null }, 'which does not meet the deadline');

  const feedback = await request(gijs, 'POST', `/api/v1/cases/${made.id}/messages`, { ...message('Uw melding is beoordeeld: er volgt een onderzoek.'), feedback: true });
  t.equal(feedback.statusCode, 201, 'the feedback: 201');
  t.strictSame(Object.keys(feedback.json()).sort(), ['id', 'sentAt'], 'exactly { id, sentAt }');
  const given = feedback.json().sentAt as string;
  t.match(await listed(gijs, made.id), { overdue: false, feedbackGivenAt: given }, 'the list: feedback given at the message\'s time, no longer overdue');

  const later = await request(gijs, 'POST', `/api/v1/cases/${made.id}/messages`, { ...message('Een aanvulling.'), feedback: true });
  t.equal(later.statusCode, 201, 'a second message marked as feedback: 201');
  const detail = (await request(gijs, 'GET', `/api/v1/cases/${made.id}`)).json() as Json;
  t.equal(detail.feedbackGivenAt, given, 'the first feedback stays the date that met the deadline');
  t.strictSame(
    detail.messages.map((m: Json) => [m.id, m.feedback]),
    [
      [plain.json().id, false],
      [feedback.json().id, true],
      [later.json().id, true],
    ],
    'each message says whether it was marked as feedback',
  );

  const refused: Array<[string, unknown]> = [
    ['feedback as a string', { ...message('x'), feedback: 'true' }],
    ['feedback as a number', { ...message('x'), feedback: 1 }],
    ['feedback null', { ...message('x'), feedback: null }],
  ];
  for (const [what, payload] of refused) isError(t, await request(gijs, 'POST', `/api/v1/cases/${made.id}/messages`, payload), 400, 'invalid_feedback', what);
  t.equal((await db.select().from(messages).where(eq(messages.caseId, made.id))).length, 3, 'no refused message is stored');
});

t.test('concurrent feedback messages: one feedbackGivenAt, the earliest committed, every message stored', { skip: process.env.TEST_DATABASE_URL ? false : 'PGlite serialises; the race needs PostgreSQL' }, async (t) => {
  const hugo = await newAdviser();
  const made = await insertCase([hugo], { status: 'acknowledged', acknowledgedAt: new Date() });
  const message = (i: number) => ({ ...encryptRecord(made.caseKey, { v: 1, body: `terugkoppeling ${i}`, sentAt: new Date().toISOString() }, messageAd(made.id, 'adviser'), MESSAGE_BLOCK), feedback: true });
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => request(hugo, 'POST', `/api/v1/cases/${made.id}/messages`, message(i))));
  t.strictSame(answers.map((a) => a.statusCode), Array(8).fill(201), 'all eight are stored');
  const [row] = await db.select().from(cases).where(eq(cases.id, made.id));
  const stored = await db.select().from(messages).where(eq(messages.caseId, made.id));
  const firstBySeq = stored.sort((a, b) => a.seq - b.seq)[0];
  t.equal(row?.feedbackGivenAt?.toISOString(), firstBySeq?.sentAt.toISOString(), 'feedbackGivenAt is the time of the first message in the case\'s order');
  t.ok(stored.every((m) => m.feedback), 'every one is marked');
});

// ─── Status ─────────────────────────────────────────────────────────────────────────────────

t.test('PATCH /api/v1/cases/{caseId}: received → acknowledged → in_progress → closed, and closed → in_progress; nothing else', async (t) => {
  const gert = await newAdviser();
  const statuses: CaseStatus[] = ['received', 'acknowledged', 'in_progress', 'closed'];
  const allowed = new Set(['received>acknowledged', 'acknowledged>in_progress', 'in_progress>closed', 'closed>in_progress']);
  const receivedAt = new Date(Date.now() - 2 * DAY);
  const earlierAck = new Date(Date.now() - DAY);

  for (const from of statuses) {
    for (const to of statuses) {
      const made = await insertCase([gert], { receivedAt, status: from, acknowledgedAt: from === 'received' ? null : earlierAck });
      await newAuditEntries();
      const before = Date.now();
      const answer = await request(gert, 'PATCH', `/api/v1/cases/${made.id}`, { status: to });
      const [row] = await db.select().from(cases).where(eq(cases.id, made.id));
      if (!allowed.has(`${from}>${to}`)) {
        isError(t, answer, 409, 'invalid_transition', `${from} → ${to}`);
        t.equal(row?.status, from, `${from} → ${to}: the status stays ${from}`);
        t.strictSame(await newAuditEntries(), [], `${from} → ${to}: nothing is audited`);
        continue;
      }
      t.equal(answer.statusCode, 200, `${from} → ${to}: 200`);
      const body = answer.json() as Json;
      t.strictSame(
        Object.keys(body).sort(),
        ['acknowledgeBy', 'acknowledgedAt', 'deleteAfter', 'feedbackBy', 'overdue', 'status'],
        `${from} → ${to}: exactly { status, acknowledgedAt, acknowledgeBy, feedbackBy, overdue, deleteAfter }`,
      );
      // The channel keeps closed cases 12 months by default: deleteAfter is that from the closing, null otherwise.
      if (to === 'closed') t.equal(body.deleteAfter, addCalendarMonths(row!.closedAt!, 12).toISOString(), `${from} → ${to}: deleteAfter is the closing + 12 months`);
      else t.equal(body.deleteAfter, null, `${from} → ${to}: no deleteAfter while open`);
      t.equal(row?.closedAt === null, to !== 'closed', `${from} → ${to}: closedAt set only while closed`);
      t.equal(body.status, to, `${from} → ${to}: the answer has the new status`);
      t.equal(row?.status, to, `${from} → ${to}: stored`);
      t.equal(body.acknowledgeBy, iso(receivedAt.getTime() + 7 * DAY), `${from} → ${to}: acknowledgeBy stays receivedAt + 7 days`);
      t.strictSame(await newAuditEntries(), [{ actor: gert.id, action: 'status', subject: made.id }], `${from} → ${to}: one audit entry: status`);
      if (from === 'received') {
        const acknowledgedAt = Date.parse(body.acknowledgedAt);
        t.ok(acknowledgedAt >= before - 1000 && acknowledgedAt <= Date.now() + 1000, 'received → acknowledged: acknowledgedAt is now');
        t.equal(row?.acknowledgedAt?.toISOString(), body.acknowledgedAt, 'received → acknowledged: acknowledgedAt is stored');
        t.equal(body.feedbackBy, addCalendarMonths(new Date(acknowledgedAt), 3).toISOString(), 'received → acknowledged: feedbackBy becomes acknowledgedAt + 3 months');
        t.not(body.feedbackBy, addCalendarMonths(new Date(receivedAt.getTime() + 7 * DAY), 3).toISOString(), 'received → acknowledged: no longer 3 months after the 7 days');
        t.equal((await listed(gert, made.id))?.feedbackBy, body.feedbackBy, 'received → acknowledged: the list shows the new feedbackBy');
      } else {
        t.equal(body.acknowledgedAt, earlierAck.toISOString(), `${from} → ${to}: acknowledgedAt is kept`);
        t.equal(body.feedbackBy, addCalendarMonths(earlierAck, 3).toISOString(), `${from} → ${to}: feedbackBy stays acknowledgedAt + 3 months`);
      }
    }
  }

  const made = await insertCase([gert]);
  const malformed: Array<[string, unknown, string]> = [
    ['an unknown status', { status: ECHO }, 'invalid_status'],
    ['status "open"', { status: 'open' }, 'invalid_status'],
    ['status "Acknowledged"', { status: 'Acknowledged' }, 'invalid_status'],
    ['status a number', { status: 1 }, 'invalid_status'],
    ['status null', { status: null }, 'invalid_status'],
    ['no status', {}, 'missing_status'],
    ['an unknown field', { status: 'acknowledged', [ECHO]: true }, 'unknown_field'],
  ];
  for (const [what, payload, code] of malformed) isError(t, await request(gert, 'PATCH', `/api/v1/cases/${made.id}`, payload), 400, code, what);
  t.equal((await db.select().from(cases).where(eq(cases.id, made.id)))[0]?.status, 'received', 'no malformed request changed the status');
});

// ─── Registration ───────────────────────────────────────────────────────────────────────────

t.test('PUT /api/v1/cases/{caseId}/registration: 200 { updatedAt }; a second one overwrites; padded to 1024', async (t) => {
  const hans = await newAdviser();
  const ida = await newAdviser();
  const made = await insertCase([hans, ida]);
  const first = encryptRecord(made.caseKey, { v: 1, category: 'eerste' }, registrationAd(made.id), REGISTRATION_BLOCK);
  await newAuditEntries();
  const answer = await request(hans, 'PUT', `/api/v1/cases/${made.id}/registration`, first);
  t.equal(answer.statusCode, 200, '200');
  t.strictSame(Object.keys(answer.json()), ['updatedAt'], 'exactly { updatedAt }');
  t.ok(Math.abs(Date.parse(answer.json().updatedAt) - Date.now()) < 5000, 'updatedAt is now');
  t.strictSame(await newAuditEntries(), [{ actor: hans.id, action: 'registration', subject: made.id }], 'one audit entry: registration');
  t.strictSame((await request(hans, 'GET', `/api/v1/cases/${made.id}`)).json().registration, { ...first, updatedAt: answer.json().updatedAt }, 'the case shows it');

  const second = encryptRecord(made.caseKey, { v: 1, category: 'tweede', notes: 'x'.repeat(1500) }, registrationAd(made.id), REGISTRATION_BLOCK);
  await newAuditEntries();
  const overwritten = await request(ida, 'PUT', `/api/v1/cases/${made.id}/registration`, second);
  t.equal(overwritten.statusCode, 200, 'another adviser of the case saves a new version: 200');
  t.ok(Date.parse(overwritten.json().updatedAt) >= Date.parse(answer.json().updatedAt), 'a later updatedAt');
  t.strictSame(await newAuditEntries(), [{ actor: ida.id, action: 'registration', subject: made.id }], 'one audit entry, naming that adviser');
  const stored = await db.select().from(registrations).where(eq(registrations.caseId, made.id));
  t.equal(stored.length, 1, 'still one registration per case');
  t.equal(stored[0]?.updatedBy, ida.id, 'saved by the second adviser');
  const shown = (await request(hans, 'GET', `/api/v1/cases/${made.id}`)).json().registration;
  t.strictSame(shown, { ...second, updatedAt: overwritten.json().updatedAt }, 'the case shows the new version');
  t.match(decryptRecord(made.caseKey, shown, registrationAd(made.id), REGISTRATION_BLOCK), { v: 1, category: 'tweede' }, 'which decrypts');

  await newAuditEntries();
  const refused: Array<[string, unknown, number, string]> = [
    ['500 bytes padded', rawEnvelope(500 + 16), 400, 'invalid_ciphertext'],
    ['1024 bytes without the tag', rawEnvelope(REGISTRATION_BLOCK), 400, 'invalid_ciphertext'],
    ['3072 bytes padded, above MAX_MESSAGE_BYTES', rawEnvelope(3 * REGISTRATION_BLOCK + 16), 413, 'ciphertext_too_large'],
    ['a nonce of 12 bytes', { ...rawEnvelope(REGISTRATION_BLOCK + 16), nonce: randomB64(12) }, 400, 'invalid_nonce'],
    ['no nonce', { ciphertext: randomB64(REGISTRATION_BLOCK + 16) }, 400, 'missing_nonce'],
    ['an unknown field', { ...rawEnvelope(REGISTRATION_BLOCK + 16), updatedAt: ECHO }, 400, 'unknown_field'],
  ];
  for (const [what, payload, status, code] of refused) isError(t, await request(hans, 'PUT', `/api/v1/cases/${made.id}/registration`, payload), status, code, what);
  t.strictSame(await newAuditEntries(), [], 'nothing refused is audited');
  t.strictSame((await request(hans, 'GET', `/api/v1/cases/${made.id}`)).json().registration.ciphertext, second.ciphertext, 'and the registration is unchanged');
});

t.test('PUT /api/v1/cases/{caseId}/registration with followUpOn: the day is kept beside the record, shown in the list and the case, cleared by a save without it', async (t) => {
  const jade = await newAdviser();
  const kees = await newAdviser();
  const made = await insertCase([jade, kees]);
  const untouched = await insertCase([jade]);
  const theirs = await insertCase([kees]);
  const envelope = (label: string) => encryptRecord(made.caseKey, { v: 1, category: label }, registrationAd(made.id), REGISTRATION_BLOCK);
  const put = (payload: unknown, caseId = made.id) => request(jade, 'PUT', `/api/v1/cases/${caseId}/registration`, payload);
  const stored = async (caseId = made.id) => (await db.select({ followUpOn: cases.followUpOn }).from(cases).where(eq(cases.id, caseId)))[0]?.followUpOn;
  const detailOf = async (who: Adviser) => (await request(who, 'GET', `/api/v1/cases/${made.id}`)).json() as Json;
  const shown = async (who: Adviser = jade) => ({ list: (await listed(who, made.id))?.followUpOn, detail: (await detailOf(who)).followUpOn });

  t.strictSame(await shown(), { list: null, detail: null }, 'no registration yet: followUpOn null in the list and the case');

  await newAuditEntries();
  const first = envelope('eerste');
  const set = await put({ ...first, followUpOn: '2026-07-01' });
  t.equal(set.statusCode, 200, 'a registration with followUpOn: 200');
  t.strictSame(Object.keys(set.json()), ['updatedAt'], 'exactly { updatedAt }');
  t.strictSame(await newAuditEntries(), [{ actor: jade.id, action: 'registration', subject: made.id }], 'one audit entry: registration');
  t.equal(await stored(), '2026-07-01', 'the day is stored beside the case (cases.follow_up_on)');
  t.strictSame(await shown(), { list: '2026-07-01', detail: '2026-07-01' }, 'the list and the case show the day');
  t.strictSame(await shown(kees), { list: '2026-07-01', detail: '2026-07-01' }, "the other holder sees the same day: it is the case's, not the adviser's");
  t.strictSame((await detailOf(jade)).registration, { ...first, updatedAt: set.json().updatedAt }, 'the registration is the envelope as sent: the day is not part of it');
  t.equal(await stored(untouched.id), null, "another case's day is untouched");
  t.equal((await listed(jade, untouched.id))?.followUpOn, null, 'and listed as null');

  const leap = await put({ ...envelope('schrikkel'), followUpOn: '2028-02-29' });
  t.equal(leap.statusCode, 200, 'February 29th of a leap year: 200');
  t.strictSame(await shown(), { list: '2028-02-29', detail: '2028-02-29' }, 'a new save replaces the day');

  t.equal((await put({ ...envelope('leeg'), followUpOn: null })).statusCode, 200, 'followUpOn null: 200');
  t.equal(await stored(), null, 'followUpOn null clears the day');
  t.strictSame(await shown(), { list: null, detail: null }, 'the list and the case show null');

  t.equal((await put({ ...envelope('weer'), followUpOn: '2026-12-31' })).statusCode, 200, 'a day again');
  t.equal(await stored(), '2026-12-31', 'stored');
  const without = envelope('zonder');
  const cleared = await put(without);
  t.equal(cleared.statusCode, 200, 'a save without followUpOn: 200');
  t.equal(await stored(), null, 'a save without followUpOn clears the day: the day never outlives the record that set it');
  t.strictSame(await shown(), { list: null, detail: null }, 'the list and the case show null');
  t.strictSame((await detailOf(jade)).registration, { ...without, updatedAt: cleared.json().updatedAt }, 'and the registration is the one without a day');

  // Refusals change neither the day nor the registration.
  const kept = envelope('bewaard');
  t.equal((await put({ ...kept, followUpOn: '2026-09-15' })).statusCode, 200, 'a day to keep');
  await newAuditEntries();
  const refused: Array<[string, unknown]> = [
    ['February 30th (schema pattern, then the calendar)', '2026-02-30'],
    ['February 29th of a common year', '2026-02-29'],
    ['April 31st', '2026-04-31'],
    ['month and day of one digit', '2026-2-3'],
    ['month 13', '2026-13-01'],
    ['day 00', '2026-01-00'],
    ['a time, not a day', '2026-07-01T00:00:00Z'],
    ['an empty string', ''],
    ['an echo', ECHO],
    ['a number', 20260701],
    ['a list', ['2026-07-01']],
    ['true', true],
  ];
  for (const [what, followUpOn] of refused) isError(t, await put({ ...envelope('geweigerd'), followUpOn }), 400, 'invalid_follow_up_on', `followUpOn: ${what}`);
  isError(t, await put({ ...rawEnvelope(500 + 16), followUpOn: '2027-01-01' }), 400, 'invalid_ciphertext', 'a bad envelope with a good day');
  isError(t, await put({ ...envelope('vreemd'), followUpOn: '2027-01-01' }, theirs.id), 404, 'unknown_case', "a colleague's case, with a day");
  t.strictSame(await newAuditEntries(), [], 'nothing refused is audited');
  t.equal(await stored(), '2026-09-15', 'the day is unchanged');
  t.equal((await detailOf(jade)).registration.ciphertext, kept.ciphertext, 'and so is the registration');
  t.equal(await stored(theirs.id), null, "the colleague's case got no day");
});

// ─── Grants ─────────────────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/cases/{caseId}/grants: 201 { keyId }, only to an adviser of the case\'s channel, once', async (t) => {
  const joost = await newAdviser();
  const karin = await newAdviser();
  const outsider = await newAdviser('tweede');
  const made = await insertCase([joost]);
  t.equal(await listed(karin, made.id), undefined, 'before the grant the colleague does not see the case');

  await newAuditEntries();
  const wrap = sealKey(made.caseKey, karin.boxPublicKey);
  const answer = await request(joost, 'POST', `/api/v1/cases/${made.id}/grants`, { keyId: karin.id, wrap });
  t.equal(answer.statusCode, 201, '201');
  t.strictSame(answer.json(), { keyId: karin.id }, 'exactly { keyId }');
  t.strictSame(await newAuditEntries(), [{ actor: joost.id, action: 'grant', subject: made.id }], 'one audit entry: grant, by the granting adviser');
  const [row] = await db.select().from(caseWraps).where(and(eq(caseWraps.caseId, made.id), eq(caseWraps.accountId, karin.id)));
  t.equal(row?.grantedBy, joost.id, 'the wrap records who granted it');
  const seen = await listed(karin, made.id);
  t.equal(seen?.wrap, wrap, 'the colleague now lists the case with the new wrap');
  t.same(unsealKey(seen!.wrap, karin.boxPublicKey, karin.boxSecretKey), made.caseKey, 'which opens to the case key');
  t.equal((await request(karin, 'GET', `/api/v1/cases/${made.id}`)).statusCode, 200, 'and opens the case');

  await newAuditEntries();
  const refused: Array<[string, unknown, number, string]> = [
    ['the same adviser again', { keyId: karin.id, wrap: sealKey(made.caseKey, karin.boxPublicKey) }, 409, 'grant_exists'],
    ['the granting adviser', { keyId: joost.id, wrap: sealKey(made.caseKey, joost.boxPublicKey) }, 409, 'grant_exists'],
    ['an adviser of another channel', { keyId: outsider.id, wrap: sealKey(made.caseKey, outsider.boxPublicKey) }, 400, 'invalid_key_id'],
    ['an account that does not exist', { keyId: randomB64(16), wrap: randomB64(80) }, 400, 'invalid_key_id'],
    ['a key id with "."', { keyId: `${ECHO}.x`, wrap: randomB64(80) }, 400, 'invalid_key_id'],
    ['a key id of 65 characters', { keyId: 'k'.repeat(65), wrap: randomB64(80) }, 400, 'invalid_key_id'],
    ['a wrap of 79 bytes', { keyId: outsider.id, wrap: randomB64(79) }, 400, 'invalid_wrap'],
    ['a wrap of 81 bytes', { keyId: outsider.id, wrap: randomB64(81) }, 400, 'invalid_wrap'],
    ['a wrap of 48 bytes', { keyId: outsider.id, wrap: randomB64(48) }, 400, 'invalid_wrap'],
    ['a non-canonical wrap', { keyId: outsider.id, wrap: `${randomB64(80).slice(0, -1)}B` }, 400, 'invalid_wrap'],
    ['no wrap', { keyId: outsider.id }, 400, 'missing_wrap'],
    ['no keyId', { wrap: randomB64(80) }, 400, 'missing_key_id'],
    ['an unknown field', { keyId: outsider.id, wrap: randomB64(80), [ECHO]: 1 }, 400, 'unknown_field'],
  ];
  for (const [what, payload, status, code] of refused) {
    isError(t, await request(joost, 'POST', `/api/v1/cases/${made.id}/grants`, payload), status, code, what, [(payload as Json).wrap]);
  }
  t.strictSame(await newAuditEntries(), [], 'nothing refused is audited');
  t.strictSame(
    (await db.select({ accountId: caseWraps.accountId }).from(caseWraps).where(eq(caseWraps.caseId, made.id))).map((r) => r.accountId).sort(),
    [joost.id, karin.id].sort(),
    'the case has exactly the two wraps',
  );
  t.equal((await request(karin, 'GET', `/api/v1/cases/${made.id}`)).json().wrap, wrap, 'a refused second grant did not replace the first wrap');
});
