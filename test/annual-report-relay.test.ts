/**
 * The adviser's annual report to an organisation (an extension of protocol-v1 §5): a relay of
 * kind `annual_report`, without a case and without a reporter's copy, sealed to the
 * organisation's recipients and to the adviser who writes it, and sent at once.
 *
 * The two routes (GET organisations/:organisation/relay-recipients, POST
 * organisations/:organisation/annual-reports): each success answer's exact shape, every refusal
 * with its status, its code, a body of exactly { error, message }, no echo of the request, and
 * nothing stored. The stored row and its audit events; who reads it (list, detail, thread) and
 * who does not; the database's own check of a relay's shape; and the journey through the real
 * protocol client: a report counted and published with countPeriod/publishReport, sent with
 * sendAnnualReport, opened by a recipient as the tables that were sent, and a malformed one
 * opened as its text alone. Nothing an organisation recipient receives names a case.
 *
 * One app for the file. Anna (adviser) and Olga (recipient of Acme) are made the real way
 * (invite, Argon2id, login); the others are stored as invite acceptance stores them, with
 * sessions stored as login stores them: Bram (adviser of Anna's channel of Acme), Carl (adviser
 * of Other only), Rob (second recipient of Acme), Rita (recipient of Acme, disabled) and Otto
 * (recipient of Other). Lege is an organisation without recipients that Anna serves.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import {
  ConfidantClient, MESSAGE_BLOCK, RELAY_BLOCK, decryptRecord, emptyRegistration, encryptRecord, ready, relayAd, relayMessageAd, sealKey,
  setUpAccount, signIn, sodium, submitNewReport, unsealKey, type AnnualReportText, type FetchLike, type RelayMessageAuthor, type StaffSession
} from '../src/protocol/index.js';
import { countPeriod, previousPeriod, publishReport, type PeriodCase } from '../src/protocol/annual-report/aggregate.js';
import { auditLog, relayMessages, relayWraps, relays, staffAccounts } from '../src/server/db/schema.js';
import { auditEntries } from './helpers/audit-entries.js';

import { createAdministration } from '../src/server/services/administration.js';
import { newToken } from '../src/server/tokens.js';
import { apiFailure, buildTestApp } from './helper.js';
import { addAdviser, addRecipient, sessionOf } from './fixtures.js';
import { ECHO, isError, nonCanonical } from './helpers/answers.js';

await ready();

/**
 * The largest padded plaintext a relay text or thread message may have here: the default. A
 * published report's tables alone are some 12 KB of JSON, so a much smaller limit would refuse
 * every annual report with 413.
 */
const MAX_MESSAGE_BYTES = 64 * 1024;
const { app, database, baseUrl } = await buildTestApp(t, { MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
const { db } = database;

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

/** Every answer body the organisation side receives through the client, for the privacy check. */
const organisationAnswers: Array<{ url: string; body: string }> = [];
const recording: FetchLike = async (url, init) => {
  const response = await fetch(url, init);
  const body = await response.text();
  organisationAnswers.push({ url, body });
  return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => body };
};
const client = new ConfidantClient({ baseUrl });
const organisationClient = new ConfidantClient({ baseUrl, fetch: recording });

async function realAccount(c: ConfidantClient, token: string, username: string, displayName: string): Promise<StaffSession> {
  const passphrase = `${username} heeft een lange geheime zin`;
  await setUpAccount(c, { token, username, displayName, passphrase });
  return signIn(c, { username, passphrase });
}
const anna = await realAccount(client, (await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' })).token, 'anna', 'Anna de Vries');
for (const channel of ['acme-direct', 'other-direct', 'lege-meldpunt']) {
  await client.joinChannel(anna.token, (await admin.createInvite({ role: 'adviser', channel })).token);
}
const olga = await realAccount(organisationClient, (await admin.createInvite({ role: 'recipient', organisation: 'acme' })).token, 'olga', 'Olga Jansen');

const bram = await addAdviser(db, 'acme-meldpunt', 'Bram Visser');
const carl = await addAdviser(db, 'other-direct', 'Carl Smit');
const rob = await addRecipient(db, acme.id, 'Rob de Wit');
const rita = await addRecipient(db, acme.id, 'Rita Peters');
await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, rita.id));
const otto = await addRecipient(db, other.id, 'Otto Bakker');

const tokens = { anna: anna.token, olga: olga.token, bram: await sessionOf(db, bram.id), carl: await sessionOf(db, carl.id), rob: await sessionOf(db, rob.id), otto: await sessionOf(db, otto.id) };

// ---------------------------------------------------------------------------------------------
// Requests.

function call(method: 'GET' | 'POST', url: string, token?: string, payload?: unknown) {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}
const getHolders = (token: string | undefined, organisation: string) => call('GET', `/api/v1/organisations/${organisation}/relay-recipients`, token);
const postReport = (token: string | undefined, organisation: string, body: unknown) => call('POST', `/api/v1/organisations/${organisation}/annual-reports`, token, body);
const sendRelay = (token: string | undefined, relayId: string) => call('POST', `/api/v1/relays/${relayId}/send`, token);
const listRelays = (token: string | undefined, query = '') => call('GET', `/api/v1/relays${query}`, token);
const getRelay = (token: string | undefined, relayId: string) => call('GET', `/api/v1/relays/${relayId}`, token);
const postMessage = (token: string | undefined, relayId: string, body: unknown) => call('POST', `/api/v1/relays/${relayId}/messages`, token, body);

interface Holder {
  keyId: string;
  name: string;
  boxPublicKey: string;
  signPublicKey: string;
}
interface Holders {
  organisation: { id: string; name: string };
  recipients: Holder[];
  advisers: Holder[];
}
const holder = (id: string, name: string, keys: { boxPublicKey: Uint8Array | string; signPublicKey: Uint8Array | string }): Holder => ({
  keyId: id,
  name,
  boxPublicKey: typeof keys.boxPublicKey === 'string' ? keys.boxPublicKey : b64(keys.boxPublicKey),
  signPublicKey: typeof keys.signPublicKey === 'string' ? keys.signPublicKey : b64(keys.signPublicKey),
});
const annaH = holder(anna.account.id, 'Anna de Vries', anna.account);
const olgaH = holder(olga.account.id, 'Olga Jansen', olga.account);
const robH = holder(rob.id, 'Rob de Wit', rob);
const bramH = holder(bram.id, 'Bram Visser', bram);
const carlH = holder(carl.id, 'Carl Smit', carl);
const ottoH = holder(otto.id, 'Otto Bakker', otto);
const ritaH = holder(rita.id, 'Rita Peters', rita);

async function holdersOf(organisation: string, token = tokens.anna): Promise<Holders> {
  const answer = await getHolders(token, organisation);
  if (answer.statusCode !== 200) throw new Error(`relay-recipients failed: ${answer.body}`);
  return answer.json() as Holders;
}

interface Draft {
  relayId: string;
  relayKey: Uint8Array;
  text: string;
  body: Json;
  /** The wrap uploaded for each key holder. */
  wrapOf: Record<string, string>;
}

/** An annual report body as StaffSession.sendAnnualReport makes one, sealed to `sealedTo`. */
function draft(sealedTo: Array<Pick<Holder, 'keyId' | 'boxPublicKey'>>, text = 'Jaarverslag 2025: zeven meldingen, geen namen.', plaintext: Json = {}): Draft {
  const relayId = randomB64(16);
  const relayKey = sodium().randombytes_buf(32);
  const wraps = sealedTo.map((h) => ({ keyId: h.keyId, wrap: sealKey(relayKey, fromB64(h.boxPublicKey)) }));
  return {
    relayId,
    relayKey,
    text,
    body: { relayId, wraps, text: encryptRecord(relayKey, { v: 1, body: text, ...plaintext }, relayAd(relayId), RELAY_BLOCK) },
    wrapOf: Object.fromEntries(wraps.map((w) => [w.keyId, w.wrap])),
  };
}

/** Anna sends an annual report to `organisation`, sealed to every key holder the route names; it must be accepted. */
async function sentReport(organisation = 'acme', text?: string): Promise<Draft & { sentAt: string }> {
  const found = await holdersOf(organisation);
  const d = draft([...found.recipients, ...found.advisers], text);
  const answer = await postReport(tokens.anna, organisation, d.body);
  if (answer.statusCode !== 201) throw new Error(`annual report refused: ${answer.body}`);
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
    relays: relayRows.map((r) => [r.id, r.kind, r.state, r.sentAt?.toISOString() ?? null, b64(r.textCiphertext)]),
    wraps: wraps.map((w) => [w.relayId, w.accountId, b64(w.wrap)]),
    messages: thread.map((m) => m.id),
    audit: audit.length,
  };
}

/** A case Anna holds, submitted with the real client, and a relay of it sent to Acme (a channel without consent). */
const caseIds: string[] = [];
async function caseRelay(text = 'Er zijn aanwijzingen dat bij inkoop facturen worden gesplitst.') {
  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Facturen worden gesplitst.' }, anonymity: 'anonymous' as const };
  const submitted = await submitNewReport(client, { slug: 'acme-direct', report });
  caseIds.push(submitted.caseId);
  const relay = await anna.createRelay(submitted.caseId, text);
  const sent = await anna.sendRelay(relay.relayId);
  return { caseId: submitted.caseId, relayId: relay.relayId, sentAt: sent.sentAt };
}

// ---------------------------------------------------------------------------------------------

t.test('GET organisations/:organisation/relay-recipients: the organisation, its enabled recipients, and the asking adviser only', async (t) => {
  const answer = await getHolders(tokens.anna, 'acme');
  t.equal(answer.statusCode, 200, 'an adviser who serves a channel of Acme: 200');
  const body = answer.json() as Holders;
  t.strictSame(Object.keys(body).sort(), ['advisers', 'organisation', 'recipients'], 'exactly organisation, recipients and advisers');
  t.strictSame(
    body,
    { organisation: { id: acme.id, name: 'Acme B.V.' }, recipients: [olgaH, robH], advisers: [annaH] },
    'Acme by id and name; Olga and Rob with their keys, by name (Rita is disabled, Otto is of Other); Anna alone as adviser, not Bram who serves the same channel',
  );
  for (const h of [...body.recipients, ...body.advisers]) {
    t.strictSame(Object.keys(h).sort(), ['boxPublicKey', 'keyId', 'name', 'signPublicKey'], `${h.name}: exactly keyId, name, boxPublicKey, signPublicKey`);
  }

  t.strictSame(await holdersOf('acme', tokens.bram), { organisation: { id: acme.id, name: 'Acme B.V.' }, recipients: [olgaH, robH], advisers: [bramH] }, 'Bram, of the same channel, gets himself as the adviser');
  t.strictSame(await holdersOf('other'), { organisation: { id: other.id, name: 'Other B.V.' }, recipients: [ottoH], advisers: [annaH] }, 'another organisation Anna serves: its own recipient');
  t.strictSame(await holdersOf('other', tokens.carl), { organisation: { id: other.id, name: 'Other B.V.' }, recipients: [ottoH], advisers: [carlH] }, 'Carl serves Other');
  const lege = await holdersOf('lege');
  t.strictSame(lege.recipients, [], 'an organisation without recipients: none');
  t.strictSame(lege.advisers, [annaH], 'and the adviser');

  const unknown = await getHolders(tokens.carl, 'nergens');
  isError(t, unknown, 404, 'unknown_organisation', 'an organisation that does not exist', ['nergens']);
  const carls = await getHolders(tokens.carl, 'acme');
  isError(t, carls, 404, 'unknown_organisation', 'an adviser of another organisation only', []);
  t.equal(carls.body, unknown.body, 'the same body as for an organisation that does not exist');
  t.equal(carls.headers['content-length'], unknown.headers['content-length'], 'and the same length');
  for (const hidden of [acme.id, 'Acme B.V.', olga.account.id, rob.id]) t.notOk(carls.body.includes(hidden), `nothing of Acme in the refusal (${hidden.slice(0, 12)})`);
  isError(t, await getHolders(tokens.olga, 'acme'), 403, 'advisers_only', 'a recipient of the organisation');
  isError(t, await getHolders(tokens.otto, 'acme'), 403, 'advisers_only', 'a recipient of another organisation');
  isError(t, await getHolders(undefined, 'acme'), 401, 'not_signed_in', 'no token');
  isError(t, await getHolders(`${tokens.anna}x`, 'acme'), 401, 'not_signed_in', 'a token nobody has');
  for (const [what, slug] of [
    ['a slug in capitals', 'ACME'],
    ['a slug with a dot', 'acme.nl'],
    ['a slug of 65 characters', 'a'.repeat(65)],
  ] as const) {
    const bad = await getHolders(tokens.anna, slug);
    isError(t, bad, 400, 'invalid_organisation', what, [slug.length >= 8 ? slug : '']);
  }
});

t.test('POST organisations/:organisation/annual-reports: 201 { relayId, state: sent, sentAt }, stored without a case, copy or consent', async (t) => {
  const found = await holdersOf('acme');
  const d = draft([...found.recipients, ...found.advisers]);
  const before = Date.now();
  const answer = await postReport(tokens.anna, 'acme', d.body);
  t.equal(answer.statusCode, 201, '201');
  const body = answer.json() as Json;
  t.strictSame(Object.keys(body).sort(), ['relayId', 'sentAt', 'state'], 'exactly { relayId, state, sentAt }');
  t.equal(body.relayId, d.relayId, 'the relay id as sent');
  t.equal(body.state, 'sent', 'sent at once');
  t.equal(new Date(body.sentAt).toISOString(), body.sentAt, 'sentAt is an ISO 8601 UTC time');
  t.ok(Date.parse(body.sentAt) >= before - 1000 && Date.parse(body.sentAt) <= Date.now() + 1000, 'sentAt is now');
  for (const hidden of [d.body.text.nonce, d.body.text.ciphertext.slice(0, 40), ...Object.values(d.wrapOf)]) {
    t.notOk(answer.body.includes(hidden), 'the answer does not repeat the text or a wrap');
  }

  const row = await relayRow(d.relayId);
  t.strictSame(
    row && {
      kind: row.kind,
      caseId: row.caseId,
      organisationId: row.organisationId,
      state: row.state,
      copyNonce: row.copyNonce,
      copyCiphertext: row.copyCiphertext,
      approval: row.approval,
      decidedAt: row.decidedAt?.toISOString(),
      createdBy: row.createdBy,
      createdAt: row.createdAt.toISOString(),
      sentAt: row.sentAt?.toISOString(),
      textNonce: b64(row.textNonce),
      textCiphertext: b64(row.textCiphertext),
    },
    {
      kind: 'annual_report',
      caseId: null,
      organisationId: acme.id,
      state: 'sent',
      copyNonce: null,
      copyCiphertext: null,
      approval: null,
      // Decided as it was made, to the hour: no reporter decides on an annual report.
      decidedAt: new Date(Math.floor(Date.parse(body.sentAt) / 3_600_000) * 3_600_000).toISOString(),
      createdBy: anna.account.id,
      createdAt: body.sentAt,
      sentAt: body.sentAt,
      textNonce: d.body.text.nonce,
      textCiphertext: d.body.text.ciphertext,
    },
    'kind annual_report, no case, no copy, no approval, decided the hour it was made, Acme, sent when answered, by Anna, the text as sent',
  );
  const wraps = await db.select().from(relayWraps).where(eq(relayWraps.relayId, d.relayId));
  t.strictSame(Object.fromEntries(wraps.map((w) => [w.accountId, b64(w.wrap)])), d.wrapOf, 'one wrap per key holder, as sent');
  t.strictSame(new Set(wraps.map((w) => w.accountId)), new Set([olga.account.id, rob.id, anna.account.id]), 'Olga, Rob and Anna: nobody else');
  t.ok(wraps.every((w) => w.readAt === null), 'unread by anyone');
  t.same(unsealKey(d.wrapOf[rob.id] as string, rob.boxPublicKey, rob.boxSecretKey), d.relayKey, "Rob's wrap opens to the relay key");

  await app.services.audit.seal();
  const sealed = await db.select().from(auditLog).where(eq(auditLog.subject, d.relayId)).orderBy(asc(auditLog.seq));
  t.strictSame(
    sealed.map((e) => [e.action, e.actor, e.at.toISOString()]),
    [
      ['relay_created', anna.account.id, body.sentAt],
      ['relay_sent', anna.account.id, body.sentAt],
    ],
    'audit: relay_created and relay_sent, by Anna, with the relay as subject, at the time sent',
  );
  t.ok((await app.services.audit.verify()).ok, 'the chain verifies');

  const fromOther = await sentReport('other', 'Jaarverslag voor Other.');
  t.equal((await relayRow(fromOther.relayId))?.organisationId, other.id, 'to another organisation she serves: stored for it');
});

t.test('POST annual-reports: wraps for exactly the recipients and the adviser, or 400 invalid_wraps / missing_wraps; nothing stored', async (t) => {
  const outsider = randomB64(16);
  const cases: Array<[string, Holder[], string, string[]]> = [
    ['a recipient of another organisation', [olgaH, robH, annaH, ottoH], 'invalid_wraps', [otto.id]],
    ['another adviser of the same channel', [olgaH, robH, annaH, bramH], 'invalid_wraps', [bram.id]],
    ['an adviser of another organisation', [olgaH, robH, annaH, carlH], 'invalid_wraps', [carl.id]],
    ['a disabled recipient', [olgaH, robH, annaH, ritaH], 'invalid_wraps', [rita.id]],
    ['a key id no account has', [olgaH, robH, annaH, { ...carlH, keyId: outsider }], 'invalid_wraps', [outsider]],
    ['a key id carrying text', [olgaH, robH, annaH, { ...carlH, keyId: ECHO }], 'invalid_wraps', []],
    ['a recipient twice', [olgaH, robH, annaH, olgaH], 'invalid_wraps', []],
    ['the adviser twice', [annaH, olgaH, robH, annaH], 'invalid_wraps', []],
    ['a recipient left out', [robH, annaH], 'missing_wraps', []],
    ['the other recipient left out', [olgaH, annaH], 'missing_wraps', []],
    ['the adviser left out', [olgaH, robH], 'missing_wraps', []],
    ['only the adviser', [annaH], 'missing_wraps', []],
  ];
  for (const [what, list, code, distinctive] of cases) {
    const d = draft(list);
    const before = await stored();
    isError(t, await postReport(tokens.anna, 'acme', d.body), 400, code, what, [d.relayId, ...distinctive, ...Object.values(d.wrapOf), d.body.text.nonce]);
    t.strictSame(await stored(), before, `${what}: nothing stored`);
  }
  const right = draft([robH, annaH, olgaH]);
  t.equal((await postReport(tokens.anna, 'acme', right.body)).statusCode, 201, 'the same key holders in any order are accepted');
});

t.test('POST annual-reports: every other refusal, with its status and code; nothing stored', async (t) => {
  const holders = [olgaH, robH, annaH];
  const padded = (blocks: number) => RELAY_BLOCK * blocks + 16;
  const refuse = async (what: string, token: string | undefined, organisation: string, body: unknown, status: number, code: string, distinctive: unknown[] = []) => {
    const before = await stored();
    const answer = await postReport(token, organisation, body);
    const b = body as Json;
    isError(t, answer, status, code, what, [b?.relayId, b?.text?.nonce, typeof b?.text?.ciphertext === 'string' ? b.text.ciphertext.slice(0, 40) : undefined, ...distinctive]);
    t.strictSame(await stored(), before, `${what}: nothing stored`);
    return answer;
  };

  // Who may send one, and to which organisation.
  const unknown = await refuse('an organisation that does not exist', tokens.anna, 'nergens', draft(holders).body, 404, 'unknown_organisation');
  const carls = await refuse('an adviser who serves no channel of the organisation', tokens.carl, 'acme', draft([...holders, carlH]).body, 404, 'unknown_organisation', [acme.id]);
  const unknownForCarl = await refuse('an organisation that does not exist, for Carl', tokens.carl, 'nergens', draft([...holders, carlH]).body, 404, 'unknown_organisation');
  t.equal(carls.body, unknownForCarl.body, 'Carl gets the answer of an organisation that does not exist');
  t.equal(carls.body, unknown.body, 'the same for every adviser');
  await refuse('a recipient of the organisation', tokens.olga, 'acme', draft(holders).body, 403, 'advisers_only');
  await refuse('a recipient of another organisation', tokens.otto, 'acme', draft(holders).body, 403, 'advisers_only');
  await refuse('no token', undefined, 'acme', draft(holders).body, 401, 'not_signed_in');
  await refuse('a token nobody has', newToken(), 'acme', draft(holders).body, 401, 'not_signed_in');
  await refuse('an organisation without recipients', tokens.anna, 'lege', draft([annaH]).body, 409, 'no_recipients');
  await refuse('an organisation without recipients, with a wrap for a stranger', tokens.anna, 'lege', draft([annaH, olgaH]).body, 409, 'no_recipients');

  // A relay id in use, by an annual report or by a relay of a case.
  const first = await sentReport('acme', 'Het eerste jaarverslag.');
  const original = await relayRow(first.relayId);
  await refuse('the relay id of a sent annual report', tokens.anna, 'acme', { ...draft(holders, 'Een ander jaarverslag.').body, relayId: first.relayId }, 409, 'relay_exists');
  await refuse('the relay id of an annual report, to another organisation', tokens.anna, 'other', { ...draft([ottoH, annaH]).body, relayId: first.relayId }, 409, 'relay_exists');
  const ofCase = await caseRelay();
  await refuse('the relay id of a relay of a case', tokens.anna, 'acme', { ...draft(holders).body, relayId: ofCase.relayId }, 409, 'relay_exists', [ofCase.caseId]);
  t.strictSame(await relayRow(first.relayId), original, 'the first annual report is unchanged');
  t.equal((await relayRow(ofCase.relayId))?.kind, 'case', 'the relay of the case keeps its kind');

  // The text: padded to RELAY_BLOCK, at most MAX_MESSAGE_BYTES.
  const withText = (text: unknown) => ({ ...draft(holders).body, text });
  await refuse('a text one byte over a block', tokens.anna, 'acme', withText(rawEnvelope(padded(1) + 1)), 400, 'invalid_text_ciphertext');
  await refuse('a text of only the tag', tokens.anna, 'acme', withText(rawEnvelope(16)), 400, 'invalid_text_ciphertext');
  await refuse('a text over MAX_MESSAGE_BYTES', tokens.anna, 'acme', withText(rawEnvelope(padded(MAX_MESSAGE_BYTES / RELAY_BLOCK + 1))), 413, 'text_ciphertext_too_large');
  const largest = draft(holders);
  largest.body.text = encryptRecord(largest.relayKey, { v: 1, body: 'x'.repeat(MAX_MESSAGE_BYTES - 100) }, relayAd(largest.relayId), RELAY_BLOCK);
  t.equal(fromB64(largest.body.text.ciphertext).length, MAX_MESSAGE_BYTES + 16, 'a text of exactly MAX_MESSAGE_BYTES padded');
  t.equal((await postReport(tokens.anna, 'acme', largest.body)).statusCode, 201, 'is accepted');

  // Malformed bodies and addresses.
  const wrapWith = (change: (w: Json) => void) => (b: Json) => change(b.wraps[0]);
  const malformed: Array<[string, (b: Json) => unknown, string]> = [
    ['no relayId', (b) => delete b.relayId, 'missing_relay_id'],
    ['relayId of 15 bytes', (b) => (b.relayId = randomB64(15)), 'invalid_relay_id'],
    ['relayId of 17 bytes', (b) => (b.relayId = randomB64(17)), 'invalid_relay_id'],
    ['relayId not canonical', (b) => (b.relayId = nonCanonical(b.relayId)), 'invalid_relay_id'],
    ['no wraps', (b) => delete b.wraps, 'missing_wraps'],
    ['wraps empty', (b) => (b.wraps = []), 'invalid_wraps'],
    ['a wrap without keyId', wrapWith((w) => delete w.keyId), 'missing_wraps_key_id'],
    ['a wrap of 79 bytes', wrapWith((w) => (w.wrap = randomB64(79))), 'invalid_wraps_wrap'],
    ['a wrap not canonical', wrapWith((w) => (w.wrap = nonCanonical(w.wrap))), 'invalid_wraps_wrap'],
    ['no text', (b) => delete b.text, 'missing_text'],
    ['text without ciphertext', (b) => delete b.text.ciphertext, 'missing_text_ciphertext'],
    ['text nonce of 23 bytes', (b) => (b.text.nonce = randomB64(23)), 'invalid_text_nonce'],
    ['text ciphertext not canonical', (b) => (b.text.ciphertext = nonCanonical(b.text.ciphertext)), 'invalid_text_ciphertext'],
    ['a reporter copy, which an annual report has not', (b) => (b.copy = rawEnvelope(padded(1))), 'unknown_field'],
    ['an unknown field', (b) => (b[ECHO] = true), 'unknown_field'],
  ];
  for (const [what, change, code] of malformed) {
    const body = draft(holders).body;
    change(body);
    await refuse(what, tokens.anna, 'acme', body, 400, code);
  }
  await refuse('a list for a body', tokens.anna, 'acme', [draft(holders).body], 400, 'invalid_body');
  await refuse('an organisation slug in capitals', tokens.anna, 'ACME', draft(holders).body, 400, 'invalid_organisation');
});

t.test('reading: the recipients list and open it beside relays of cases, the adviser who wrote it too; nobody else', async (t) => {
  const ofCase = await caseRelay('Een relay van een zaak, naast het jaarverslag.');
  await pause(3);
  const d = await sentReport('acme', 'Jaarverslag om te lezen.');
  const organisationBodies: string[] = [];
  const asOrganisation = async (answer: Awaited<ReturnType<typeof call>>) => {
    organisationBodies.push(answer.body);
    return answer;
  };

  // The list: the annual report beside the relay of a case, told apart by kind.
  type Item = { relayId: string; kind: string; state: string; sentAt: string; wrap: string; readAt: string | null; lastMessage: unknown };
  const listOf = async (token: string) => {
    const answer = await asOrganisation(await listRelays(token));
    t.equal(answer.statusCode, 200);
    return (answer.json() as { relays: Item[] }).relays;
  };
  const olgas = await listOf(tokens.olga);
  for (const item of olgas) t.strictSame(Object.keys(item).sort(), ['kind', 'lastMessage', 'readAt', 'relayId', 'sentAt', 'state', 'wrap'], 'each exactly { relayId, kind, state, sentAt, wrap, readAt, lastMessage }');
  t.strictSame(olgas.slice(0, 2).map((r) => r.relayId), [d.relayId, ofCase.relayId], 'the annual report, then the relay of the case: newest first');
  t.strictSame(
    olgas[0],
    { relayId: d.relayId, kind: 'annual_report', state: 'sent', sentAt: d.sentAt, wrap: d.wrapOf[olga.account.id], readAt: null, lastMessage: null },
    'the annual report: kind annual_report, sent, with Olga’s wrap, unread, no message',
  );
  t.equal(olgas[1]?.kind, 'case', 'the relay of the case: kind case');
  t.strictSame(new Set(olgas.map((r) => r.kind)), new Set(['case', 'annual_report']), 'no other kind');
  const robs = await listOf(tokens.rob);
  t.equal(robs.find((r) => r.relayId === d.relayId)?.wrap, d.wrapOf[rob.id], 'Rob lists it with his own wrap');
  t.notOk((await listOf(tokens.otto)).some((r) => r.relayId === d.relayId), 'a recipient of another organisation does not list it');

  // The detail, for the organisation and for the adviser who wrote it.
  const expected = { relayId: d.relayId, kind: 'annual_report', state: 'sent', sentAt: d.sentAt, text: d.body.text, approval: null, messages: [], attachments: [] };
  const fromOlga = await asOrganisation(await getRelay(tokens.olga, d.relayId));
  t.equal(fromOlga.statusCode, 200, 'a recipient of the organisation: 200');
  t.strictSame(Object.keys(fromOlga.json()).sort(), ['approval', 'attachments', 'kind', 'messages', 'relayId', 'sentAt', 'state', 'text', 'wrap'], 'exactly its fields');
  t.strictSame(fromOlga.json(), { ...expected, wrap: d.wrapOf[olga.account.id] }, 'the report as written, with Olga’s wrap, no approval, no messages, no attachments');
  t.strictSame((await asOrganisation(await getRelay(tokens.rob, d.relayId))).json(), { ...expected, wrap: d.wrapOf[rob.id] }, 'Rob: the same with his wrap');
  const fromAnna = await getRelay(tokens.anna, d.relayId);
  t.equal(fromAnna.statusCode, 200, 'the adviser who wrote it: 200');
  t.strictSame(fromAnna.json(), { ...expected, wrap: d.wrapOf[anna.account.id] }, 'the same with Anna’s wrap');
  const readBy = await db.select({ accountId: relayWraps.accountId, readAt: relayWraps.readAt }).from(relayWraps).where(eq(relayWraps.relayId, d.relayId));
  t.strictSame(new Set(readBy.filter((w) => w.readAt !== null).map((w) => w.accountId)), new Set([olga.account.id, rob.id]), 'opened: marked read for the recipients who opened it, not for the adviser');
  t.match((await olga.openRelay(d.relayId)).text, { v: 1, body: d.text }, 'Olga opens the text with her wrap');
  const annas = await anna.openRelay(d.relayId);
  t.equal(annas.kind, 'annual_report', 'the adviser’s client tells the kind');
  t.strictSame(annas.text, { v: 1, body: d.text }, 'Anna opens it too');

  // The thread, both ways.
  const orgMessage = await asOrganisation(await postMessage(tokens.olga, d.relayId, messageEnvelope(d, 'organisation', 'Dank voor het jaarverslag. Een vraag over de aanbevelingen.')));
  t.equal(orgMessage.statusCode, 201, 'a recipient answers: 201');
  t.strictSame(Object.keys(orgMessage.json()).sort(), ['id', 'sentAt'], 'exactly { id, sentAt }');
  await pause(3);
  const adviserMessage = await postMessage(tokens.anna, d.relayId, messageEnvelope(d, 'adviser', 'Graag, ik licht ze toe.'));
  t.equal(adviserMessage.statusCode, 201, 'the adviser who wrote it answers: 201');
  await pause(3);
  await olga.postRelayMessage(d.relayId, 'Dank u.');
  const view = (await asOrganisation(await getRelay(tokens.olga, d.relayId))).json() as Json;
  t.strictSame(view.messages.map((m: Json) => m.author), ['organisation', 'adviser', 'organisation'], 'the thread in order');
  const bodies = (view.messages as Json[]).map((m) => (decryptRecord(d.relayKey, m as { nonce: string; ciphertext: string }, relayMessageAd(d.relayId, m.author), MESSAGE_BLOCK) as Json).body);
  t.strictSame(bodies, ['Dank voor het jaarverslag. Een vraag over de aanbevelingen.', 'Graag, ik licht ze toe.', 'Dank u.'], 'each opens with the relay key under its author');
  t.strictSame((await anna.openRelay(d.relayId)).messages.map((m) => [m.author, m.message.body]), [['organisation', bodies[0]], ['adviser', bodies[1]], ['organisation', bodies[2]]], 'the adviser reads the same thread');
  const stored_ = await db.select({ author: relayMessages.author, accountId: relayMessages.accountId }).from(relayMessages).where(eq(relayMessages.relayId, d.relayId)).orderBy(asc(relayMessages.sentAt));
  t.strictSame(stored_.map((m) => [m.author, m.accountId]), [['organisation', olga.account.id], ['adviser', anna.account.id], ['organisation', olga.account.id]], 'stored with author and account');
  t.strictSame((await listOf(tokens.olga)).find((r) => r.relayId === d.relayId)?.lastMessage, { author: 'organisation', sentAt: view.messages[2].sentAt }, 'the list says who wrote last');

  // Nobody else: another adviser of the same channel, an adviser of another organisation, a
  // recipient of another organisation, and a recipient of Acme added after it was sent.
  const lars = await addRecipient(db, acme.id, 'Lars Mulder');
  const larsToken = await sessionOf(db, lars.id);
  const unknownId = randomB64(16);
  const before = await stored();
  for (const [who, token] of [
    ['Bram, another adviser of the same channel', tokens.bram],
    ['Carl, an adviser of another organisation', tokens.carl],
    ['Otto, a recipient of another organisation', tokens.otto],
    ['Lars, a recipient of Acme added after it was sent (no wrap)', larsToken],
  ] as const) {
    const unknownForThem = await getRelay(token, unknownId);
    const theirs = await getRelay(token, d.relayId);
    isError(t, theirs, 404, 'unknown_relay', `${who}: GET`, [d.relayId]);
    t.equal(theirs.body, unknownForThem.body, `${who}: the same answer as for a relay that does not exist`);
    isError(t, await postMessage(token, d.relayId, rawEnvelope(MESSAGE_BLOCK + 16)), 404, 'unknown_relay', `${who}: POST messages`, [d.relayId]);
  }
  t.notOk((await listOf(larsToken)).some((r) => r.relayId === d.relayId), 'Lars does not list it');
  isError(t, await sendRelay(tokens.bram, d.relayId), 404, 'unknown_relay', 'Bram: send', [d.relayId]);
  t.strictSame(await stored(), before, 'none of them changed or recorded anything');

  // Send: it is sent already.
  const sentAgain = await sendRelay(tokens.anna, d.relayId);
  isError(t, sentAgain, 409, 'relay_sent', 'the adviser sends it again', [d.relayId]);
  t.strictSame(await stored(), before, 'nothing changed or recorded');
  t.equal((await relayRow(d.relayId))?.sentAt?.toISOString(), d.sentAt, 'it keeps the time it was sent');
  await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, lars.id));

  // Nothing the organisation received names a case.
  const annasCases = (await anna.listCases()).cases.map((c) => c.caseId);
  t.ok(annasCases.includes(ofCase.caseId) && annasCases.length >= 2, 'Anna holds cases');
  for (const body of organisationBodies) {
    for (const caseId of new Set([...annasCases, ...caseIds])) t.notOk(body.includes(caseId), 'no case id of the adviser in what the organisation received');
    for (const key of ['"caseId"', '"copy"', '"createdBy"', '"organisationId"']) t.notOk(body.includes(key), `no ${key} field`);
  }
});

/** The database error a statement failed with: its SQLSTATE and constraint, through drizzle's wrapping. */
async function databaseRefusal(statement: Promise<unknown>): Promise<{ code?: string; constraint?: string }> {
  try {
    await statement;
  } catch (error) {
    let current = error as { code?: unknown; constraint?: string; cause?: unknown } | undefined;
    for (let depth = 0; current && depth < 4; depth++) {
      if (typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) return { code: current.code, constraint: current.constraint };
      current = current.cause as typeof current;
    }
    throw error;
  }
  return {};
}

t.test('the database refuses a relay of the wrong shape (check relays_kind_shape)', async (t) => {
  const ofCase = await caseRelay('Voor de check.');
  const bytes = (n: number) => new Uint8Array(randomBytes(n));
  const row = (change: Json) => ({
    id: randomB64(16),
    organisationId: acme.id,
    state: 'sent' as const,
    textNonce: bytes(24),
    textCiphertext: bytes(RELAY_BLOCK + 16),
    createdBy: anna.account.id,
    createdAt: new Date(),
    decidedAt: new Date(),
    sentAt: new Date(),
    ...change,
  });
  const copy = { copyNonce: bytes(24), copyCiphertext: bytes(RELAY_BLOCK + 16) };
  const before = await stored();
  const refusals: Array<[string, Json]> = [
    ['an annual report with a case', { kind: 'annual_report', caseId: ofCase.caseId }],
    ['an annual report with a reporter copy', { kind: 'annual_report', caseId: null, ...copy }],
    ['an annual report with only a copy nonce', { kind: 'annual_report', caseId: null, copyNonce: bytes(24) }],
    ['a relay of a case without a copy', { kind: 'case', caseId: ofCase.caseId }],
    ['a relay of a case without a copy ciphertext', { kind: 'case', caseId: ofCase.caseId, copyNonce: bytes(24) }],
    ['a relay of a case without a case', { kind: 'case', caseId: null, ...copy }],
    ['no kind (the default is case) and no case', { caseId: null }],
    ['a kind that does not exist', { kind: 'newsletter', caseId: null }],
    ['an annual report without the hour it was decided (made)', { kind: 'annual_report', caseId: null, decidedAt: null }],
    // Without a copy only in the shape retention leaves: sent, with no decision hour.
    ['a relay of a case awaiting consent, without a copy or decision', { kind: 'case', caseId: ofCase.caseId, state: 'awaiting_consent', decidedAt: null, sentAt: null }],
    ['an approved relay of a case, without a copy or decision', { kind: 'case', caseId: ofCase.caseId, state: 'approved', decidedAt: null, sentAt: null }],
  ];
  for (const [what, change] of refusals) {
    const refused = await databaseRefusal(db.insert(relays).values(row(change)));
    t.equal(refused.code, '23514', `${what}: a check violation`);
    t.equal(refused.constraint, 'relays_kind_shape', `${what}: of relays_kind_shape`);
  }
  const annual = await sentReport('acme', 'Te wijzigen?');
  const update = await databaseRefusal(db.update(relays).set({ caseId: ofCase.caseId }).where(eq(relays.id, annual.relayId)));
  t.equal(update.code, '23514', 'an annual report cannot be given a case afterwards');
  const dropCopy = await databaseRefusal(db.update(relays).set({ copyNonce: null, copyCiphertext: null }).where(eq(relays.id, ofCase.relayId)));
  t.equal(dropCopy.code, '23514', 'a relay of a case cannot lose its copy');
  const turned = await databaseRefusal(db.update(relays).set({ kind: 'case' }).where(eq(relays.id, annual.relayId)));
  t.equal(turned.code, '23514', 'an annual report cannot be turned into a relay of a case');
  const after = await stored();
  t.strictSame(after.relays.filter(([id]) => id !== annual.relayId), before.relays, 'no refused row was stored or changed');

  // Both shapes the check allows.
  const good = row({ kind: 'annual_report', caseId: null, state: 'approved', sentAt: null });
  await db.insert(relays).values(good);
  t.equal((await relayRow(good.id))?.kind, 'annual_report', 'an annual report without case or copy is accepted');
  await db.delete(relays).where(eq(relays.id, good.id));
  for (const [what, caseId] of [['deleted', ofCase.caseId], ['purged', null]] as const) {
    const kept = row({ kind: 'case', caseId, decidedAt: null });
    await db.insert(relays).values(kept);
    t.equal((await relayRow(kept.id))?.kind, 'case', `a sent relay of a ${what} case, without copy or decision hour (what retention leaves), is accepted`);
    await db.delete(relays).where(eq(relays.id, kept.id));
  }
});

t.test('through the protocol client: a published report sent with sendAnnualReport opens for the recipient as sent', async (t) => {
  const period = { from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' };
  const now = new Date('2026-02-01T00:00:00.000Z');
  const periodCase = (receivedAt: string, registration: PeriodCase['registration'], dates: Partial<PeriodCase> = {}): PeriodCase => ({
    channel: 'acme-meldpunt',
    status: 'closed',
    receivedAt,
    acknowledgedAt: new Date(Date.parse(receivedAt) + 2 * 86_400_000).toISOString(),
    feedbackGivenAt: new Date(Date.parse(receivedAt) + 30 * 86_400_000).toISOString(),
    registration,
    ...dates,
  });
  const integrity = { ...emptyRegistration(), kind: 'report' as const, contactBy: 'web' as const, track: 'integrity' as const, categories: ['fraud-theft' as const], minutes: 90, outcome: 'resolved' as const };
  const behaviour = { ...emptyRegistration(), kind: 'question' as const, contactBy: 'phone' as const, track: 'undesirable-behaviour' as const, categories: ['bullying' as const], actions: ['listened' as const], minutes: 45, outcome: 'no-further-action' as const };
  const cases: PeriodCase[] = [
    ...['2025-01-14', '2025-03-02', '2025-04-20', '2025-06-11', '2025-07-07', '2025-09-30'].map((day) => periodCase(`${day}T10:00:00.000Z`, integrity)),
    ...['2025-02-03', '2025-05-18', '2025-08-25', '2025-10-09', '2025-11-21'].map((day) => periodCase(`${day}T09:00:00.000Z`, behaviour)),
    periodCase('2025-12-01T08:00:00.000Z', null, { status: 'received', acknowledgedAt: null, feedbackGivenAt: null }),
    periodCase('2024-06-01T08:00:00.000Z', integrity),
    periodCase('2024-09-01T08:00:00.000Z', behaviour),
  ];
  const report = publishReport(countPeriod(cases, period, now), countPeriod(cases, previousPeriod(period), now));
  t.equal(report.current.cases.kind, 'count', 'the period has enough cases to show its total');
  const annualReport: AnnualReportText = {
    report,
    channels: ['acme-meldpunt', 'acme-direct'],
    narrative: { observations: 'Meer meldingen over integriteit dan vorig jaar.', recommendations: 'Train leidinggevenden.', prevention: 'Een gedragscode, jaarlijks besproken.' },
  };
  const body = 'Jaarverslag 2025 van de vertrouwenspersoon voor Acme.';

  const shown = await anna.annualReportRecipients('acme');
  t.strictSame(shown.advisers.map((h) => h.keyId), [anna.account.id], 'the client names Anna as the only adviser');
  t.strictSame(shown.recipients.map((h) => h.keyId).sort(), [olga.account.id, rob.id].sort(), 'and the enabled recipients of Acme');
  const sent = await anna.sendAnnualReport('acme', { v: 1, body, annualReport }, shown);
  t.strictSame(Object.keys(sent).sort(), ['relayId', 'sentAt', 'state'], 'sendAnnualReport answers { relayId, state, sentAt }');
  t.equal(sent.state, 'sent', 'sent at once');
  const row = await relayRow(sent.relayId);
  t.equal(row?.kind, 'annual_report', 'stored as an annual report');
  t.equal(row?.caseId, null, 'without a case');

  const listed = (await olga.listRelays()).relays.find((r) => r.relayId === sent.relayId);
  t.equal(listed?.kind, 'annual_report', 'the recipient’s list: kind annual_report');
  const opened = await olga.openRelay(sent.relayId);
  t.equal(opened.kind, 'annual_report', 'openRelay: kind annual_report');
  t.equal(opened.state, 'sent');
  t.equal(opened.sentAt, sent.sentAt, 'at the time it was sent');
  t.strictSame(opened.text, { v: 1, body, annualReport }, 'the text: the body and the annual report exactly as sent');
  t.strictSame(opened.text.annualReport, annualReport, 'text.annualReport deep-equals what was sent');
  t.equal(opened.approval, 'unavailable', 'no reporter approved it: no approval to check');
  t.strictSame(opened.messages, [], 'no messages yet');
  t.strictSame((await anna.openRelay(sent.relayId)).text.annualReport, annualReport, 'the adviser opens the same tables');

  await olga.postRelayMessage(sent.relayId, 'Wij bespreken het in het managementteam.');
  await anna.postRelayMessage(sent.relayId, 'Dank, ik ben erbij als u wilt.');
  t.strictSame((await olga.openRelay(sent.relayId)).messages.map((m) => [m.author, m.message.body]), [['organisation', 'Wij bespreken het in het managementteam.'], ['adviser', 'Dank, ik ben erbij als u wilt.']], 'the thread through the client');
  t.match(await apiFailure(anna.sendRelay(sent.relayId)), { status: 409, code: 'relay_sent' }, 'sendRelay on it: 409 relay_sent');
  t.match(await apiFailure(olga.annualReportRecipients('acme')), { status: 403, code: 'advisers_only' }, 'a recipient cannot ask for the keys');

  // Without `shown` the client fetches the key holders itself; with a stale list the server refuses.
  const fetched = await anna.sendAnnualReport('acme', { v: 1, body: 'Zonder lijst.', annualReport });
  t.equal((await olga.openRelay(fetched.relayId)).text.body, 'Zonder lijst.', 'without shown: fetched and sent');
  t.match(await apiFailure(anna.sendAnnualReport('acme', { v: 1, body, annualReport }, { ...shown, recipients: shown.recipients.slice(1) })), { status: 400, code: 'missing_wraps' }, 'a list that misses a recipient: 400 missing_wraps');
  const stranger = (await anna.annualReportRecipients('other')).recipients;
  t.match(await apiFailure(anna.sendAnnualReport('acme', { v: 1, body, annualReport }, { ...shown, recipients: [...shown.recipients, ...stranger] })), { status: 400, code: 'invalid_wraps' }, 'a list with a recipient of another organisation: 400 invalid_wraps');
  t.match(await apiFailure(anna.sendAnnualReport('lege', { v: 1, body, annualReport })), { status: 409, code: 'no_recipients' }, 'to an organisation without recipients: 409 no_recipients');
  t.match(await apiFailure(anna.sendAnnualReport('nergens', { v: 1, body, annualReport })), { status: 404, code: 'unknown_organisation' }, 'to an organisation that does not exist: 404');

  // A relay of a case opens with kind case and no tables.
  const ofCase = await caseRelay('Gewoon een relay.');
  const caseOpened = await olga.openRelay(ofCase.relayId);
  t.equal(caseOpened.kind, 'case', 'a relay of a case: kind case');
  t.notOk('annualReport' in caseOpened.text, 'and no annualReport');
});

t.test('through the protocol client: an annual report whose tables are malformed opens with its text, without annualReport', async (t) => {
  const good = publishReport(
    countPeriod([], { from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }),
    countPeriod([], { from: '2024-01-01T00:00:00.000Z', to: '2025-01-01T00:00:00.000Z' }),
  );
  const narrative = { observations: 'o', recommendations: 'r', prevention: 'p' };
  const withTables = (change: (r: Json) => void) => {
    const report = structuredClone(good) as Json;
    change(report);
    return { report, channels: ['acme-meldpunt'], narrative };
  };
  /** As StaffSession.sendAnnualReport makes one, but with any plaintext, through the low-level client. */
  const sendRaw = async (plaintext: Json) => {
    const holders = await anna.annualReportRecipients('acme');
    const relayId = randomB64(16);
    const relayKey = sodium().randombytes_buf(32);
    const answer = await client.createAnnualReport(anna.token, 'acme', {
      relayId,
      wraps: [...holders.recipients, ...holders.advisers].map((h) => ({ keyId: h.keyId, wrap: sealKey(relayKey, fromB64(h.boxPublicKey)) })),
      text: encryptRecord(relayKey, plaintext, relayAd(relayId), RELAY_BLOCK),
    });
    relayKey.fill(0);
    return answer.relayId;
  };

  const valid = await sendRaw({ v: 1, body: 'Geldig.', annualReport: { report: good, channels: ['acme-meldpunt'], narrative } });
  t.strictSame((await olga.openRelay(valid)).text, { v: 1, body: 'Geldig.', annualReport: { report: good, channels: ['acme-meldpunt'], narrative } }, 'a valid report of an empty year opens with its tables (control)');

  const malformed: Array<[string, unknown]> = [
    ['a report without its periods', { report: { threshold: 5 }, channels: ['acme-meldpunt'], narrative }],
    ['a report that is a string', { report: 'zeven meldingen', channels: ['acme-meldpunt'], narrative }],
    ['a threshold that is not an integer', withTables((r) => (r.threshold = '5'))],
    ['a count that is negative', withTables((r) => (r.current.tables[0].rows[0].shown = { kind: 'count', value: -1 }))],
    ['a cell of an unknown kind', withTables((r) => (r.current.tables[0].rows[0].shown = { kind: 'exact', value: 3 }))],
    ['a total that is a number', withTables((r) => (r.previous.tables[1].total = 12))],
    ['a table without rows', withTables((r) => delete r.current.tables[2].rows)],
    ['hours that are not an integer', withTables((r) => (r.current.hours = 1.5))],
    ['a period without from', withTables((r) => delete r.previous.period.from)],
    ['channels that are not text', { report: good, channels: [1, 2], narrative }],
    ['channels that are one string', { report: good, channels: 'acme-meldpunt', narrative }],
    ['a narrative without prevention', { report: good, channels: ['acme-meldpunt'], narrative: { observations: 'o', recommendations: 'r' } }],
    ['a narrative part that is a number', { report: good, channels: ['acme-meldpunt'], narrative: { ...narrative, observations: 7 } }],
    ['no narrative', { report: good, channels: ['acme-meldpunt'] }],
    ['an annualReport that is a string', 'tabellen'],
    ['an annualReport that is a number', 42],
    ['an annualReport that is a list', []],
  ];
  for (const [what, annualReport] of malformed) {
    const relayId = await sendRaw({ v: 1, body: `Tekst bij ${what}.`, annualReport });
    const opened = await olga.openRelay(relayId);
    t.equal(opened.kind, 'annual_report', `${what}: still an annual report`);
    t.strictSame(opened.text, { v: 1, body: `Tekst bij ${what}.` }, `${what}: opens with the body, without annualReport`);
  }

  const nullReport = await sendRaw({ v: 1, body: 'Tekst bij null.', annualReport: null });
  let opened: Awaited<ReturnType<typeof olga.openRelay>> | undefined;
  let thrown: unknown;
  try {
    opened = await olga.openRelay(nullReport);
  } catch (error) {
    thrown = error;
  }
  t.equal(thrown, undefined, 'an annualReport of null: openRelay does not throw');
  t.strictSame(opened?.text, { v: 1, body: 'Tekst bij null.' }, 'an annualReport of null: opens with the body, without annualReport');
});

t.test('nothing the organisation received through its client names a case of the adviser', async (t) => {
  const annasCases = new Set([...(await anna.listCases()).cases.map((c) => c.caseId), ...caseIds]);
  t.ok(annasCases.size >= 4, 'Anna holds several cases');
  const fromOrganisation = organisationAnswers.filter((a) => a.url.includes('/api/v1/relays'));
  t.ok(fromOrganisation.length >= 10, 'the recipient’s client received many relay answers');
  for (const answer of fromOrganisation) {
    for (const caseId of annasCases) t.notOk(answer.body.includes(caseId), `${new URL(answer.url).pathname}: no case id`);
    for (const key of ['"caseId"', '"copy"', '"createdBy"', '"registration"']) t.notOk(answer.body.includes(key), `${new URL(answer.url).pathname}: no ${key} field`);
  }
  const relaysOfAcme = await db.select({ kind: relays.kind }).from(relays).where(and(eq(relays.organisationId, acme.id), eq(relays.state, 'sent')));
  t.ok(relaysOfAcme.some((r) => r.kind === 'case') && relaysOfAcme.some((r) => r.kind === 'annual_report'), 'Acme received relays of both kinds');
});

t.test('the same annual report sent eight times at once: one is stored, the others are relay_exists (a race on PostgreSQL)', async (t) => {
  const found = await holdersOf('acme');
  const d = draft([...found.recipients, ...found.advisers], 'Tegelijk verstuurd.');
  const answers = await Promise.all(Array.from({ length: 8 }, () => postReport(tokens.anna, 'acme', d.body)));
  t.same(answers.map((a) => a.statusCode).sort(), [201, 409, 409, 409, 409, 409, 409, 409], 'one 201, seven 409');
  t.ok(answers.filter((a) => a.statusCode === 409).every((a) => a.json().error === 'relay_exists'), 'each refusal says relay_exists');
  t.equal((await db.select().from(relays).where(eq(relays.id, d.relayId))).length, 1, 'one row');
  t.equal((await db.select().from(relayWraps).where(eq(relayWraps.relayId, d.relayId))).length, Object.keys(d.wrapOf).length, 'one set of wraps');
  const audited = (await auditRows()).filter((r) => r.subject === d.relayId).map((r) => r.action).sort();
  t.same(audited, ['relay_created', 'relay_sent'], 'audited once');
});
