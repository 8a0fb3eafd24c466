/**
 * Relay approval: the reporter approves the copy, the organisation receives the text; the
 * organisation's client checks, with the reporter's keyed hash, that both are the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import {
  ConfidantClient,
  KEY_BYTES,
  RELAY_BLOCK,
  encryptRecord,
  fromBase64url,
  openMailbox,
  ready,
  relayAd,
  relayCopyAd,
  sealKey,
  setUpAccount,
  signIn,
  sodium,
  submitNewReport,
  toBase64url,
  type StaffSession,
} from '../src/protocol/index.js';
import { relayApproval } from '../src/protocol/relay-approval.js';
import { createAdministration } from '../src/server/services/administration.js';
import { apiFailure, buildTestApp, mailboxToken } from './helper.js';

const report = { v: 1 as const, lang: 'en', answers: { what: 'Invoices are split.' }, anonymity: 'anonymous' as const };

async function setUp(t: { teardown(fn: () => unknown): void }, consentRequired = true) {
  const built = await buildTestApp(t);
  const admin = createAdministration(built.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'meldpunt', name: 'Meldpunt Acme', organisation: 'acme', consentRequired });
  const client = new ConfidantClient({ baseUrl: built.baseUrl });
  const account = async (invite: { token: string }, username: string): Promise<StaffSession> => {
    await setUpAccount(client, { token: invite.token, username, displayName: username, passphrase: `${username} has a long passphrase` });
    return signIn(client, { username, passphrase: `${username} has a long passphrase` });
  };
  const anna = await account(await admin.createInvite({ role: 'adviser', channel: 'meldpunt' }), 'anna');
  const olga = await account(await admin.createInvite({ role: 'recipient', organisation: 'acme' }), 'olga');
  return { ...built, client, anna, olga };
}

t.test('the organisation reads exactly the approved text: verified', async (t) => {
  const { client, anna, olga, database } = await setUp(t);
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });
  const relay = await anna.createRelay(submitted.caseId, 'Purchasing splits invoices to stay under the tender limit.');
  const mailbox = await openMailbox(client, submitted.code);
  await mailbox.consent(relay.relayId, 'approve');
  const stored = (await database.db.execute(sql`select approval from relays where id = ${relay.relayId}`)) as unknown as { rows: Array<{ approval: Uint8Array }> };
  t.equal(stored.rows[0]!.approval.length, 32, 'the approval hash is stored');
  await anna.sendRelay(relay.relayId);
  const read = await olga.openRelay(relay.relayId);
  t.equal(read.text.body, 'Purchasing splits invoices to stay under the tender limit.');
  t.equal(read.approval, 'verified');
  t.equal((await anna.openRelay(relay.relayId)).approval, 'verified', 'the adviser sees the same check');

  // The server cannot make another approval pass: a changed hash is a mismatch, none is unavailable.
  await database.db.execute(sql`update relays set approval = ${randomBytes(32)} where id = ${relay.relayId}`);
  t.equal((await olga.openRelay(relay.relayId)).approval, 'mismatch');
  await database.db.execute(sql`update relays set approval = null where id = ${relay.relayId}`);
  t.equal((await olga.openRelay(relay.relayId)).approval, 'unavailable');
});

t.test('a text that differs from the approved copy is a mismatch', async (t) => {
  const { client, anna, olga } = await setUp(t);
  await ready();
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });
  // A dishonest adviser client: one approval key, but another text for the organisation.
  const caseKey = await anna.caseKey(submitted.caseId);
  const holders = await client.relayRecipients(anna.token, submitted.caseId);
  const s = sodium();
  const relayId = toBase64url(s.randombytes_buf(16));
  const relayKey = s.randombytes_buf(KEY_BYTES);
  const approvalKey = toBase64url(s.randombytes_buf(KEY_BYTES));
  await client.createRelay(anna.token, submitted.caseId, {
    relayId,
    wraps: [...holders.recipients, ...holders.advisers].map((h) => ({ keyId: h.keyId, wrap: sealKey(relayKey, fromBase64url(h.boxPublicKey)) })),
    text: encryptRecord(relayKey, { v: 1, body: 'The reporter is Jan from purchasing.', approvalKey }, relayAd(relayId), RELAY_BLOCK),
    copy: encryptRecord(caseKey, { v: 1, body: 'Purchasing splits invoices.', approvalKey }, relayCopyAd(submitted.caseId, relayId), RELAY_BLOCK),
  });
  const mailbox = await openMailbox(client, submitted.code);
  await mailbox.consent(relayId, 'approve');
  await anna.sendRelay(relayId);
  t.equal((await olga.openRelay(relayId)).approval, 'mismatch', 'the organisation is warned');
});

t.test('without consent there is nothing to check; bad approvals are refused', async (t) => {
  const { client, anna, olga } = await setUp(t, false);
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });
  const relay = await anna.createRelay(submitted.caseId, 'No consent on this channel.');
  t.equal(relay.state, 'approved');
  await anna.sendRelay(relay.relayId);
  t.equal((await olga.openRelay(relay.relayId)).approval, 'unavailable');
});

t.test('the consent route: an approval hash only with approve, 32 bytes', async (t) => {
  const { client, anna, baseUrl } = await setUp(t);
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });
  const relay = await anna.createRelay(submitted.caseId, 'A text.');
  const token = await mailboxToken(baseUrl, submitted.code);
  t.match(await apiFailure(client.consentRelay(token, relay.relayId, 'decline', toBase64url(randomBytes(32)))), { status: 400, code: 'invalid_approval' });
  t.match(await apiFailure(client.consentRelay(token, relay.relayId, 'approve', toBase64url(randomBytes(31)))), { status: 400 });
  await client.consentRelay(token, relay.relayId, 'approve');
  t.pass('an approval without a hash (a v1 client) is still accepted');
});

t.test('the approval formula', async (t) => {
  await ready();
  const s = sodium();
  const key = new Uint8Array(32).fill(7);
  const plaintext = s.from_string('{"v":1,"body":"x"}');
  const expected = s.crypto_generichash(32, s.from_string(`confidant-v1/relay-approval/RID\n{"v":1,"body":"x"}`), key);
  t.equal(relayApproval('RID', key, plaintext), toBase64url(expected));
});
