/**
 * The authorization matrix (design.md, security invariant 6): every staff route, asked by every
 * kind of caller, gets its designed answer, and no answer tells whether another channel's case
 * exists. The world is made once with the real flows: two organisations with a channel each,
 * advisers A1 and A2 on channel A, adviser B1 on channel B, a recipient of each organisation, a
 * report on channel A sealed to A1 only, a report on channel B, the reporter's mailbox session
 * and two dead sessions of A1. In the matrix A1 relays case A to organisation 1, the reporter
 * approves, and A1 sends it: the relay rows say what each caller may do at each step.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { HTTPMethods, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import {
  ConfidantClient,
  encryptRecord,
  fromBase64url,
  KEY_BYTES,
  MESSAGE_BLOCK,
  messageAd,
  openMailbox,
  REGISTRATION_BLOCK,
  registrationAd,
  sealHoldReason,
  RELAY_BLOCK,
  relayAd,
  relayCopyAd,
  relayMessageAd,
  sealKey,
  setUpAccount,
  signIn,
  submitNewReport,
  type FetchLike,
  type StaffAccount,
} from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { caseWraps, cases, files, messages, registrations, relayMessages, relays, relayWraps, staffAccounts, staffSessions } from '../src/server/db/schema.js';
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../src/server/services/accounts.js';
import { createAdministration } from '../src/server/services/administration.js';
import { totpCode, totpStep } from '../src/server/services/totp.js';
import { newToken, tokenHash } from '../src/server/tokens.js';
import { buildTestApp, LogCapture, testConfig } from './helper.js';

/** The callers, in the order each row asks them: the one allowed to change the case goes last. */
const ACTORS = ['reporter', 'noToken', 'garbageToken', 'idleExpired', 'pastMaxAge', 'recipient', 'otherRecipient', 'otherChannel', 'channelPeer', 'operator', 'caseAdviser'] as const;
type Actor = (typeof ACTORS)[number];

const LABELS: Record<Actor, string> = {
  reporter: "the reporter's mailbox session",
  noToken: 'no token',
  garbageToken: 'an unknown token',
  idleExpired: 'A1 with a session past its idle expiry',
  pastMaxAge: 'A1 with a session past its 12-hour limit',
  recipient: 'the recipient of organisation 1',
  otherRecipient: 'the recipient of organisation 2',
  otherChannel: 'B1, adviser of channel B',
  channelPeer: 'A2, adviser of channel A without a wrap',
  operator: "O1, the installation's operator",
  caseAdviser: 'A1, adviser of the case',
};

/** A designed answer: a status, the error code of a refusal, or the exact case, registration or relay ids of a list. */
interface Answer {
  status: number;
  error?: string;
  cases?: string[];
  registrations?: string[];
  relays?: string[];
  /** How many case key copies the answer says it stored. */
  stored?: number;
}

const NOT_SIGNED_IN: Answer = { status: 401, error: 'not_signed_in' };
const ADVISERS_ONLY: Answer = { status: 403, error: 'advisers_only' };
const RECIPIENTS_ONLY: Answer = { status: 403, error: 'recipients_only' };
/** Routes for advisers and recipients alike (relays), asked by the operator. */
const NOT_FOR_OPERATORS: Answer = { status: 403, error: 'advisers_or_recipients_only' };
const OPERATORS_ONLY: Answer = { status: 403, error: 'operators_only' };
const UNKNOWN_CASE: Answer = { status: 404, error: 'unknown_case' };
const UNKNOWN_RELAY: Answer = { status: 404, error: 'unknown_relay' };
/** An organisation the adviser serves no channel of answers like one that does not exist. */
const UNKNOWN_ORGANISATION: Answer = { status: 404, error: 'unknown_organisation' };
const ok = (status: number): Answer => ({ status });
/** The answers that refuse the caller before anything about the case or relay is looked at or shown. */
const REFUSALS = new Set([NOT_SIGNED_IN, ADVISERS_ONLY, RECIPIENTS_ONLY, NOT_FOR_OPERATORS, OPERATORS_ONLY, UNKNOWN_CASE, UNKNOWN_RELAY]);
const list = (...ids: string[]): Answer => ({ status: 200, cases: ids });
const relayList = (...ids: string[]): Answer => ({ status: 200, relays: ids });
/** The registrations of a period: the cases, by id, it lists. */
const registrationList = (...ids: string[]): Answer => ({ status: 200, registrations: ids });
/** Case key copies: how many the answer says were stored. */
const stored = (count: number): Answer => ({ status: 200, stored: count });
/** Every caller without a staff session gets the same 401. */
const SIGNED_OUT = { reporter: NOT_SIGNED_IN, noToken: NOT_SIGNED_IN, garbageToken: NOT_SIGNED_IN, idleExpired: NOT_SIGNED_IN, pastMaxAge: NOT_SIGNED_IN };
/** The recipients of both organisations and the operator, where none may use a route for advisers. */
const NON_ADVISERS = { recipient: ADVISERS_ONLY, otherRecipient: ADVISERS_ONLY, operator: ADVISERS_ONLY };
/** Every staff account but the operator, on the operator's routes. */
const NON_OPERATORS = { recipient: OPERATORS_ONLY, otherRecipient: OPERATORS_ONLY, otherChannel: OPERATORS_ONLY, channelPeer: OPERATORS_ONLY, caseAdviser: OPERATORS_ONLY };
/** Keys that would tell an organisation recipient about the case behind a relay. */
const CASE_KEYS = ['caseId', 'status', 'report'];

interface Request {
  method: HTTPMethods;
  url: string;
  payload?: Record<string, unknown> | Buffer;
  /** Besides the caller's session: the tus headers of the upload routes. */
  headers?: Record<string, string>;
}

interface Row {
  /** The route as the OpenAPI document names it. */
  route: string;
  /** Told apart from an earlier row of the same route. */
  note?: string;
  /** The request with a valid body; `id` is the case id for routes that name a case, the relay id for routes that name a relay. */
  request: (actor: Actor, id: string) => Request | Promise<Request>;
  /** A step of the flows, outside the matrix, that comes before this row (the reporter's consent). */
  before?: () => Promise<void>;
  answers: Record<Actor, Answer>;
}

/** What a caller can observe of an answer: the status, the headers but the date, the body. */
function observable(response: LightMyRequestResponse) {
  const { date: _date, ...headers } = response.headers;
  return { status: response.statusCode, headers, body: response.body };
}

/** Every key of a JSON body, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

t.test('every staff route answers every caller as designed', async (t) => {
  const { app, database, baseUrl } = await buildTestApp(t);
  const db = database.db;
  const admin = createAdministration(db, { powDifficulty: 0 });

  // The flows keep two things in memory only that the matrix needs: the authKey an account's
  // set-up sends and the reporter's session token. The client's fetch records the wire, which
  // the server sees anyway.
  const sent = new Map<string, Record<string, unknown>>();
  const received = new Map<string, Record<string, unknown>>();
  const recording: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.text();
    const path = new URL(url).pathname;
    if (init.body) sent.set(path, JSON.parse(init.body) as Record<string, unknown>);
    if (response.ok && text) received.set(path, JSON.parse(text) as Record<string, unknown>);
    return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => text };
  };
  const client = new ConfidantClient({ baseUrl, fetch: recording });

  await admin.createOrganisation({ slug: 'org-one', name: 'Organisation One' });
  await admin.createOrganisation({ slug: 'org-two', name: 'Organisation Two' });
  await admin.createChannel({ slug: 'channel-a', name: 'Channel A', organisation: 'org-one' });
  await admin.createChannel({ slug: 'channel-b', name: 'Channel B', organisation: 'org-two' });

  interface Staff {
    id: string;
    /** What the set-up sent: logs in, and proves the passphrase for a change to the same one. */
    authKey: string;
    token: string;
    account: StaffAccount;
  }
  const passphraseOf = (username: string) => `${username} heeft een lange geheime zin`;
  // Argon2id takes seconds: each account derives once, at set-up, and logs in with the authKey
  // that set-up derived (what signIn would derive again and send).
  const staff = async (username: string, invite: Parameters<typeof admin.createInvite>[0]): Promise<Staff> => {
    const { token: inviteToken } = await admin.createInvite(invite);
    const created = await setUpAccount(client, { token: inviteToken, username, displayName: username.toUpperCase(), passphrase: passphraseOf(username) });
    const authKey = String(sent.get('/api/v1/invites/accept')?.authKey);
    const { token, account } = await client.login({ username, authKey });
    return { id: created.accountId, authKey, token, account };
  };
  const a1 = await staff('adviser-a1', { role: 'adviser', channel: 'channel-a' });
  const b1 = await staff('adviser-b1', { role: 'adviser', channel: 'channel-b' });
  const r1 = await staff('recipient-1', { role: 'recipient', organisation: 'org-one' });
  t.equal(r1.account.role, 'recipient', 'the recipient invite made a recipient account');
  const r2 = await staff('recipient-2', { role: 'recipient', organisation: 'org-two' });
  const o1 = await staff('operator-o1', { role: 'operator' });
  t.equal(o1.account.role, 'operator', 'the operator invite made an operator account');
  // The adviser the operator disables, enables and takes off channel A in the matrix.
  await staff('adviser-x1', { role: 'adviser', channel: 'channel-a' });

  const report = { v: 1 as const, lang: 'en', answers: { what: 'Matrix test report.' }, anonymity: 'anonymous' as const };
  const submittedA = await submitNewReport(client, { slug: 'channel-a', report, adviserKeyIds: [a1.id] });
  // A2 joins channel A after the report: the reporter could not leave A2 out, so A1 may grant.
  const a2 = await staff('adviser-a2', { role: 'adviser', channel: 'channel-a' });
  const submittedB = await submitNewReport(client, { slug: 'channel-b', report });
  const caseA = submittedA.caseId;
  const caseB = submittedB.caseId;
  const randomCaseId = () => randomBytes(16).toString('base64url');
  const randomRelayId = () => randomBytes(16).toString('base64url');

  const mailbox = await openMailbox(client, submittedA.code);
  t.equal(mailbox.caseId, caseA, "the reporter's mailbox opens case A");
  const reporterToken = String(received.get('/api/v1/mailbox/session')?.token);
  t.match(reporterToken, /^[A-Za-z0-9_-]{43}$/, "the reporter's session token, as the mailbox session answered it");

  // Valid bodies from the protocol module: ciphertexts under the case key, and A1's grant to A2.
  // The case key takes A1's secret keys, which only signing in opens.
  const a1Keys = await signIn(client, { username: 'adviser-a1', passphrase: passphraseOf('adviser-a1') });
  const caseKey = await a1Keys.caseKey(caseA);
  await a1Keys.logout();
  const messageBody = encryptRecord(caseKey, { v: 1, body: 'A reply from A1.', sentAt: new Date().toISOString() }, messageAd(caseA, 'adviser'), MESSAGE_BLOCK);
  const registrationBody = encryptRecord(caseKey, { v: 1, category: 'matrix' }, registrationAd(caseA), REGISTRATION_BLOCK);
  const holdBody = sealHoldReason(caseKey, caseA, 'matrix hold');
  const a2Keys = (await client.getChannel('channel-a')).advisers.find((a) => a.keyId === a2.id);
  if (!a2Keys) throw new Error('A2 is not listed on channel A');
  const grantBody = { keyId: a2.id, wrap: sealKey(caseKey, fromBase64url(a2Keys.boxPublicKey)) };
  // A1's relay of case A to organisation 1, as createRelay writes it: a relay key sealed to the
  // recipient of organisation 1 and to A1, the text under the relay key, the reporter's copy
  // under the case key; and one thread message from each side.
  const relayA = randomRelayId();
  const relayKey = randomBytes(KEY_BYTES);
  const relayText = { v: 1, body: 'An anonymised relay from A1.' };
  const wrapFor = (who: Staff) => ({ keyId: who.id, wrap: sealKey(relayKey, fromBase64url(who.account.boxPublicKey)) });
  // With one attachment (an extension), which A1 uploads just before the relay rows.
  const relayAttachment = { fileId: randomBytes(16).toString('base64url'), body: randomBytes(141) };
  const relayBody = {
    relayId: relayA,
    wraps: [wrapFor(r1), wrapFor(a1)],
    text: encryptRecord(relayKey, relayText, relayAd(relayA), RELAY_BLOCK),
    copy: encryptRecord(caseKey, relayText, relayCopyAd(caseA, relayA), RELAY_BLOCK),
    attachments: [relayAttachment.fileId],
  };
  const relayToOtherOrganisation = { ...relayBody, wraps: [...relayBody.wraps, wrapFor(r2)] };
  const relayMessageOf = (actor: Actor) => {
    const author = actor === 'recipient' || actor === 'otherRecipient' ? 'organisation' : 'adviser';
    return encryptRecord(relayKey, { v: 1, body: `A relay message by ${actor}.`, sentAt: new Date().toISOString() }, relayMessageAd(relayA, author), MESSAGE_BLOCK);
  };
  const relayMessageBodies = Object.fromEntries(ACTORS.map((actor) => [actor, relayMessageOf(actor)])) as Record<Actor, ReturnType<typeof relayMessageOf>>;
  // The annual reports (an extension): a relay without a case, sealed to the organisation's
  // recipient and to the adviser who sends it, as StaffSession.sendAnnualReport writes it. The
  // relay ids of the three that succeed are fixed, A1's above A2's in every collation, so that the
  // recipient's list (newest first, then by id) has one order even if two share a millisecond.
  const relayIdStarting = (first: number) => Buffer.concat([Buffer.from([first]), randomBytes(15)]).toString('base64url');
  const annualIds: Partial<Record<Actor, string>> = { caseAdviser: relayIdStarting(0xcc), channelPeer: relayIdStarting(0x00), otherChannel: relayIdStarting(0x80) };
  const recipientOf = { 'org-one': () => r1, 'org-two': () => r2 };
  const annualReportOf = (organisation: keyof typeof recipientOf, actor: Actor, relayId = annualIds[actor] ?? randomRelayId()) => {
    const key = randomBytes(KEY_BYTES);
    const author = actor === 'caseAdviser' || actor === 'channelPeer' || actor === 'otherChannel' ? (accountOf[actor] as Staff) : a1;
    const body = {
      relayId,
      wraps: [recipientOf[organisation](), author].map((who) => ({ keyId: who.id, wrap: sealKey(key, fromBase64url(who.account.boxPublicKey)) })),
      text: encryptRecord(key, { v: 1, body: `The annual report of ${actor}.` }, relayAd(relayId), RELAY_BLOCK),
    };
    key.fill(0);
    return body;
  };
  caseKey.fill(0);
  relayKey.fill(0);

  // Two dead sessions of A1, stored as login stores them: one idle past its expiry, one within
  // its idle expiry but past the 12-hour limit. Written before each use, since a passphrase
  // change ends the account's other sessions.
  const idleToken = newToken();
  const maxAgeToken = newToken();
  const now = Date.now();
  const deadSessions = [
    { tokenHash: tokenHash(idleToken), createdAt: new Date(now - 2 * SESSION_IDLE_MS), lastUsedAt: new Date(now - SESSION_IDLE_MS - 60_000), expiresAt: new Date(now - 60_000) },
    { tokenHash: tokenHash(maxAgeToken), createdAt: new Date(now - SESSION_MAX_MS - 60_000), lastUsedAt: new Date(now - 60_000), expiresAt: new Date(now + SESSION_IDLE_MS) },
  ];
  const writeDeadSessions = async () => {
    for (const { tokenHash: hash, ...times } of deadSessions) {
      await db.insert(staffSessions).values({ tokenHash: hash, accountId: a1.id, ...times }).onConflictDoUpdate({ target: staffSessions.tokenHash, set: times });
    }
  };

  const accountOf: Partial<Record<Actor, Staff>> = { caseAdviser: a1, channelPeer: a2, otherChannel: b1, recipient: r1, otherRecipient: r2, operator: o1 };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  async function headersOf(actor: Actor): Promise<Record<string, string>> {
    switch (actor) {
      case 'reporter':
        return bearer(reporterToken);
      case 'noToken':
        return {};
      case 'garbageToken':
        return bearer(newToken());
      case 'idleExpired':
        await writeDeadSessions();
        return bearer(idleToken);
      case 'pastMaxAge':
        await writeDeadSessions();
        return bearer(maxAgeToken);
      default:
        return bearer((accountOf[actor] as Staff).token);
    }
  }
  /** Case ids a caller must never learn of: those of channels and organisations not its own. */
  const foreign: Record<Actor, string[]> = {
    reporter: [caseB],
    noToken: [caseA, caseB],
    garbageToken: [caseA, caseB],
    idleExpired: [caseA, caseB],
    pastMaxAge: [caseA, caseB],
    recipient: [caseA, caseB],
    otherRecipient: [caseA, caseB],
    otherChannel: [caseA],
    channelPeer: [caseB],
    operator: [caseA, caseB],
    caseAdviser: [caseB],
  };

  /** An unspent invite for the caller's own channel (channel A for callers without one). */
  const inviteFor = async (actor: Actor) => (await admin.createInvite({ role: 'adviser', channel: actor === 'otherChannel' ? 'channel-b' : 'channel-a' })).token;
  /** A current TOTP code of the enrolment the caller started, as an authenticator app shows it. */
  async function totpFor(actor: Actor): Promise<string> {
    const account = accountOf[actor];
    if (!account) return '123456';
    const [row] = await db.select({ secret: staffAccounts.totpSecret }).from(staffAccounts).where(eq(staffAccounts.id, account.id));
    return row?.secret ? totpCode(row.secret, totpStep(new Date())) : '123456';
  }
  /** A change to the same passphrase: the current authKey, the same KDF parameters and key bundle. */
  async function samePassphrase(actor: Actor): Promise<Record<string, unknown>> {
    const who = accountOf[actor] ?? a1;
    const kdf = await client.prelogin(who.account.username);
    return { authKey: who.authKey, kdf, newAuthKey: who.authKey, keyBundle: who.account.keyBundle };
  }

  const caseUrl = (caseId: string, rest = '') => `/api/v1/cases/${caseId}${rest}`;
  /** The annual report's period: the last thirty days and the next one, which hold both reports. */
  const DAY_MS = 24 * 3600 * 1000;
  const periodUrl = (channel?: string) =>
    `/api/v1/registrations?from=${new Date(now - 30 * DAY_MS).toISOString()}&to=${new Date(now + DAY_MS).toISOString()}${channel ? `&channel=${channel}` : ''}`;
  const relayUrl = (relayId: string, rest = '') => `/api/v1/relays/${relayId}${rest}`;
  /** The reporter approves A1's relay in the mailbox, as the relay journey does. */
  const approveRelay = async () => {
    await mailbox.consent(relayA, 'approve');
    const [approved] = await db.select({ state: relays.state }).from(relays).where(eq(relays.id, relayA));
    t.equal(approved?.state, 'approved', "the reporter approved A1's relay in the mailbox");
  };

  await t.test('with REQUIRE_TOTP, advisers without TOTP reach no case, and say nothing of it', async (t) => {
    // A second instance on the same database, as behind a load balancer.
    const strict = await buildApp(testConfig({ REQUIRE_TOTP: 'true' }), database, { logStream: new LogCapture() });
    t.teardown(() => strict.close());
    const askStrict = (token: string, url: string) => strict.inject({ method: 'GET', url, headers: bearer(token) });
    for (const [who, account] of [['A1', a1], ['A2', a2], ['B1', b1]] as const) {
      const asked = await askStrict(account.token, caseUrl(caseA));
      t.match(asked.json(), { error: 'totp_enrolment_required' }, `${who} → GET ${caseUrl('{caseA}')}: 403 totp_enrolment_required`);
      t.equal(asked.statusCode, 403, `${who} → GET ${caseUrl('{caseA}')}: status 403`);
      t.same(observable(asked), observable(await askStrict(account.token, caseUrl(randomCaseId()))), `${who}: the same answer for a case id that does not exist`);
      t.match((await askStrict(account.token, '/api/v1/cases')).json(), { error: 'totp_enrolment_required' }, `${who} → GET /api/v1/cases: 403`);
      // The registrations of a period hold wraps and registrations: a case route like the others.
      const period = await askStrict(account.token, periodUrl());
      t.match(period.json(), { error: 'totp_enrolment_required' }, `${who} → GET /api/v1/registrations: 403 totp_enrolment_required`);
      t.equal(period.statusCode, 403, `${who} → GET /api/v1/registrations: status 403`);
      // The relay routes advisers use are adviser routes too: the relay text and thread are the case's.
      const relayAsks = [
        { method: 'GET', route: '/api/v1/cases/{caseA}/relay-recipients', url: caseUrl(caseA, '/relay-recipients') },
        { method: 'POST', route: '/api/v1/relays/{relayId}/send', url: relayUrl(randomRelayId(), '/send') },
        // The relay thread too: an adviser without TOTP must not read or write it.
        { method: 'GET', route: '/api/v1/relays/{relayId}', url: relayUrl(randomRelayId()) },
        { method: 'POST', route: '/api/v1/relays/{relayId}/messages', url: relayUrl(randomRelayId(), '/messages'), payload: { ...relayMessageBodies.caseAdviser } },
        // The annual report's routes: the organisation's keys, and the report itself.
        { method: 'GET', route: '/api/v1/organisations/{organisation}/relay-recipients', url: '/api/v1/organisations/org-one/relay-recipients' },
        {
          method: 'POST',
          route: '/api/v1/organisations/{organisation}/annual-reports',
          url: '/api/v1/organisations/org-one/annual-reports',
          payload: annualReportOf('org-one', 'caseAdviser', randomRelayId()),
        },
      ] as const;
      for (const { method, route, url, ...rest } of relayAsks) {
        const relayAsked = await strict.inject({ method, url, headers: bearer(account.token), ...rest });
        t.match(relayAsked.json(), { error: 'totp_enrolment_required' }, `${who} → ${method} ${route}: 403 totp_enrolment_required`);
        t.equal(relayAsked.statusCode, 403, `${who} → ${method} ${route}: status 403`);
      }
    }
    t.match((await askStrict(r1.token, caseUrl(caseA))).json(), { error: 'advisers_only' }, 'the recipient: 403 advisers_only (the role is checked first)');
    t.match((await askStrict(r1.token, '/api/v1/organisations/org-one/relay-recipients')).json(), { error: 'advisers_only' }, 'the recipient asks for the annual report keys: 403 advisers_only');
    t.same(await db.select({ id: relays.id }).from(relays).where(eq(relays.kind, 'annual_report')), [], 'no annual report was stored without TOTP');
    const enrol = await strict.inject({ method: 'POST', url: '/api/v1/auth/totp', headers: bearer(a2.token), payload: { authKey: a2.authKey } });
    t.equal(enrol.statusCode, 200, 'A2 may start the TOTP enrolment that is required');
  });

  // An organisation the adviser serves no channel of answers exactly like one that does not exist
  // (B1 serves organisation 2 only); nothing is stored.
  for (const [method, rest] of [['GET', '/relay-recipients'], ['POST', '/annual-reports']] as const) {
    const payload = method === 'POST' ? { payload: annualReportOf('org-one', 'otherChannel', randomRelayId()) } : {};
    const probe = async (organisation: string) => observable(await app.inject({ method, url: `/api/v1/organisations/${organisation}${rest}`, headers: bearer(b1.token), ...payload }));
    t.same(await probe('org-one'), await probe('org-none'), `B1 → ${method} /api/v1/organisations/{organisation}${rest}: organisation 1 answers exactly like one that does not exist`);
  }

  // The matrix. Rows run in order and callers in ACTORS order, so the one success that changes
  // what others may do (A1's grant to A2) comes after everyone else asked; the rows after it
  // say what changed. The relay rows come before the grant, while A2 holds no wrap of case A,
  // and follow the relay: written, refused before consent, approved, sent, read and answered.
  // Logging out comes last.
  /** The open invite the operator revokes in the matrix, made just before its row. */
  let inviteToRevoke = '';
  /** How many cases of channel A X1 holds a key to when the operator confirms removing them. */
  let casesToLose = -1;
  // A file's header and body as the server sees them: a sealed block and ciphertext of a possible length.
  const newFile = () => ({ fileId: randomBytes(16).toString('base64url'), header: { nonce: randomBytes(24).toString('base64url'), ciphertext: randomBytes(1024 + 16).toString('base64url') }, bytes: 141 });
  let upload = { fileId: '', body: Buffer.alloc(0) };
  /** A1 makes an upload of case A, outside the matrix. */
  const makeUpload = async () => {
    const file = newFile();
    const made = await app.inject({ method: 'POST', url: caseUrl(caseA, '/files'), headers: await headersOf('caseAdviser'), payload: file });
    if (made.statusCode !== 201) throw new Error(`the upload was not made: ${made.body}`);
    upload = { fileId: file.fileId, body: randomBytes(file.bytes) };
  };
  /** A1 makes and sends the relay's attachment, outside the matrix. */
  const uploadRelayAttachment = async () => {
    const headers = await headersOf('caseAdviser');
    const made = await app.inject({ method: 'POST', url: caseUrl(caseA, '/relay-attachments'), headers, payload: { fileId: relayAttachment.fileId, bytes: relayAttachment.body.length } });
    const sent = await app.inject({
      method: 'PATCH',
      url: caseUrl(caseA, `/uploads/${relayAttachment.fileId}`),
      headers: { ...headers, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      payload: relayAttachment.body,
    });
    if (made.statusCode !== 201 || sent.statusCode !== 204) throw new Error(`the relay attachment was not made: ${made.body} ${sent.body}`);
  };
  const attachmentUrl = (relayId: string) => relayUrl(relayId, `/attachments/${relayAttachment.fileId}`);

  const matrix: Row[] = [
    {
      route: 'GET /api/v1/cases',
      request: () => ({ method: 'GET', url: '/api/v1/cases' }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: list(caseB), channelPeer: list(), caseAdviser: list(caseA) },
    },
    {
      route: 'GET /api/v1/cases',
      note: 'filtered to channel A',
      request: () => ({ method: 'GET', url: '/api/v1/cases?channel=channel-a' }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: list(), channelPeer: list(), caseAdviser: list(caseA) },
    },
    {
      route: 'GET /api/v1/registrations',
      request: () => ({ method: 'GET', url: periodUrl() }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: registrationList(caseB), channelPeer: registrationList(), caseAdviser: registrationList(caseA) },
    },
    {
      route: 'GET /api/v1/registrations',
      note: 'filtered to channel A',
      request: () => ({ method: 'GET', url: periodUrl('channel-a') }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: registrationList(), channelPeer: registrationList(), caseAdviser: registrationList(caseA) },
    },
    {
      route: 'GET /api/v1/cases/{caseId}',
      request: (_, caseId) => ({ method: 'GET', url: caseUrl(caseId) }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/cases/{caseId}/messages',
      request: (_, caseId) => ({ method: 'POST', url: caseUrl(caseId, '/messages'), payload: { ...messageBody } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(201) },
    },
    {
      route: 'PUT /api/v1/cases/{caseId}/registration',
      request: (_, caseId) => ({ method: 'PUT', url: caseUrl(caseId, '/registration'), payload: { ...registrationBody } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(200) },
    },
    {
      route: 'PUT /api/v1/cases/{caseId}/pin',
      note: 'A1 pinned the key when it first used it',
      request: (_, caseId) => ({ method: 'PUT', url: caseUrl(caseId, '/pin'), payload: { pin: randomBytes(64).toString('base64url') } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: { status: 409, error: 'pin_exists' } },
    },
    {
      route: 'POST /api/v1/cases/{caseId}/files',
      request: (_, caseId) => ({ method: 'POST', url: caseUrl(caseId, '/files'), payload: newFile() }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(201) },
    },
    {
      route: 'POST /api/v1/cases/{caseId}/relay-attachments',
      request: (_, caseId) => ({ method: 'POST', url: caseUrl(caseId, '/relay-attachments'), payload: { fileId: randomBytes(16).toString('base64url'), bytes: 141 } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(201) },
    },
    {
      route: 'HEAD /api/v1/cases/{caseId}/uploads/{fileId}',
      note: "A1's unfinished upload",
      before: makeUpload,
      request: (_, caseId) => ({ method: 'HEAD', url: caseUrl(caseId, `/uploads/${upload.fileId}`), headers: { 'tus-resumable': '1.0.0' } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(200) },
    },
    {
      route: 'PATCH /api/v1/cases/{caseId}/uploads/{fileId}',
      note: "the whole body of A1's upload",
      request: (_, caseId) => ({
        method: 'PATCH',
        url: caseUrl(caseId, `/uploads/${upload.fileId}`),
        headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        payload: upload.body,
      }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(204) },
    },
    {
      route: 'GET /api/v1/cases/{caseId}/files/{fileId}',
      note: "A1's finished file",
      request: (_, caseId) => ({ method: 'GET', url: caseUrl(caseId, `/files/${upload.fileId}`) }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(200) },
    },
    {
      route: 'DELETE /api/v1/cases/{caseId}/uploads/{fileId}',
      note: "A1's new unfinished upload",
      before: makeUpload,
      request: (_, caseId) => ({ method: 'DELETE', url: caseUrl(caseId, `/uploads/${upload.fileId}`), headers: { 'tus-resumable': '1.0.0' } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(204) },
    },
    {
      route: 'PUT /api/v1/case-key-copies',
      note: 'of case A; A1 stored its copy when it first used the key, and a copy is never replaced',
      request: () => ({
        method: 'PUT',
        url: '/api/v1/case-key-copies',
        payload: { copies: [{ caseId: caseA, keyCopy: { nonce: randomBytes(24).toString('base64url'), ciphertext: randomBytes(48).toString('base64url') } }] },
      }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: stored(0), channelPeer: stored(0), caseAdviser: stored(0) },
    },
    {
      route: 'PATCH /api/v1/cases/{caseId}',
      request: (_, caseId) => ({ method: 'PATCH', url: caseUrl(caseId), payload: { status: 'acknowledged' } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(200) },
    },
    {
      route: 'PUT /api/v1/cases/{caseId}/hold',
      request: (_, caseId) => ({ method: 'PUT', url: caseUrl(caseId, '/hold'), payload: { ...holdBody } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(200) },
    },
    {
      route: 'DELETE /api/v1/cases/{caseId}/hold',
      request: (_, caseId) => ({ method: 'DELETE', url: caseUrl(caseId, '/hold') }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(204) },
    },
    {
      route: 'GET /api/v1/cases/{caseId}/relay-recipients',
      request: (_, caseId) => ({ method: 'GET', url: caseUrl(caseId, '/relay-recipients') }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/cases/{caseId}/relays',
      note: 'with a wrap for the recipient of organisation 2',
      before: uploadRelayAttachment,
      request: (_, caseId) => ({ method: 'POST', url: caseUrl(caseId, '/relays'), payload: { ...relayToOtherOrganisation } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: { status: 400, error: 'invalid_wraps' } },
    },
    {
      route: 'POST /api/v1/cases/{caseId}/relays',
      request: (_, caseId) => ({ method: 'POST', url: caseUrl(caseId, '/relays'), payload: { ...relayBody } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(201) },
    },
    {
      route: 'POST /api/v1/relays/{relayId}/send',
      note: "before the reporter's consent",
      request: (_, relayId) => ({ method: 'POST', url: relayUrl(relayId, '/send') }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_RELAY, channelPeer: UNKNOWN_RELAY, caseAdviser: { status: 409, error: 'consent_missing' } },
    },
    {
      route: 'GET /api/v1/relays',
      note: 'before the relay is sent',
      request: () => ({ method: 'GET', url: '/api/v1/relays' }),
      answers: { ...SIGNED_OUT, recipient: relayList(), otherRecipient: relayList(), otherChannel: RECIPIENTS_ONLY, channelPeer: RECIPIENTS_ONLY, operator: RECIPIENTS_ONLY, caseAdviser: RECIPIENTS_ONLY },
    },
    {
      route: 'GET /api/v1/relays/{relayId}',
      note: 'before the relay is sent',
      request: (_, relayId) => ({ method: 'GET', url: relayUrl(relayId) }),
      answers: { ...SIGNED_OUT, recipient: UNKNOWN_RELAY, otherRecipient: UNKNOWN_RELAY, otherChannel: UNKNOWN_RELAY, channelPeer: UNKNOWN_RELAY, operator: NOT_FOR_OPERATORS, caseAdviser: ok(200) },
    },
    {
      route: 'GET /api/v1/relays/{relayId}/attachments/{fileId}',
      note: 'before the relay is sent',
      request: (_, relayId) => ({ method: 'GET', url: attachmentUrl(relayId) }),
      answers: { ...SIGNED_OUT, recipient: UNKNOWN_RELAY, otherRecipient: UNKNOWN_RELAY, otherChannel: UNKNOWN_RELAY, channelPeer: UNKNOWN_RELAY, operator: NOT_FOR_OPERATORS, caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/relays/{relayId}/messages',
      note: 'before the relay is sent',
      request: (actor, relayId) => ({ method: 'POST', url: relayUrl(relayId, '/messages'), payload: { ...relayMessageBodies[actor] } }),
      answers: {
        ...SIGNED_OUT,
        recipient: UNKNOWN_RELAY,
        otherRecipient: UNKNOWN_RELAY,
        otherChannel: UNKNOWN_RELAY,
        channelPeer: UNKNOWN_RELAY,
        operator: NOT_FOR_OPERATORS,
        caseAdviser: { status: 409, error: 'relay_not_sent' },
      },
    },
    {
      route: 'POST /api/v1/relays/{relayId}/send',
      note: 'after the reporter approved',
      before: approveRelay,
      request: (_, relayId) => ({ method: 'POST', url: relayUrl(relayId, '/send') }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_RELAY, channelPeer: UNKNOWN_RELAY, caseAdviser: ok(200) },
    },
    {
      route: 'GET /api/v1/relays',
      note: 'after the relay is sent',
      request: () => ({ method: 'GET', url: '/api/v1/relays' }),
      answers: { ...SIGNED_OUT, recipient: relayList(relayA), otherRecipient: relayList(), otherChannel: RECIPIENTS_ONLY, channelPeer: RECIPIENTS_ONLY, operator: RECIPIENTS_ONLY, caseAdviser: RECIPIENTS_ONLY },
    },
    {
      route: 'GET /api/v1/relays/{relayId}',
      note: 'after the relay is sent',
      request: (_, relayId) => ({ method: 'GET', url: relayUrl(relayId) }),
      answers: { ...SIGNED_OUT, recipient: ok(200), otherRecipient: UNKNOWN_RELAY, otherChannel: UNKNOWN_RELAY, channelPeer: UNKNOWN_RELAY, operator: NOT_FOR_OPERATORS, caseAdviser: ok(200) },
    },
    {
      route: 'GET /api/v1/relays/{relayId}/attachments/{fileId}',
      note: 'after the relay is sent',
      request: (_, relayId) => ({ method: 'GET', url: attachmentUrl(relayId) }),
      answers: { ...SIGNED_OUT, recipient: ok(200), otherRecipient: UNKNOWN_RELAY, otherChannel: UNKNOWN_RELAY, channelPeer: UNKNOWN_RELAY, operator: NOT_FOR_OPERATORS, caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/relays/{relayId}/messages',
      note: 'after the relay is sent',
      request: (actor, relayId) => ({ method: 'POST', url: relayUrl(relayId, '/messages'), payload: { ...relayMessageBodies[actor] } }),
      answers: { ...SIGNED_OUT, recipient: ok(201), otherRecipient: UNKNOWN_RELAY, otherChannel: UNKNOWN_RELAY, channelPeer: UNKNOWN_RELAY, operator: NOT_FOR_OPERATORS, caseAdviser: ok(201) },
    },
    // The annual report (an extension): an adviser sends it to an organisation they serve a
    // channel of, sealed to its recipients and to themselves; it has no case, so no consent.
    {
      route: 'GET /api/v1/organisations/{organisation}/relay-recipients',
      request: () => ({ method: 'GET', url: '/api/v1/organisations/org-one/relay-recipients' }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_ORGANISATION, channelPeer: ok(200), caseAdviser: ok(200) },
    },
    {
      route: 'GET /api/v1/organisations/{organisation}/relay-recipients',
      note: 'of organisation 2',
      request: () => ({ method: 'GET', url: '/api/v1/organisations/org-two/relay-recipients' }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: ok(200), channelPeer: UNKNOWN_ORGANISATION, caseAdviser: UNKNOWN_ORGANISATION },
    },
    {
      route: 'GET /api/v1/organisations/{organisation}/relay-recipients',
      note: 'of an organisation that does not exist',
      request: () => ({ method: 'GET', url: '/api/v1/organisations/org-none/relay-recipients' }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_ORGANISATION, channelPeer: UNKNOWN_ORGANISATION, caseAdviser: UNKNOWN_ORGANISATION },
    },
    {
      route: 'POST /api/v1/organisations/{organisation}/annual-reports',
      request: (actor) => ({ method: 'POST', url: '/api/v1/organisations/org-one/annual-reports', payload: annualReportOf('org-one', actor) }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_ORGANISATION, channelPeer: ok(201), caseAdviser: ok(201) },
    },
    {
      route: 'POST /api/v1/organisations/{organisation}/annual-reports',
      note: 'the same relay id again',
      request: (actor) => ({ method: 'POST', url: '/api/v1/organisations/org-one/annual-reports', payload: annualReportOf('org-one', actor) }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_ORGANISATION, channelPeer: { status: 409, error: 'relay_exists' }, caseAdviser: { status: 409, error: 'relay_exists' } },
    },
    {
      route: 'POST /api/v1/organisations/{organisation}/annual-reports',
      note: 'to organisation 2',
      request: (actor) => ({ method: 'POST', url: '/api/v1/organisations/org-two/annual-reports', payload: annualReportOf('org-two', actor) }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: ok(201), channelPeer: UNKNOWN_ORGANISATION, caseAdviser: UNKNOWN_ORGANISATION },
    },
    {
      route: 'POST /api/v1/organisations/{organisation}/annual-reports',
      note: 'to an organisation that does not exist',
      request: (actor) => ({ method: 'POST', url: '/api/v1/organisations/org-none/annual-reports', payload: annualReportOf('org-one', actor, randomRelayId()) }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_ORGANISATION, channelPeer: UNKNOWN_ORGANISATION, caseAdviser: UNKNOWN_ORGANISATION },
    },
    {
      route: 'GET /api/v1/relays',
      note: 'after the annual reports',
      request: () => ({ method: 'GET', url: '/api/v1/relays' }),
      answers: {
        ...SIGNED_OUT,
        recipient: relayList(annualIds.caseAdviser as string, annualIds.channelPeer as string, relayA),
        otherRecipient: relayList(annualIds.otherChannel as string),
        otherChannel: RECIPIENTS_ONLY,
        channelPeer: RECIPIENTS_ONLY,
        operator: RECIPIENTS_ONLY,
        caseAdviser: RECIPIENTS_ONLY,
      },
    },
    {
      route: 'POST /api/v1/cases/{caseId}/grants',
      note: 'to B1, who serves another channel',
      request: (_, caseId) => ({ method: 'POST', url: caseUrl(caseId, '/grants'), payload: { ...grantBody, keyId: b1.id } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: { status: 400, error: 'invalid_key_id' } },
    },
    {
      route: 'POST /api/v1/cases/{caseId}/grants',
      request: (_, caseId) => ({ method: 'POST', url: caseUrl(caseId, '/grants'), payload: { ...grantBody } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: UNKNOWN_CASE, caseAdviser: ok(201) },
    },
    {
      route: 'GET /api/v1/cases/{caseId}',
      note: 'after A1 granted the case to A2',
      request: (_, caseId) => ({ method: 'GET', url: caseUrl(caseId) }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: ok(200), caseAdviser: ok(200) },
    },
    {
      route: 'GET /api/v1/cases',
      note: 'after A1 granted the case to A2',
      request: () => ({ method: 'GET', url: '/api/v1/cases' }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: list(caseB), channelPeer: list(caseA), caseAdviser: list(caseA) },
    },
    {
      route: 'GET /api/v1/registrations',
      note: 'after A1 granted the case to A2',
      request: () => ({ method: 'GET', url: periodUrl() }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: registrationList(caseB), channelPeer: registrationList(caseA), caseAdviser: registrationList(caseA) },
    },
    {
      route: 'GET /api/v1/cases/{caseId}/relay-recipients',
      note: 'after A1 granted the case to A2',
      request: (_, caseId) => ({ method: 'GET', url: caseUrl(caseId, '/relay-recipients') }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: UNKNOWN_CASE, channelPeer: ok(200), caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/invites/join',
      request: async (actor) => ({ method: 'POST', url: '/api/v1/invites/join', payload: { token: await inviteFor(actor) } }),
      answers: { ...SIGNED_OUT, ...NON_ADVISERS, otherChannel: ok(200), channelPeer: ok(200), caseAdviser: ok(200) },
    },
    // The operator's console (an extension): organisations, channels, invites and accounts.
    {
      route: 'GET /api/v1/operator/organisations',
      request: () => ({ method: 'GET', url: '/api/v1/operator/organisations' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'POST /api/v1/operator/organisations',
      request: () => ({ method: 'POST', url: '/api/v1/operator/organisations', payload: { slug: 'org-matrix', name: 'Organisation Matrix' } }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(201) },
    },
    {
      route: 'GET /api/v1/operator/channels',
      request: () => ({ method: 'GET', url: '/api/v1/operator/channels' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'POST /api/v1/operator/channels',
      request: () => ({ method: 'POST', url: '/api/v1/operator/channels', payload: { slug: 'channel-matrix', name: 'Channel Matrix', organisation: 'org-matrix' } }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(201) },
    },
    {
      route: 'PATCH /api/v1/operator/channels/{slug}',
      request: () => ({ method: 'PATCH', url: '/api/v1/operator/channels/channel-matrix', payload: { retentionMonths: 24 } }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'PUT /api/v1/operator/channels/{slug}/locations',
      request: () => ({ method: 'PUT', url: '/api/v1/operator/channels/channel-matrix/locations', payload: { locations: [{ id: 'hq', name: 'HQ' }] } }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'GET /api/v1/operator/attention',
      request: () => ({ method: 'GET', url: '/api/v1/operator/attention' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'GET /api/v1/operator/invites',
      request: () => ({ method: 'GET', url: '/api/v1/operator/invites' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'POST /api/v1/operator/invites',
      request: () => ({ method: 'POST', url: '/api/v1/operator/invites', payload: { role: 'recipient', organisation: 'org-matrix' } }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(201) },
    },
    {
      route: 'DELETE /api/v1/operator/invites/{inviteId}',
      before: async () => {
        inviteToRevoke = (await admin.createInvite({ role: 'recipient', organisation: 'org-matrix' })).id;
      },
      request: () => ({ method: 'DELETE', url: `/api/v1/operator/invites/${inviteToRevoke}` }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'GET /api/v1/operator/accounts',
      request: () => ({ method: 'GET', url: '/api/v1/operator/accounts' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'POST /api/v1/operator/accounts/{username}/disable',
      request: () => ({ method: 'POST', url: '/api/v1/operator/accounts/adviser-x1/disable' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'POST /api/v1/operator/accounts/{username}/enable',
      request: () => ({ method: 'POST', url: '/api/v1/operator/accounts/adviser-x1/enable' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'GET /api/v1/operator/channels/{slug}/advisers/{username}',
      request: () => ({ method: 'GET', url: '/api/v1/operator/channels/channel-a/advisers/adviser-x1' }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'DELETE /api/v1/operator/channels/{slug}/advisers/{username}',
      before: async () => {
        casesToLose = (await admin.previewAdviserRemoval('channel-a', 'adviser-x1')).cases;
      },
      request: () => ({ method: 'DELETE', url: '/api/v1/operator/channels/channel-a/advisers/adviser-x1', payload: { cases: casesToLose } }),
      answers: { ...SIGNED_OUT, ...NON_OPERATORS, operator: ok(200) },
    },
    {
      route: 'GET /api/v1/account/notifications',
      request: () => ({ method: 'GET', url: '/api/v1/account/notifications' }),
      answers: { ...SIGNED_OUT, recipient: ok(200), otherRecipient: ok(200), otherChannel: ok(200), channelPeer: ok(200), operator: ok(200), caseAdviser: ok(200) },
    },
    {
      route: 'PUT /api/v1/account/notifications',
      request: () => ({ method: 'PUT', url: '/api/v1/account/notifications', payload: { email: null, immediate: false, lang: 'nl' } }),
      answers: { ...SIGNED_OUT, recipient: ok(200), otherRecipient: ok(200), otherChannel: ok(200), channelPeer: ok(200), operator: ok(200), caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/auth/totp',
      request: (actor) => ({ method: 'POST', url: '/api/v1/auth/totp', payload: { authKey: (accountOf[actor] ?? a1).authKey } }),
      answers: { ...SIGNED_OUT, recipient: ok(200), otherRecipient: ok(200), otherChannel: ok(200), channelPeer: ok(200), operator: ok(200), caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/auth/totp/confirm',
      request: async (actor) => ({ method: 'POST', url: '/api/v1/auth/totp/confirm', payload: { code: await totpFor(actor) } }),
      answers: { ...SIGNED_OUT, recipient: ok(204), otherRecipient: ok(204), otherChannel: ok(204), channelPeer: ok(204), operator: ok(204), caseAdviser: ok(204) },
    },
    {
      route: 'POST /api/v1/auth/passphrase',
      request: async (actor) => ({ method: 'POST', url: '/api/v1/auth/passphrase', payload: await samePassphrase(actor) }),
      answers: { ...SIGNED_OUT, recipient: ok(204), otherRecipient: ok(204), otherChannel: ok(204), channelPeer: ok(204), operator: ok(204), caseAdviser: ok(204) },
    },
    {
      route: 'GET /api/v1/auth/resume-key',
      request: () => ({ method: 'GET', url: '/api/v1/auth/resume-key' }),
      answers: { ...SIGNED_OUT, recipient: ok(200), otherRecipient: ok(200), otherChannel: ok(200), channelPeer: ok(200), operator: ok(200), caseAdviser: ok(200) },
    },
    {
      route: 'POST /api/v1/auth/logout',
      request: () => ({ method: 'POST', url: '/api/v1/auth/logout' }),
      answers: { ...SIGNED_OUT, recipient: ok(204), otherRecipient: ok(204), otherChannel: ok(204), channelPeer: ok(204), operator: ok(204), caseAdviser: ok(204) },
    },
  ];

  const ask = async (actor: Actor, row: Row, id: string) => {
    const { method, url, payload, headers } = await row.request(actor, id);
    return app.inject({ method, url, headers: { ...(await headersOf(actor)), ...headers }, ...(payload ? { payload } : {}) });
  };
  /** The one 401 of every caller without a session: one for answers with a body, one for HEAD's, which have none. */
  const signedOutAnswers = new Map<boolean, ReturnType<typeof observable>>();

  for (const row of matrix) {
    const namesCase = row.route.includes('{caseId}');
    const namesRelay = row.route.includes('{relayId}');
    /** What the row asks about: A1's relay for the routes that name a relay, case A otherwise. */
    const target = namesRelay ? relayA : caseA;
    await row.before?.();
    for (const actor of ACTORS) {
      const expected = row.answers[actor];
      const where = `${row.route}${row.note ? ` (${row.note})` : ''} as ${LABELS[actor]}`;
      const answer = await ask(actor, row, target);

      t.equal(answer.statusCode, expected.status, `${where}: ${expected.status}${expected.error ? ` ${expected.error}` : ''}`);
      const isHead = row.route.startsWith('HEAD ');
      if (expected.error && !isHead) t.equal(answer.json<{ error: string }>().error, expected.error, `${where}: error ${expected.error}`);
      if (expected.cases) {
        const listed = answer.json<{ cases: Array<{ caseId: string }> }>().cases.map((c) => c.caseId);
        t.same(listed, expected.cases, `${where}: lists exactly the cases it holds a wrap for`);
      }
      if (expected.registrations) {
        const listed = answer.json<{ registrations: Array<{ caseId: string }> }>().registrations.map((r) => r.caseId);
        t.same(listed, expected.registrations, `${where}: lists exactly the cases of the period it holds a wrap for`);
      }
      if (expected.stored !== undefined) t.equal(answer.json<{ stored: number }>().stored, expected.stored, `${where}: stores ${expected.stored}`);
      if (expected.relays) {
        const listed = answer.json<{ relays: Array<{ relayId: string }> }>().relays.map((r) => r.relayId);
        t.same(listed, expected.relays, `${where}: lists exactly the sent relays of its organisation`);
      }
      if (expected === NOT_SIGNED_IN) {
        if (!signedOutAnswers.has(isHead)) signedOutAnswers.set(isHead, observable(answer));
        t.same(observable(answer), signedOutAnswers.get(isHead), `${where}: the same 401 as every caller without a staff session`);
      }

      // No answer tells whether a case or relay the caller may not open exists: it is byte for
      // byte the answer for an id nobody has. That covers case A or the relay when refused, and
      // the other channel's case always.
      const answers = [answer];
      if (namesCase || namesRelay) {
        const nobodys = await ask(actor, row, namesRelay ? randomRelayId() : randomCaseId());
        const unreachable = new Set(namesCase ? foreign[actor] : []);
        if (REFUSALS.has(expected)) unreachable.add(target);
        for (const id of unreachable) {
          const probed = id === target ? answer : await ask(actor, row, id);
          answers.push(probed);
          const which = namesRelay ? "A1's relay" : id === caseA ? 'case A' : 'case B';
          t.same(observable(probed), observable(nobodys), `${where}: ${which} answers exactly like ${namesRelay ? 'a relay' : 'a case'} id that does not exist`);
        }
      }
      for (const seen of answers) {
        for (const caseId of foreign[actor]) {
          t.notOk(seen.body.includes(caseId), `${where}: the answer never names case ${caseId === caseA ? 'A' : 'B'}, which this caller may not know of`);
        }
      }
      // Nothing an organisation recipient receives has a field that belongs to a case.
      if (actor === 'recipient' || actor === 'otherRecipient') {
        for (const seen of new Set(answers)) {
          // An attachment's body is ciphertext, without fields; that it names no case is checked above.
          const keys = seen.body && String(seen.headers['content-type']).startsWith('application/json') ? keysOf(seen.json()) : [];
          t.same(keys.filter((key) => CASE_KEYS.includes(key)), [], `${where}: no ${CASE_KEYS.join('/')} field in the answer`);
        }
      }
    }
  }

  // Refused requests changed nothing: only A1's message, registration, status and grant exist.
  const messagesOf = async (caseId: string) => db.select({ accountId: messages.accountId }).from(messages).where(eq(messages.caseId, caseId));
  t.same(await messagesOf(caseA), [{ accountId: a1.id }], 'case A holds the one message A1 sent');
  t.same(await messagesOf(caseB), [], 'case B holds no message');
  const fileRows = await db.select({ caseId: files.caseId, accountId: files.accountId, done: files.completedAt, relayId: files.relayId }).from(files);
  t.same(
    fileRows.map((f) => [f.caseId, f.accountId, f.done !== null, f.relayId]).sort(),
    [[caseA, a1.id, false, null], [caseA, a1.id, true, null], [caseA, a1.id, false, null], [caseA, a1.id, true, relayA]].sort(),
    "the files are A1's: the file and the relay attachment it made in the matrix, unfinished, the upload it finished (the one it cancelled is gone), and the attachment its relay took",
  );
  const registered = await db.select({ caseId: registrations.caseId, updatedBy: registrations.updatedBy }).from(registrations);
  t.same(registered, [{ caseId: caseA, updatedBy: a1.id }], 'only A1 wrote a registration');
  const statuses = await db.select({ id: cases.id, status: cases.status }).from(cases);
  t.same(Object.fromEntries(statuses.map((c) => [c.id, c.status])), { [caseA]: 'acknowledged', [caseB]: 'received' }, 'only A1 changed a status');
  const wraps = await db.select({ caseId: caseWraps.caseId, accountId: caseWraps.accountId, grantedBy: caseWraps.grantedBy }).from(caseWraps);
  t.same(
    new Set(wraps.map((w) => `${w.caseId === caseA ? 'A' : 'B'}:${w.accountId}:${w.grantedBy ?? '-'}`)),
    new Set([`A:${a1.id}:-`, `A:${a2.id}:${a1.id}`, `B:${b1.id}:-`]),
    "the wraps are the submitted ones and A1's grant to A2",
  );
  const relayRows = await db.select({ id: relays.id, kind: relays.kind, caseId: relays.caseId, state: relays.state, createdBy: relays.createdBy }).from(relays).where(eq(relays.kind, 'case'));
  t.same(relayRows, [{ id: relayA, kind: 'case', caseId: caseA, state: 'sent', createdBy: a1.id }], "the one relay of a case is A1's, of case A, and sent");
  const relayWrapRows = await db.select({ accountId: relayWraps.accountId }).from(relayWraps).where(eq(relayWraps.relayId, relayA));
  t.same(new Set(relayWrapRows.map((w) => w.accountId)), new Set([r1.id, a1.id]), 'the relay key is sealed to the recipient of organisation 1 and A1 only');
  const annualRows = await db.select({ id: relays.id, caseId: relays.caseId, organisationId: relays.organisationId, state: relays.state, createdBy: relays.createdBy }).from(relays).where(eq(relays.kind, 'annual_report'));
  const [orgOne, orgTwo] = [await admin.organisationBySlug('org-one'), await admin.organisationBySlug('org-two')];
  t.same(
    new Set(annualRows.map((r) => `${r.id}:${r.caseId}:${r.organisationId}:${r.state}:${r.createdBy}`)),
    new Set([
      `${annualIds.caseAdviser}:null:${orgOne.id}:sent:${a1.id}`,
      `${annualIds.channelPeer}:null:${orgOne.id}:sent:${a2.id}`,
      `${annualIds.otherChannel}:null:${orgTwo.id}:sent:${b1.id}`,
    ]),
    'the annual reports are the three that succeeded: A1 and A2 to organisation 1, B1 to organisation 2, sent, without a case',
  );
  for (const [author, recipient] of [['caseAdviser', r1], ['channelPeer', r1], ['otherChannel', r2]] as const) {
    const annualWraps = await db.select({ accountId: relayWraps.accountId }).from(relayWraps).where(eq(relayWraps.relayId, annualIds[author] as string));
    t.same(new Set(annualWraps.map((w) => w.accountId)), new Set([recipient.id, (accountOf[author] as Staff).id]), `${LABELS[author]}: the annual report is sealed to the organisation's recipient and its author only`);
  }
  const thread = await db.select({ author: relayMessages.author, accountId: relayMessages.accountId }).from(relayMessages);
  t.same(
    new Set(thread.map((m) => `${m.author}:${m.accountId}`)),
    new Set([`organisation:${r1.id}`, `adviser:${a1.id}`]),
    'the relay thread holds one message of the recipient of organisation 1 and one of A1',
  );
  for (const who of [a1, a2, b1, r1, r2]) {
    const after = await app.inject({ method: 'GET', url: '/api/v1/cases', headers: bearer(who.token) });
    t.equal(after.statusCode, 401, `${who.account.username} is signed out after logout`);
  }

  // Every staff route of the OpenAPI document is in the matrix.
  const openapi = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>> }>();
  const covered = new Set(matrix.map((row) => row.route));
  let staffRoutes = 0;
  for (const [path, operations] of Object.entries(openapi.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!operation.security?.some((scheme) => 'staffSession' in scheme)) continue;
      staffRoutes++;
      const route = `${method.toUpperCase()} ${path}`;
      t.ok(covered.has(route), `${route} is in the matrix`);
    }
  }
  t.ok(staffRoutes >= 15, `the document marks ${staffRoutes} routes as needing a staff session`);
});
