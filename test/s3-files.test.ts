/**
 * Evidence files in an S3 bucket (S3_BUCKET; services/s3-file-bodies.ts), against an S3-compatible
 * server in this process (test/helpers/s3-fake.ts): the store's own operations; a reporter's file
 * sent in multipart parts with a resume after a dropped connection, read back byte for byte by
 * both sides; cancelling, the sweep and a deleted case's body removing what the bucket holds; an
 * unreachable store answered with 503 file_store_unavailable, leaving nothing behind; and, on
 * PostgreSQL, two instances sharing the bucket and the database: an upload begun on one is
 * finished on the other and read on the first.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import t from 'tap';
import { ConfidantClient, openMailbox, ready, setUpAccount, signIn, submitNewReport, type FileUpload } from '../src/protocol/index.js';
import { files } from '../src/server/db/schema.js';
import { buildApp } from '../src/server/app.js';
import { openDatabase } from '../src/server/db/connection.js';
import { apiFailure, buildTestApp, databaseKind, LogCapture, testConfig } from './helper.js';
import { plainFile, readAll, sendBody } from './helpers/file-transfer.js';
import { S3Fake } from './helpers/s3-fake.js';

await ready();

const MiB = 1024 * 1024;
const HOUR = 3600 * 1000;
const fake = await S3Fake.start();
t.teardown(() => fake.close());
// The smallest part S3 allows: a file of 12 MiB goes in three parts.
const s3Env = { ...fake.env(), S3_PART_BYTES: String(5 * MiB) };
const { app, baseUrl, database } = await buildTestApp(t, s3Env);
const { db } = database;
const bodies = app.services.fileBodies;
const admin = app.services.administration;
await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
await admin.createChannel({ slug: 'meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
const client = new ConfidantClient({ baseUrl });
const passphrase = 'anna bewaart alles in de emmer';
await setUpAccount(client, { token: (await admin.createInvite({ role: 'adviser', channel: 'meldpunt' })).token, username: 'anna', displayName: 'Anna', passphrase });
const anna = await signIn(client, { username: 'anna', passphrase });

const newCase = async () => {
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report: { v: 1, lang: 'nl', answers: { what: 'Zie de bijlage.' }, anonymity: 'anonymous' } });
  return { caseId: submitted.caseId, mailbox: await openMailbox(client, submitted.code) };
};

/** Sends bytes [from, to) of an upload's body through the first instance, or another. */
const sendRange = (upload: FileUpload, from: number, to: number, through = baseUrl) => sendBody(through, upload, from, to);
const offsetOf = async (upload: FileUpload, through = baseUrl) =>
  Number((await fetch(`${through}${upload.uploadUrl}`, { method: 'HEAD', headers: { ...upload.headers, 'tus-resumable': '1.0.0' } })).headers.get('upload-offset'));
/** The keys the bucket holds for one file id. */
const keysOf = (fileId: string) => fake.keys().filter((k) => k.startsWith(fileId));

t.test('the store itself: a body made, listed (page by page), measured and removed', async (t) => {
  const ids = [randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url')];
  for (const id of ids) await bodies.create(id, 1000, new Date());
  t.strictSame(keysOf(ids[0]!), [`${ids[0]}.info`], 'an upload is its record; its bytes are a multipart upload');
  t.equal(await bodies.written(ids[0]!), 0, 'nothing written yet');
  t.equal(await bodies.written(randomBytes(16).toString('base64url')), null, 'an unknown id has no body');
  fake.pageSize = 2;
  t.strictSame((await bodies.ids()).filter((id) => ids.includes(id)).sort(), [...ids].sort(), 'every id, though the bucket answers two keys a page');
  fake.pageSize = 1000;
  const uploadsBefore = fake.uploads.size;
  for (const id of ids) await bodies.remove(id);
  t.equal(fake.uploads.size, uploadsBefore - 3, 'removing aborts the multipart uploads');
  t.strictSame(ids.flatMap(keysOf), [], 'and deletes their objects');
  t.equal(await bodies.written(ids[0]!), null, 'gone');
  await bodies.remove(ids[0]!);
  t.pass('removing twice is no error');
});

t.test("a reporter's 12 MiB file goes to the bucket in parts, resumed after a dropped connection; both sides read the same bytes", async (t) => {
  const c = await newCase();
  const evidence = randomBytes(12 * MiB + 4321);
  const upload = await c.mailbox.attachFile(plainFile('bewijs.bin', 'application/octet-stream', evidence));
  const size = upload.body.size;

  // Seven MiB, then the connection drops: the client asks where it stands.
  await sendRange(upload, 0, 7 * MiB);
  t.equal(await offsetOf(upload), 7 * MiB, 'HEAD: every byte sent so far is kept');
  t.strictSame(keysOf(upload.fileId), [`${upload.fileId}.info`, `${upload.fileId}.part`], 'one part in the multipart upload, the tail of 2 MiB waiting as a .part object');
  t.equal(fake.objects.get(`${upload.fileId}.part`)?.body.length, 2 * MiB);
  t.strictSame((await c.mailbox.refresh()).files, [], 'an unfinished file is not listed');

  await sendRange(upload, await offsetOf(upload), size);
  t.strictSame(keysOf(upload.fileId), [upload.fileId, `${upload.fileId}.info`], 'complete: one object and its record, no tail');
  t.equal(fake.objects.get(upload.fileId)?.body.length, size, 'the object is the whole encrypted body');
  t.notOk(fake.objects.get(upload.fileId)!.body.includes(evidence.subarray(0, 64)), 'and holds no plaintext');
  t.ok(['CreateMultipartUpload', 'UploadPart', 'ListParts', 'CompleteMultipartUpload'].every((call) => fake.calls.includes(call)), 'through the multipart calls');
  t.equal(await bodies.written(upload.fileId), size, 'the store measures the finished body');

  t.ok((await readAll(baseUrl, await anna.caseFileDownload(c.caseId, upload.fileId))).equals(evidence), 'the adviser reads the same bytes');
  await c.mailbox.refresh();
  t.ok((await readAll(baseUrl, c.mailbox.fileDownload(upload.fileId))).equals(evidence), 'and so does the reporter');
});

t.test('cancelling, the sweep and a deleted case remove what the bucket holds', async (t) => {
  const c = await newCase();
  const cancelled = await c.mailbox.attachFile(plainFile('weg.bin', 'application/octet-stream', randomBytes(6 * MiB)));
  await sendRange(cancelled, 0, 6 * MiB - 1000);
  const deleted = await fetch(`${baseUrl}${cancelled.uploadUrl}`, { method: 'DELETE', headers: { ...cancelled.headers, 'tus-resumable': '1.0.0' } });
  t.equal(deleted.status, 204, 'the reporter cancels');
  t.strictSame(keysOf(cancelled.fileId), [], 'its record and tail are gone');

  const abandoned = await c.mailbox.attachFile(plainFile('half.bin', 'application/octet-stream', randomBytes(1000)));
  await sendRange(abandoned, 0, 500);
  const kept = await c.mailbox.attachFile(plainFile('heel.bin', 'application/octet-stream', randomBytes(1000)));
  await sendBody(baseUrl, kept);
  fake.objects.set('verweesd', { body: Buffer.from('a body of no file'), metadata: {}, modified: new Date() });
  const uploadsBefore = fake.uploads.size;
  t.match(await app.services.files.sweep(new Date(Date.now() + 26 * HOUR)), { bodies: 1 }, 'the sweep takes the body no row names');
  t.notOk(fake.objects.has('verweesd'), 'it is gone from the bucket');
  t.strictSame(keysOf(abandoned.fileId), [], 'and so is the upload left for a day');
  t.ok(fake.uploads.size < uploadsBefore, 'its multipart upload aborted');
  t.strictSame(keysOf(kept.fileId), [kept.fileId, `${kept.fileId}.info`], 'the finished file stays');

  // The case goes (retention): its file row goes with it, and the next sweep takes the body.
  await db.delete(files).where(eq(files.caseId, c.caseId));
  await app.services.files.sweep(new Date());
  t.strictSame(keysOf(kept.fileId), [], "a deleted case's body leaves the bucket");
});

t.test('an unreachable store: 503 file_store_unavailable for a new file, an upload and a download, nothing left behind', async (t) => {
  const c = await newCase();
  const stored = await c.mailbox.attachFile(plainFile('eerder.bin', 'application/octet-stream', randomBytes(2000)));
  await sendBody(baseUrl, stored);
  const unfinished = await c.mailbox.attachFile(plainFile('half.bin', 'application/octet-stream', randomBytes(2000)));
  const rowsBefore = (await db.select().from(files)).length;
  fake.down = true;
  try {
    const asked = await fetch(`${baseUrl}${unfinished.uploadUrl}`, { method: 'HEAD', headers: { ...unfinished.headers, 'tus-resumable': '1.0.0' } });
    t.equal(asked.status, 503, 'where an upload stands (a HEAD has no body)');
    t.match(await apiFailure(c.mailbox.attachFile(plainFile('nu.bin', 'application/octet-stream', randomBytes(100)))), { status: 503, code: 'file_store_unavailable' }, 'a new file');
    const download = await fetch(`${baseUrl}/api/v1/cases/${c.caseId}/files/${stored.fileId}`, { headers: { authorization: `Bearer ${anna.token}` } });
    t.equal(download.status, 503, 'a download');
    t.match(await download.json(), { error: 'file_store_unavailable' });
  } finally {
    fake.down = false;
  }
  t.equal((await db.select().from(files)).length, rowsBefore, 'no row for the refused file');
  t.equal((await fetch(`${baseUrl}/api/v1/cases/${c.caseId}/files/${stored.fileId}`, { headers: { authorization: `Bearer ${anna.token}` } })).status, 200, 'back up, it downloads');
  await sendBody(baseUrl, unfinished);
  t.ok((await c.mailbox.refresh()).files.some((f) => f.fileId === unfinished.fileId), 'and the upload goes on');
});

t.test(
  'two instances share the bucket: an upload begun on one is finished on the other, and read on the first',
  { skip: databaseKind === 'pglite' ? 'the embedded database serves one process: several instances need PostgreSQL (TEST_DATABASE_URL)' : false },
  async (t) => {
    const second = await openDatabase({ url: database.url });
    const other = await buildApp(testConfig(s3Env), second, { logStream: new LogCapture() });
    t.teardown(async () => {
      await other.close();
      await second.close();
    });
    await other.listen({ host: '127.0.0.1', port: 0 });
    const otherUrl = `http://127.0.0.1:${(other.server.address() as { port: number }).port}`;

    const c = await newCase();
    const evidence = randomBytes(11 * MiB);
    const upload = await c.mailbox.attachFile(plainFile('gedeeld.bin', 'application/octet-stream', evidence));
    await sendRange(upload, 0, 6 * MiB);
    t.equal(await offsetOf(upload, otherUrl), 6 * MiB, 'the other instance sees where the upload stands');
    await sendRange(upload, 6 * MiB, upload.body.size, otherUrl);
    await c.mailbox.refresh();
    t.strictSame(c.mailbox.view.files.map((f) => f.fileId), [upload.fileId], 'finished there, it counts');
    t.ok((await readAll(baseUrl, await anna.caseFileDownload(c.caseId, upload.fileId))).equals(evidence), 'and the first instance reads the same bytes');
  },
);
