/**
 * Key pinning: a server, or whoever can write its database, must not be able to make an adviser
 * or the reporter encrypt to a key it chose. Each attack below is carried out on the database
 * of a running app, as a malicious operator would, and the real client must refuse it.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import {
  ConfidantClient,
  REPORT_BLOCK,
  deriveMailboxKeys,
  readBack,
  signMailboxRotate,
  encryptRecord,
  fingerprintOf,
  fromBase64url,
  keyFingerprint,
  openMailbox,
  ready,
  reportAd,
  sealKey,
  setUpAccount,
  signIn,
  sodium,
  submitNewReport,
  toBase64url,
  type StaffSession,
  emptyRegistration,
} from '../src/protocol/index.js';
import { createAdministration } from '../src/server/services/administration.js';
import { apiFailure, buildTestApp, mailboxToken } from './helper.js';
import { run } from '../src/cli/main.js';

const report = { v: 1 as const, lang: 'en', answers: { what: 'Invoices are split to avoid tendering.' }, anonymity: 'anonymous' as const };
const fakeReport = { v: 1 as const, lang: 'en', answers: { what: 'A report the server wrote itself.' }, anonymity: 'anonymous' as const };

async function setUp(t: { teardown(fn: () => unknown): void }) {
  const built = await buildTestApp(t);
  const { baseUrl, database } = built;
  const admin = createAdministration(database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const client = new ConfidantClient({ baseUrl });
  const adviser = async (username: string): Promise<StaffSession> => {
    const invite = await admin.createInvite({ role: 'adviser', channel: 'meldpunt' });
    await setUpAccount(client, { token: invite.token, username, displayName: username.toUpperCase(), passphrase: `${username} has a long passphrase` });
    return signIn(client, { username, passphrase: `${username} has a long passphrase` });
  };
  const exec = (query: ReturnType<typeof sql>) => database.db.execute(query);
  return { ...built, admin, client, adviser, exec };
}

/** The server's attack: a key of its own, the adviser's wrap of it, and a report it wrote under it. */
async function swapCaseKey(exec: (q: ReturnType<typeof sql>) => Promise<unknown>, caseId: string, adviser: StaffSession) {
  await ready();
  const evilKey = sodium().randombytes_buf(32);
  const wrap = fromBase64url(sealKey(evilKey, fromBase64url(adviser.account.boxPublicKey)));
  const evilReport = encryptRecord(evilKey, fakeReport, reportAd(caseId), REPORT_BLOCK);
  await exec(sql`update case_wraps set wrap = ${wrap} where case_id = ${caseId} and account_id = ${adviser.account.id}`);
  await exec(sql`update cases set report_nonce = ${fromBase64url(evilReport.nonce)}, report_ciphertext = ${fromBase64url(evilReport.ciphertext)} where id = ${caseId}`);
  return evilKey;
}

async function messageCount(exec: (q: ReturnType<typeof sql>) => Promise<unknown>, caseId: string): Promise<number> {
  const result = (await exec(sql`select count(*)::int as n from messages where case_id = ${caseId}`)) as { rows: Array<{ n: number }> };
  return result.rows[0]!.n;
}

t.test('a swapped case key is refused: first open (commitment), later opens (pin), without a commitment (pin)', async (t) => {
  const { adviser, client, exec } = await setUp(t);
  const anna = await adviser('anna');

  // Before the adviser ever opened the case: the reporter's signed commitment names the key.
  const fresh = await submitNewReport(client, { slug: 'meldpunt', report });
  await swapCaseKey(exec, fresh.caseId, anna);
  await t.rejects(anna.reply(fresh.caseId, 'Thank you.'), { code: 'case_key_unverified' }, 'a reply to a swapped key is refused');
  await t.rejects(anna.openCase(fresh.caseId), { code: 'case_key_unverified' }, 'the case does not open with a swapped key');
  t.equal(await messageCount(exec, fresh.caseId), 0, 'nothing was written under the server\'s key');

  // After the first open, the adviser's pin holds even when the server also drops the commitment.
  const pinned = await submitNewReport(client, { slug: 'meldpunt', report });
  const opened = await anna.openCase(pinned.caseId);
  t.equal(opened.keyCheck, 'signed', 'a fresh case is verified by the reporter\'s signature');
  t.same(opened.report, report);
  await exec(sql`update cases set commitment_key = null, commitment_signature = null, commitment_chosen = null, commitment_excluded = null where id = ${pinned.caseId}`);
  await swapCaseKey(exec, pinned.caseId, anna);
  await t.rejects(anna.reply(pinned.caseId, 'Thank you.'), { code: 'case_key_unverified' }, 'the pin refuses the swapped key');
  await t.rejects(anna.saveRegistration(pinned.caseId, { ...emptyRegistration(), kind: 'report' }), { code: 'case_key_unverified' });
  t.equal(await messageCount(exec, pinned.caseId), 0);

  // A case a v1 client sent without a commitment: the first key that opens the report is pinned.
  const legacy = await submitNewReport(client, { slug: 'meldpunt', report });
  await exec(sql`update cases set commitment_key = null, commitment_signature = null where id = ${legacy.caseId}`);
  const first = await anna.openCase(legacy.caseId);
  t.equal(first.keyCheck, 'pinned', 'an unsigned case is pinned on first use');
  await swapCaseKey(exec, legacy.caseId, anna);
  await t.rejects(anna.openCase(legacy.caseId), { code: 'case_key_unverified' }, 'and its key cannot change afterwards');

  // A forged pin (another key's signature) does not count.
  const forged = await submitNewReport(client, { slug: 'meldpunt', report });
  await anna.openCase(forged.caseId);
  await exec(sql`update case_wraps set pin = ${randomBytes(64)} where case_id = ${forged.caseId}`);
  await t.rejects(anna.openCase(forged.caseId), { code: 'case_key_unverified' }, 'a pin the adviser did not sign is refused');

  // A wrap that does not open the report is refused before anything else.
  const mismatched = await submitNewReport(client, { slug: 'meldpunt', report });
  const otherKey = sodium().randombytes_buf(32);
  await exec(sql`update case_wraps set wrap = ${fromBase64url(sealKey(otherKey, fromBase64url(anna.account.boxPublicKey)))} where case_id = ${mismatched.caseId}`);
  await t.rejects(anna.openCase(mismatched.caseId), { code: 'case_key_unverified' }, 'a key that does not open the report is refused');
});

t.test('the reporter refuses a swapped case key; rotation signs the commitment again', async (t) => {
  const { adviser, client, exec } = await setUp(t);
  const anna = await adviser('anna');
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });

  const mailbox = await openMailbox(client, submitted.code);
  const newCode = await mailbox.rotate();
  await t.rejects(openMailbox(client, submitted.code), 'the old code stops working');
  const rotated = await openMailbox(client, newCode);
  t.same(rotated.view.report, report, 'the new code opens the case: the commitment verifies with its key');
  t.equal((await anna.openCase(submitted.caseId)).keyCheck, 'signed', 'the adviser verifies the re-signed commitment');
  await rotated.close();

  // The server seals its own key to the reporter's (public) box key, with a report of its own.
  const evilKey = sodium().randombytes_buf(32);
  const row = (await exec(sql`select reporter_box_public_key as pk from cases where id = ${submitted.caseId}`)) as { rows: Array<{ pk: Uint8Array }> };
  const evilReport = encryptRecord(evilKey, fakeReport, reportAd(submitted.caseId), REPORT_BLOCK);
  await exec(sql`update cases set reporter_wrap = ${fromBase64url(sealKey(evilKey, new Uint8Array(row.rows[0]!.pk)))},
    report_nonce = ${fromBase64url(evilReport.nonce)}, report_ciphertext = ${fromBase64url(evilReport.ciphertext)} where id = ${submitted.caseId}`);
  await t.rejects(openMailbox(client, newCode), { code: 'case_key_unverified' }, "the reporter's client refuses the server's key");
});

t.test('rotation of a case with a commitment needs the commitment signed by the new key', async (t) => {
  const { adviser, client, baseUrl } = await setUp(t);
  await adviser('anna');
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });
  const mailbox = await openMailbox(client, submitted.code);
  await mailbox.close();
  const token = await mailboxToken(baseUrl, submitted.code);
  const s = sodium();
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  // A valid proof by the current code, so that only the commitment is wrong.
  const read = readBack(submitted.code);
  if (!read.ok) throw new Error('the code reads back');
  const current = await deriveMailboxKeys(read.body);
  const mailboxId = s.randombytes_buf(16);
  const body = {
    mailboxId: toBase64url(mailboxId),
    reporterSignPublicKey: toBase64url(sign.publicKey),
    reporterBoxPublicKey: toBase64url(box.publicKey),
    reporterWrap: toBase64url(s.randombytes_buf(80)),
    proof: toBase64url(signMailboxRotate(mailboxId, sign.publicKey, current.signSecretKey)),
  };
  t.match(await apiFailure(client.rotateMailbox(token, body)), { status: 400, code: 'missing_commitment_signature' });
  t.match(
    await apiFailure(client.rotateMailbox(token, { ...body, commitmentSignature: toBase64url(s.randombytes_buf(64)) })),
    { status: 400, code: 'invalid_commitment_signature' },
  );
  t.ok(await openMailbox(client, submitted.code), 'the refused rotations changed nothing');
});

t.test('a server that lists other public keys for the account is caught at sign-in', async (t) => {
  const { adviser, exec, client } = await setUp(t);
  const anna = await adviser('anna');
  await anna.logout();
  await ready();
  const evil = sodium().crypto_box_keypair();
  await exec(sql`update staff_accounts set box_public_key = ${evil.publicKey} where username = 'anna'`);
  await t.rejects(signIn(client, { username: 'anna', passphrase: 'anna has a long passphrase' }), { code: 'key_mismatch' });
});

t.test('submissions: the commitment must be signed, name the wraps, and leave out only advisers of the channel', async (t) => {
  const { adviser, baseUrl } = await setUp(t);
  const anna = await adviser('anna');
  const bart = await adviser('bart');
  // Capture a valid submission body, then replay altered copies of it.
  let captured: Record<string, unknown> | undefined;
  const capturing = new ConfidantClient({
    baseUrl,
    fetch: async (url, init) => {
      if (url.endsWith('/reports') && init.body) {
        captured = JSON.parse(init.body) as Record<string, unknown>;
        return { ok: false, status: 599, statusText: 'held', text: async () => '{"error":"held","message":"held"}' };
      }
      return fetch(url, init);
    },
  });
  await t.rejects(submitNewReport(capturing, { slug: 'meldpunt', report, adviserKeyIds: [anna.account.id] }));
  const body = captured!;
  const commitment = body.commitment as { key: string; signature: string; chosen: string[]; excluded: string[] };
  t.same(commitment.chosen, [anna.account.id], 'the commitment names the chosen adviser');
  t.same(commitment.excluded, [bart.account.id], 'and the one left out');

  const post = (payload: unknown) =>
    fetch(`${baseUrl}/api/v1/channels/meldpunt/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  const refused = async (payload: unknown, name: string) => {
    const answer = await post(payload);
    t.equal(answer.status, 400, `${name}: 400`);
    t.equal(((await answer.json()) as { error: string }).error, 'invalid_commitment', `${name}: invalid_commitment`);
  };
  await refused({ ...body, commitment: { ...commitment, signature: toBase64url(randomBytes(64)) } }, 'a signature by no one');
  await refused({ ...body, commitment: { ...commitment, chosen: [] } }, 'chosen does not match the wraps');
  await refused({ ...body, commitment: { ...commitment, excluded: ['someone-else'] } }, 'excludes an account that is no adviser here');
  await refused({ ...body, commitment: { ...commitment, excluded: [bart.account.id, anna.account.id] } }, 'excludes a chosen adviser');
  const answer = await post(body);
  t.equal(answer.status, 201, 'the untouched body is accepted');
});

t.test('grants respect the reporter\'s choice, and the mailbox names every reader', async (t) => {
  const { adviser, client } = await setUp(t);
  const anna = await adviser('anna');
  const bart = await adviser('bart');
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report, adviserKeyIds: [anna.account.id] });
  const opened = await anna.openCase(submitted.caseId);
  t.same(opened.excluded, [bart.account.id]);
  const bartKeys = { keyId: bart.account.id, boxPublicKey: bart.account.boxPublicKey };
  await t.rejects(anna.grant(submitted.caseId, bartKeys), { code: 'adviser_excluded' }, 'the client refuses to grant to an excluded adviser');

  // A client that skips its own check meets the server's.
  const caseKey = await anna.caseKey(submitted.caseId);
  const wrap = sealKey(caseKey, fromBase64url(bart.account.boxPublicKey));
  t.match(await apiFailure(client.grantCase(anna.token, submitted.caseId, { keyId: bart.account.id, wrap })), { status: 403, code: 'adviser_excluded' });

  // An adviser who joined after the report was not left out by the reporter.
  const carla = await adviser('carla');
  await anna.grant(submitted.caseId, { keyId: carla.account.id, boxPublicKey: carla.account.boxPublicKey });
  t.same((await carla.openCase(submitted.caseId)).report, report, 'the granted adviser reads the case');
  const mailbox = await openMailbox(client, submitted.code);
  t.same(
    mailbox.view.readers,
    [
      { keyId: anna.account.id, name: 'ANNA', granted: false },
      { keyId: carla.account.id, name: 'CARLA', granted: true },
    ],
    'the reporter sees who can read the case, and who was added later',
  );
});

t.test('the pin route stores a pin once', async (t) => {
  const { adviser, client } = await setUp(t);
  const anna = await adviser('anna');
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });
  const pin = toBase64url(randomBytes(64));
  await client.pinCase(anna.token, submitted.caseId, pin);
  t.equal((await client.getCase(anna.token, submitted.caseId)).pin, pin, 'the case answers with the pin');
  t.match(await apiFailure(client.pinCase(anna.token, submitted.caseId, toBase64url(randomBytes(64)))), { status: 409, code: 'pin_exists' });
  t.match(await apiFailure(client.pinCase(anna.token, submitted.caseId, 'short')), { status: 400 });
  t.match(await apiFailure(client.pinCase(anna.token, toBase64url(randomBytes(16)), pin)), { status: 404, code: 'unknown_case' });
});

t.test('organisation pins in the channel link: only published keys receive a report', async (t) => {
  const { adviser, client, database, exec } = await setUp(t);
  const anna = await adviser('anna');
  const bart = await adviser('bart');
  t.equal(anna.fingerprint, fingerprintOf(anna.account), "the account's own fingerprint matches the listed keys");
  t.match(anna.fingerprint, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);

  const lines: string[] = [];
  const code = await run(['channel', 'link', 'meldpunt'], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: { POW_DIFFICULTY: '0' }, database });
  t.equal(code, 0);
  const link = lines.find((l) => l.includes('#pins='))!.trim();
  const pins = decodeURIComponent(link.split('#pins=')[1]!).split(',');
  t.same(new Set(pins), new Set([anna.fingerprint, bart.fingerprint]), "the CLI prints both advisers' fingerprints");

  const onlyAnna = await submitNewReport(client, { slug: 'meldpunt', report, pinnedFingerprints: [anna.fingerprint.toLowerCase()] });
  t.same((await anna.openCase(onlyAnna.caseId)).excluded, [bart.account.id], 'an unpinned adviser is left out');
  await t.rejects(
    submitNewReport(client, { slug: 'meldpunt', report, pinnedFingerprints: [anna.fingerprint], adviserKeyIds: [bart.account.id] }),
    { code: 'unpinned_advisers' },
  );

  // The server swaps Bart's keys for its own: a reporter with the published link never uses them.
  const evil = sodium().crypto_box_keypair();
  await exec(sql`update staff_accounts set box_public_key = ${evil.publicKey} where username = 'bart'`);
  const both = await submitNewReport(client, { slug: 'meldpunt', report, pinnedFingerprints: pins });
  t.same((await anna.openCase(both.caseId)).excluded, [bart.account.id], "the swapped key fails its pin and gets no wrap");
  t.not(keyFingerprint(evil.publicKey, fromBase64url(bart.account.signPublicKey)), bart.fingerprint);
  await exec(sql`update staff_accounts set box_public_key = ${evil.publicKey} where username = 'anna'`);
  await t.rejects(submitNewReport(client, { slug: 'meldpunt', report, pinnedFingerprints: pins }), { code: 'unpinned_advisers' }, 'no pinned key left: nothing is sent');
});
