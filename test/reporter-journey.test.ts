/**
 * The reporter's whole journey through the typed client against the real app over HTTP:
 * submit, open the mailbox with the code, read the own report, post messages, change the
 * code, and find the old code refused and the new one working.
 */
import t from 'tap';
import { eq } from 'drizzle-orm';
import {
  ConfidantClient,
  ProtocolError,
  openMailbox,
  reportAd,
  decryptRecord,
  submitNewReport,
  unsealKey,
  REPORT_BLOCK,
  toBase64url,
} from '../src/protocol/index.js';
import { caseWraps, cases } from '../src/server/db/schema.js';
import { apiFailure, buildTestApp } from './helper.js';
import { addAdviser, addChannel } from './fixtures.js';

t.test('a reporter submits, reads, writes and changes the code', async (t) => {
  const { baseUrl, database } = await buildTestApp(t);
  const { db } = database;
  await addChannel(db, 'meldpunt');
  const anna = await addAdviser(db, 'meldpunt', 'Anna de Vries');
  const bram = await addAdviser(db, 'meldpunt', 'Bram Jansen');
  const client = new ConfidantClient({ baseUrl });

  const channel = await client.getChannel('meldpunt');
  t.same(
    channel.advisers.map((a) => a.name),
    ['Anna de Vries', 'Bram Jansen'],
    'the channel lists its advisers',
  );
  t.equal(channel.consentRequired, true);
  t.equal(channel.advisers[0]?.boxPublicKey, toBase64url(anna.boxPublicKey));

  const report = {
    v: 1 as const,
    lang: 'nl',
    answers: { what: 'De teamleider past declaraties aan.', when: 'Sinds maart', where: 'Afdeling inkoop' },
    anonymity: 'anonymous' as const,
  };
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report, adviserKeyIds: [anna.id] });
  t.match(submitted.code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/, 'a code in six groups');
  const receivedAt = new Date(submitted.receivedAt);
  t.equal(new Date(submitted.acknowledgeBy).getTime() - receivedAt.getTime(), 7 * 24 * 3600 * 1000, 'acknowledge within 7 days');

  // Only the chosen adviser holds a wrap, and it opens the report.
  const wraps = await db.select().from(caseWraps).where(eq(caseWraps.caseId, submitted.caseId));
  t.same(wraps.map((w) => w.accountId), [anna.id], 'only Anna received the report');
  const caseKey = unsealKey(toBase64url(wraps[0]!.wrap), anna.boxPublicKey, anna.boxSecretKey);
  const [row] = await db.select().from(cases).where(eq(cases.id, submitted.caseId));
  const opened = decryptRecord(
    caseKey,
    { nonce: toBase64url(row!.reportNonce!), ciphertext: toBase64url(row!.reportCiphertext!) },
    reportAd(submitted.caseId),
    REPORT_BLOCK,
  );
  t.same(opened, report, 'the adviser decrypts exactly what the reporter wrote');
  t.throws(() => unsealKey(toBase64url(wraps[0]!.wrap), bram.boxPublicKey, bram.boxSecretKey), ProtocolError, 'Bram cannot open it');

  const mailbox = await openMailbox(client, submitted.code.toLowerCase().replace(/-/g, ' '));
  t.same(mailbox.view.report, report, 'the reporter reads the own report with the code');
  t.equal(mailbox.view.status, 'received');
  t.equal(mailbox.view.acknowledgedAt, null);
  // Three calendar months after acknowledgeBy (no acknowledgement yet); the clamp of days 29–31 is tested in deadlines.test.ts.
  const ackBy = new Date(submitted.acknowledgeBy);
  if (ackBy.getUTCDate() <= 28) {
    const expected = new Date(ackBy);
    expected.setUTCMonth(expected.getUTCMonth() + 3);
    t.equal(mailbox.view.feedbackBy, expected.toISOString(), 'feedback due three months after the acknowledgement deadline');
  }
  t.same(mailbox.view.messages, []);

  const first = await mailbox.postMessage('Ik heb ook bonnetjes gezien.');
  await mailbox.postMessage('En een tweede bericht.');
  const view = await mailbox.refresh();
  t.same(
    view.messages.map((m) => (m.ok ? m.message.body : m.error)),
    ['Ik heb ook bonnetjes gezien.', 'En een tweede bericht.'],
    'the messages come back in order',
  );
  t.equal(view.messages[0]?.id, first.id);

  const newCode = await mailbox.rotate();
  t.not(newCode, submitted.code, 'a new code');
  t.match(await apiFailure(mailbox.refresh()), { status: 401, code: 'not_signed_in' }, 'the session of the old code ends');
  t.match(await apiFailure(openMailbox(client, submitted.code)), { status: 401, code: 'mailbox_login_failed' }, 'the old code is refused');
  const again = await openMailbox(client, newCode);
  t.same(again.view.report, report, 'the new code opens the same case');
  t.equal(again.view.messages.length, 2, 'with its messages');
  await again.close();
});

t.test('a code with a typing error is refused before any request', async (t) => {
  let requests = 0;
  const client = new ConfidantClient({
    baseUrl: 'http://127.0.0.1:9',
    fetch: async () => {
      requests++;
      throw new Error('no request expected');
    },
  });
  await t.rejects(openMailbox(client, 'K7Q4-M2XD-9PTR-H6WA-3FZN-0KYX'), { code: 'wrong_check' });
  await t.rejects(openMailbox(client, 'K7Q4-M2XD-9PTR-H6WA-3FZN'), { code: 'wrong_length' });
  await t.rejects(openMailbox(client, 'U7Q4-M2XD-9PTR-H6WA-3FZN-1KYX'), { code: 'invalid_symbol' });
  t.equal(requests, 0);
});
