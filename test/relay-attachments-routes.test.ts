/**
 * Relay attachments (docs/protocol.md §5 "Relay attachments", §6 "Files", §10), through the real
 * routes: making an attachment and sending its body over tus, a relay taking it, everyone who
 * may read the relay listing and downloading it (and nobody else), every refusal of a relay
 * that names an attachment it may not take (leaving no relay and the attachment untaken), the
 * race of two relays for one attachment (PostgreSQL), the housekeeping sweep, and retention:
 * a sent relay's attachment stays with the organisation through deletion and purge.
 *
 * One app for the file. Accounts are stored as invite acceptance stores them (test/fixtures.ts)
 * and cases submitted through the route with random keys: the server opens neither. Relay texts,
 * copies and wraps are random bytes of the right shapes, and attachment bodies random bytes of a
 * valid encrypted length, for the same reason. The sweep and retention tests come last: they
 * delete what is old, and the retention test closes the only case that is ever closed here.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { FILE_CHUNK_BYTES, FILE_HEADER_BLOCK, RELAY_BLOCK, addCalendarMonths, encryptedFileSize, ready, signMailboxLogin } from '../src/protocol/index.js';
import { adviserChannels, cases, channels, files, relayWraps, relays } from '../src/server/db/schema.js';
import { purgeDue } from '../src/server/services/retention.js';
import { buildTestApp, databaseKind } from './helper.js';
import { addAdviser, addRecipient, reportSubmission, sessionOf, type TestAdviser } from './fixtures.js';
import { isError, nonCanonical } from './helpers/answers.js';

await ready();

const { app, database, config } = await buildTestApp(t);
const { db } = database;

const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));
// Loosely typed access to an answer body.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---------------------------------------------------------------------------------------------
// Organisations, channels and people.

const admin = app.services.administration;
await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
await admin.createOrganisation({ slug: 'other', name: 'Other B.V.' });
await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
await admin.createChannel({ slug: 'acme-direct', name: 'Direct Acme', organisation: 'acme', consentRequired: false });
const acme = await admin.organisationBySlug('acme');
const other = await admin.organisationBySlug('other');

// Anna and Bram serve both Acme channels; Carl serves the consent channel but holds no case.
const anna = await addAdviser(db, 'acme-meldpunt', 'Anna de Vries');
const bram = await addAdviser(db, 'acme-meldpunt', 'Bram Visser');
const carl = await addAdviser(db, 'acme-meldpunt', 'Carl Smit');
const [acmeDirect] = await db.select().from(channels).where(eq(channels.slug, 'acme-direct'));
await db.insert(adviserChannels).values([anna, bram].map((a) => ({ accountId: a.id, channelId: acmeDirect!.id })));
// Olga is Acme's only recipient, so every relay is sealed to her; Otto is of another organisation.
const olga = await addRecipient(db, acme.id, 'Olga Jansen');
const otto = await addRecipient(db, other.id, 'Otto Bakker');
const tokens = {
  anna: await sessionOf(db, anna.id),
  bram: await sessionOf(db, bram.id),
  carl: await sessionOf(db, carl.id),
  olga: await sessionOf(db, olga.id),
  otto: await sessionOf(db, otto.id),
};

// ---------------------------------------------------------------------------------------------
// Requests.

function call(method: 'GET' | 'POST' | 'PATCH', url: string, token?: string, payload?: unknown) {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}
const makeAttachmentCall = (token: string | undefined, caseId: string, body: unknown) => call('POST', `/api/v1/cases/${caseId}/relay-attachments`, token, body);
const createRelay = (token: string, caseId: string, body: unknown) => call('POST', `/api/v1/cases/${caseId}/relays`, token, body);
const getRelay = (token: string, relayId: string) => call('GET', `/api/v1/relays/${relayId}`, token);
const staffDownload = (token: string | undefined, relayId: string, fileId: string) => call('GET', `/api/v1/relays/${relayId}/attachments/${fileId}`, token);
const mailboxDownload = (token: string, relayId: string, fileId: string) => call('GET', `/api/v1/mailbox/relays/${relayId}/attachments/${fileId}`, token);

/** A tus PATCH as the adviser's client sends it. */
const tusPatch = (token: string, caseId: string, fileId: string, offset: number, bytes: Uint8Array) =>
  app.inject({
    method: 'PATCH',
    url: `/api/v1/cases/${caseId}/uploads/${fileId}`,
    headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    payload: Buffer.from(bytes),
  });

// ---------------------------------------------------------------------------------------------
// Cases, submitted through the route with random mailbox keys.

interface Case {
  caseId: string;
  mailboxId: string;
  signSecretKey: Uint8Array;
}

/** A case of `slug`, sealed to `holders` (Anna by default). */
async function newCase(slug: string, holders: TestAdviser[] = [anna]): Promise<Case> {
  const made = reportSubmission(holders, 'Zie de bijlage.');
  const answer = await app.inject({ method: 'POST', url: `/api/v1/channels/${slug}/reports`, payload: made.body });
  if (answer.statusCode !== 201) throw new Error(`submission failed: ${answer.body}`);
  return { caseId: made.caseId, mailboxId: made.mailboxId, signSecretKey: made.signSecretKey };
}

async function mailboxToken(c: Case): Promise<string> {
  const challenge = (await app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: { mailboxId: c.mailboxId } })).json().challenge as string;
  const signature = Buffer.from(signMailboxLogin(fromB64(challenge), c.signSecretKey)).toString('base64url');
  const answer = await app.inject({ method: 'POST', url: '/api/v1/mailbox/session', payload: { mailboxId: c.mailboxId, challenge, signature } });
  if (answer.statusCode !== 200) throw new Error(`mailbox login failed: ${answer.body}`);
  return answer.json().token as string;
}

async function consent(c: Case, relayId: string, decision: 'approve' | 'decline'): Promise<void> {
  const answer = await call('POST', `/api/v1/mailbox/relays/${relayId}/consent`, await mailboxToken(c), { decision });
  if (answer.statusCode !== 200) throw new Error(`consent refused: ${answer.body}`);
}

// ---------------------------------------------------------------------------------------------
// Attachments, case files and relays.

interface Attachment {
  fileId: string;
  body: Buffer;
}

/** Random bytes of the encrypted length of a `size`-byte file: the server never decrypts. */
const bodyOf = (size: number) => randomBytes(encryptedFileSize(size));

/** An attachment made by `who` in the case; its whole body sent unless `finish` is false (then only its first 10 bytes). */
async function attachment(token: string, caseId: string, size = 100, finish = true): Promise<Attachment> {
  const a = { fileId: randomB64(16), body: bodyOf(size) };
  const made = await makeAttachmentCall(token, caseId, { fileId: a.fileId, bytes: a.body.length });
  if (made.statusCode !== 201) throw new Error(`attachment refused: ${made.body}`);
  const sent = await tusPatch(token, caseId, a.fileId, 0, finish ? a.body : a.body.subarray(0, 10));
  if (sent.statusCode !== 204) throw new Error(`upload refused: ${sent.body}`);
  return a;
}

/** A finished file of the case (with a header) by the adviser: the other kind of row the files table holds. */
async function caseFile(token: string, caseId: string): Promise<Attachment> {
  const f = { fileId: randomB64(16), body: bodyOf(50) };
  const header = { nonce: randomB64(24), ciphertext: randomB64(FILE_HEADER_BLOCK + 16) };
  const made = await call('POST', `/api/v1/cases/${caseId}/files`, token, { fileId: f.fileId, header, bytes: f.body.length });
  if (made.statusCode !== 201) throw new Error(`case file refused: ${made.body}`);
  if ((await tusPatch(token, caseId, f.fileId, 0, f.body)).statusCode !== 204) throw new Error('case file upload refused');
  return f;
}

const envelope = () => ({ nonce: randomB64(24), ciphertext: randomB64(RELAY_BLOCK + 16) });

/** A relay body by `author`, sealed to Olga and the author, naming `attachments` when given. */
function relayBody(author: TestAdviser, attachments?: string[]) {
  const relayId = randomB64(16);
  const wraps = [olga, author].map((h) => ({ keyId: h.id, wrap: randomB64(80) }));
  return { relayId, body: { relayId, wraps, text: envelope(), copy: envelope(), ...(attachments === undefined ? {} : { attachments }) } };
}

/** Anna's relay taking `attachments`; it must be accepted. */
async function relayWith(c: Case, attachments: Attachment[], author = anna, token = tokens.anna): Promise<{ relayId: string; state: string }> {
  const r = relayBody(author, attachments.map((a) => a.fileId));
  const answer = await createRelay(token, c.caseId, r.body);
  if (answer.statusCode !== 201) throw new Error(`relay refused: ${answer.body}`);
  return { relayId: r.relayId, state: answer.json().state as string };
}

async function send(relayId: string): Promise<void> {
  const answer = await call('POST', `/api/v1/relays/${relayId}/send`, tokens.anna);
  if (answer.statusCode !== 200) throw new Error(`send refused: ${answer.body}`);
}

const fileRow = async (fileId: string) => (await db.select().from(files).where(eq(files.id, fileId)))[0];
const takenBy = async (fileId: string) => (await fileRow(fileId))?.relayId;
const bodyPath = (fileId: string) => path.join(config.filesDir, fileId);
/** The list as readers get it: order by id is the database's collation, so compare sorted. */
const listed = (items: Attachment[]) => items.map((a) => ({ fileId: a.fileId, bytes: a.body.length })).sort((x, y) => (x.fileId < y.fileId ? -1 : 1));
const sortedAttachments = (list: Json[] | undefined) => [...(list ?? [])].sort((x, y) => (x.fileId < y.fileId ? -1 : 1));

/** Asserts a download answer: the stored bytes exactly, with the headers of any file body. */
function isBody(t: Test, answer: LightMyRequestResponse, expected: Buffer, what: string): void {
  t.equal(answer.statusCode, 200, `${what}: 200`);
  t.equal(answer.headers['content-type'], 'application/octet-stream', `${what}: application/octet-stream`);
  t.equal(answer.headers['content-length'], String(expected.length), `${what}: content-length is the encrypted length`);
  t.equal(answer.headers['cache-control'], 'no-store', `${what}: not cached`);
  t.ok(answer.rawPayload.equals(expected), `${what}: exactly the uploaded bytes`);
}

// ---------------------------------------------------------------------------------------------

t.test('POST relay-attachments: made without a header, sent over tus, never listed among the case files', async (t) => {
  const c = await newCase('acme-meldpunt');
  const body = bodyOf(100);
  const fileId = randomB64(16);
  const before = Date.now();
  const made = await makeAttachmentCall(tokens.anna, c.caseId, { fileId, bytes: body.length });
  const after = Date.now();
  t.equal(made.statusCode, 201, 'made: 201');
  t.strictSame(Object.keys(made.json()).sort(), ['expiresAt', 'fileId', 'uploadUrl'], 'exactly { fileId, uploadUrl, expiresAt }');
  t.equal(made.json().fileId, fileId, 'the id asked for');
  t.equal(made.json().uploadUrl, `/api/v1/cases/${c.caseId}/uploads/${fileId}`, "the case's tus upload URL");
  const expires = Date.parse(made.json().expiresAt);
  t.ok(expires >= before + 24 * 3600 * 1000 && expires <= after + 24 * 3600 * 1000, "an adviser's upload expires a day after it was made");
  t.match(await fileRow(fileId), { caseId: c.caseId, author: 'adviser', accountId: anna.id, headerNonce: null, headerCiphertext: null, relayId: null, bytes: 141, completedAt: null }, 'stored as an untaken attachment of Anna without a header');

  const sent = await tusPatch(tokens.anna, c.caseId, fileId, 0, body);
  t.equal(sent.statusCode, 204, 'the body over tus: 204');
  t.equal(sent.headers['upload-offset'], String(body.length), 'every byte written');
  t.ok((await fileRow(fileId))?.completedAt instanceof Date, 'finished');

  // Finished but untaken: it is no file of the case, for either side.
  const detail = await call('GET', `/api/v1/cases/${c.caseId}`, tokens.anna);
  t.equal(detail.statusCode, 200);
  t.strictSame(detail.json().files, [], "not among the case's files for the adviser");
  t.strictSame(detail.json().relays, [], 'and under no relay');
  const mailbox = await call('GET', '/api/v1/mailbox', await mailboxToken(c));
  t.equal(mailbox.statusCode, 200);
  t.strictSame(mailbox.json().files, [], "not among the case's files for the reporter");
  t.strictSame(mailbox.json().relays, [], 'and under no relay');
  isError(t, await call('GET', `/api/v1/cases/${c.caseId}/files/${fileId}`, tokens.anna), 404, 'unknown_file', 'the case-file download route');
  isError(t, await call('GET', `/api/v1/mailbox/files/${fileId}`, await mailboxToken(c)), 404, 'unknown_file', "the reporter's file download route");
});

t.test('POST relay-attachments: refusals store nothing', async (t) => {
  const c = await newCase('acme-meldpunt');
  const existingFile = await caseFile(tokens.anna, c.caseId);
  const existingAttachment = await attachment(tokens.anna, c.caseId);
  const rowsBefore = (await db.select().from(files).where(eq(files.caseId, c.caseId))).length;
  const refuse = async (what: string, token: string | undefined, caseId: string, body: { fileId: string; bytes: number }, status: number, code: string) => {
    isError(t, await makeAttachmentCall(token, caseId, body), status, code, what, [body.fileId, caseId]);
  };
  const fresh = () => ({ fileId: randomB64(16), bytes: 141 });

  await refuse('a length no file encrypts to (a whole chunk and one byte)', tokens.anna, c.caseId, { ...fresh(), bytes: encryptedFileSize(FILE_CHUNK_BYTES) + 1 }, 400, 'invalid_length');
  await refuse('shorter than an empty file (schema minimum 41)', tokens.anna, c.caseId, { ...fresh(), bytes: 40 }, 400, 'invalid_bytes');
  await refuse("the id of an existing case file", tokens.anna, c.caseId, { ...fresh(), fileId: existingFile.fileId }, 409, 'file_exists');
  await refuse('the id of an existing attachment', tokens.anna, c.caseId, { ...fresh(), fileId: existingAttachment.fileId }, 409, 'file_exists');
  await refuse('an adviser of the channel who does not hold the case', tokens.carl, c.caseId, fresh(), 404, 'unknown_case');
  await refuse('a case that does not exist', tokens.anna, randomB64(16), fresh(), 404, 'unknown_case');
  await refuse('an organisation recipient', tokens.olga, c.caseId, fresh(), 403, 'advisers_only');
  await refuse('no session', undefined, c.caseId, fresh(), 401, 'not_signed_in');
  await refuse('a file id of 15 bytes', tokens.anna, c.caseId, { ...fresh(), fileId: randomB64(15) }, 400, 'invalid_file_id');

  t.equal((await db.select().from(files).where(eq(files.caseId, c.caseId))).length, rowsBefore, 'no row was added to the case');
  t.match(await fileRow(existingAttachment.fileId), { accountId: anna.id, headerNonce: null, bytes: existingAttachment.body.length }, 'the existing attachment is unchanged');
  t.ok((await fileRow(existingFile.fileId))?.headerNonce instanceof Uint8Array, 'and the case file still has its header');
});

t.test('POST relays with attachments: the relay takes them, awaiting consent or approved by the channel, and every reader lists them', async (t) => {
  const c = await newCase('acme-meldpunt');
  const a = await attachment(tokens.anna, c.caseId, 100);
  const empty = await attachment(tokens.anna, c.caseId, 0);
  t.equal(empty.body.length, 41, 'an empty document encrypts to 41 bytes');
  const r = relayBody(anna, [a.fileId, empty.fileId]);
  const created = await createRelay(tokens.anna, c.caseId, r.body);
  t.equal(created.statusCode, 201, 'made: 201');
  t.strictSame(created.json(), { relayId: r.relayId, state: 'awaiting_consent' }, 'awaiting the reporter on a consent channel');
  t.equal(await takenBy(a.fileId), r.relayId, 'the first attachment is taken by the relay');
  t.equal(await takenBy(empty.fileId), r.relayId, 'and the second');

  const view = await getRelay(tokens.anna, r.relayId);
  t.equal(view.statusCode, 200);
  t.strictSame(sortedAttachments(view.json().attachments), listed([a, empty]), 'the relay lists both with their encrypted lengths');
  const detail = (await call('GET', `/api/v1/cases/${c.caseId}`, tokens.anna)).json() as Json;
  t.strictSame(detail.relays.map((x: Json) => x.relayId), [r.relayId], 'the case has the one relay');
  t.strictSame(sortedAttachments(detail.relays[0].attachments), listed([a, empty]), 'which the case detail lists with them');
  t.strictSame(detail.files, [], "they are not among the case's files");
  const mailbox = (await call('GET', '/api/v1/mailbox', await mailboxToken(c))).json() as Json;
  t.strictSame(sortedAttachments(mailbox.relays[0]?.attachments), listed([a, empty]), "the reporter's mailbox lists them under the relay");
  t.strictSame(mailbox.files, [], "and not among the case's files");

  const direct = await newCase('acme-direct');
  const d = await attachment(tokens.anna, direct.caseId);
  const madeDirect = await relayWith(direct, [d]);
  t.equal(madeDirect.state, 'approved', 'on a channel without consent: approved at once');
  t.strictSame((await getRelay(tokens.anna, madeDirect.relayId)).json().attachments, listed([d]), 'and it lists its attachment');

  const plain = await relayWith(direct, []);
  t.strictSame((await getRelay(tokens.anna, plain.relayId)).json().attachments, [], 'an empty attachments list: a relay without attachments');
});

t.test('POST relays: an attachment it may not take refuses the whole relay, and leaves the attachment untaken', async (t) => {
  const c = await newCase('acme-meldpunt', [anna, bram]);
  const elsewhere = await newCase('acme-meldpunt');
  const mine = await attachment(tokens.anna, c.caseId);
  const brams = await attachment(tokens.bram, c.caseId);
  const mineElsewhere = await attachment(tokens.anna, elsewhere.caseId);
  const aCaseFile = await caseFile(tokens.anna, c.caseId);
  const unfinished = await attachment(tokens.anna, c.caseId, 100, false);
  const watched = [mine, brams, mineElsewhere, aCaseFile, unfinished].map((a) => a.fileId);

  const refuse = async (what: string, ids: unknown[], status: number, code: string, author = anna, token = tokens.anna) => {
    const r = relayBody(author, ids as string[]);
    const answer = await createRelay(token, c.caseId, r.body);
    isError(t, answer, status, code, what, [r.relayId, c.caseId]);
    t.strictSame(await db.select().from(relays).where(eq(relays.id, r.relayId)), [], `${what}: no relay row`);
    t.strictSame(await db.select().from(relayWraps).where(eq(relayWraps.relayId, r.relayId)), [], `${what}: no relay wraps`);
    const taken = await db.select({ id: files.id, relayId: files.relayId }).from(files).where(inArray(files.id, watched));
    t.strictSame(taken.filter((f) => f.relayId !== null), [], `${what}: every attachment still untaken`);
  };

  await refuse('a random id', [randomB64(16)], 404, 'unknown_attachment');
  await refuse("another adviser's attachment in the same case", [brams.fileId], 404, 'unknown_attachment');
  await refuse("Anna's attachment, named by Bram", [mine.fileId], 404, 'unknown_attachment', bram, tokens.bram);
  await refuse("a file of the case (with a header), by the same adviser", [aCaseFile.fileId], 404, 'unknown_attachment');
  await refuse('her attachment of another case', [mineElsewhere.fileId], 404, 'unknown_attachment');
  await refuse('an upload not finished', [unfinished.fileId], 409, 'attachment_incomplete');
  await refuse('a good attachment and then an unknown one', [mine.fileId, randomB64(16)], 404, 'unknown_attachment');
  await refuse('a good attachment and then an unfinished one', [mine.fileId, unfinished.fileId], 409, 'attachment_incomplete');
  await refuse('an id of 15 bytes (the schema)', [randomB64(15)], 400, 'invalid_attachments');
  await refuse('an id not canonical base64url', [nonCanonical(mine.fileId)], 400, 'invalid_attachment_id');
  await refuse('the same id twice (uniqueItems)', [mine.fileId, mine.fileId], 400, 'invalid_attachments');
  await refuse('21 ids (maxItems 20)', Array.from({ length: 21 }, () => randomB64(16)), 400, 'invalid_attachments');
  await refuse('an id that is not a string', [42], 400, 'invalid_attachments');

  // The refusals undid everything: the good attachment is still there to take.
  const ok = await relayWith(c, [mine]);
  t.equal(await takenBy(mine.fileId), ok.relayId, 'after the refusals, a relay takes the good attachment');
});

t.test('POST relays: an attachment taken by a relay the reporter declined is taken for good', async (t) => {
  const c = await newCase('acme-meldpunt');
  const a = await attachment(tokens.anna, c.caseId);
  const first = await relayWith(c, [a]);
  // A case has one relay awaiting consent at a time: the reporter declines the first.
  await consent(c, first.relayId, 'decline');
  t.equal((await db.select().from(relays).where(eq(relays.id, first.relayId)))[0]?.state, 'declined', 'the first relay is declined');

  const r = relayBody(anna, [a.fileId]);
  isError(t, await createRelay(tokens.anna, c.caseId, r.body), 409, 'attachment_taken', 'a second relay naming it', [r.relayId, c.caseId]);
  t.strictSame(await db.select().from(relays).where(eq(relays.id, r.relayId)), [], 'no second relay row');
  t.equal(await takenBy(a.fileId), first.relayId, 'the attachment stays with the declined relay');
  t.strictSame((await getRelay(tokens.anna, first.relayId)).json().attachments, listed([a]), 'which still lists it');

  const again = await attachment(tokens.anna, c.caseId);
  const second = await relayWith(c, [again]);
  t.equal(await takenBy(again.fileId), second.relayId, 'uploaded again, the document goes with a new relay');
});

t.test('reading an attachment: its advisers before sending, the organisation only once sent, the reporter through the mailbox', async (t) => {
  const c = await newCase('acme-meldpunt');
  const stranger = await newCase('acme-meldpunt');
  const strangerToken = await mailboxToken(stranger);
  // Two chunks, so that the body is streamed in more than one piece.
  const a = await attachment(tokens.anna, c.caseId, FILE_CHUNK_BYTES + 10);
  const aCaseFile = await caseFile(tokens.anna, c.caseId);
  const r = await relayWith(c, [a]);
  // A relay Anna may read, which does not hold the attachment.
  const otherRelay = await relayWith(await newCase('acme-direct'), []);
  const reporterToken = await mailboxToken(c);

  isBody(t, await staffDownload(tokens.anna, r.relayId, a.fileId), a.body, 'the adviser, before the reporter decided');
  t.equal((await staffDownload(tokens.anna, r.relayId, a.fileId)).headers['content-disposition'], 'attachment', 'as a download');
  isError(t, await staffDownload(tokens.olga, r.relayId, a.fileId), 404, 'unknown_relay', 'the recipient before it is sent', [r.relayId, a.fileId]);
  isError(t, await staffDownload(tokens.carl, r.relayId, a.fileId), 404, 'unknown_relay', 'an adviser of the channel without the case', [r.relayId, a.fileId]);
  isBody(t, await mailboxDownload(reporterToken, r.relayId, a.fileId), a.body, 'the reporter, before deciding');
  isError(t, await mailboxDownload(strangerToken, r.relayId, a.fileId), 404, 'unknown_file', "the mailbox of another case", [r.relayId, a.fileId]);
  isError(t, await staffDownload(tokens.anna, r.relayId, randomB64(16)), 404, 'unknown_file', 'an unknown file id, staff route');
  isError(t, await mailboxDownload(reporterToken, r.relayId, randomB64(16)), 404, 'unknown_file', 'an unknown file id, mailbox route');
  isError(t, await staffDownload(tokens.anna, r.relayId, aCaseFile.fileId), 404, 'unknown_file', 'a file of the case is no attachment of the relay');
  isError(t, await staffDownload(tokens.anna, otherRelay.relayId, a.fileId), 404, 'unknown_file', "the attachment under another relay of Anna's");
  isError(t, await mailboxDownload(reporterToken, randomB64(16), a.fileId), 404, 'unknown_file', 'the mailbox route with an unknown relay');
  isError(t, await staffDownload(tokens.anna, randomB64(16), a.fileId), 404, 'unknown_relay', 'the staff route with an unknown relay');
  isError(t, await staffDownload(undefined, r.relayId, a.fileId), 401, 'not_signed_in', 'no session');
  isError(t, await staffDownload(tokens.anna, r.relayId, randomB64(15)), 400, 'invalid_file_id', 'a file id of 15 bytes');

  await consent(c, r.relayId, 'approve');
  isError(t, await staffDownload(tokens.olga, r.relayId, a.fileId), 404, 'unknown_relay', 'the recipient once approved but not sent');
  await send(r.relayId);
  isBody(t, await staffDownload(tokens.olga, r.relayId, a.fileId), a.body, 'the recipient, once sent');
  t.strictSame((await getRelay(tokens.olga, r.relayId)).json().attachments, listed([a]), "the recipient's view lists it");
  isError(t, await staffDownload(tokens.otto, r.relayId, a.fileId), 404, 'unknown_relay', 'a recipient of another organisation', [r.relayId, a.fileId]);
  isBody(t, await staffDownload(tokens.anna, r.relayId, a.fileId), a.body, 'the adviser, after sending');
});

t.test('a listed attachment whose body is gone from the file store: 404 file_body_missing for every reader, not a 500', async (t) => {
  const c = await newCase('acme-direct');
  const a = await attachment(tokens.anna, c.caseId);
  const r = await relayWith(c, [a]);
  await send(r.relayId);
  const reporterToken = await mailboxToken(c);
  const stored = bodyPath(a.fileId);
  await rename(stored, `${stored}.away`);
  t.teardown(() => (existsSync(`${stored}.away`) ? rename(`${stored}.away`, stored) : undefined));
  t.strictSame((await getRelay(tokens.olga, r.relayId)).json().attachments, listed([a]), 'still listed');
  isError(t, await staffDownload(tokens.anna, r.relayId, a.fileId), 404, 'file_body_missing', 'the adviser');
  isError(t, await staffDownload(tokens.olga, r.relayId, a.fileId), 404, 'file_body_missing', 'the recipient');
  isError(t, await mailboxDownload(reporterToken, r.relayId, a.fileId), 404, 'file_body_missing', 'the reporter');
  await rename(`${stored}.away`, stored);
  isBody(t, await staffDownload(tokens.olga, r.relayId, a.fileId), a.body, 'back in place, it downloads');
});

t.test(
  'parallel relays naming the same attachment on PostgreSQL: exactly one takes it',
  { skip: databaseKind === 'pglite' ? 'PGlite runs one statement at a time: no race to lose' : false },
  async (t) => {
    // A channel without consent, so that no relay waits and relay_pending cannot decide the race.
    const c = await newCase('acme-direct');
    const a = await attachment(tokens.anna, c.caseId);
    const drafts = Array.from({ length: 6 }, () => relayBody(anna, [a.fileId]));
    const answers = await Promise.all(drafts.map((d) => createRelay(tokens.anna, c.caseId, d.body)));
    const winners = answers.flatMap((answer, i) => (answer.statusCode === 201 ? [drafts[i]!.relayId] : []));
    t.equal(winners.length, 1, 'exactly one 201');
    for (const answer of answers.filter((x) => x.statusCode !== 201)) t.strictSame([answer.statusCode, answer.json().error], [409, 'attachment_taken'], 'the others: 409 attachment_taken');
    t.equal(await takenBy(a.fileId), winners[0], 'the attachment belongs to the winner');
    const made = await db.select({ id: relays.id }).from(relays).where(eq(relays.caseId, c.caseId));
    t.strictSame(made.map((x) => x.id), winners, 'and only the winner has a relay row');
  },
);

t.test('the sweep: untaken and unfinished attachments older than a day go with their bodies; taken and fresh ones stay', async (t) => {
  const c = await newCase('acme-direct');
  const untaken = await attachment(tokens.anna, c.caseId);
  const taken = await attachment(tokens.anna, c.caseId);
  const unfinished = await attachment(tokens.anna, c.caseId, 100, false);
  const fresh = await attachment(tokens.anna, c.caseId);
  const r = await relayWith(c, [taken]);
  // Make them a day and an hour old; `fresh` keeps its real age.
  const old = new Date(Date.now() - 25 * 3600 * 1000);
  await db.update(files).set({ createdAt: old }).where(inArray(files.id, [untaken.fileId, taken.fileId, unfinished.fileId]));
  for (const a of [untaken, taken, unfinished, fresh]) t.ok(existsSync(bodyPath(a.fileId)), `before: a body for ${a === untaken ? 'untaken' : a === taken ? 'taken' : a === unfinished ? 'unfinished' : 'fresh'}`);

  t.strictSame(await app.services.files.sweep(new Date()), { uploads: 2, bodies: 0 }, 'two rows swept (no other row here is a day old), no orphan body');
  t.equal(await fileRow(untaken.fileId), undefined, 'the finished attachment no relay took: row gone');
  t.notOk(existsSync(bodyPath(untaken.fileId)), 'and its body');
  t.equal(await fileRow(unfinished.fileId), undefined, 'the unfinished attachment: row gone');
  t.notOk(existsSync(bodyPath(unfinished.fileId)), 'and its body');
  t.equal(await takenBy(taken.fileId), r.relayId, 'the taken attachment stays, with its relay');
  t.ok(existsSync(bodyPath(taken.fileId)), 'and its body');
  isBody(t, await staffDownload(tokens.anna, r.relayId, taken.fileId), taken.body, 'and still downloads');
  t.match(await fileRow(fresh.fileId), { relayId: null }, 'the fresh untaken attachment stays');
  t.ok(existsSync(bodyPath(fresh.fileId)), 'with its body');
  const late = await relayWith(c, [fresh]);
  t.equal(await takenBy(fresh.fileId), late.relayId, 'and a relay can still take it');
});

t.test("retention: a sent relay's attachment stays with the organisation through deletion and purge; a declined relay's goes with the case", async (t) => {
  const c = await newCase('acme-meldpunt');
  const declinedDoc = await attachment(tokens.anna, c.caseId);
  const declined = await relayWith(c, [declinedDoc]);
  await consent(c, declined.relayId, 'decline');
  const sentDoc = await attachment(tokens.anna, c.caseId, 3000);
  const sent = await relayWith(c, [sentDoc]);
  await consent(c, sent.relayId, 'approve');
  await send(sent.relayId);
  for (const status of ['acknowledged', 'in_progress', 'closed']) {
    const changed = await call('PATCH', `/api/v1/cases/${c.caseId}`, tokens.anna, { status });
    if (changed.statusCode !== 200) throw new Error(`status ${status} refused: ${changed.body}`);
  }
  const [caseRow] = await db.select().from(cases).where(eq(cases.id, c.caseId));
  const [channel] = await db.select().from(channels).where(eq(channels.id, caseRow!.channelId));
  const deleteAt = addCalendarMonths(caseRow!.closedAt!, channel!.retentionMonths);

  // The only closed case of this file, so the sweep deletes exactly it.
  t.strictSame(await app.services.retention.sweep(deleteAt), { deleted: 1, purged: 0 }, 'retention deletes the case');
  t.match(await fileRow(sentDoc.fileId), { caseId: c.caseId, relayId: sent.relayId }, "the sent relay's attachment row stays");
  t.equal(await fileRow(declinedDoc.fileId), undefined, "the declined relay's attachment row is gone");
  isBody(t, await staffDownload(tokens.olga, sent.relayId, sentDoc.fileId), sentDoc.body, 'the recipient still downloads the same bytes');
  t.strictSame((await getRelay(tokens.olga, sent.relayId)).json().attachments, listed([sentDoc]), 'and the relay still lists it');
  t.equal((await staffDownload(tokens.anna, sent.relayId, sentDoc.fileId)).statusCode, 404, 'the adviser no longer reaches it through the deleted case');

  // The deleted case's bodies go in the file sweep that follows, as the rows name them no more.
  t.ok(existsSync(bodyPath(declinedDoc.fileId)), "the declined attachment's body waits for the file sweep");
  t.strictSame(await app.services.files.sweep(new Date()), { uploads: 0, bodies: 1 }, 'the file sweep takes the one body no row names');
  t.notOk(existsSync(bodyPath(declinedDoc.fileId)), "the declined attachment's body is gone");
  t.ok(existsSync(bodyPath(sentDoc.fileId)), "the sent relay's attachment body stays");

  const purgeAt = purgeDue((await db.select().from(cases).where(eq(cases.id, c.caseId)))[0]!.deletedAt!);
  t.strictSame(await app.services.retention.sweep(purgeAt), { deleted: 0, purged: 1 }, 'the last trace goes the year after next');
  t.strictSame(await db.select().from(cases).where(eq(cases.id, c.caseId)), [], 'the case row is gone');
  t.match(await fileRow(sentDoc.fileId), { caseId: null, relayId: sent.relayId }, 'the attachment stays, its case id null');
  isBody(t, await staffDownload(tokens.olga, sent.relayId, sentDoc.fileId), sentDoc.body, 'and the recipient still downloads the same bytes');
  t.strictSame(await app.services.files.sweep(new Date()), { uploads: 0, bodies: 0 }, 'the file sweep leaves it alone');
  t.ok(existsSync(bodyPath(sentDoc.fileId)), 'body and all');
});
