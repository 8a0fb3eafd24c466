/**
 * Evidence file routes (docs/protocol.md §6 "Files"): making a file, sending its body over tus
 * in pieces with a resume in between, the file appearing only when complete, both sides
 * downloading and decrypting the same bytes, and every refusal: sessions, ids, lengths,
 * offsets, headers, limits, someone else's upload, cancelling, and the sweep of unfinished
 * uploads. On PostgreSQL, parallel uploads race for the case's last file place.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import {
  ConfidantClient,
  FILE_CHUNK_BYTES,
  FileDecryptor,
  FileEncryptor,
  encryptedFileSize,
  fromBase64url,
  newFileKey,
  openFileHeader,
  ready,
  sealFileHeader,
  setUpAccount,
  signIn,
  sodium,
  submitNewReport,
  toBase64url,
  type StaffSession,
} from '../src/protocol/index.js';
import { auditLog, files, reporterEvents } from '../src/server/db/schema.js';
import { securityHeaderSet } from '../src/server/plugins/security-headers.js';
import { toHour } from '../src/server/services/coarse-time.js';
import { buildTestApp, databaseKind, mailboxToken } from './helper.js';

await ready();

const MiB = 1024 * 1024;
const { app, baseUrl, database, config } = await buildTestApp(t, { MAX_FILE_BYTES: String(MiB), MAX_FILES_PER_CASE: '4', MAX_CASE_FILE_BYTES: String(3 * encryptedFileSize(MiB) + 100) });
const { db } = database;
const admin = app.services.administration;
await admin.createOrganisation({ slug: 'acme', name: 'Acme' });
await admin.createChannel({ slug: 'dossier', name: 'Meldpunt Acme', organisation: 'acme' });
const client = new ConfidantClient({ baseUrl });
const adviser = async (username: string): Promise<StaffSession> => {
  const invite = await admin.createInvite({ role: 'adviser', channel: 'dossier' });
  await setUpAccount(client, { token: invite.token, username, displayName: username, passphrase: `${username} heeft een lang wachtwoord` });
  return signIn(client, { username, passphrase: `${username} heeft een lang wachtwoord` });
};
const anna = await adviser('anna');

const newCase = async () => {
  const submitted = await submitNewReport(client, { slug: 'dossier', report: { v: 1, lang: 'nl', answers: { what: 'Zie de bijlagen.' }, anonymity: 'anonymous' } });
  return { caseId: submitted.caseId, token: await mailboxToken(baseUrl, submitted.code), caseKey: await anna.caseKey(submitted.caseId) };
};
type Case = Awaited<ReturnType<typeof newCase>>;

/** A file of `size` random bytes, encrypted as a client would: its header, its body, and the plaintext to compare. */
function encryptFile(c: Case, size: number, name = 'bewijs.pdf') {
  const fileId = toBase64url(sodium().randombytes_buf(16));
  const plaintext = sodium().randombytes_buf(size);
  const key = newFileKey();
  const header = sealFileHeader(c.caseKey, c.caseId, fileId, { v: 1, name, type: 'application/pdf', size, key });
  const encryptor = new FileEncryptor(fromBase64url(key));
  const parts = [encryptor.header];
  for (let at = 0; at === 0 || at < size; at += FILE_CHUNK_BYTES) {
    parts.push(encryptor.chunk(plaintext.subarray(at, Math.min(size, at + FILE_CHUNK_BYTES)), at + FILE_CHUNK_BYTES >= size));
  }
  const body = Buffer.concat(parts);
  return { fileId, plaintext, key, body, request: { fileId, header, bytes: body.length } };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const TUS = { 'tus-resumable': '1.0.0' };
async function call(method: string, url: string, headers: Record<string, string>, body?: unknown) {
  const isJson = body !== undefined && !(body instanceof Uint8Array);
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { ...headers, ...(isJson ? { 'content-type': 'application/json' } : {}) },
    body: (body === undefined ? undefined : isJson ? JSON.stringify(body) : body) as RequestInit['body'],
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  return { status: response.status, headers: response.headers, bytes, json };
}
const patch = (url: string, token: string, offset: number, bytes: Uint8Array, extra: Record<string, string> = {}) =>
  call('PATCH', url, { ...bearer(token), ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra }, bytes);
const head = (url: string, token: string) => call('HEAD', url, { ...bearer(token), ...TUS });
const mailboxFiles = async (token: string) => ((await call('GET', '/api/v1/mailbox', bearer(token))).json?.files ?? []) as Array<Record<string, unknown>>;
const caseFiles = async (caseId: string) => (await client.getCase(anna.token, caseId)).files;

/** Decrypts a downloaded body with the key of its header, in pieces of 10,000 bytes, as a network delivers them. */
function decrypt(body: Uint8Array, key: string, size: number): Uint8Array {
  const decryptor = new FileDecryptor(fromBase64url(key), size);
  const out: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += 10_000) out.push(...decryptor.push(body.subarray(at, at + 10_000)));
  decryptor.end();
  return Buffer.concat(out);
}

const errorOf = (answer: { status: number; json: Record<string, unknown> | null }): [number, unknown] => [answer.status, answer.json?.error];

t.test('the reporter sends a file in pieces with a resume; it counts only when complete; both sides read the same bytes', async (t) => {
  const c = await newCase();
  const file = encryptFile(c, 3 * FILE_CHUNK_BYTES + 1234);
  t.equal(file.body.length, encryptedFileSize(3 * FILE_CHUNK_BYTES + 1234), 'the body has the length the protocol computes');

  const before = Date.now();
  const made = await call('POST', '/api/v1/mailbox/files', bearer(c.token), file.request);
  t.equal(made.status, 201, 'made');
  t.same(Object.keys(made.json ?? {}).sort(), ['expiresAt', 'fileId', 'uploadUrl']);
  t.equal(made.json?.fileId, file.fileId);
  const url = made.json?.uploadUrl as string;
  t.equal(url, `/api/v1/mailbox/uploads/${file.fileId}`);
  const expires = Date.parse(made.json?.expiresAt as string);
  t.equal(expires, toHour(new Date(before)).getTime() + 24 * 3600 * 1000, 'it expires a day after its whole creation hour');

  const fresh = await head(url, c.token);
  t.equal(fresh.status, 200);
  t.equal(fresh.headers.get('upload-offset'), '0', 'nothing written yet');
  t.equal(fresh.headers.get('upload-length'), String(file.body.length), 'the length is the declared one');
  t.equal(fresh.headers.get('tus-resumable'), '1.0.0');
  t.equal(fresh.headers.get('access-control-allow-origin'), null, 'no CORS: same origin only');
  for (const [name, value] of Object.entries(securityHeaderSet)) t.equal(fresh.headers.get(name), value, `tus's answer carries ${name}, as every answer does`);

  const first = await patch(url, c.token, 0, file.body.subarray(0, 100_000));
  t.equal(first.status, 204, 'a first piece');
  t.equal(first.headers.get('upload-offset'), '100000');
  t.same(await mailboxFiles(c.token), [], 'an unfinished file is not listed to the reporter');
  t.same(await caseFiles(c.caseId), [], 'nor to the adviser');
  t.same(errorOf(await call('GET', `/api/v1/cases/${c.caseId}/files/${file.fileId}`, bearer(anna.token))), [404, 'unknown_file'], 'nor downloadable');

  // A dropped connection: the client asks where to go on, and a stale offset is refused.
  t.same(errorOf(await patch(url, c.token, 0, file.body.subarray(0, 100)))[0], 409, 'a PATCH at a stale offset: 409');
  const stale = await patch(url, c.token, 50, file.body.subarray(50, 100));
  t.same(errorOf(stale), [409, 'upload_offset_mismatch'], 'with the error body');
  t.equal((await head(url, c.token)).headers.get('upload-offset'), '100000', 'HEAD tells where to resume');

  const second = await patch(url, c.token, 100_000, file.body.subarray(100_000));
  t.equal(second.status, 204, 'the rest');
  t.equal(second.headers.get('upload-offset'), String(file.body.length));
  t.equal((await head(url, c.token)).headers.get('upload-offset'), String(file.body.length), 'HEAD of a finished upload says so');

  const listed = await mailboxFiles(c.token);
  t.same(listed.map((f) => [f.fileId, f.bytes, f.author]), [[file.fileId, file.body.length, 'reporter']], 'now the reporter sees it');
  const seen = await caseFiles(c.caseId);
  t.same(seen.map((f) => [f.fileId, f.bytes, f.author]), [[file.fileId, file.body.length, 'reporter']], 'and the adviser');
  const header = openFileHeader(c.caseKey, c.caseId, file.fileId, seen[0]!.header);
  t.same(header, { v: 1, name: 'bewijs.pdf', type: 'application/pdf', size: file.plaintext.length, key: file.key }, 'the header opens with the case key');

  const byAdviser = await call('GET', `/api/v1/cases/${c.caseId}/files/${file.fileId}`, bearer(anna.token));
  t.equal(byAdviser.status, 200);
  t.equal(byAdviser.headers.get('content-type'), 'application/octet-stream');
  t.equal(byAdviser.headers.get('content-length'), String(file.body.length));
  t.equal(byAdviser.headers.get('cache-control'), 'no-store');
  t.ok(byAdviser.bytes.equals(file.body), 'the adviser downloads the stored bytes');
  t.ok(Buffer.from(decrypt(byAdviser.bytes, header.key, header.size)).equals(Buffer.from(file.plaintext)), 'and decrypts the plaintext, byte for byte');
  const byReporter = await call('GET', `/api/v1/mailbox/files/${file.fileId}`, bearer(c.token));
  t.ok(byReporter.status === 200 && byReporter.bytes.equals(file.body), 'the reporter downloads the same bytes');

  const [row] = await db.select().from(files).where(eq(files.id, file.fileId));
  t.equal(row?.createdAt.getTime() === toHour(row!.createdAt).getTime() && row?.completedAt?.getTime() === toHour(row!.completedAt!).getTime(), true, "a reporter's file keeps whole hours only");
  t.equal(row?.accountId, null, 'and no account');
  const events = await db.select().from(reporterEvents).where(eq(reporterEvents.caseId, c.caseId));
  t.ok(events.some((e) => e.action === 'file'), 'a finished file is reporter activity');

  t.same(errorOf(await patch(url, c.token, file.body.length, Buffer.from('x'))), [413, 'upload_too_long'], 'a byte past the end of a finished upload: 413');
  t.same(errorOf(await call('DELETE', url, { ...bearer(c.token), ...TUS })), [409, 'file_complete'], 'a finished file is no upload to cancel');
});

t.test("the adviser attaches a file for the reporter, who reads it; the attachment is audited", async (t) => {
  const c = await newCase();
  const file = encryptFile(c, 5000, 'verslag.pdf');
  const made = await call('POST', `/api/v1/cases/${c.caseId}/files`, bearer(anna.token), file.request);
  t.equal(made.status, 201);
  const url = made.json?.uploadUrl as string;
  t.equal(url, `/api/v1/cases/${c.caseId}/uploads/${file.fileId}`);
  t.equal((await patch(url, anna.token, 0, file.body)).status, 204, 'in one piece');
  t.same((await mailboxFiles(c.token)).map((f) => [f.fileId, f.author]), [[file.fileId, 'adviser']]);
  const got = await call('GET', `/api/v1/mailbox/files/${file.fileId}`, bearer(c.token));
  t.ok(Buffer.from(decrypt(got.bytes, file.key, 5000)).equals(Buffer.from(file.plaintext)), 'the reporter decrypts it');
  const [row] = await db.select().from(files).where(eq(files.id, file.fileId));
  t.equal(row?.accountId, anna.account.id, "the adviser's file names its adviser");
  await app.services.audit.seal();
  const audit = await db.select().from(auditLog).where(eq(auditLog.subject, c.caseId));
  t.ok(audit.some((a) => a.action === 'file' && a.actor === anna.account.id), 'audited');

  // The reporter cannot write to the adviser's upload, nor the adviser to the reporter's.
  const other = encryptFile(c, 10);
  await call('POST', `/api/v1/cases/${c.caseId}/files`, bearer(anna.token), other.request);
  t.same(errorOf(await patch(`/api/v1/mailbox/uploads/${other.fileId}`, c.token, 0, other.body)), [404, 'unknown_upload'], "the reporter, to the adviser's upload");
  const mine = encryptFile(c, 10);
  await call('POST', '/api/v1/mailbox/files', bearer(c.token), mine.request);
  t.same(errorOf(await patch(`/api/v1/cases/${c.caseId}/uploads/${mine.fileId}`, anna.token, 0, mine.body)), [404, 'unknown_upload'], "the adviser, to the reporter's");
});

t.test('refusals when making a file', async (t) => {
  const c = await newCase();
  const ok = encryptFile(c, 100);
  const make = (body: unknown, token = c.token) => call('POST', '/api/v1/mailbox/files', bearer(token), body);
  t.same(errorOf(await call('POST', '/api/v1/mailbox/files', {}, ok.request)), [401, 'not_signed_in'], 'no session');
  t.same(errorOf(await make({ ...ok.request, fileId: 'kort' }))[0], 400, 'a file id of the wrong length');
  t.same(errorOf(await make({ ...ok.request, bytes: encryptedFileSize(FILE_CHUNK_BYTES) + 1 })), [400, 'invalid_length'], 'a length no file encrypts to (one byte past a whole chunk)');
  t.same(errorOf(await make({ ...ok.request, bytes: 40 }))[0], 400, 'shorter than an empty file');
  const big = encryptedFileSize(MiB + 1);
  t.same(errorOf(await make({ ...ok.request, bytes: big })), [413, 'file_too_large'], 'larger than MAX_FILE_BYTES');
  t.same(errorOf(await make({ ...ok.request, header: { ...ok.request.header, ciphertext: 'AAAA' } }))[0], 400, 'a header that is no sealed block');
  t.same(errorOf(await make({ ...ok.request, extra: 1 }))[0], 400, 'an unknown field');
  t.equal((await make(ok.request)).status, 201, 'the good one');
  t.same(errorOf(await make(ok.request)), [409, 'file_exists'], 'the same id twice');

  const bystander = await adviser('bert');
  t.same(errorOf(await call('POST', `/api/v1/cases/${c.caseId}/files`, bearer(bystander.token), encryptFile(c, 1).request)), [404, 'unknown_case'], 'an adviser without the case key');
  t.same(errorOf(await call('GET', `/api/v1/cases/${c.caseId}/files/${ok.fileId}`, bearer(bystander.token))), [404, 'unknown_case'], 'nor reads its files');

  // The case's limits: four files, three encrypted 1 MiB files and 100 bytes together (uploads count from when they are made).
  const full = await newCase();
  const near = encryptFile(full, MiB);
  for (let i = 0; i < 3; i += 1) t.equal((await make(encryptFile(full, MiB).request, full.token)).status, 201, `a 1 MiB file ${i + 1}`);
  t.same(errorOf(await make(near.request, full.token)), [413, 'case_files_full'], 'a fourth MiB passes the case bytes');
  t.same(errorOf(await make(encryptFile(full, 100).request, full.token)), [413, 'case_files_full'], 'so do 100 bytes (141 encrypted)');
  t.equal((await make(encryptFile(full, 10).request, full.token)).status, 201, 'a small one still fits');
  t.same(errorOf(await make(encryptFile(full, 10).request, full.token)), [413, 'case_files_full'], 'a fifth file passes the count');
});

t.test('refusals on the tus routes, and cancelling', async (t) => {
  const c = await newCase();
  const file = encryptFile(c, 1000);
  const url = (await call('POST', '/api/v1/mailbox/files', bearer(c.token), file.request)).json?.uploadUrl as string;
  t.same(errorOf(await call('HEAD', url, bearer(c.token)))[0], 400, 'HEAD without Tus-Resumable');
  t.same(errorOf(await call('PATCH', url, { ...bearer(c.token), ...TUS, 'content-type': 'application/offset+octet-stream' }, file.body))[0], 400, 'PATCH without Upload-Offset');
  t.same(errorOf(await call('PATCH', url, { ...bearer(c.token), ...TUS, 'upload-offset': '0', 'content-type': 'application/octet-stream' }, file.body))[0] >= 400, true, 'PATCH of another content type');
  t.same(errorOf(await patch(url, c.token, 0, file.body, { 'tus-resumable': '0.2.2' }))[0], 400, 'another tus version');
  t.same(errorOf(await patch(url, 'x'.repeat(43), 0, file.body)), [401, 'not_signed_in'], 'no valid session');
  const stranger = await newCase();
  t.same(errorOf(await patch(url, stranger.token, 0, file.body)), [404, 'unknown_upload'], "another reporter's session");
  t.equal((await head(`/api/v1/mailbox/uploads/${toBase64url(sodium().randombytes_buf(16))}`, c.token)).status, 404, 'HEAD of an unknown id (a HEAD has no body)');
  t.same(errorOf(await patch(`/api/v1/mailbox/uploads/${toBase64url(sodium().randombytes_buf(16))}`, c.token, 0, file.body)), [404, 'unknown_upload'], 'PATCH of an unknown id');
  t.same(errorOf(await patch(url, c.token, 0, Buffer.concat([file.body, Buffer.from('over')]))), [413, 'upload_too_long'], 'a body past the length');
  t.equal(Number((await head(url, c.token)).headers.get('upload-offset')) <= file.body.length, true, 'nothing written past the length');
  t.same(await mailboxFiles(c.token), [], 'and no file listed');

  const cancelled = await call('DELETE', url, { ...bearer(c.token), ...TUS });
  t.equal(cancelled.status, 204, 'cancelled');
  t.same(await db.select().from(files).where(eq(files.id, file.fileId)), [], 'its row is gone');
  t.notOk(existsSync(path.join(config.filesDir, file.fileId)), 'its body is gone');
  t.equal((await head(url, c.token)).status, 404, 'and it answers as unknown');
  t.same(errorOf(await call('DELETE', url, { ...bearer(c.token), ...TUS })), [404, 'unknown_upload'], 'cancelling twice');
});

t.test('a reader refuses a body changed on the server (downloaded as stored), and one cut before its FINAL chunk', async (t) => {
  const c = await newCase();
  const file = encryptFile(c, 2 * FILE_CHUNK_BYTES + 10);
  const url = (await call('POST', '/api/v1/mailbox/files', bearer(c.token), file.request)).json?.uploadUrl as string;
  await patch(url, c.token, 0, file.body);
  const stored = path.join(config.filesDir, file.fileId);
  const good = await readFile(stored);
  const download = async () => (await call('GET', `/api/v1/cases/${c.caseId}/files/${file.fileId}`, bearer(anna.token))).bytes;
  const tampered = Buffer.from(good);
  tampered[100] = tampered[100]! ^ 1;
  await writeFile(stored, tampered);
  t.throws(() => decrypt(tampered, file.key, 2 * FILE_CHUNK_BYTES + 10), { code: 'stream_corrupt' }, 'a changed byte');
  t.ok((await download()).equals(tampered), '(the server hands out what it holds)');
  const cut = good.subarray(0, good.length - (10 + 17));
  t.throws(() => decrypt(cut, file.key, 2 * FILE_CHUNK_BYTES + 10), { code: 'stream_truncated' }, 'a stream without its FINAL chunk');
  await writeFile(stored, good);
  t.ok(Buffer.from(decrypt(await download(), file.key, 2 * FILE_CHUNK_BYTES + 10)).equals(Buffer.from(file.plaintext)), 'restored, it opens');
});

t.test('a listed file whose body is gone from the file store (a restore without FILES_DIR): 404 file_body_missing on both sides, not a 500', async (t) => {
  const c = await newCase();
  const file = encryptFile(c, 1000);
  const url = (await call('POST', '/api/v1/mailbox/files', bearer(c.token), file.request)).json?.uploadUrl as string;
  await patch(url, c.token, 0, file.body);
  const stored = path.join(config.filesDir, file.fileId);
  await rename(stored, `${stored}.away`);
  t.same(errorOf(await call('GET', `/api/v1/mailbox/files/${file.fileId}`, bearer(c.token))), [404, 'file_body_missing'], 'the reporter');
  t.same(errorOf(await call('GET', `/api/v1/cases/${c.caseId}/files/${file.fileId}`, bearer(anna.token))), [404, 'file_body_missing'], 'the adviser');
  await rename(`${stored}.away`, stored);
  t.equal((await call('GET', `/api/v1/mailbox/files/${file.fileId}`, bearer(c.token))).status, 200, 'back in place, it downloads');
});

t.test('every byte written but the completion lost (a crash after the last PATCH): the next HEAD completes the file', async (t) => {
  const c = await newCase();
  const file = encryptFile(c, 3000);
  const url = (await call('POST', '/api/v1/mailbox/files', bearer(c.token), file.request)).json?.uploadUrl as string;
  // The bytes reach the disk as tus writes them, and the completion never runs.
  await writeFile(path.join(config.filesDir, file.fileId), file.body);
  t.same(await mailboxFiles(c.token), [], 'not counted yet');
  const asked = await head(url, c.token);
  t.equal(asked.headers.get('upload-offset'), String(file.body.length), 'HEAD says every byte is in');
  t.same((await mailboxFiles(c.token)).map((f) => f.fileId), [file.fileId], 'and the file now counts');
  const got = await call('GET', `/api/v1/cases/${c.caseId}/files/${file.fileId}`, bearer(anna.token));
  t.ok(Buffer.from(decrypt(got.bytes, file.key, 3000)).equals(Buffer.from(file.plaintext)), 'whole');
  const partial = encryptFile(c, 3000);
  const partialUrl = (await call('POST', '/api/v1/mailbox/files', bearer(c.token), partial.request)).json?.uploadUrl as string;
  await writeFile(path.join(config.filesDir, partial.fileId), partial.body.subarray(0, 100));
  t.equal((await head(partialUrl, c.token)).headers.get('upload-offset'), '100', 'a partial body is no file');
  t.notOk((await mailboxFiles(c.token)).some((f) => f.fileId === partial.fileId), 'and is not listed');
});

t.test('parallel HEADs completing the same lost completion on PostgreSQL: the file counts once, one reporter event', { skip: databaseKind === 'pglite' ? 'PGlite runs one statement at a time: no race to lose' : false }, async (t) => {
  const c = await newCase();
  const file = encryptFile(c, 2000);
  const url = (await call('POST', '/api/v1/mailbox/files', bearer(c.token), file.request)).json?.uploadUrl as string;
  await writeFile(path.join(config.filesDir, file.fileId), file.body);
  const before = (await db.select().from(reporterEvents).where(eq(reporterEvents.caseId, c.caseId))).filter((e) => e.action === 'file').length;
  const answers = await Promise.all(Array.from({ length: 8 }, () => head(url, c.token)));
  t.ok(answers.every((a) => a.status === 200), 'every HEAD answers');
  const events = (await db.select().from(reporterEvents).where(eq(reporterEvents.caseId, c.caseId))).filter((e) => e.action === 'file').length;
  t.equal(events - before, 1, 'one reporter event for the file');
  t.same((await mailboxFiles(c.token)).map((f) => f.fileId), [file.fileId], 'listed once');
});

t.test('the sweep: unfinished uploads after a day, and bodies no row names', async (t) => {
  const c = await newCase();
  const unfinished = encryptFile(c, 1000);
  await call('POST', '/api/v1/mailbox/files', bearer(c.token), unfinished.request);
  await patch(`/api/v1/mailbox/uploads/${unfinished.fileId}`, c.token, 0, unfinished.body.subarray(0, 10));
  const finished = encryptFile(c, 1000);
  await call('POST', '/api/v1/mailbox/files', bearer(c.token), finished.request);
  await patch(`/api/v1/mailbox/uploads/${finished.fileId}`, c.token, 0, finished.body);
  await writeFile(path.join(config.filesDir, 'verweesd'), 'a body of no file');

  const swept = await app.services.files.sweep(new Date(Date.now() + 3600 * 1000));
  t.same(swept, { uploads: 0, bodies: 1 }, 'within the day: only the body of no row');
  t.notOk(existsSync(path.join(config.filesDir, 'verweesd')));
  // The other tests here left unfinished uploads too: the sweep takes every one.
  const open = (await db.select().from(files)).filter((f) => f.completedAt === null).length;
  const later = await app.services.files.sweep(new Date(Date.now() + 26 * 3600 * 1000));
  t.same(later, { uploads: open, bodies: 0 }, 'after a day: every unfinished upload');
  t.same((await db.select().from(files)).filter((f) => f.completedAt === null), [], 'none is left');
  t.same(await db.select().from(files).where(eq(files.id, unfinished.fileId)), [], 'its row');
  t.notOk(existsSync(path.join(config.filesDir, unfinished.fileId)), 'and its body');
  t.same((await mailboxFiles(c.token)).map((f) => f.fileId), [finished.fileId], 'the finished file stays');
});

t.test('parallel uploads race for the last file place of a case on PostgreSQL: exactly the limit wins', { skip: databaseKind === 'pglite' ? 'PGlite runs one statement at a time: no race to lose' : false }, async (t) => {
  const c = await newCase();
  const answers = await Promise.all(Array.from({ length: 12 }, () => call('POST', '/api/v1/mailbox/files', bearer(c.token), encryptFile(c, 10).request)));
  t.equal(answers.filter((a) => a.status === 201).length, 4, 'four made');
  t.ok(answers.every((a) => a.status === 201 || (a.status === 413 && a.json?.error === 'case_files_full')), 'the others refused as full');
  t.equal((await db.select().from(files).where(eq(files.caseId, c.caseId))).length, 4, 'four rows');
});
