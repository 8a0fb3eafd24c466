/**
 * Case key copies (docs/protocol.md "Case key copies"): PUT /api/v1/case-key-copies stores an
 * adviser's sealed copy of a case key once, only after the adviser's pin and only for a case it
 * holds; the registrations of a period carry the reader's own copy; the client makes a copy when
 * it first pins a key and backfills copies while it counts an annual report; and a copy the server
 * made, moved or altered never lets it slip a key of its own into the report. Parallel requests
 * for one case store exactly one copy (run on PostgreSQL in CI).
 */
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import t from 'tap';
import {
  caseKeyCopyKey, ConfidantClient, emptyRegistration, encryptRecord, fromBase64url, openCaseKeyCopy, openPinnedRegistrations, REGISTRATION_BLOCK, registrationAd, sealCaseKeyCopy, sealKey,
  signCasePin, caseKeyCommitment, sodium, submitNewReport, toBase64url, type PeriodOpener, type Registration
} from '../src/protocol/index.js';
import { caseWraps, cases } from '../src/server/db/schema.js';
import { auditEntries } from './helpers/audit-entries.js';
import { apiFailure, buildTestApp } from './helper.js';
import { personThroughApi, type ApiPerson } from './fixtures.js';

const built = await buildTestApp(t);
const { db } = built.database;
const admin = built.app.services.administration;
await admin.createOrganisation({ slug: 'org', name: 'Organisation' });
await admin.createChannel({ slug: 'kopie', name: 'Kopie', organisation: 'org' });
await admin.createChannel({ slug: 'elders', name: 'Elders', organisation: 'org' });
const client = new ConfidantClient({ baseUrl: built.baseUrl });
const anna = await personThroughApi(client, admin, 'adviser', 'kopie');
const bert = await personThroughApi(client, admin, 'adviser', 'kopie');
const olga = await personThroughApi(client, admin, 'recipient', 'org');
await personThroughApi(client, admin, 'adviser', 'elders');

const record: Registration = { ...emptyRegistration(), kind: 'report', track: 'integrity', categories: ['wrongdoing'] };
const newCase = async (slug = 'kopie') =>
  (await submitNewReport(client, { slug, report: { v: 1, lang: 'nl', answers: { what: 'Een melding.' }, anonymity: 'anonymous' } })).caseId;

const period = () => ({ from: new Date(Date.now() - 24 * 3600 * 1000).toISOString(), to: new Date(Date.now() + 3600 * 1000).toISOString(), channel: 'kopie' });

/** The case key as the adviser's wrap holds it (these tests play the client). */
async function caseKeyOf(who: ApiPerson, caseId: string): Promise<Uint8Array> {
  const { wrap } = await client.getCase(who.token, caseId);
  return sodium().crypto_box_seal_open(fromBase64url(wrap), who.keys.boxPublicKey, who.keys.boxSecretKey);
}

/** Pins the key without storing a copy, as a client before this extension did. */
async function pinOnly(who: ApiPerson, caseId: string): Promise<Uint8Array> {
  const caseKey = await caseKeyOf(who, caseId);
  await client.pinCase(who.token, caseId, signCasePin(caseId, caseKeyCommitment(caseKey), who.keys.signSecretKey));
  return caseKey;
}

const copyOf = (who: ApiPerson, caseId: string, caseKey: Uint8Array) => ({ caseId, keyCopy: sealCaseKeyCopy(caseKeyCopyKey(who.keys.boxSecretKey), caseId, caseKey) });

async function storedCopy(who: ApiPerson, caseId: string) {
  const [row] = await db
    .select({ nonce: caseWraps.keyCopyNonce, ciphertext: caseWraps.keyCopyCiphertext })
    .from(caseWraps)
    .where(and(eq(caseWraps.caseId, caseId), eq(caseWraps.accountId, who.id)));
  return row?.nonce && row.ciphertext ? { nonce: toBase64url(row.nonce), ciphertext: toBase64url(row.ciphertext) } : null;
}

const copyAudits = async (who: ApiPerson) => (await auditEntries(db)).filter((e) => e.actor === who.id && e.action === 'key_copies').length;

t.test('PUT /api/v1/case-key-copies stores a copy once, after the pin, of a case the adviser holds', async (t) => {
  const pinned = await newCase();
  const unpinned = await newCase();
  const elsewhere = await newCase('elders');
  const caseKey = await pinOnly(anna, pinned);
  const audits = await copyAudits(anna);

  const first = copyOf(anna, pinned, caseKey);
  t.strictSame(await client.putCaseKeyCopies(anna.token, [first]), { stored: 1 }, 'the copy of a pinned case: stored');
  t.strictSame(await storedCopy(anna, pinned), first.keyCopy, 'byte for byte as sent');
  t.equal(await copyAudits(anna), audits + 1, 'one audit entry key_copies for the request');
  t.strictSame(await client.putCaseKeyCopies(anna.token, [copyOf(anna, pinned, caseKey)]), { stored: 0 }, 'a second copy: skipped');
  t.strictSame(await storedCopy(anna, pinned), first.keyCopy, 'the first copy stays');
  t.equal(await copyAudits(anna), audits + 1, 'and nothing stored is not audited');

  const unpinnedKey = await caseKeyOf(anna, unpinned);
  t.strictSame(await client.putCaseKeyCopies(anna.token, [copyOf(anna, unpinned, unpinnedKey)]), { stored: 0 }, 'a case not pinned yet: skipped');
  t.equal(await storedCopy(anna, unpinned), null);
  t.strictSame(await client.putCaseKeyCopies(bert.token, [copyOf(bert, pinned, caseKey)]), { stored: 0 }, "a colleague's copy of a case he holds but never pinned: skipped");
  t.strictSame(
    await client.putCaseKeyCopies(anna.token, [{ caseId: elsewhere, keyCopy: first.keyCopy }, { caseId: toBase64url(randomBytes(16)), keyCopy: first.keyCopy }]),
    { stored: 0 },
    'a case of a channel the adviser does not serve, and one that does not exist: skipped alike',
  );

  const both = await newCase();
  const bothKey = await pinOnly(anna, both);
  await pinOnly(anna, unpinned);
  t.strictSame(await client.putCaseKeyCopies(anna.token, [copyOf(anna, both, bothKey), copyOf(anna, unpinned, unpinnedKey), first]), { stored: 2 }, 'a batch: the two new ones stored, the known one skipped');

  await db.execute(sql`update case_wraps set key_copy_nonce = null, key_copy_ciphertext = null where case_id = ${both}`);
  await client.setCaseStatus(anna.token, both, 'acknowledged');
  await client.setCaseStatus(anna.token, both, 'in_progress');
  await client.setCaseStatus(anna.token, both, 'closed');
  const [closed] = await db.select({ closedAt: cases.closedAt }).from(cases).where(eq(cases.id, both));
  t.ok(await built.app.services.retention.deleteCase(both, closed!.closedAt!, new Date()), 'retention deletes the closed case');
  t.strictSame(await client.putCaseKeyCopies(anna.token, [copyOf(anna, both, bothKey)]), { stored: 0 }, 'a case retention deleted: skipped');
});

t.test('PUT /api/v1/case-key-copies refuses a malformed request, naming what is wrong', async (t) => {
  const caseId = await newCase();
  const good = { caseId, keyCopy: { nonce: toBase64url(randomBytes(24)), ciphertext: toBase64url(randomBytes(48)) } };
  const put = (body: unknown, token: string | null = anna.token) =>
    built.app.inject({ method: 'PUT', url: '/api/v1/case-key-copies', headers: token ? { authorization: `Bearer ${token}` } : {}, payload: body as object });
  const refusals: Array<[string, unknown, number, RegExp]> = [
    ['no copies', { copies: [] }, 400, /^invalid_copies$/],
    ['more than a page of copies', { copies: Array.from({ length: 1001 }, () => good) }, 400, /^invalid_copies$/],
    ['no body field', {}, 400, /^missing_copies$/],
    ['a nonce of 23 bytes', { copies: [{ ...good, keyCopy: { ...good.keyCopy, nonce: toBase64url(randomBytes(23)) } }] }, 400, /^invalid_copies_key_copy_nonce$/],
    ['a ciphertext of 49 bytes', { copies: [{ ...good, keyCopy: { ...good.keyCopy, ciphertext: toBase64url(randomBytes(49)) } }] }, 400, /^invalid_copies_key_copy_ciphertext$/],
    ['a case id that is not 16 bytes', { copies: [{ ...good, caseId: 'abc' }] }, 400, /^invalid_copies_case_id$/],
    ['an extra field', { copies: [{ ...good, pin: 'x' }] }, 400, /^unknown_field$/],
  ];
  for (const [what, body, status, code] of refusals) {
    const answer = await put(body);
    t.equal(answer.statusCode, status, `${what}: ${status}`);
    t.match(answer.json<{ error: string }>().error, code, `${what}: ${answer.json<{ error: string }>().error}`);
  }
  // An id of the right length with a padding bit set in its last symbol (canonical ones end in A, Q, g or w).
  const stray = `${good.caseId.slice(0, -1)}B`;
  t.not(Buffer.from(stray, 'base64url').toString('base64url'), stray, 'the altered id is not canonical');
  t.equal((await put({ copies: [{ ...good, caseId: stray }] })).json<{ error: string }>().error, 'invalid_copies_case_id', 'a non-canonical case id: invalid_copies_case_id');
  t.equal((await put({ copies: [good] }, null)).statusCode, 401, 'no session: 401');
  t.match((await apiFailure(client.putCaseKeyCopies(olga.token, [good]))), { status: 403, code: 'advisers_only' }, 'an organisation recipient: 403 advisers_only');
  t.equal(await storedCopy(anna, caseId), null, 'none of it stored anything');
});

t.test('the client: a copy when it first pins a key; the annual report backfills the rest and then takes the quick path', async (t) => {
  const opened = await newCase();
  await anna.session.openCase(opened);
  const copy = await storedCopy(anna, opened);
  t.ok(copy, 'opening a case for the first time stores its key copy beside the pin');
  t.strictSame(openCaseKeyCopy(caseKeyCopyKey(anna.keys.boxSecretKey), opened, copy!), await caseKeyOf(anna, opened), 'a copy of the case key, for this case');

  const cases: string[] = [];
  for (let i = 0; i < 4; i++) {
    const caseId = await newCase();
    await anna.session.saveRegistration(caseId, record);
    cases.push(caseId);
  }
  // As a client before this extension left them: pinned, without copies.
  for (const caseId of cases) await db.execute(sql`update case_wraps set key_copy_nonce = null, key_copy_ciphertext = null where case_id = ${caseId}`);

  const seen: Array<{ registered: number; withCopy: number; made: number }> = [];
  const watching: PeriodOpener = async (items, keys) => {
    const page = await openPinnedRegistrations(items, keys);
    const registered = items.filter((i) => i.registration !== null);
    seen.push({ registered: registered.length, withCopy: registered.filter((i) => i.keyCopy !== null).length, made: page.copies.length });
    return page;
  };
  const slow = await anna.session.periodCases(period(), { opener: watching });
  for (const caseId of cases) t.ok(await storedCopy(anna, caseId), `after the report, ${caseId} has its copy`);
  const quick = await anna.session.periodCases(period(), { opener: watching });
  t.strictSame(quick, slow, 'the second report, through the copies, counts the same');
  t.equal(slow.cases.filter((c) => c.registration !== null).length, 4, 'the four registered cases opened (the rest are not registered)');
  t.equal(slow.unread, 0, 'none unread');
  t.strictSame(seen, [{ registered: 4, withCopy: 0, made: 4 }, { registered: 4, withCopy: 4, made: 0 }], 'first without copies, each made then; the second time each came with its copy and none was made');
});

t.test('a server cannot make the annual report count a key of its own through a key copy', async (t) => {
  const genuine = await newCase();
  const forged = await newCase();
  await anna.session.saveRegistration(genuine, record);
  await anna.session.saveRegistration(forged, record);
  const genuineCopy = (await storedCopy(anna, genuine))!;

  // The server's key, its wrap to Anna, a record it wrote, the pin dropped, and a "copy" it sealed
  // under a key of its own choosing.
  const evilKey = sodium().randombytes_buf(32);
  const evilRecord = encryptRecord(evilKey, { ...record, kind: 'complaint' }, registrationAd(forged), REGISTRATION_BLOCK);
  const evilCopy = sealCaseKeyCopy(sodium().randombytes_buf(32), forged, evilKey);
  await db.execute(sql`update case_wraps set wrap = ${fromBase64url(sealKey(evilKey, anna.keys.boxPublicKey))}, pin = null,
    key_copy_nonce = ${fromBase64url(evilCopy.nonce)}, key_copy_ciphertext = ${fromBase64url(evilCopy.ciphertext)}
    where case_id = ${forged} and account_id = ${anna.id}`);
  await db.execute(sql`update registrations set nonce = ${fromBase64url(evilRecord.nonce)}, ciphertext = ${fromBase64url(evilRecord.ciphertext)} where case_id = ${forged}`);
  let report = await anna.session.periodCases(period());
  t.notOk(report.cases.some((c) => c.registration?.kind === 'complaint'), "the server's record is not counted");
  t.ok(report.unread >= 1, 'it is counted as unread');

  // Anna's genuine copy moved onto the forged case: it does not open there.
  await db.execute(sql`update case_wraps set key_copy_nonce = ${fromBase64url(genuineCopy.nonce)}, key_copy_ciphertext = ${fromBase64url(genuineCopy.ciphertext)}
    where case_id = ${forged} and account_id = ${anna.id}`);
  report = await anna.session.periodCases(period());
  t.notOk(report.cases.some((c) => c.registration?.kind === 'complaint'), 'a copy moved from another case: still not counted');
  const stillMine = await storedCopy(anna, genuine);
  t.strictSame(stillMine, genuineCopy, 'and the genuine case keeps its copy');
});

t.test('parallel copies of one case: exactly one is stored', async (t) => {
  const caseId = await newCase();
  const caseKey = await pinOnly(anna, caseId);
  const copies = Array.from({ length: 8 }, () => copyOf(anna, caseId, caseKey));
  const answers = await Promise.all(copies.map((copy) => client.putCaseKeyCopies(anna.token, [copy])));
  t.equal(answers.reduce((sum, a) => sum + a.stored, 0), 1, 'one request of eight stored, the rest were told 0');
  const winner = answers.findIndex((a) => a.stored === 1);
  t.strictSame(await storedCopy(anna, caseId), copies[winner]!.keyCopy, 'and what is stored is the copy of the request that was told 1');
});
