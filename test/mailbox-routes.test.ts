/**
 * The reporter's mailbox routes (protocol-v1 §6): challenge, session, reading, messages,
 * consent to relays, a new code, logout. Each success answer's exact shape, every login
 * failure as one identical 401, every signed-in route without a valid session, and every
 * malformed body: the status, the error code, a body of exactly { error, message }, and no
 * echo of what the request carried.
 */
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import {
  MESSAGE_BLOCK,
  REPORT_BLOCK,
  decryptRecord,
  deriveMailboxKeys,
  encryptRecord,
  generateCode,
  messageAd,
  ready,
  reportAd,
  sealKey,
  signMailboxLogin,
  sodium,
  unsealKey,
  type MailboxKeys,
  type SubmitReportRequest,
  signMailboxRotate,
} from '../src/protocol/index.js';
import { cases, files, mailboxSessions, messages, relays, spentMailboxChallenges, type RelayState } from '../src/server/db/schema.js';
import { toHour } from '../src/server/services/coarse-time.js';
import { feedbackBy } from '../src/protocol/index.js';
import { tokenHash } from '../src/server/tokens.js';
import { buildTestApp } from './helper.js';
import { addAdviser, addChannel } from './fixtures.js';
import { ECHO, isError, nonCanonical } from './helpers/answers.js';

await ready();

// One app for the whole file (building one takes seconds); every test makes cases of its own.
const { app, database } = await buildTestApp(t, { MESSAGES_PER_HOUR: '2', MAX_MESSAGE_BYTES: '2048' });
const { db } = database;
await addChannel(db, 'postbus');
const { organisationId } = await app.services.channels.bySlug('postbus');
const anna = await addAdviser(db, 'postbus', 'Anna de Vries');

/** Put into requests wherever a value may go; lower case, so snake-casing cannot disguise it. */
const MINUTE = 60 * 1000;
/** `iso` is the whole hour of a moment between `before` and now (a request may cross an hour). */
const isHourOf = (iso: string, before: number) => [toHour(new Date(before)).toISOString(), toHour(new Date()).toISOString()].includes(iso);

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));

// Loosely typed access to a body, for breaking one field at a time.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The keys a code derives. Random key pairs serve where the Argon2 derivation adds nothing: the server cannot tell. */
type Keys = Pick<MailboxKeys, 'mailboxId' | 'signPublicKey' | 'signSecretKey' | 'boxPublicKey' | 'boxSecretKey'>;
function randomKeys(): Keys {
  const s = sodium();
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  return { mailboxId: randomB64(16), signPublicKey: sign.publicKey, signSecretKey: sign.privateKey, boxPublicKey: box.publicKey, boxSecretKey: box.privateKey };
}
// Three real codes, derived once (Argon2id takes a while each).
const codeA = await deriveMailboxKeys(generateCode().body);
const codeB = await deriveMailboxKeys(generateCode().body);
const codeC = await deriveMailboxKeys(generateCode().body);

interface Reporter {
  keys: Keys;
  caseId: string;
  caseKey: Uint8Array;
  submitted: SubmitReportRequest;
  receivedAt: string;
}

/** Submits a report through the route, with the mailbox of `keys`. */
async function newCase(keys: Keys = randomKeys()): Promise<Reporter> {
  const s = sodium();
  const caseId = randomB64(16);
  const caseKey = s.randombytes_buf(32);
  const submitted: SubmitReportRequest = {
    v: 1,
    caseId,
    mailboxId: keys.mailboxId,
    reporterSignPublicKey: b64(keys.signPublicKey),
    reporterBoxPublicKey: b64(keys.boxPublicKey),
    wraps: [{ keyId: anna.id, wrap: sealKey(caseKey, anna.boxPublicKey) }],
    reporterWrap: sealKey(caseKey, keys.boxPublicKey),
    report: encryptRecord(caseKey, { v: 1, lang: 'nl', answers: { what: 'Facturen dubbel betaald.' }, anonymity: 'anonymous' }, reportAd(caseId), REPORT_BLOCK),
  };
  const answer = await app.inject({ method: 'POST', url: '/api/v1/channels/postbus/reports', payload: submitted });
  if (answer.statusCode !== 201) throw new Error(`submission failed: ${answer.body}`);
  return { keys, caseId, caseKey, submitted, receivedAt: (answer.json() as { receivedAt: string }).receivedAt };
}

const challenge = (body: unknown) => app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: body as object });
const session = (body: unknown) => app.inject({ method: 'POST', url: '/api/v1/mailbox/session', payload: body as object });
const sign = (challengeText: string, keys: Keys) => b64(signMailboxLogin(fromB64(challengeText), keys.signSecretKey));

async function challengeFor(mailboxId: string): Promise<string> {
  return ((await challenge({ mailboxId })).json() as { challenge: string }).challenge;
}

/** A signed login body for `keys`' mailbox. */
async function loginBody(keys: Keys) {
  const text = await challengeFor(keys.mailboxId);
  return { mailboxId: keys.mailboxId, challenge: text, signature: sign(text, keys) };
}

async function login(keys: Keys): Promise<string> {
  const answer = await session(await loginBody(keys));
  if (answer.statusCode !== 200) throw new Error(`login failed: ${answer.body}`);
  return (answer.json() as { token: string }).token;
}

/** A request to a signed-in route; `authorization` is the raw header, or absent. */
function signedIn(method: 'GET' | 'POST' | 'DELETE', url: string, authorization: string | undefined, payload?: unknown) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}
const bearer = (token: string) => `Bearer ${token}`;

const messageEnvelope = (reporter: Reporter, body = 'Er is nog iets.') =>
  encryptRecord(reporter.caseKey, { v: 1, body, sentAt: new Date().toISOString() }, messageAd(reporter.caseId, 'reporter'), MESSAGE_BLOCK);
const rawEnvelope = (ciphertextBytes: number) => ({ nonce: randomB64(24), ciphertext: randomB64(ciphertextBytes) });

/** A relay as an adviser's route would store one; there is no route for it yet. */
async function addRelay(caseId: string, state: RelayState = 'awaiting_consent', createdAt = new Date()) {
  const relay = {
    id: randomB64(16),
    caseId,
    organisationId,
    state,
    textNonce: randomBytes(24),
    textCiphertext: randomBytes(MESSAGE_BLOCK + 16),
    copyNonce: randomBytes(24),
    copyCiphertext: randomBytes(MESSAGE_BLOCK + 16),
    createdBy: anna.id,
    createdAt,
  };
  await db.insert(relays).values(relay);
  return relay;
}
const relayState = async (id: string) => (await db.select().from(relays).where(eq(relays.id, id)))[0];

// The cases of codes A and B, which the login tests use; code C is the new code of the rotation test.
const caseA = await newCase(codeA);
await newCase(codeB);

t.test('POST /api/v1/mailbox/challenge: 32 signed bytes, the same shape for a mailbox that does not exist', async (t) => {
  const reporter = await newCase();
  const before = Date.now();
  const spentBefore = (await db.select().from(spentMailboxChallenges)).length;
  const known = await challenge({ mailboxId: reporter.keys.mailboxId });
  const unknownId = randomB64(16);
  const unknown = await challenge({ mailboxId: unknownId });
  for (const [what, answer] of [['a known mailbox', known], ['an unknown mailbox', unknown]] as const) {
    t.equal(answer.statusCode, 200, `${what}: 200`);
    t.strictSame(Object.keys(answer.json()), ['challenge'], `${what}: exactly { challenge }`);
    const text = (answer.json() as { challenge: string }).challenge;
    t.match(text, /^[A-Za-z0-9_-]{43}$/, `${what}: base64url of 32 bytes`);
    t.equal(b64(fromB64(text)), text, `${what}: canonical`);
  }
  t.equal(unknown.body.length, known.body.length, 'both answers have the same length');
  t.equal(unknown.headers['content-type'], known.headers['content-type'], 'and the same content type');
  t.not(known.json().challenge, (await challenge({ mailboxId: reporter.keys.mailboxId })).json().challenge, 'every challenge is new');

  t.equal((await db.select().from(spentMailboxChallenges)).length, spentBefore, 'issuing a challenge stores nothing');
  // Its first 4 bytes are its expiry in unix minutes (docs/protocol.md).
  const ttl = Buffer.from(known.json().challenge, 'base64url').readUInt32BE(0) * MINUTE - before;
  t.ok(ttl > 2 * MINUTE - 1000 && ttl <= 3 * MINUTE, 'it expires two to three minutes after it was issued');

  const valid = randomB64(16);
  const broken: Array<[string, unknown, string]> = [
    ['no mailboxId', {}, 'missing_mailbox_id'],
    ['mailboxId a number', { mailboxId: 12345 }, 'invalid_mailbox_id'],
    ['mailboxId null', { mailboxId: null }, 'invalid_mailbox_id'],
    ['mailboxId empty', { mailboxId: '' }, 'invalid_mailbox_id'],
    ['mailboxId with "+"', { mailboxId: `+${valid.slice(1)}` }, 'invalid_mailbox_id'],
    ['mailboxId of 15 bytes', { mailboxId: randomB64(15) }, 'invalid_mailbox_id'],
    ['mailboxId of 17 bytes', { mailboxId: randomB64(17) }, 'invalid_mailbox_id'],
    ['mailboxId not canonical', { mailboxId: nonCanonical(valid) }, 'invalid_mailbox_id'],
    ['an unknown field', { mailboxId: valid, [ECHO]: 1 }, 'unknown_field'],
    ['a list', [valid], 'invalid_body'],
  ];
  for (const [what, body, code] of broken) {
    isError(t, await challenge(body), 400, code, what, [valid, (body as Json).mailboxId]);
  }
});

t.test('POST /api/v1/mailbox/session: a signature with the code’s key opens a session', async (t) => {
  const reporter = caseA;
  const before = Date.now();
  const answer = await session(await loginBody(codeA));
  t.equal(answer.statusCode, 200, 'a correct login answers 200');
  const opened = answer.json() as { token: string; expiresAt: string };
  t.strictSame(Object.keys(opened).sort(), ['expiresAt', 'token'], 'exactly token and expiresAt');
  t.match(opened.token, /^[A-Za-z0-9_-]{43}$/, 'the token is 256 random bits, base64url');
  t.equal(new Date(opened.expiresAt).toISOString(), opened.expiresAt, 'expiresAt is an ISO 8601 UTC time');
  const lifetime = Date.parse(opened.expiresAt) - before;
  t.equal(Date.parse(opened.expiresAt) % (60 * MINUTE), 0, 'the session ends at a whole hour');
  t.ok(lifetime >= 60 * MINUTE - 1000 && lifetime <= 120 * MINUTE, 'at least an hour after login, at most two');

  const rows = await db.select().from(mailboxSessions).where(eq(mailboxSessions.caseId, reporter.caseId));
  t.equal(rows.length, 1, 'one session is stored');
  t.strictSame(Buffer.from(rows[0]!.tokenHash), createHash('sha256').update(opened.token).digest(), 'as the SHA-256 of the token, not the token');
  const view = await signedIn('GET', '/api/v1/mailbox', bearer(opened.token));
  t.equal(view.statusCode, 200, 'the token opens the mailbox');
  t.equal(view.json().caseId, reporter.caseId, 'of this case');

  const second = await login(codeA);
  t.not(second, opened.token, 'a second login gets another token');
  t.equal((await signedIn('GET', '/api/v1/mailbox', bearer(second))).statusCode, 200, 'both sessions work');
  t.equal((await signedIn('GET', '/api/v1/mailbox', bearer(opened.token))).statusCode, 200, 'the first one still');
});

t.test('POST /api/v1/mailbox/session: every login failure is the same 401', async (t) => {
  const stranger = randomKeys(); // never submitted: an unknown mailbox

  const failures: Array<[string, () => Promise<Json>]> = [
    ['a wrong signature', async () => ({ ...(await loginBody(codeA)), signature: randomB64(64) })],
    ['a signature over another challenge', async () => ({ ...(await loginBody(codeA)), signature: sign(await challengeFor(codeA.mailboxId), codeA) })],
    ['an unknown mailbox', () => loginBody(stranger)],
    [
      'a reused challenge',
      async () => {
        const body = await loginBody(codeA);
        if ((await session(body)).statusCode !== 200) throw new Error('the first use should succeed');
        return body;
      },
    ],
    [
      'a challenge issued for another mailbox',
      async () => {
        const other = await challengeFor(codeB.mailboxId);
        return { mailboxId: codeA.mailboxId, challenge: other, signature: sign(other, codeA) };
      },
    ],
    [
      'a challenge issued for an unknown mailbox',
      async () => {
        const other = await challengeFor(stranger.mailboxId);
        return { mailboxId: codeA.mailboxId, challenge: other, signature: sign(other, codeA) };
      },
    ],
    [
      'an expired challenge',
      async () => {
        const old = b64(await app.services.mailbox.challenge(codeA.mailboxId, new Date(Date.now() - 3 * MINUTE)));
        return { mailboxId: codeA.mailboxId, challenge: old, signature: sign(old, codeA) };
      },
    ],
    [
      'a signature by another code’s key',
      async () => {
        const text = await challengeFor(codeA.mailboxId);
        return { mailboxId: codeA.mailboxId, challenge: text, signature: sign(text, codeB) };
      },
    ],
    [
      'a challenge the server never issued',
      async () => {
        const made = randomB64(32);
        return { mailboxId: codeA.mailboxId, challenge: made, signature: sign(made, codeA) };
      },
    ],
    [
      'a challenge spent by a failed attempt',
      async () => {
        const body = await loginBody(codeA);
        if ((await session({ ...body, signature: randomB64(64) })).statusCode !== 401) throw new Error('the wrong signature should fail');
        return body;
      },
    ],
  ];
  const bodies: unknown[] = [];
  for (const [what, make] of failures) {
    const body = await make();
    const answer = await session(body);
    isError(t, answer, 401, 'mailbox_login_failed', what, [body.mailboxId, body.challenge, body.signature]);
    bodies.push(answer.json());
  }
  for (const [index, body] of bodies.entries()) t.strictSame(body, bodies[0], `${failures[index]![0]}: the body is identical to every other failure’s`);
  t.equal((await session(await loginBody(codeA))).statusCode, 200, 'after all that, the right code still opens the mailbox');

  // Malformed bodies are 400s that name the field, before any lookup.
  const good = await loginBody(codeA);
  const broken: Array<[string, Json, string]> = [
    ['no mailboxId', { challenge: good.challenge, signature: good.signature }, 'missing_mailbox_id'],
    ['no challenge', { mailboxId: good.mailboxId, signature: good.signature }, 'missing_challenge'],
    ['no signature', { mailboxId: good.mailboxId, challenge: good.challenge }, 'missing_signature'],
    ['mailboxId of 17 bytes', { ...good, mailboxId: randomB64(17) }, 'invalid_mailbox_id'],
    ['mailboxId not canonical', { ...good, mailboxId: nonCanonical(good.mailboxId) }, 'invalid_mailbox_id'],
    ['challenge of 31 bytes', { ...good, challenge: randomB64(31) }, 'invalid_challenge'],
    ['challenge of 33 bytes', { ...good, challenge: randomB64(33) }, 'invalid_challenge'],
    ['challenge not canonical', { ...good, challenge: nonCanonical(good.challenge) }, 'invalid_challenge'],
    ['challenge with "/"', { ...good, challenge: `/${good.challenge.slice(1)}` }, 'invalid_challenge'],
    ['challenge a number', { ...good, challenge: 12345 }, 'invalid_challenge'],
    ['signature of 63 bytes', { ...good, signature: randomB64(63) }, 'invalid_signature'],
    ['signature of 65 bytes', { ...good, signature: randomB64(65) }, 'invalid_signature'],
    ['signature not canonical', { ...good, signature: nonCanonical(good.signature) }, 'invalid_signature'],
    ['signature null', { ...good, signature: null }, 'invalid_signature'],
    ['an unknown field', { ...good, [ECHO]: true }, 'unknown_field'],
  ];
  for (const [what, body, code] of broken) {
    isError(t, await session(body), 400, code, what, [good.mailboxId, good.challenge, good.signature]);
  }
  t.equal((await session(good)).statusCode, 200, 'the malformed attempts did not spend the challenge they carried');
});

t.test('signed-in routes: no token, a wrong token, an expired or closed session are all 401 not_signed_in', async (t) => {
  const reporter = await newCase();
  const relay = await addRelay(reporter.caseId);
  const expired = await login(reporter.keys);
  await db.update(mailboxSessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(mailboxSessions.tokenHash, tokenHash(expired)));
  const closed = await login(reporter.keys);
  t.equal((await signedIn('DELETE', '/api/v1/mailbox/session', bearer(closed))).statusCode, 204, 'a session is closed');
  const live = await login(reporter.keys);
  const fresh = randomKeys();

  const routes: Array<[string, 'GET' | 'POST' | 'DELETE', string, unknown]> = [
    ['GET /api/v1/mailbox', 'GET', '/api/v1/mailbox', undefined],
    ['POST /api/v1/mailbox/messages', 'POST', '/api/v1/mailbox/messages', messageEnvelope(reporter)],
    ['POST /api/v1/mailbox/relays/:relayId/consent', 'POST', `/api/v1/mailbox/relays/${relay.id}/consent`, { decision: 'approve' }],
    [
      'POST /api/v1/mailbox/rotate',
      'POST',
      '/api/v1/mailbox/rotate',
      {
        mailboxId: fresh.mailboxId,
        reporterSignPublicKey: b64(fresh.signPublicKey),
        reporterBoxPublicKey: b64(fresh.boxPublicKey),
        reporterWrap: sealKey(reporter.caseKey, fresh.boxPublicKey),
        proof: b64(signMailboxRotate(fromB64(fresh.mailboxId), fresh.signPublicKey, reporter.keys.signSecretKey)),
      },
    ],
    ['DELETE /api/v1/mailbox/session', 'DELETE', '/api/v1/mailbox/session', undefined],
  ];
  const credentials: Array<[string, string | undefined]> = [
    ['no Authorization header', undefined],
    ['an empty Authorization header', ''],
    ['"Bearer" without a token', 'Bearer '],
    ['a garbage token', `Bearer ${ECHO}!*#`],
    ['a token nobody was given', bearer(randomB64(32))],
    ['a live token with another scheme', `Basic ${live}`],
    ['a live token with something appended', bearer(`${live}x`)],
    ['an expired session', bearer(expired)],
    ['a closed session', bearer(closed)],
  ];
  const bodies: unknown[] = [];
  for (const [route, method, url, payload] of routes) {
    for (const [what, authorization] of credentials) {
      const answer = await signedIn(method, url, authorization, payload);
      isError(t, answer, 401, 'not_signed_in', `${route} with ${what}`, [live, expired, closed, relay.id]);
      bodies.push(answer.json());
    }
  }
  t.ok(bodies.every((b) => JSON.stringify(b) === JSON.stringify(bodies[0])), 'every refusal has the identical body');

  // Nothing happened on the case, and the live session still works.
  t.equal((await db.select().from(messages).where(eq(messages.caseId, reporter.caseId))).length, 0, 'no message was posted');
  t.equal((await relayState(relay.id))?.state, 'awaiting_consent', 'the relay was not decided');
  t.equal((await db.select().from(cases).where(eq(cases.id, reporter.caseId)))[0]?.mailboxId, reporter.keys.mailboxId, 'the code was not changed');
  t.equal((await signedIn('GET', '/api/v1/mailbox', bearer(live))).statusCode, 200, 'the live session still works');

  // A session has a fixed end: using it does not move it, so nothing records when it was used.
  const ending = await login(reporter.keys);
  const soon = new Date(Date.now() + MINUTE);
  await db.update(mailboxSessions).set({ expiresAt: soon }).where(eq(mailboxSessions.tokenHash, tokenHash(ending)));
  t.equal((await signedIn('GET', '/api/v1/mailbox', bearer(ending))).statusCode, 200, 'a session about to expire still works');
  const [used] = await db.select().from(mailboxSessions).where(eq(mailboxSessions.tokenHash, tokenHash(ending)));
  t.equal(used!.expiresAt.getTime(), soon.getTime(), 'using it does not move its end');
});

t.test('GET /api/v1/mailbox: exactly what the server holds for this case, and nothing of another', async (t) => {
  const reporter = await newCase();
  const other = await newCase();
  const token = await login(reporter.keys);
  const otherToken = await login(other.keys);

  const posted: Array<{ id: string; sentAt: string; nonce: string; ciphertext: string }> = [];
  for (const text of ['Eerste bericht.', 'Tweede bericht.']) {
    const envelope = messageEnvelope(reporter, text);
    const answer = await signedIn('POST', '/api/v1/mailbox/messages', bearer(token), envelope);
    posted.push({ ...(answer.json() as { id: string; sentAt: string }), ...envelope });
  }
  // Earlier than the reporter's (whole-hour) times on purpose: the order is the case's sequence, not the time.
  const adviserMessage = { id: randomB64(16), nonce: randomBytes(24), ciphertext: randomBytes(MESSAGE_BLOCK + 16), sentAt: new Date(Date.parse(posted[0]!.sentAt) - 1000) };
  // The adviser's message is the feedback: the mailbox marks it, and says when it was given.
  await db.insert(messages).values({ ...adviserMessage, caseId: reporter.caseId, author: 'adviser', accountId: anna.id, seq: 3, feedback: true });
  await db.update(cases).set({ feedbackGivenAt: adviserMessage.sentAt }).where(eq(cases.id, reporter.caseId));
  await signedIn('POST', '/api/v1/mailbox/messages', bearer(otherToken), messageEnvelope(other, 'Van een andere zaak.'));
  const relayOne = await addRelay(reporter.caseId, 'awaiting_consent', new Date(Date.now() - 2000));
  const relayTwo = await addRelay(reporter.caseId, 'sent', new Date(Date.now() - 1000));
  await addRelay(other.caseId);
  const file = { id: randomB64(16), headerNonce: randomBytes(24), headerCiphertext: randomBytes(MESSAGE_BLOCK + 16), bytes: 4242 };
  const now = new Date();
  await db.insert(files).values({ ...file, caseId: reporter.caseId, author: 'reporter', completedAt: now, createdAt: now });
  await db.insert(files).values({ ...file, id: randomB64(16), caseId: reporter.caseId, author: 'reporter', completedAt: null, createdAt: now });
  // Relay attachments: listed under their relay only, never among the case's files; an untaken one not at all.
  const attachment = { id: randomB64(16), caseId: reporter.caseId, author: 'adviser' as const, accountId: anna.id, bytes: 4242, completedAt: now, createdAt: now };
  await db.insert(files).values({ ...attachment, relayId: relayTwo.id });
  await db.insert(files).values({ ...attachment, id: randomB64(16) });

  const answer = await signedIn('GET', '/api/v1/mailbox', bearer(token));
  t.equal(answer.statusCode, 200, 'answers 200');
  const receivedAt = new Date(reporter.receivedAt);
  const envelope = (nonce: Uint8Array, ciphertext: Uint8Array) => ({ nonce: b64(nonce), ciphertext: b64(ciphertext) });
  t.strictSame(
    answer.json(),
    {
      caseId: reporter.caseId,
      status: 'received',
      receivedAt: reporter.receivedAt,
      acknowledgedAt: null,
      feedbackBy: feedbackBy(receivedAt, null).toISOString(),
      feedbackGivenAt: adviserMessage.sentAt.toISOString(),
      reporterWrap: reporter.submitted.reporterWrap,
      report: reporter.submitted.report,
      messages: [
        ...posted.map((m) => ({ id: m.id, author: 'reporter', sentAt: m.sentAt, feedback: false, nonce: m.nonce, ciphertext: m.ciphertext })),
        { id: adviserMessage.id, author: 'adviser', sentAt: adviserMessage.sentAt.toISOString(), feedback: true, ...envelope(adviserMessage.nonce, adviserMessage.ciphertext) },
      ],
      relays: [
        { relayId: relayOne.id, state: 'awaiting_consent', copy: envelope(relayOne.copyNonce, relayOne.copyCiphertext), attachments: [] },
        { relayId: relayTwo.id, state: 'sent', copy: envelope(relayTwo.copyNonce, relayTwo.copyCiphertext), attachments: [{ fileId: attachment.id, bytes: 4242 }] },
      ],
      files: [{ fileId: file.id, header: envelope(file.headerNonce, file.headerCiphertext), bytes: 4242, author: 'reporter' }],
      commitment: null,
      readers: [{ keyId: anna.id, name: 'Anna de Vries', granted: false }],
    },
    'exactly the case: own messages in order, own relays with their copies and attachments, completed files only, no commitment (a v1 submission), its one reader; nothing of the other case',
  );

  const view = answer.json() as { reporterWrap: string; report: { nonce: string; ciphertext: string } };
  const caseKey = unsealKey(view.reporterWrap, reporter.keys.boxPublicKey, reporter.keys.boxSecretKey);
  t.strictSame(
    decryptRecord(caseKey, view.report, reportAd(reporter.caseId), REPORT_BLOCK),
    { v: 1, lang: 'nl', answers: { what: 'Facturen dubbel betaald.' }, anonymity: 'anonymous' },
    'the reporter opens the report with the key from reporterWrap',
  );
  const otherView = (await signedIn('GET', '/api/v1/mailbox', bearer(otherToken))).json() as { caseId: string; messages: unknown[]; relays: unknown[]; files: unknown[] };
  t.equal(otherView.caseId, other.caseId, 'the other token opens the other case');
  t.equal(otherView.messages.length, 1, 'with its own message only');
  t.equal(otherView.relays.length, 1, 'its own relay only');
  t.equal(otherView.files.length, 0, 'and no files');
});

t.test('POST /api/v1/mailbox/messages: padded ciphertext, size and hourly limits', async (t) => {
  // Accepted sizes: one block and MAX_MESSAGE_BYTES (2048) padded.
  const writer = await newCase();
  const token = await login(writer.keys);
  for (const [what, envelope] of [
    ['a real message of one block', messageEnvelope(writer)],
    ['a ciphertext of exactly MAX_MESSAGE_BYTES padded', rawEnvelope(2 * MESSAGE_BLOCK + 16)],
  ] as const) {
    const before = Date.now();
    const answer = await signedIn('POST', '/api/v1/mailbox/messages', bearer(token), envelope);
    t.equal(answer.statusCode, 201, `${what}: 201`);
    const posted = answer.json() as { id: string; sentAt: string };
    t.strictSame(Object.keys(posted).sort(), ['id', 'sentAt'], `${what}: exactly id and sentAt`);
    t.match(posted.id, /^[A-Za-z0-9_-]{22}$/, `${what}: the id is 16 random bytes`);
    t.ok(isHourOf(posted.sentAt, before), `${what}: sentAt is the whole hour of the request`);
    const [row] = await db.select().from(messages).where(eq(messages.id, posted.id));
    t.strictSame(
      [row?.caseId, row?.author, row?.accountId, b64(row!.nonce), b64(row!.ciphertext), row?.sentAt.toISOString()],
      [writer.caseId, 'reporter', null, envelope.nonce, envelope.ciphertext, posted.sentAt],
      `${what}: stored as sent, by the reporter, in this case`,
    );
    const [caseRow] = await db.select().from(cases).where(eq(cases.id, writer.caseId));
    t.equal(caseRow?.reporterSeq, row?.seq, `${what}: the case points at the reporter’s latest message`);
  }

  // Malformed messages: refused, and not counted against the hourly limit.
  const careless = await newCase();
  const carelessToken = await login(careless.keys);
  const good = messageEnvelope(careless);
  const broken: Array<[string, Json, number, string]> = [
    ['no nonce', { ciphertext: good.ciphertext }, 400, 'missing_nonce'],
    ['no ciphertext', { nonce: good.nonce }, 400, 'missing_ciphertext'],
    ['a nonce of 23 bytes', { ...good, nonce: randomB64(23) }, 400, 'invalid_nonce'],
    ['a nonce of 25 bytes', { ...good, nonce: randomB64(25) }, 400, 'invalid_nonce'],
    ['a nonce with "+"', { ...good, nonce: `+${good.nonce.slice(1)}` }, 400, 'invalid_nonce'],
    ['a nonce that is a number', { ...good, nonce: 12345 }, 400, 'invalid_nonce'],
    ['a ciphertext with "="', { ...good, ciphertext: `${good.ciphertext.slice(0, -1)}=` }, 400, 'invalid_ciphertext'],
    ['a ciphertext not canonical', { ...good, ciphertext: nonCanonical(good.ciphertext) }, 400, 'invalid_ciphertext'],
    ['a ciphertext that is null', { ...good, ciphertext: null }, 400, 'invalid_ciphertext'],
    ['an empty ciphertext', { ...good, ciphertext: '' }, 400, 'invalid_ciphertext'],
    ['a ciphertext of only a tag', rawEnvelope(16), 400, 'invalid_ciphertext'],
    ['a ciphertext of 100 bytes', rawEnvelope(100), 400, 'invalid_ciphertext'],
    ['a ciphertext of 1024 + 16 + 1 bytes', rawEnvelope(MESSAGE_BLOCK + 17), 400, 'invalid_ciphertext'],
    ['a ciphertext of one block without the tag', rawEnvelope(MESSAGE_BLOCK), 400, 'invalid_ciphertext'],
    ['a report-sized ciphertext (not padded to 1024 either)', rawEnvelope(REPORT_BLOCK + 15), 413, 'ciphertext_too_large'],
    ['three padded blocks (over MAX_MESSAGE_BYTES 2048)', rawEnvelope(3 * MESSAGE_BLOCK + 16), 413, 'ciphertext_too_large'],
    ['10000 bytes', rawEnvelope(10000), 413, 'ciphertext_too_large'],
    ['an unknown field', { ...good, [ECHO]: 'x' }, 400, 'unknown_field'],
  ];
  for (const [what, body, status, code] of broken) {
    isError(t, await signedIn('POST', '/api/v1/mailbox/messages', bearer(carelessToken), body), status, code, what, [good.nonce, body.nonce]);
  }
  const list = await app.inject({ method: 'POST', url: '/api/v1/mailbox/messages', headers: { authorization: bearer(carelessToken), 'content-type': 'application/json' }, payload: '[]' });
  isError(t, list, 400, 'invalid_body', 'a body that is a list');
  t.equal((await db.select().from(messages).where(eq(messages.caseId, careless.caseId))).length, 0, 'no malformed message was stored');
  for (const n of [1, 2]) {
    t.equal((await signedIn('POST', '/api/v1/mailbox/messages', bearer(carelessToken), messageEnvelope(careless))).statusCode, 201, `refused requests did not count: message ${n} of 2 is accepted`);
  }

  // The hourly limit: MESSAGES_PER_HOUR = 2 per mailbox.
  const chatty = await newCase();
  const chattyToken = await login(chatty.keys);
  for (const n of [1, 2]) t.equal((await signedIn('POST', '/api/v1/mailbox/messages', bearer(chattyToken), messageEnvelope(chatty))).statusCode, 201, `message ${n} of 2 in the hour`);
  const third = messageEnvelope(chatty);
  isError(t, await signedIn('POST', '/api/v1/mailbox/messages', bearer(chattyToken), third), 429, 'too_many_messages', 'a third message in the hour', [third.nonce]);
  isError(t, await signedIn('POST', '/api/v1/mailbox/messages', bearer(await login(chatty.keys)), messageEnvelope(chatty)), 429, 'too_many_messages', 'a new session does not reset the limit');
  t.equal((await db.select().from(messages).where(eq(messages.caseId, chatty.caseId))).length, 2, 'the refused messages were not stored');
  const quiet = await newCase();
  t.equal((await signedIn('POST', '/api/v1/mailbox/messages', bearer(await login(quiet.keys)), messageEnvelope(quiet))).statusCode, 201, 'the limit is per mailbox: another case still posts');
  await db
    .update(messages)
    .set({ sentAt: new Date(toHour(new Date()).getTime() - 60 * MINUTE) })
    .where(and(eq(messages.caseId, chatty.caseId), eq(messages.author, 'reporter')));
  t.equal((await signedIn('POST', '/api/v1/mailbox/messages', bearer(chattyToken), messageEnvelope(chatty))).statusCode, 201, 'messages of an earlier hour no longer count');
});

t.test('POST /api/v1/mailbox/relays/:relayId/consent: approve or decline once, only the own case’s relays', async (t) => {
  const reporter = await newCase();
  const other = await newCase();
  const token = await login(reporter.keys);
  const toApprove = await addRelay(reporter.caseId);
  const toDecline = await addRelay(reporter.caseId);
  const alreadySent = await addRelay(reporter.caseId, 'sent');
  const othersRelay = await addRelay(other.caseId);
  const consent = (relayId: string, body: unknown) => signedIn('POST', `/api/v1/mailbox/relays/${relayId}/consent`, bearer(token), body);

  const before = Date.now();
  const approved = await consent(toApprove.id, { decision: 'approve' });
  t.equal(approved.statusCode, 200, 'approve answers 200');
  t.strictSame(approved.json(), { relayId: toApprove.id, state: 'approved' }, 'exactly { relayId, state: approved }');
  const approvedRow = await relayState(toApprove.id);
  t.equal(approvedRow?.state, 'approved', 'the relay is approved in the database');
  t.ok(approvedRow?.decidedAt && isHourOf(approvedRow.decidedAt.toISOString(), before), 'with the whole hour of the decision');
  const declined = await consent(toDecline.id, { decision: 'decline' });
  t.equal(declined.statusCode, 200, 'decline answers 200');
  t.strictSame(declined.json(), { relayId: toDecline.id, state: 'declined' }, 'exactly { relayId, state: declined }');

  const twice: Array<[string, string, string]> = [
    ['approving an approved relay again', toApprove.id, 'approve'],
    ['declining an approved relay', toApprove.id, 'decline'],
    ['approving a declined relay', toDecline.id, 'approve'],
    ['deciding a sent relay', alreadySent.id, 'decline'],
  ];
  for (const [what, relayId, decision] of twice) isError(t, await consent(relayId, { decision }), 409, 'relay_decided', what, [relayId]);
  t.equal((await relayState(toDecline.id))?.state, 'declined', 'the declined relay stays declined');
  t.equal((await relayState(alreadySent.id))?.state, 'sent', 'the sent relay stays sent');

  const unknown = await consent(`${ECHO}Relay`, { decision: 'approve' });
  isError(t, unknown, 404, 'unknown_relay', 'a relay that does not exist');
  const foreign = await consent(othersRelay.id, { decision: 'approve' });
  isError(t, foreign, 404, 'unknown_relay', 'a relay of another case', [othersRelay.id]);
  t.strictSame(foreign.json(), unknown.json(), 'another case’s relay looks exactly like one that does not exist');
  const foreignRow = await relayState(othersRelay.id);
  t.equal(foreignRow?.state, 'awaiting_consent', 'the other case’s relay is not decided');
  t.equal(foreignRow?.decidedAt, null, 'and has no decision time');

  const pending = await addRelay(reporter.caseId);
  const badBodies: Array<[string, unknown, string]> = [
    ['no decision', {}, 'missing_decision'],
    ['decision "maybe"', { decision: `maybe${ECHO}` }, 'invalid_decision'],
    ['decision in upper case', { decision: 'APPROVE' }, 'invalid_decision'],
    ['decision "approved"', { decision: 'approved' }, 'invalid_decision'],
    ['an empty decision', { decision: '' }, 'invalid_decision'],
    ['decision true', { decision: true }, 'invalid_decision'],
    ['decision null', { decision: null }, 'invalid_decision'],
    ['an unknown field', { decision: 'approve', [ECHO]: 1 }, 'unknown_field'],
    ['a body that is a list', ['approve'], 'invalid_body'],
  ];
  for (const [what, body, code] of badBodies) {
    isError(t, await consent(pending.id, body), 400, code, what, [pending.id]);
  }
  const badIds: Array<[string, string]> = [
    ['a dot', `${ECHO}.relay`],
    ['65 symbols', `${ECHO}${'a'.repeat(65 - ECHO.length)}`],
    ['an encoded space', `${ECHO}%20relay`],
  ];
  for (const [what, relayId] of badIds) isError(t, await consent(relayId, { decision: 'approve' }), 400, 'invalid_relay_id', `a relay id with ${what}`);
  t.equal((await relayState(pending.id))?.state, 'awaiting_consent', 'no malformed request decided anything');

  const view = (await signedIn('GET', '/api/v1/mailbox', bearer(token))).json() as { relays: Array<{ relayId: string; state: string }> };
  t.strictSame(
    view.relays.map((r) => [r.relayId, r.state]).sort(),
    [
      [toApprove.id, 'approved'],
      [toDecline.id, 'declined'],
      [alreadySent.id, 'sent'],
      [pending.id, 'awaiting_consent'],
    ].sort(),
    'the mailbox shows each relay’s state',
  );
});

t.test('POST /api/v1/mailbox/rotate: a new code replaces the old, and every old session ends', async (t) => {
  const reporter = await newCase();
  const neighbour = await newCase();
  const first = await login(reporter.keys);
  const second = await login(reporter.keys);
  const neighbourToken = await login(neighbour.keys);
  const rotate = (token: string, body: unknown) => signedIn('POST', '/api/v1/mailbox/rotate', bearer(token), body);
  const next = codeC;
  /** The proof: the current code's signing key over the new mailbox id and signing key. */
  const proofFor = (mailboxId: string, signPublicKey: Uint8Array, signSecretKey: Uint8Array) => b64(signMailboxRotate(fromB64(mailboxId), signPublicKey, signSecretKey));
  const good = {
    mailboxId: next.mailboxId,
    reporterSignPublicKey: b64(next.signPublicKey),
    reporterBoxPublicKey: b64(next.boxPublicKey),
    reporterWrap: sealKey(reporter.caseKey, next.boxPublicKey),
    proof: proofFor(next.mailboxId, next.signPublicKey, reporter.keys.signSecretKey),
  };
  const [original] = await db.select().from(cases).where(eq(cases.id, reporter.caseId));

  isError(
    t,
    await rotate(first, { ...good, mailboxId: neighbour.keys.mailboxId, proof: proofFor(neighbour.keys.mailboxId, next.signPublicKey, reporter.keys.signSecretKey) }),
    409,
    'mailbox_exists',
    'the mailbox id of another case',
    [neighbour.keys.mailboxId, good.reporterWrap],
  );
  // A stolen session token without the code: no proof it can make is accepted.
  const wrongProofs: Array<[string, string]> = [
    ['a proof signed with the new code\'s own key', proofFor(next.mailboxId, next.signPublicKey, next.signSecretKey)],
    ['a proof signed with another case\'s code', proofFor(next.mailboxId, next.signPublicKey, neighbour.keys.signSecretKey)],
    ['a proof of the current code over another mailbox id', proofFor(randomB64(16), next.signPublicKey, reporter.keys.signSecretKey)],
    ['a proof of the current code over another signing key', proofFor(next.mailboxId, randomKeys().signPublicKey, reporter.keys.signSecretKey)],
    ['64 random bytes', randomB64(64)],
  ];
  for (const [what, proof] of wrongProofs) isError(t, await rotate(first, { ...good, proof }), 401, 'rotation_proof_wrong', what, [good.mailboxId, proof]);
  const broken: Array<[string, Json, string]> = [];
  const fields: Array<[keyof typeof good, string, number]> = [
    ['mailboxId', 'mailbox_id', 16],
    ['reporterSignPublicKey', 'reporter_sign_public_key', 32],
    ['reporterBoxPublicKey', 'reporter_box_public_key', 32],
    ['reporterWrap', 'reporter_wrap', 80],
    ['proof', 'proof', 64],
  ];
  for (const [name, field, bytes] of fields) {
    const { [name]: _dropped, ...without } = good;
    broken.push([`without ${name}`, without, `missing_${field}`]);
    broken.push([`${name} of ${bytes - 1} bytes`, { ...good, [name]: randomB64(bytes - 1) }, `invalid_${field}`]);
    broken.push([`${name} of ${bytes + 1} bytes`, { ...good, [name]: randomB64(bytes + 1) }, `invalid_${field}`]);
    broken.push([`${name} not canonical`, { ...good, [name]: nonCanonical(good[name]) }, `invalid_${field}`]);
    broken.push([`${name} with "+"`, { ...good, [name]: `+${good[name].slice(1)}` }, `invalid_${field}`]);
    broken.push([`${name} a number`, { ...good, [name]: 12345 }, `invalid_${field}`]);
  }
  broken.push(['an unknown field', { ...good, [ECHO]: 'x' }, 'unknown_field']);
  for (const [what, body, code] of broken) {
    isError(t, await rotate(first, body), 400, code, what, [good.mailboxId, good.reporterSignPublicKey, good.reporterWrap]);
  }
  t.strictSame((await db.select().from(cases).where(eq(cases.id, reporter.caseId)))[0], original, 'no refused request changed the case');
  t.equal((await signedIn('GET', '/api/v1/mailbox', bearer(first))).statusCode, 200, 'and the session still works');

  const rotated = await rotate(first, good);
  t.equal(rotated.statusCode, 200, 'a new code answers 200');
  t.strictSame(rotated.json(), { ok: true }, 'exactly { ok: true }');
  const [row] = await db.select().from(cases).where(eq(cases.id, reporter.caseId));
  t.strictSame(
    [row?.mailboxId, b64(row!.reporterSignPublicKey!), b64(row!.reporterBoxPublicKey!), b64(row!.reporterWrap!)],
    [good.mailboxId, good.reporterSignPublicKey, good.reporterBoxPublicKey, good.reporterWrap],
    'the case has the new mailbox id, keys and wrap',
  );
  for (const [what, token] of [['the session that changed the code', first], ['another session of the old code', second]] as const) {
    isError(t, await signedIn('GET', '/api/v1/mailbox', bearer(token)), 401, 'not_signed_in', `${what} has ended`);
  }
  t.equal((await db.select().from(mailboxSessions).where(eq(mailboxSessions.caseId, reporter.caseId))).length, 0, 'no session of the case is left');
  t.equal((await signedIn('GET', '/api/v1/mailbox', bearer(neighbourToken))).statusCode, 200, 'another case’s session is untouched');

  isError(t, await session(await loginBody(reporter.keys)), 401, 'mailbox_login_failed', 'the old code no longer opens the mailbox');
  const newToken = await login(next);
  const view = (await signedIn('GET', '/api/v1/mailbox', bearer(newToken))).json() as { caseId: string; reporterWrap: string };
  t.equal(view.caseId, reporter.caseId, 'the new code opens the same case');
  t.strictSame(unsealKey(view.reporterWrap, next.boxPublicKey, next.boxSecretKey), reporter.caseKey, 'and its wrap holds the same case key');
});

t.test('DELETE /api/v1/mailbox/session: ends this session only', async (t) => {
  const reporter = await newCase();
  const leaving = await login(reporter.keys);
  const staying = await login(reporter.keys);
  const closed = await signedIn('DELETE', '/api/v1/mailbox/session', bearer(leaving));
  t.equal(closed.statusCode, 204, 'answers 204');
  t.equal(closed.body, '', 'with no body');
  t.equal((await db.select().from(mailboxSessions).where(eq(mailboxSessions.tokenHash, tokenHash(leaving)))).length, 0, 'the session is deleted');
  isError(t, await signedIn('GET', '/api/v1/mailbox', bearer(leaving)), 401, 'not_signed_in', 'the closed token reading the mailbox', [leaving]);
  isError(t, await signedIn('DELETE', '/api/v1/mailbox/session', bearer(leaving)), 401, 'not_signed_in', 'the closed token closing again', [leaving]);
  t.equal((await signedIn('GET', '/api/v1/mailbox', bearer(staying))).statusCode, 200, 'the other session of the same code still works');
});
