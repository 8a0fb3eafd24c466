/**
 * The relay routes (protocol-v1 §5, §6 staff side): the keys a relay is sealed to, writing a
 * relay, sending it, the organisation's list and view, the relay thread, and the reporter's
 * consent from another mailbox. Each success answer's exact shape, every refusal with its
 * status, its code, a body of exactly { error, message } and no echo of what the request
 * carried, nothing stored by a refused request, and the audit events of the relay.
 *
 * One app for the file. Two accounts are made the real way (invite, Argon2id, login): Anna
 * (adviser) and Olga (recipient of Acme). The rest are stored as invite acceptance stores them,
 * with sessions stored as login stores them, since Argon2id adds nothing the server can tell:
 * Bram (adviser of the channel who gets a case by a grant), Carl (adviser of the channel
 * without the case), Rob (second recipient of Acme), Rita (recipient of Acme, disabled by the
 * first test and left out from then on) and Otto (recipient of Other).
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray } from 'drizzle-orm';
import {
  ConfidantClient, MESSAGE_BLOCK, RELAY_BLOCK, decryptRecord, encryptRecord, ready, relayAd, relayCopyAd, relayMessageAd,
  sealKey, setUpAccount, signIn, signMailboxLogin, sodium, unsealKey, type RelayMessageAuthor, type StaffSession
} from '../src/protocol/index.js';
import { adviserChannels, auditLog, caseWraps, channels, relayMessages, relayWraps, relays, staffAccounts } from '../src/server/db/schema.js';
import { auditEntries } from './helpers/audit-entries.js';

import { createAdministration } from '../src/server/services/administration.js';
import { newToken } from '../src/server/tokens.js';
import { buildTestApp } from './helper.js';
import { addAdviser, addRecipient, reportSubmission, sessionOf } from './fixtures.js';
import { ECHO, isError, nonCanonical } from './helpers/answers.js';

await ready();

/** The largest padded plaintext a relay text, copy or thread message may have here. */
const MAX_MESSAGE_BYTES = 4096;
const { app, database, baseUrl } = await buildTestApp(t, { MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
const { db } = database;

/** Put into requests wherever a value may go; lower case, so snake-casing cannot disguise it. */

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Loosely typed access to a body, for breaking one field at a time.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---------------------------------------------------------------------------------------------
// Organisations, channels and accounts.

const admin = createAdministration(db, { powDifficulty: 0 });
await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
await admin.createOrganisation({ slug: 'other', name: 'Other B.V.' });
await admin.createOrganisation({ slug: 'lege', name: 'Lege Organisatie' });
await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
await admin.createChannel({ slug: 'acme-direct', name: 'Direct Acme', organisation: 'acme', consentRequired: false });
await admin.createChannel({ slug: 'other-direct', name: 'Direct Other', organisation: 'other', consentRequired: false });
await admin.createChannel({ slug: 'lege-meldpunt', name: 'Meldpunt Lege', organisation: 'lege' });
const acme = await admin.organisationBySlug('acme');
const other = await admin.organisationBySlug('other');
const lege = await admin.organisationBySlug('lege');

const client = new ConfidantClient({ baseUrl });
async function realAccount(token: string, username: string, displayName: string): Promise<StaffSession> {
  const passphrase = `${username} heeft een lange geheime zin`;
  await setUpAccount(client, { token, username, displayName, passphrase });
  return signIn(client, { username, passphrase });
}
const anna = await realAccount((await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' })).token, 'anna', 'Anna de Vries');
for (const channel of ['acme-direct', 'other-direct', 'lege-meldpunt']) {
  await client.joinChannel(anna.token, (await admin.createInvite({ role: 'adviser', channel })).token);
}
const olga = await realAccount((await admin.createInvite({ role: 'recipient', organisation: 'acme' })).token, 'olga', 'Olga Jansen');

const bram = await addAdviser(db, 'acme-meldpunt', 'Bram Visser');
const carl = await addAdviser(db, 'acme-meldpunt', 'Carl Smit');
const [acmeDirect] = await db.select().from(channels).where(eq(channels.slug, 'acme-direct'));
await db.insert(adviserChannels).values({ accountId: carl.id, channelId: acmeDirect!.id });
const rob = await addRecipient(db, acme.id, 'Rob de Wit');
const rita = await addRecipient(db, acme.id, 'Rita Peters');
const otto = await addRecipient(db, other.id, 'Otto Bakker');

const tokens = { anna: anna.token, olga: olga.token, otto: await sessionOf(db, otto.id), bram: await sessionOf(db, bram.id), carl: await sessionOf(db, carl.id), rob: await sessionOf(db, rob.id) };
const annaBox = fromB64(anna.account.boxPublicKey);

// ---------------------------------------------------------------------------------------------
// Requests.

function call(method: 'GET' | 'POST', url: string, token?: string, payload?: unknown) {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}
const getRecipients = (token: string | undefined, caseId: string) => call('GET', `/api/v1/cases/${caseId}/relay-recipients`, token);
const createRelay = (token: string | undefined, caseId: string, body: unknown) => call('POST', `/api/v1/cases/${caseId}/relays`, token, body);
const sendRelay = (token: string | undefined, relayId: string) => call('POST', `/api/v1/relays/${relayId}/send`, token);
const listRelays = (token: string | undefined, query = '') => call('GET', `/api/v1/relays${query}`, token);
const getRelay = (token: string | undefined, relayId: string) => call('GET', `/api/v1/relays/${relayId}`, token);
const postMessage = (token: string | undefined, relayId: string, body: unknown) => call('POST', `/api/v1/relays/${relayId}/messages`, token, body);

// ---------------------------------------------------------------------------------------------
// Cases, submitted through the route with random mailbox keys (the server cannot tell them from a code's).

interface Case {
  caseId: string;
  caseKey: Uint8Array;
  mailbox: { mailboxId: string; signSecretKey: Uint8Array };
}
const caseIds: string[] = [];

async function newCase(slug: string, advisers: Array<{ id: string; boxPublicKey: Uint8Array }> = [{ id: anna.account.id, boxPublicKey: annaBox }]): Promise<Case> {
  const made = reportSubmission(advisers);
  const answer = await app.inject({ method: 'POST', url: `/api/v1/channels/${slug}/reports`, payload: made.body });
  if (answer.statusCode !== 201) throw new Error(`submission failed: ${answer.body}`);
  caseIds.push(made.caseId);
  return { caseId: made.caseId, caseKey: made.caseKey, mailbox: { mailboxId: made.mailboxId, signSecretKey: made.signSecretKey } };
}

/** A case of the consent channel that Anna holds from the report and Bram by her grant. */
async function grantedCase(): Promise<Case> {
  const c = await newCase('acme-meldpunt');
  await anna.grant(c.caseId, { keyId: bram.id, boxPublicKey: b64(bram.boxPublicKey) });
  return c;
}

async function mailboxToken(c: Case): Promise<string> {
  const challenge = (await app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: { mailboxId: c.mailbox.mailboxId } })).json().challenge as string;
  const signature = b64(signMailboxLogin(fromB64(challenge), c.mailbox.signSecretKey));
  const answer = await app.inject({ method: 'POST', url: '/api/v1/mailbox/session', payload: { mailboxId: c.mailbox.mailboxId, challenge, signature } });
  if (answer.statusCode !== 200) throw new Error(`mailbox login failed: ${answer.body}`);
  return answer.json().token as string;
}
const consent = async (c: Case, relayId: string, decision: 'approve' | 'decline') =>
  call('POST', `/api/v1/mailbox/relays/${relayId}/consent`, await mailboxToken(c), { decision });

// ---------------------------------------------------------------------------------------------
// Relays.

interface Holder {
  keyId: string;
  name: string;
  boxPublicKey: string;
}
interface RelayHolders {
  organisation: { id: string; name: string };
  recipients: Holder[];
  advisers: Holder[];
}

async function holdersOf(caseId: string, token = tokens.anna): Promise<RelayHolders> {
  const answer = await getRecipients(token, caseId);
  if (answer.statusCode !== 200) throw new Error(`relay-recipients failed: ${answer.body}`);
  return answer.json() as RelayHolders;
}

interface Draft {
  relayId: string;
  relayKey: Uint8Array;
  text: string;
  body: Json;
  /** The wrap uploaded for each key holder. */
  wrapOf: Record<string, string>;
}

/** A relay body as StaffSession.createRelay makes one, sealed to `holders`. */
function draft(c: Case, holders: Array<Pick<Holder, 'keyId' | 'boxPublicKey'>>, text = 'Er zijn aanwijzingen dat bij inkoop facturen worden gesplitst.'): Draft {
  const relayId = randomB64(16);
  const relayKey = sodium().randombytes_buf(32);
  const wraps = holders.map((h) => ({ keyId: h.keyId, wrap: sealKey(relayKey, fromB64(h.boxPublicKey)) }));
  const plaintext = { v: 1, body: text };
  return {
    relayId,
    relayKey,
    text,
    body: {
      relayId,
      wraps,
      text: encryptRecord(relayKey, plaintext, relayAd(relayId), RELAY_BLOCK),
      copy: encryptRecord(c.caseKey, plaintext, relayCopyAd(c.caseId, relayId), RELAY_BLOCK),
    },
    wrapOf: Object.fromEntries(wraps.map((w) => [w.keyId, w.wrap])),
  };
}

/** Every key holder relay-recipients names for the case. */
async function allHolders(caseId: string): Promise<Holder[]> {
  const found = await holdersOf(caseId);
  return [...found.recipients, ...found.advisers];
}

/** Anna writes a relay sealed to every key holder; it must be accepted. */
async function makeRelay(c: Case, text?: string): Promise<Draft & { state: string }> {
  const d = draft(c, await allHolders(c.caseId), text);
  const answer = await createRelay(tokens.anna, c.caseId, d.body);
  if (answer.statusCode !== 201) throw new Error(`relay refused: ${answer.body}`);
  return { ...d, state: answer.json().state as string };
}

/** A relay on the channel without consent, written and sent. */
async function sentRelay(c: Case, text?: string): Promise<Draft & { sentAt: string }> {
  const d = await makeRelay(c, text);
  const answer = await sendRelay(tokens.anna, d.relayId);
  if (answer.statusCode !== 200) throw new Error(`send refused: ${answer.body}`);
  return { ...d, sentAt: answer.json().sentAt as string };
}

const relayRow = async (relayId: string) => (await db.select().from(relays).where(eq(relays.id, relayId)))[0];
const messageEnvelope = (d: Pick<Draft, 'relayId' | 'relayKey'>, author: RelayMessageAuthor, body: string) =>
  encryptRecord(d.relayKey, { v: 1, body, sentAt: new Date().toISOString() }, relayMessageAd(d.relayId, author), MESSAGE_BLOCK);
const rawEnvelope = (ciphertextBytes: number) => ({ nonce: randomB64(24), ciphertext: randomB64(ciphertextBytes) });

const auditRows = () => auditEntries(db);

/** What the relay tables and their audit events hold: a refused request must leave it as it was. */
async function stored() {
  const relayRows = await db.select().from(relays).orderBy(asc(relays.id));
  const wraps = await db.select().from(relayWraps).orderBy(asc(relayWraps.relayId), asc(relayWraps.accountId));
  const thread = await db.select().from(relayMessages).orderBy(asc(relayMessages.id));
  const audit = (await auditRows()).filter((r) => r.action.startsWith('relay_'));
  return {
    relays: relayRows.map((r) => [r.id, r.state, r.sentAt?.toISOString() ?? null, r.decidedAt?.toISOString() ?? null, b64(r.textCiphertext), b64(r.copyCiphertext ?? new Uint8Array())]),
    wraps: wraps.map((w) => [w.relayId, w.accountId, b64(w.wrap)]),
    messages: thread.map((m) => m.id),
    audit: audit.length,
  };
}

// ---------------------------------------------------------------------------------------------

t.test('GET relay-recipients: the organisation, its recipients and exactly the advisers who hold the case', async (t) => {
  const c = await grantedCase();
  const holder = (id: string, name: string, box: Uint8Array, sign: Uint8Array) => ({ keyId: id, name, boxPublicKey: b64(box), signPublicKey: b64(sign) });
  const byKey = (list: Holder[]) => [...list].sort((a, b) => (a.keyId < b.keyId ? -1 : 1));

  const answer = await getRecipients(tokens.anna, c.caseId);
  t.equal(answer.statusCode, 200, 'the adviser who holds the case: 200');
  const body = answer.json() as RelayHolders;
  t.strictSame(Object.keys(body).sort(), ['advisers', 'organisation', 'recipients'], 'exactly organisation, recipients and advisers');
  t.strictSame(body.organisation, { id: acme.id, name: 'Acme B.V.' }, 'the organisation of the case’s channel, id and name only');
  for (const h of [...body.recipients, ...body.advisers]) {
    t.strictSame(Object.keys(h).sort(), ['boxPublicKey', 'keyId', 'name', 'signPublicKey'], `${h.name}: exactly keyId, name, boxPublicKey, signPublicKey`);
  }
  t.strictSame(
    byKey(body.recipients),
    byKey([holder(olga.account.id, 'Olga Jansen', fromB64(olga.account.boxPublicKey), fromB64(olga.account.signPublicKey)), holder(rob.id, 'Rob de Wit', rob.boxPublicKey, rob.signPublicKey), holder(rita.id, 'Rita Peters', rita.boxPublicKey, rita.signPublicKey)]),
    'every recipient of Acme and no one of another organisation',
  );
  t.strictSame(
    byKey(body.advisers),
    byKey([holder(anna.account.id, 'Anna de Vries', annaBox, fromB64(anna.account.signPublicKey)), holder(bram.id, 'Bram Visser', bram.boxPublicKey, bram.signPublicKey)]),
    'the advisers: Anna from the report and Bram by the grant, not Carl who serves the channel without the case',
  );
  const wrapHolders = await db.select({ id: caseWraps.accountId }).from(caseWraps).where(eq(caseWraps.caseId, c.caseId));
  t.strictSame(body.advisers.map((a) => a.keyId).sort(), wrapHolders.map((w) => w.id).sort(), 'exactly the case’s wrap holders');
  t.notOk(answer.body.includes(c.caseId), 'the answer does not repeat the case id');

  const fromBram = await getRecipients(tokens.bram, c.caseId);
  t.equal(fromBram.statusCode, 200, 'the adviser who got the case by a grant may ask too');
  t.strictSame(fromBram.json(), body, 'and gets the same answer');

  const direct = await holdersOf((await newCase('acme-direct')).caseId);
  t.strictSame(direct.organisation, body.organisation, 'another channel of Acme: the same organisation');
  t.strictSame(byKey(direct.recipients), byKey(body.recipients), 'and the same recipients');
  const legeCase = await newCase('lege-meldpunt');
  t.strictSame(await holdersOf(legeCase.caseId), { organisation: { id: lege.id, name: 'Lege Organisatie' }, recipients: [], advisers: [holder(anna.account.id, 'Anna de Vries', annaBox, fromB64(anna.account.signPublicKey))] }, 'an organisation without recipients: none');

  // A disabled recipient can no longer read anything: no relay is sealed to her. She stays disabled for the rest of the file.
  await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, rita.id));
  const after = (await getRecipients(tokens.anna, c.caseId)).json() as RelayHolders;
  t.strictSame(after.recipients.map((r) => r.keyId).sort(), [olga.account.id, rob.id].sort(), 'a disabled recipient is left out');
  t.strictSame(after.advisers, body.advisers, 'the advisers are unchanged');

  const unknownId = randomB64(16);
  const unknown = await getRecipients(tokens.anna, unknownId);
  isError(t, unknown, 404, 'unknown_case', 'an unknown case', [unknownId]);
  const carls = await getRecipients(tokens.carl, c.caseId);
  isError(t, carls, 404, 'unknown_case', 'an adviser of the channel who does not hold the case', [c.caseId]);
  t.equal(carls.body, unknown.body, 'the same answer as for a case that does not exist');
  isError(t, await getRecipients(tokens.olga, c.caseId), 403, 'advisers_only', 'an organisation recipient', [c.caseId]);
  isError(t, await getRecipients(undefined, c.caseId), 401, 'not_signed_in', 'no token', [c.caseId]);
  isError(t, await getRecipients(newToken(), c.caseId), 401, 'not_signed_in', 'an unknown token', [c.caseId]);
  isError(t, await getRecipients(tokens.anna, randomB64(15)), 400, 'invalid_case_id', 'a case id of 15 bytes');
  isError(t, await getRecipients(tokens.anna, b64(fromB64(`${ECHO}${randomB64(9)}`.slice(0, 22)))), 404, 'unknown_case', 'a well-formed id no case has');
  isError(t, await getRecipients(tokens.anna, nonCanonical(c.caseId)), 400, 'invalid_case_id', 'a case id not in canonical base64url', [c.caseId]);
});

t.test('POST relays: 201 awaiting_consent on a channel that requires consent; text, copy and wraps stored as sent', async (t) => {
  const c = await grantedCase();
  const holders = await allHolders(c.caseId);
  t.strictSame(holders.map((h) => h.keyId).sort(), [olga.account.id, rob.id, anna.account.id, bram.id].sort(), 'sealed to both recipients and both advisers');
  const d = draft(c, holders);
  const answer = await createRelay(tokens.anna, c.caseId, d.body);
  t.equal(answer.statusCode, 201, '201');
  t.strictSame(answer.json(), { relayId: d.relayId, state: 'awaiting_consent' }, 'exactly { relayId, state: awaiting_consent }');

  const row = await relayRow(d.relayId);
  t.equal(row?.caseId, c.caseId, 'stored for the case');
  t.equal(row?.organisationId, acme.id, 'and the organisation of its channel');
  t.equal(row?.state, 'awaiting_consent');
  t.equal(row?.createdBy, anna.account.id, 'written by Anna');
  t.equal(row?.decidedAt, null, 'not decided');
  t.equal(row?.sentAt, null, 'not sent');
  t.equal(b64(row!.textNonce), d.body.text.nonce, 'the text nonce as sent');
  t.equal(b64(row!.textCiphertext), d.body.text.ciphertext, 'the text ciphertext as sent');
  t.equal(b64(row!.copyNonce ?? new Uint8Array()), d.body.copy.nonce, 'the copy nonce as sent');
  t.equal(b64(row!.copyCiphertext ?? new Uint8Array()), d.body.copy.ciphertext, 'the copy ciphertext as sent');
  const wraps = await db.select().from(relayWraps).where(eq(relayWraps.relayId, d.relayId));
  t.strictSame(Object.fromEntries(wraps.map((w) => [w.accountId, b64(w.wrap)])), d.wrapOf, 'one wrap per key holder, as sent');

  // The reporter reads the copy with the case key; Bram opens the text with his own wrap.
  const mailbox = await call('GET', '/api/v1/mailbox', await mailboxToken(c));
  const copy = (mailbox.json().relays as Json[]).find((r) => r.relayId === d.relayId);
  t.equal(copy?.state, 'awaiting_consent', 'the mailbox shows the relay awaiting consent');
  t.strictSame(decryptRecord(c.caseKey, copy?.copy, relayCopyAd(c.caseId, d.relayId), RELAY_BLOCK), { v: 1, body: d.text }, 'the reporter’s copy opens with the case key');
  const bramView = await getRelay(tokens.bram, d.relayId);
  t.equal(bramView.statusCode, 200, 'another adviser of the case may open it');
  const bramKey = unsealKey(bramView.json().wrap, bram.boxPublicKey, bram.boxSecretKey);
  t.strictSame(decryptRecord(bramKey, bramView.json().text, relayAd(d.relayId), RELAY_BLOCK), { v: 1, body: d.text }, 'with his own wrap');
  t.equal((await anna.openRelay(d.relayId)).text.body, d.text, 'Anna opens it through the protocol module');
});

t.test('POST relays: a channel without consent approves at creation, and the relay can be sent at once', async (t) => {
  const c = await newCase('acme-direct');
  const d = draft(c, await allHolders(c.caseId));
  const before = Date.now();
  const created = await createRelay(tokens.anna, c.caseId, d.body);
  t.equal(created.statusCode, 201);
  t.strictSame(created.json(), { relayId: d.relayId, state: 'approved' }, 'exactly { relayId, state: approved }');
  const row = await relayRow(d.relayId);
  t.equal(row?.state, 'approved');
  const hour = 3600 * 1000;
  const decided = row?.decidedAt?.getTime() ?? NaN;
  t.ok(decided % hour === 0 && decided >= Math.floor(before / hour) * hour && decided <= Date.now(), 'decided at creation, kept as its whole hour like every decision');

  const sent = await sendRelay(tokens.anna, d.relayId);
  t.equal(sent.statusCode, 200, 'sent without consent: 200');
  const answer = sent.json();
  t.strictSame(Object.keys(answer).sort(), ['relayId', 'sentAt', 'state'], 'exactly { relayId, state, sentAt }');
  t.equal(answer.relayId, d.relayId);
  t.equal(answer.state, 'sent');
  t.equal(new Date(answer.sentAt).toISOString(), answer.sentAt, 'sentAt is an ISO 8601 UTC time');
  t.ok(Date.parse(answer.sentAt) >= before - 1000 && Date.parse(answer.sentAt) <= Date.now() + 1000, 'sentAt is now');
  const afterSend = await relayRow(d.relayId);
  t.equal(afterSend?.state, 'sent', 'stored as sent');
  t.equal(afterSend?.sentAt?.toISOString(), answer.sentAt, 'at the time answered');

  const opened = await olga.openRelay(d.relayId);
  t.equal(opened.state, 'sent', 'the organisation sees it now');
  t.strictSame(opened.text, { v: 1, body: d.text }, 'and opens the text with its wrap');
});

t.test('POST relays: an organisation without recipients answers 409 no_recipients and stores nothing', async (t) => {
  const c = await newCase('lege-meldpunt');
  const d = draft(c, [{ keyId: anna.account.id, boxPublicKey: anna.account.boxPublicKey }]);
  const before = await stored();
  isError(t, await createRelay(tokens.anna, c.caseId, d.body), 409, 'no_recipients', 'no recipients', [d.relayId, c.caseId, d.body.text.ciphertext.slice(0, 40)]);
  t.strictSame(await stored(), before, 'nothing stored');
});

t.test('POST relays: wraps for the wrong key holders, repeated or missing: 400 invalid_wraps / missing_wraps, nothing stored', async (t) => {
  const c = await grantedCase();
  const holders = await allHolders(c.caseId);
  const keyHolder = (id: string, box: Uint8Array | string) => ({ keyId: id, boxPublicKey: typeof box === 'string' ? box : b64(box) });
  const olgaH = keyHolder(olga.account.id, olga.account.boxPublicKey);
  const robH = keyHolder(rob.id, rob.boxPublicKey);
  const annaH = keyHolder(anna.account.id, anna.account.boxPublicKey);
  const bramH = keyHolder(bram.id, bram.boxPublicKey);
  const outsider = randomB64(16);

  const cases: Array<[string, Array<{ keyId: string; boxPublicKey: string }>, string, string[]]> = [
    ['a recipient of another organisation', [...holders, keyHolder(otto.id, otto.boxPublicKey)], 'invalid_wraps', [otto.id]],
    ['an adviser of the channel who does not hold the case', [...holders, keyHolder(carl.id, carl.boxPublicKey)], 'invalid_wraps', [carl.id]],
    ['a disabled recipient', [...holders, keyHolder(rita.id, rita.boxPublicKey)], 'invalid_wraps', [rita.id]],
    ['a key id no account has', [...holders, keyHolder(outsider, carl.boxPublicKey)], 'invalid_wraps', [outsider]],
    ['a key id carrying text', [...holders, keyHolder(ECHO, carl.boxPublicKey)], 'invalid_wraps', []],
    ['a recipient twice', [...holders, olgaH], 'invalid_wraps', []],
    ['the writing adviser twice', [annaH, ...holders], 'invalid_wraps', []],
    ['a recipient left out', [robH, annaH, bramH], 'missing_wraps', []],
    ['the other recipient left out', [olgaH, annaH, bramH], 'missing_wraps', []],
    ['the writing adviser left out', [olgaH, robH, bramH], 'missing_wraps', []],
    ['only the writing adviser', [annaH], 'missing_wraps', []],
  ];
  for (const [what, list, code, distinctive] of cases) {
    const d = draft(c, list);
    const before = await stored();
    isError(t, await createRelay(tokens.anna, c.caseId, d.body), 400, code, what, [d.relayId, c.caseId, ...distinctive, ...Object.values(d.wrapOf)]);
    t.strictSame(await stored(), before, `${what}: nothing stored`);
  }
  t.equal((await makeRelay(c)).state, 'awaiting_consent', 'the same case takes a relay sealed to the right key holders');
});

t.test('POST relays: a relay id in use answers 409 relay_exists and leaves the relay as it was', async (t) => {
  const c = await newCase('acme-direct');
  const first = await makeRelay(c);
  const original = await stored();
  const again = draft(c, await allHolders(c.caseId), 'Een andere tekst onder hetzelfde id.');
  const reused = { ...again.body, relayId: first.relayId };
  isError(t, await createRelay(tokens.anna, c.caseId, reused), 409, 'relay_exists', 'the same id again, same case', [first.relayId, c.caseId]);
  t.strictSame(await stored(), original, 'nothing stored, the first relay unchanged');

  const otherCase = await newCase('acme-direct');
  const elsewhere = draft(otherCase, await allHolders(otherCase.caseId));
  isError(t, await createRelay(tokens.anna, otherCase.caseId, { ...elsewhere.body, relayId: first.relayId }), 409, 'relay_exists', 'the same id for another case', [
    first.relayId,
    otherCase.caseId,
  ]);
  t.strictSame(await stored(), original, 'still nothing stored');
  t.equal((await relayRow(first.relayId))?.caseId, c.caseId, 'the relay keeps its case');
});

t.test('POST relays: one relay at a time awaits consent (409 relay_pending); a decision frees the case', async (t) => {
  const c = await grantedCase();
  const first = await makeRelay(c);
  t.equal(first.state, 'awaiting_consent');
  const second = draft(c, await allHolders(c.caseId), 'Nog een.');
  const before = await stored();
  isError(t, await createRelay(tokens.anna, c.caseId, second.body), 409, 'relay_pending', 'a second relay while the first awaits consent', [second.relayId, c.caseId]);
  t.strictSame(await stored(), before, 'nothing stored');

  const otherCase = await newCase('acme-meldpunt');
  t.equal((await makeRelay(otherCase)).state, 'awaiting_consent', 'another case is not held up');

  const declined = await consent(c, first.relayId, 'decline');
  t.strictSame(declined.json(), { relayId: first.relayId, state: 'declined' }, 'the reporter declines');
  const third = await makeRelay(c, 'Herschreven.');
  t.equal(third.state, 'awaiting_consent', 'after a decline a new relay is accepted');
  t.strictSame((await consent(c, third.relayId, 'approve')).json(), { relayId: third.relayId, state: 'approved' }, 'the reporter approves');
  t.equal((await makeRelay(c, 'Aanvulling.')).state, 'awaiting_consent', 'an approved relay does not hold up the next');
});

t.test('POST relays: text and copy must be padded to 1024 bytes and within MAX_MESSAGE_BYTES', async (t) => {
  const c = await newCase('acme-direct');
  const holders = await allHolders(c.caseId);
  const padded = (blocks: number) => RELAY_BLOCK * blocks + 16;
  const cases: Array<[string, 'text' | 'copy', number, number, string]> = [
    ['text one byte over a block', 'text', padded(1) + 1, 400, 'invalid_text_ciphertext'],
    ['text one byte short of a block', 'text', padded(1) - 1, 400, 'invalid_text_ciphertext'],
    ['text of only the tag', 'text', 16, 400, 'invalid_text_ciphertext'],
    ['text of 100 bytes', 'text', 100, 400, 'invalid_text_ciphertext'],
    ['copy one byte over a block', 'copy', padded(2) + 1, 400, 'invalid_copy_ciphertext'],
    ['copy of only the tag', 'copy', 16, 400, 'invalid_copy_ciphertext'],
    ['text over MAX_MESSAGE_BYTES', 'text', padded(MAX_MESSAGE_BYTES / RELAY_BLOCK + 1), 413, 'text_ciphertext_too_large'],
    ['copy over MAX_MESSAGE_BYTES', 'copy', padded(MAX_MESSAGE_BYTES / RELAY_BLOCK + 1), 413, 'copy_ciphertext_too_large'],
  ];
  for (const [what, field, bytes, status, code] of cases) {
    const d = draft(c, holders);
    d.body[field] = rawEnvelope(bytes);
    const before = await stored();
    isError(t, await createRelay(tokens.anna, c.caseId, d.body), status, code, what, [d.relayId, d.body[field].nonce, d.body[field].ciphertext.slice(0, 40)]);
    t.strictSame(await stored(), before, `${what}: nothing stored`);
  }
  const largest = draft(c, holders);
  largest.body.text = encryptRecord(largest.relayKey, { v: 1, body: 'x'.repeat(MAX_MESSAGE_BYTES - 100) }, relayAd(largest.relayId), RELAY_BLOCK);
  largest.body.copy = encryptRecord(c.caseKey, { v: 1, body: 'x'.repeat(MAX_MESSAGE_BYTES - 100) }, relayCopyAd(c.caseId, largest.relayId), RELAY_BLOCK);
  t.equal(fromB64(largest.body.text.ciphertext).length, MAX_MESSAGE_BYTES + 16, 'a text of exactly MAX_MESSAGE_BYTES padded');
  t.equal((await createRelay(tokens.anna, c.caseId, largest.body)).statusCode, 201, 'is accepted');
});

t.test('POST relays: malformed fields answer 400 with the field’s code and store nothing', async (t) => {
  const c = await newCase('acme-direct');
  const holders = await allHolders(c.caseId);
  const base = () => draft(c, holders);
  const wrapWith = (change: (w: Json) => void) => (b: Json) => change(b.wraps[0]);
  const cases: Array<[string, (b: Json) => unknown, string]> = [
    ['no relayId', (b) => delete b.relayId, 'missing_relay_id'],
    ['relayId of 15 bytes', (b) => (b.relayId = randomB64(15)), 'invalid_relay_id'],
    ['relayId of 17 bytes', (b) => (b.relayId = randomB64(17)), 'invalid_relay_id'],
    ['relayId not canonical', (b) => (b.relayId = nonCanonical(b.relayId)), 'invalid_relay_id'],
    ['relayId with "+"', (b) => (b.relayId = `+${b.relayId.slice(1)}`), 'invalid_relay_id'],
    ['relayId a number', (b) => (b.relayId = 1234567890), 'invalid_relay_id'],
    ['no wraps', (b) => delete b.wraps, 'missing_wraps'],
    ['wraps empty', (b) => (b.wraps = []), 'invalid_wraps'],
    ['wraps an object', (b) => (b.wraps = { keyId: anna.account.id }), 'invalid_wraps'],
    ['65 wraps', (b) => (b.wraps = Array.from({ length: 65 }, () => ({ keyId: randomB64(16), wrap: randomB64(80) }))), 'invalid_wraps'],
    ['a wrap a string', (b) => (b.wraps[0] = randomB64(80)), 'invalid_wraps'],
    ['a wrap without keyId', wrapWith((w) => delete w.keyId), 'missing_wraps_key_id'],
    ['a wrap without wrap', wrapWith((w) => delete w.wrap), 'missing_wraps_wrap'],
    ['keyId empty', wrapWith((w) => (w.keyId = '')), 'invalid_wraps_key_id'],
    ['keyId with "."', wrapWith((w) => (w.keyId = `${ECHO}.x`)), 'invalid_wraps_key_id'],
    ['keyId of 65 characters', wrapWith((w) => (w.keyId = 'k'.repeat(65))), 'invalid_wraps_key_id'],
    ['wrap of 79 bytes', wrapWith((w) => (w.wrap = randomB64(79))), 'invalid_wraps_wrap'],
    ['wrap of 81 bytes', wrapWith((w) => (w.wrap = randomB64(81))), 'invalid_wraps_wrap'],
    ['wrap not canonical', wrapWith((w) => (w.wrap = nonCanonical(w.wrap))), 'invalid_wraps_wrap'],
    ['an unknown field in a wrap', wrapWith((w) => (w[ECHO] = 1)), 'unknown_field'],
    ['no text', (b) => delete b.text, 'missing_text'],
    ['text a string', (b) => (b.text = `${ECHO}${randomB64(40)}`), 'invalid_text'],
    ['text without nonce', (b) => delete b.text.nonce, 'missing_text_nonce'],
    ['text without ciphertext', (b) => delete b.text.ciphertext, 'missing_text_ciphertext'],
    ['text nonce of 23 bytes', (b) => (b.text.nonce = randomB64(23)), 'invalid_text_nonce'],
    ['text nonce of 25 bytes', (b) => (b.text.nonce = randomB64(25)), 'invalid_text_nonce'],
    ['text nonce with "="', (b) => (b.text.nonce = `${b.text.nonce.slice(0, -1)}=`), 'invalid_text_nonce'],
    ['text ciphertext not canonical', (b) => (b.text.ciphertext = nonCanonical(b.text.ciphertext)), 'invalid_text_ciphertext'],
    ['text ciphertext with "/"', (b) => (b.text.ciphertext = `/${b.text.ciphertext.slice(1)}`), 'invalid_text_ciphertext'],
    ['an unknown field in text', (b) => (b.text[ECHO] = 'x'), 'unknown_field'],
    ['no copy', (b) => delete b.copy, 'missing_copy'],
    ['copy nonce a number', (b) => (b.copy.nonce = 123456789012), 'invalid_copy_nonce'],
    ['copy ciphertext empty', (b) => (b.copy.ciphertext = ''), 'invalid_copy_ciphertext'],
    ['copy ciphertext not canonical', (b) => (b.copy.ciphertext = nonCanonical(b.copy.ciphertext)), 'invalid_copy_ciphertext'],
    ['an unknown field', (b) => (b[ECHO] = true), 'unknown_field'],
  ];
  const before = await stored();
  for (const [what, change, code] of cases) {
    const d = base();
    change(d.body);
    isError(t, await createRelay(tokens.anna, c.caseId, d.body), 400, code, what, [d.relayId, c.caseId, d.body.text?.nonce, d.body.copy?.nonce]);
  }
  const d = base();
  isError(t, await createRelay(tokens.anna, c.caseId, [d.body]), 400, 'invalid_body', 'a list for a body', [d.relayId]);
  const json = await app.inject({
    method: 'POST',
    url: `/api/v1/cases/${c.caseId}/relays`,
    headers: { authorization: `Bearer ${tokens.anna}`, 'content-type': 'application/json' },
    payload: `{"relayId":"${d.relayId}","${ECHO}":`,
  });
  isError(t, json, 400, 'invalid_json', 'a body that is not JSON', [d.relayId]);
  isError(t, await createRelay(tokens.anna, randomB64(15), d.body), 400, 'invalid_case_id', 'a case id of 15 bytes', [d.relayId]);
  isError(t, await createRelay(tokens.anna, nonCanonical(c.caseId), d.body), 400, 'invalid_case_id', 'a case id not canonical', [d.relayId, c.caseId]);
  t.strictSame(await stored(), before, 'nothing stored by any of them');
});

t.test('POST relays: who may write one', async (t) => {
  const c = await grantedCase();
  const d = draft(c, await allHolders(c.caseId));
  const before = await stored();
  const unknownId = randomB64(16);
  const unknown = await createRelay(tokens.anna, unknownId, d.body);
  isError(t, unknown, 404, 'unknown_case', 'an unknown case', [d.relayId, unknownId]);
  const carls = await createRelay(tokens.carl, c.caseId, draft(c, [...(await allHolders(c.caseId)), { keyId: carl.id, boxPublicKey: b64(carl.boxPublicKey) }]).body);
  isError(t, carls, 404, 'unknown_case', 'an adviser of the channel who does not hold the case', [c.caseId]);
  t.equal(carls.body, unknown.body, 'the same answer as for a case that does not exist');
  isError(t, await createRelay(tokens.olga, c.caseId, d.body), 403, 'advisers_only', 'an organisation recipient', [d.relayId, c.caseId]);
  isError(t, await createRelay(undefined, c.caseId, d.body), 401, 'not_signed_in', 'no token', [d.relayId, c.caseId]);
  t.strictSame(await stored(), before, 'nothing stored');
  // Bram holds the case by a grant: he writes a relay sealed to himself.
  const bramsOwn = draft(c, await allHolders(c.caseId));
  const byBram = await createRelay(tokens.bram, c.caseId, bramsOwn.body);
  t.equal(byBram.statusCode, 201, 'an adviser who got the case by a grant may write one');
  t.equal((await relayRow(bramsOwn.relayId))?.createdBy, bram.id, 'written by him');
});

t.test('POST relays/:relayId/send: only an approved relay, only by an adviser of its case', async (t) => {
  const c = await grantedCase();
  const pending = await makeRelay(c);
  const distinctive = [pending.relayId, c.caseId];

  const refuse = async (what: string, token: string | undefined, relayId: string, status: number, code: string) => {
    const before = await stored();
    const answer = await sendRelay(token, relayId);
    isError(t, answer, status, code, what, [...distinctive, relayId]);
    t.strictSame(await stored(), before, `${what}: nothing changed or recorded`);
    return answer;
  };
  await refuse('before consent', tokens.anna, pending.relayId, 409, 'consent_missing');
  await refuse('by another adviser of the case, before consent', tokens.bram, pending.relayId, 409, 'consent_missing');
  const carls = await refuse('by an adviser of the channel who does not hold the case', tokens.carl, pending.relayId, 404, 'unknown_relay');
  const unknown = await refuse('an unknown relay', tokens.anna, randomB64(16), 404, 'unknown_relay');
  t.equal(carls.body, unknown.body, 'Carl gets the answer of a relay that does not exist');
  await refuse('by the recipient', tokens.olga, pending.relayId, 403, 'advisers_only');
  await refuse('by a recipient of another organisation', tokens.otto, pending.relayId, 403, 'advisers_only');
  await refuse('without a token', undefined, pending.relayId, 401, 'not_signed_in');
  await refuse('a relay id of 15 bytes', tokens.anna, randomB64(15), 400, 'invalid_relay_id');
  await refuse('a relay id not canonical', tokens.anna, nonCanonical(pending.relayId), 400, 'invalid_relay_id');

  t.equal((await consent(c, pending.relayId, 'decline')).statusCode, 200, 'the reporter declines');
  await refuse('a declined relay', tokens.anna, pending.relayId, 409, 'relay_declined');

  const approved = await makeRelay(c, 'Herschreven.');
  t.equal((await consent(c, approved.relayId, 'approve')).statusCode, 200, 'the reporter approves the next');
  await refuse('an approved relay, by Carl', tokens.carl, approved.relayId, 404, 'unknown_relay');
  const sent = await sendRelay(tokens.anna, approved.relayId);
  t.equal(sent.statusCode, 200, 'an approved relay is sent');
  t.equal(sent.json().state, 'sent');
  await refuse('sent twice', tokens.anna, approved.relayId, 409, 'relay_sent');
  await refuse('sent twice, by another adviser of the case', tokens.bram, approved.relayId, 409, 'relay_sent');
  t.equal((await relayRow(approved.relayId))?.sentAt?.toISOString(), sent.json().sentAt, 'the first send’s time is kept');
});

t.test('GET relays: a recipient lists the sent relays of their organisation, newest first, in keyset pages', async (t) => {
  type Item = { relayId: string; state: string; sentAt: string; wrap: string; readAt: string | null; lastMessage: unknown };
  type Page = { relays: Item[]; next: string | null };
  const list = async (token: string, query = ''): Promise<Page> => {
    const answer = await listRelays(token, query);
    t.equal(answer.statusCode, 200, `GET /api/v1/relays${query}: 200`);
    return answer.json() as Page;
  };
  /** Every page through the route, `limit` at a time, following `next`. */
  const walk = async (token: string, limit: number): Promise<Item[]> => {
    const all: Item[] = [];
    let before: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const page = await list(token, `?limit=${limit}${before === null ? '' : `&before=${before}`}`);
      t.ok(page.relays.length <= limit, `a page of at most ${limit}`);
      all.push(...page.relays);
      if (page.next === null) return all;
      t.equal(page.relays.length, limit, 'a page with a next page is full');
      t.match(page.next, /^[A-Za-z0-9_-]+$/, 'the cursor is base64url');
      before = page.next;
    }
    throw new Error('the pages do not end');
  };
  /** `before` alone (with the default limit) gives the rest after a page of `cut`. */
  const restAfter = async (whole: Item[], cut: number, what: string) => {
    const first = await list(tokens.olga, `?limit=${cut}`);
    if (first.next === null) throw new Error('expected a next page');
    const rest = await list(tokens.olga, `?before=${first.next}`);
    t.strictSame(rest, { relays: whole.slice(cut), next: null }, `${what}: ?before= the cursor after ${cut} gives the rest`);
  };

  // Four relays sent on the channel without consent, one written but not sent, one awaiting consent, one sent to Other.
  const c = await newCase('acme-direct');
  const fresh: Array<Awaited<ReturnType<typeof sentRelay>>> = [];
  for (let i = 0; i < 4; i++) {
    fresh.push(await sentRelay(c, `Relay ${i}`));
    await pause(3);
  }
  const unsent = await makeRelay(c, 'Niet verstuurd.');
  const awaiting = await makeRelay(await newCase('acme-meldpunt'), 'Wacht op toestemming.');
  const toOther = await sentRelay(await newCase('other-direct'), 'Voor Other.');

  const everything = await list(tokens.olga);
  t.strictSame(Object.keys(everything).sort(), ['next', 'relays'], 'exactly { relays, next }');
  t.equal(everything.next, null, 'the default page (50) holds them all: next is null');
  t.strictSame(everything.relays.slice(0, 4).map((r) => r.relayId), fresh.map((r) => r.relayId).reverse(), 'the four just sent come first, newest first');
  for (const item of everything.relays) t.strictSame(Object.keys(item).sort(), ['kind', 'lastMessage', 'readAt', 'relayId', 'sentAt', 'state', 'wrap'], 'each exactly { relayId, kind, state, sentAt, wrap, readAt, lastMessage }');
  t.ok(everything.relays.every((r) => (r as Item & { kind: string }).kind === 'case'), 'each of kind case: a relay of a case');
  for (const item of everything.relays.slice(0, 4)) {
    const mine = fresh.find((r) => r.relayId === item.relayId);
    t.equal(item.state, 'sent');
    t.equal(item.sentAt, mine?.sentAt, 'at the time it was sent');
    t.equal(item.wrap, mine?.wrapOf[olga.account.id], 'with Olga’s own wrap');
  }
  const ids = everything.relays.map((r) => r.relayId);
  t.notOk(ids.includes(unsent.relayId), 'a relay not sent is not listed');
  t.notOk(ids.includes(awaiting.relayId), 'a relay awaiting consent is not listed');
  t.notOk(ids.includes(toOther.relayId), 'a relay to another organisation is not listed');
  const expected = await db
    .select({ id: relays.id })
    .from(relays)
    .where(and(eq(relays.organisationId, acme.id), eq(relays.state, 'sent')));
  t.strictSame([...ids].sort(), expected.map((r) => r.id).sort(), 'exactly the sent relays of Acme');
  t.equal(new Set(ids).size, ids.length, 'each once');
  const times = everything.relays.map((r) => Date.parse(r.sentAt));
  t.ok(times.every((time, i) => i === 0 || time <= times[i - 1]!), 'newest first');

  const robs = await list(tokens.rob);
  t.strictSame(
    robs.relays.slice(0, 4).map((r) => [r.relayId, r.wrap]),
    fresh.map((r) => [r.relayId, r.wrapOf[rob.id]]).reverse(),
    'Rob gets the same relays with his own wraps',
  );
  t.strictSame(robs.relays.map((r) => r.relayId), ids, 'and the same list');

  const limited = await list(tokens.olga, '?limit=4');
  t.strictSame(limited.relays, everything.relays.slice(0, 4), '?limit=4: the 4 newest');
  t.type(limited.next, 'string', '?limit=4: with a cursor to the rest');

  for (const limit of [1, 2, 3]) t.strictSame(await walk(tokens.olga, limit), everything.relays, `pages of ${limit} walk the same list`);
  for (const cut of [1, 2, 4]) await restAfter(everything.relays, cut, 'distinct times');

  // Relays sent in the same millisecond: the id breaks the tie, and no page skips or repeats one.
  const tie = new Date(Date.parse(fresh[3]!.sentAt) + 1);
  await db.update(relays).set({ sentAt: tie }).where(inArray(relays.id, fresh.slice(1).map((r) => r.relayId)));
  const tied = await list(tokens.olga);
  t.strictSame([...tied.relays.slice(0, 3).map((r) => r.relayId)].sort(), fresh.slice(1).map((r) => r.relayId).sort(), 'the three tied relays come first');
  t.strictSame([...tied.relays.map((r) => r.relayId)].sort(), [...ids].sort(), 'still every relay once');
  for (const limit of [1, 2]) t.strictSame(await walk(tokens.olga, limit), tied.relays, `with ties, pages of ${limit} walk the same list`);
  for (const cut of [1, 2]) await restAfter(tied.relays, cut, 'a cut inside the tie');

  const ottos = await list(tokens.otto);
  t.strictSame(ottos.relays.map((r) => [r.relayId, r.wrap]), [[toOther.relayId, toOther.wrapOf[otto.id]]], 'Otto sees only the relay to Other');

  const cursor = (text: string) => Buffer.from(text).toString('base64url');
  const badCursors: Array<[string, string]> = [
    ['a word', `${ECHO}cursor`],
    ['a time without an id', cursor(`${new Date().toISOString()}|`)],
    ['no time', cursor(`${ECHO}-no-time|${randomB64(16)}`)],
    ['random bytes', randomB64(30)],
  ];
  for (const [what, before] of badCursors) {
    isError(t, await listRelays(tokens.olga, `?before=${before}`), 400, 'invalid_before', `before: ${what}`, [before]);
  }
  isError(t, await listRelays(tokens.olga, `?before=${ECHO}%2B`), 400, 'invalid_before', 'before with "+"');
  isError(t, await listRelays(tokens.olga, '?before='), 400, 'invalid_before', 'before empty');
  isError(t, await listRelays(tokens.olga, `?before=${'a'.repeat(201)}`), 400, 'invalid_before', 'before of 201 characters');
  for (const limit of ['0', '201', '-1', '1.5', 'abc']) isError(t, await listRelays(tokens.olga, `?limit=${limit}`), 400, 'invalid_limit', `limit ${limit}`);
  isError(t, await listRelays(tokens.olga, `?${ECHO}=1`), 400, 'unknown_field', 'an unknown parameter');
  isError(t, await listRelays(tokens.anna), 403, 'recipients_only', 'an adviser');
  isError(t, await listRelays(tokens.bram), 403, 'recipients_only', 'another adviser');
  isError(t, await listRelays(undefined), 401, 'not_signed_in', 'no token');
});

t.test('GET relays/:relayId: the organisation sees a relay once it is sent, exactly its own fields', async (t) => {
  const c = await grantedCase();
  const d = await makeRelay(c);
  const unknownId = randomB64(16);
  const unknownForOlga = await getRelay(tokens.olga, unknownId);
  isError(t, unknownForOlga, 404, 'unknown_relay', 'an unknown relay', [unknownId]);

  const olgaBefore = await getRelay(tokens.olga, d.relayId);
  isError(t, olgaBefore, 404, 'unknown_relay', 'the recipient, before it is sent', [d.relayId, c.caseId]);
  t.equal(olgaBefore.body, unknownForOlga.body, 'the same answer as for a relay that does not exist');

  const annas = await getRelay(tokens.anna, d.relayId);
  t.equal(annas.statusCode, 200, 'the adviser of the case: 200 before it is sent');
  t.strictSame(Object.keys(annas.json()).sort(), ['approval', 'attachments', 'kind', 'messages', 'relayId', 'sentAt', 'state', 'text', 'wrap'], 'exactly its fields');
  t.equal(annas.json().kind, 'case', 'of kind case');
  t.equal(annas.json().state, 'awaiting_consent', 'with its state');
  t.equal(annas.json().sentAt, null, 'not sent');
  t.equal(annas.json().wrap, d.wrapOf[anna.account.id], 'with Anna’s own wrap');
  t.equal((await getRelay(tokens.bram, d.relayId)).json().wrap, d.wrapOf[bram.id], 'Bram gets his own wrap');
  isError(t, await getRelay(tokens.carl, d.relayId), 404, 'unknown_relay', 'an adviser of the channel who does not hold the case', [d.relayId, c.caseId]);

  t.equal((await consent(c, d.relayId, 'approve')).statusCode, 200, 'approved');
  t.equal((await getRelay(tokens.anna, d.relayId)).json().state, 'approved', 'the adviser sees it approved');
  isError(t, await getRelay(tokens.olga, d.relayId), 404, 'unknown_relay', 'the recipient, approved but not sent', [d.relayId]);
  const sent = (await sendRelay(tokens.anna, d.relayId)).json();

  const olgas = await getRelay(tokens.olga, d.relayId);
  t.equal(olgas.statusCode, 200, 'the recipient, once it is sent: 200');
  const view = olgas.json() as Json;
  t.strictSame(Object.keys(view).sort(), ['approval', 'attachments', 'kind', 'messages', 'relayId', 'sentAt', 'state', 'text', 'wrap'], 'exactly relayId, kind, state, sentAt, wrap, text, approval, messages, attachments');
  t.strictSame(
    view,
    { relayId: d.relayId, kind: 'case', state: 'sent', sentAt: sent.sentAt, wrap: d.wrapOf[olga.account.id], text: d.body.text, approval: null, messages: [], attachments: [] },
    'the relay as written, with Olga’s wrap, no approval hash (this consent sent none), no messages yet and no attachments',
  );
  for (const hidden of [c.caseId, d.body.copy.ciphertext.slice(0, 40), d.body.copy.nonce, '"caseId"', '"copy"', '"createdBy"', anna.account.id]) {
    t.notOk(olgas.body.includes(hidden), `the organisation’s answer holds nothing of the case (${hidden.slice(0, 12)})`);
  }
  t.match((await olga.openRelay(d.relayId)).text, { v: 1, body: d.text }, 'Olga opens the text with her wrap');
  t.equal((await getRelay(tokens.rob, d.relayId)).json().wrap, d.wrapOf[rob.id], 'Rob gets his own wrap');
  t.equal((await getRelay(tokens.anna, d.relayId)).json().state, 'sent', 'the adviser sees it sent');

  const unknownForOtto = await getRelay(tokens.otto, unknownId);
  const ottos = await getRelay(tokens.otto, d.relayId);
  isError(t, ottos, 404, 'unknown_relay', 'a recipient of another organisation', [d.relayId, c.caseId]);
  t.equal(ottos.statusCode, unknownForOtto.statusCode, 'the same status as for an unknown relay');
  t.equal(ottos.body, unknownForOtto.body, 'and the same body');
  t.equal(ottos.headers['content-length'], unknownForOtto.headers['content-length'], 'and the same length');

  isError(t, await getRelay(tokens.olga, randomB64(15)), 400, 'invalid_relay_id', 'a relay id of 15 bytes');
  isError(t, await getRelay(tokens.olga, nonCanonical(d.relayId)), 400, 'invalid_relay_id', 'a relay id not canonical', [d.relayId]);
  isError(t, await getRelay(undefined, d.relayId), 401, 'not_signed_in', 'no token', [d.relayId]);
});

t.test('POST relays/:relayId/messages: the thread opens once the relay is sent; organisation and adviser write in order', async (t) => {
  const c = await grantedCase();
  const d = await makeRelay(c);
  const refuse = async (what: string, token: string | undefined, relayId: string, body: unknown, status: number, code: string) => {
    const before = await stored();
    isError(t, await postMessage(token, relayId, body), status, code, what, [relayId, c.caseId, (body as Json).nonce, ((body as Json).ciphertext ?? '').slice(0, 40)]);
    t.strictSame(await stored(), before, `${what}: nothing stored`);
  };
  await refuse('the adviser, before consent', tokens.anna, d.relayId, messageEnvelope(d, 'adviser', 'Te vroeg.'), 409, 'relay_not_sent');
  await refuse('the recipient, before it is sent', tokens.olga, d.relayId, messageEnvelope(d, 'organisation', 'Te vroeg.'), 404, 'unknown_relay');
  t.equal((await consent(c, d.relayId, 'approve')).statusCode, 200);
  await refuse('the adviser, approved but not sent', tokens.anna, d.relayId, messageEnvelope(d, 'adviser', 'Te vroeg.'), 409, 'relay_not_sent');
  t.equal((await sendRelay(tokens.anna, d.relayId)).statusCode, 200, 'sent');

  const before = Date.now();
  const fromOlga = await postMessage(tokens.olga, d.relayId, messageEnvelope(d, 'organisation', 'Dank. Wij starten een onderzoek.'));
  t.equal(fromOlga.statusCode, 201, 'the recipient writes: 201');
  t.strictSame(Object.keys(fromOlga.json()).sort(), ['id', 'sentAt'], 'exactly { id, sentAt }');
  t.equal(new Date(fromOlga.json().sentAt).toISOString(), fromOlga.json().sentAt, 'sentAt is an ISO 8601 UTC time');
  t.ok(Date.parse(fromOlga.json().sentAt) >= before - 1000, 'sentAt is now');
  await pause(3);
  const fromAnna = await postMessage(tokens.anna, d.relayId, messageEnvelope(d, 'adviser', 'Ik vraag het na bij de melder.'));
  t.equal(fromAnna.statusCode, 201, 'the adviser writes: 201');
  await pause(3);
  await olga.postRelayMessage(d.relayId, 'Graag ook de documenten.');

  const view = (await getRelay(tokens.olga, d.relayId)).json() as Json;
  t.strictSame(view.messages.map((m: Json) => m.author), ['organisation', 'adviser', 'organisation'], 'the authors in order: organisation, adviser, organisation');
  t.strictSame(view.messages.slice(0, 2).map((m: Json) => [m.id, m.sentAt]), [[fromOlga.json().id, fromOlga.json().sentAt], [fromAnna.json().id, fromAnna.json().sentAt]], 'with the ids and times answered');
  for (const m of view.messages as Json[]) t.strictSame(Object.keys(m).sort(), ['author', 'ciphertext', 'id', 'nonce', 'sentAt'], 'each message exactly { id, author, sentAt, nonce, ciphertext }');
  const bodies = (view.messages as Json[]).map((m) => (decryptRecord(d.relayKey, m as { nonce: string; ciphertext: string }, relayMessageAd(d.relayId, m.author), MESSAGE_BLOCK) as Json).body);
  t.strictSame(bodies, ['Dank. Wij starten een onderzoek.', 'Ik vraag het na bij de melder.', 'Graag ook de documenten.'], 'each opens with the relay key under its author');
  t.strictSame((await anna.openRelay(d.relayId)).messages.map((m) => [m.author, m.message.body]), [['organisation', bodies[0]], ['adviser', bodies[1]], ['organisation', bodies[2]]], 'the adviser reads the same thread');
  const rows = await db.select().from(relayMessages).where(eq(relayMessages.relayId, d.relayId)).orderBy(asc(relayMessages.sentAt));
  t.strictSame(rows.map((r) => [r.author, r.accountId]), [['organisation', olga.account.id], ['adviser', anna.account.id], ['organisation', olga.account.id]], 'stored with author and account');

  const padded = (blocks: number) => MESSAGE_BLOCK * blocks + 16;
  // Errors name the fields the request has: nonce and ciphertext, as on POST /cases/:caseId/messages.
  await refuse('not padded: a block and one byte', tokens.olga, d.relayId, rawEnvelope(padded(1) + 1), 400, 'invalid_ciphertext');
  await refuse('not padded: only the tag', tokens.anna, d.relayId, rawEnvelope(16), 400, 'invalid_ciphertext');
  await refuse('not padded: empty', tokens.anna, d.relayId, { nonce: randomB64(24), ciphertext: '' }, 400, 'invalid_ciphertext');
  await refuse('over MAX_MESSAGE_BYTES', tokens.olga, d.relayId, rawEnvelope(padded(MAX_MESSAGE_BYTES / MESSAGE_BLOCK + 1)), 413, 'ciphertext_too_large');
  await refuse('a nonce of 23 bytes', tokens.olga, d.relayId, { ...rawEnvelope(padded(1)), nonce: randomB64(23) }, 400, 'invalid_nonce');
  await refuse('no ciphertext', tokens.olga, d.relayId, { nonce: randomB64(24) }, 400, 'missing_ciphertext');
  await refuse('no nonce', tokens.olga, d.relayId, { ciphertext: randomB64(padded(1)) }, 400, 'missing_nonce');
  await refuse('a ciphertext with "="', tokens.olga, d.relayId, { nonce: randomB64(24), ciphertext: `${randomB64(padded(1))}=` }, 400, 'invalid_ciphertext');
  await refuse('an unknown field', tokens.olga, d.relayId, { ...rawEnvelope(padded(1)), [ECHO]: 1 }, 400, 'unknown_field');
  await refuse('a recipient of another organisation', tokens.otto, d.relayId, rawEnvelope(padded(1)), 404, 'unknown_relay');
  await refuse('an adviser of the channel who does not hold the case', tokens.carl, d.relayId, rawEnvelope(padded(1)), 404, 'unknown_relay');
  await refuse('an unknown relay', tokens.olga, randomB64(16), rawEnvelope(padded(1)), 404, 'unknown_relay');
  await refuse('a relay id of 15 bytes', tokens.olga, randomB64(15), rawEnvelope(padded(1)), 400, 'invalid_relay_id');
  await refuse('no token', undefined, d.relayId, rawEnvelope(padded(1)), 401, 'not_signed_in');

  const declined = await makeRelay(c, 'Wordt afgewezen.');
  t.equal((await consent(c, declined.relayId, 'decline')).statusCode, 200);
  await refuse('a declined relay', tokens.anna, declined.relayId, messageEnvelope(declined, 'adviser', 'Nee.'), 409, 'relay_not_sent');
});

t.test('GET relays: each relay says when this recipient last opened it and who wrote last in its thread', async (t) => {
  type Item = { relayId: string; readAt: string | null; lastMessage: { author: string; sentAt: string } | null };
  const d = await sentRelay(await newCase('acme-direct'), 'Wat nieuw is, en wat beantwoord.');
  const item = async (token: string) => {
    const answer = await listRelays(token);
    t.equal(answer.statusCode, 200);
    const found = (answer.json() as { relays: Item[] }).relays.find((r) => r.relayId === d.relayId);
    if (!found) throw new Error('the relay is not listed');
    return { readAt: found.readAt, lastMessage: found.lastMessage };
  };
  t.strictSame(await item(tokens.olga), { readAt: null, lastMessage: null }, 'just sent: never opened, no message');

  t.equal((await getRelay(tokens.anna, d.relayId)).statusCode, 200);
  t.strictSame(await item(tokens.olga), { readAt: null, lastMessage: null }, 'the adviser opening it changes nothing for the recipient');

  const before = Date.now();
  t.equal((await getRelay(tokens.olga, d.relayId)).statusCode, 200);
  const opened = await item(tokens.olga);
  t.ok(opened.readAt !== null && Date.parse(opened.readAt) >= before - 1000 && Date.parse(opened.readAt) <= Date.now(), 'opened: readAt is when');
  t.strictSame(await item(tokens.rob), { readAt: null, lastMessage: null }, 'per recipient: a colleague has not opened it');

  await pause(3);
  const fromOlga = (await postMessage(tokens.olga, d.relayId, messageEnvelope(d, 'organisation', 'Wij kijken ernaar.'))).json() as { sentAt: string };
  t.strictSame((await item(tokens.olga)).lastMessage, { author: 'organisation', sentAt: fromOlga.sentAt }, 'the organisation wrote last: waiting for the adviser');
  await pause(3);
  const fromAnna = (await postMessage(tokens.anna, d.relayId, messageEnvelope(d, 'adviser', 'Dank u.'))).json() as { sentAt: string };
  const answered = await item(tokens.olga);
  t.strictSame(answered.lastMessage, { author: 'adviser', sentAt: fromAnna.sentAt }, 'the adviser answered last');
  t.ok(answered.readAt !== null && answered.lastMessage !== null && answered.readAt < answered.lastMessage.sentAt, 'after the recipient last looked: new to them');
  t.strictSame((await item(tokens.rob)).lastMessage, answered.lastMessage, 'every recipient sees who wrote last');

  t.equal((await getRelay(tokens.olga, d.relayId)).statusCode, 200);
  const reread = await item(tokens.olga);
  t.ok(reread.readAt !== null && reread.lastMessage !== null && reread.readAt >= reread.lastMessage.sentAt, 'opened again: the answer is read');
  isError(t, await getRelay(tokens.otto, d.relayId), 404, 'unknown_relay', 'a recipient of another organisation cannot mark it read');
  t.strictSame((await item(tokens.rob)).readAt, null, 'and Rob still has not opened it');
});

t.test('POST mailbox/relays/:relayId/consent: a relay of another case’s mailbox is unknown', async (t) => {
  const mine = await newCase('acme-meldpunt');
  const theirs = await newCase('acme-meldpunt');
  const d = await makeRelay(theirs);
  const before = await stored();
  const wrongMailbox = await consent(mine, d.relayId, 'approve');
  isError(t, wrongMailbox, 404, 'unknown_relay', 'approving a relay of another case', [d.relayId, theirs.caseId, mine.caseId]);
  isError(t, await consent(mine, d.relayId, 'decline'), 404, 'unknown_relay', 'declining a relay of another case', [d.relayId]);
  const unknown = await consent(mine, randomB64(16), 'approve');
  t.equal(wrongMailbox.body, unknown.body, 'the same answer as for a relay that does not exist');
  t.strictSame(await stored(), before, 'the relay is still awaiting consent, nothing recorded');
  t.strictSame((await consent(theirs, d.relayId, 'approve')).json(), { relayId: d.relayId, state: 'approved' }, 'its own mailbox approves it');
});

t.test('audit: relay_created, relay_sent, relay_view and relay_message name the staff account and the relay, never the case', async (t) => {
  const c = await grantedCase();
  const d = await makeRelay(c);
  await consent(c, d.relayId, 'approve');
  await sendRelay(tokens.anna, d.relayId);
  await getRelay(tokens.olga, d.relayId);
  await getRelay(tokens.anna, d.relayId);
  await postMessage(tokens.olga, d.relayId, messageEnvelope(d, 'organisation', 'Ontvangen.'));
  await postMessage(tokens.anna, d.relayId, messageEnvelope(d, 'adviser', 'Dank.'));
  // Refused requests record nothing.
  await sendRelay(tokens.anna, d.relayId);
  await getRelay(tokens.otto, d.relayId);
  await postMessage(tokens.otto, d.relayId, messageEnvelope(d, 'organisation', 'Niet van ons.'));

  await app.services.audit.seal();
  const sealed = await db.select().from(auditLog).where(eq(auditLog.subject, d.relayId)).orderBy(asc(auditLog.seq));
  t.strictSame(
    sealed.map((e) => [e.action, e.actor]),
    [
      ['relay_created', anna.account.id],
      ['relay_sent', anna.account.id],
      ['relay_view', olga.account.id],
      ['relay_view', anna.account.id],
      ['relay_message', olga.account.id],
      ['relay_message', anna.account.id],
    ],
    'each staff event, by whom, in order, with the relay as subject (the reporter’s consent stays out of the chain)',
  );
  t.ok((await app.services.audit.verify()).ok, 'the chain verifies');

  const everything = await auditRows();
  const relayEvents = everything.filter((e) => e.action.startsWith('relay_'));
  t.ok(relayEvents.length > 20, 'the file recorded many relay events');
  t.strictSame(relayEvents.filter((e) => caseIds.includes(e.subject ?? '')), [], 'no relay event names a case');
  const organisationSide = [olga.account.id, otto.id, rob.id];
  const theirs = everything.filter((e) => organisationSide.includes(e.actor));
  t.ok(theirs.length > 0, 'the recipients’ events are recorded');
  t.strictSame(theirs.filter((e) => caseIds.includes(e.subject ?? '')), [], 'no event of a recipient names a case');
  t.strictSame(
    everything.filter((e) => e.actor === otto.id && e.action.startsWith('relay_')).filter((e) => e.subject === d.relayId),
    [],
    'refused requests of another organisation recorded nothing',
  );
});

t.test('POST relays: concurrent relays for one case: only one awaits consent', async (t) => {
  const c = await newCase('acme-meldpunt');
  const holders = await allHolders(c.caseId);
  const drafts = Array.from({ length: 5 }, (_, i) => draft(c, holders, `Gelijktijdig ${i}.`));
  const answers = await Promise.all(drafts.map((d) => createRelay(tokens.anna, c.caseId, d.body)));
  // Concurrent creations must not both find no pending relay: exactly one wins.
  t.strictSame(answers.map((a) => a.statusCode).sort(), [201, 409, 409, 409, 409], 'one 201, four 409');
  for (const a of answers.filter((x) => x.statusCode === 409)) t.equal(a.json().error, 'relay_pending', 'the others: relay_pending');
  const pending = await db.select().from(relays).where(and(eq(relays.caseId, c.caseId), eq(relays.state, 'awaiting_consent')));
  t.equal(pending.length, 1, 'one relay awaits consent');
});
