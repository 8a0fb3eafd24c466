/**
 * Relay attachments (docs/protocol.md §5 "Relay attachments") through the typed client over
 * HTTP: the adviser attaches an anonymised document to a relay, the reporter opens it before
 * approving, and the organisation reads the same bytes once the relay is sent. The reader
 * refuses an attachment the server lists with another length, and one it does not list.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import {
  ConfidantClient,
  openMailbox,
  setUpAccount,
  signIn,
  submitNewReport,
  type StaffSession,
} from '../src/protocol/index.js';
import { createAdministration } from '../src/server/services/administration.js';
import { apiFailure, buildTestApp } from './helper.js';
import { plainFile, readAll, sendBody } from './helpers/file-transfer.js';

t.test('an attachment goes with its relay: the reporter opens it before approving, the organisation reads the same bytes, and refuses it listed with another length or not at all', async (t) => {
  const { baseUrl, database } = await buildTestApp(t);
  const admin = createAdministration(database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const client = new ConfidantClient({ baseUrl });
  const account = async (invite: { token: string }, username: string): Promise<StaffSession> => {
    const passphrase = `${username} heeft een lang wachtwoord`;
    await setUpAccount(client, { token: invite.token, username, displayName: username, passphrase });
    return signIn(client, { username, passphrase });
  };
  const anna = await account(await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' }), 'anna');
  const olga = await account(await admin.createInvite({ role: 'recipient', organisation: 'acme' }), 'olga');

  const submitted = await submitNewReport(client, { slug: 'acme-meldpunt', report: { v: 1, lang: 'nl', answers: { what: 'Fraude bij inkoop.' }, anonymity: 'anonymous' } });
  // Three chunks and a bit: the chunk boundaries are crossed.
  const statement = randomBytes(3 * 65536 + 1234);
  const { upload, ref } = await anna.attachToRelay(submitted.caseId, plainFile('verklaring (geanonimiseerd).pdf', 'application/pdf', statement));
  t.equal(ref.size, statement.length, 'the ref names the plaintext size');

  // The relay cannot take it before its last byte is in.
  t.match(await apiFailure(anna.createRelay(submitted.caseId, 'Zie de bijlage.', undefined, [ref])), { status: 409, code: 'attachment_incomplete' }, 'an unfinished attachment is refused');
  await sendBody(baseUrl, upload);
  const relay = await anna.createRelay(submitted.caseId, 'Zie de bijlage.', undefined, [ref]);
  t.equal(relay.state, 'awaiting_consent');

  // The adviser sees it on the case and in the relay.
  const caseView = await anna.openCase(submitted.caseId);
  const caseRelay = caseView.relays.find((r) => r.relayId === relay.relayId);
  t.match(caseRelay, { ok: true, attachments: [{ ok: true, fileId: ref.fileId, name: 'verklaring (geanonimiseerd).pdf', type: 'application/pdf', size: statement.length }] }, "the case's relay lists it");
  t.same(caseView.files, [], "it is no file of the case's conversation");
  t.ok((await readAll(baseUrl, await anna.relayAttachmentDownload(relay.relayId, ref.fileId))).equals(statement), 'the adviser reads it back byte for byte');

  // The reporter sees and opens it before deciding.
  const mailbox = await openMailbox(client, submitted.code);
  const copy = mailbox.view.relays.find((r) => r.relayId === relay.relayId);
  t.match(copy, { ok: true, attachments: [{ ok: true, fileId: ref.fileId, name: 'verklaring (geanonimiseerd).pdf', size: statement.length }] }, 'the consent view lists it');
  t.same(mailbox.view.files, [], "the reporter's file list does not");
  t.ok((await readAll(baseUrl, mailbox.relayAttachmentDownload(relay.relayId, ref.fileId))).equals(statement), 'the reporter opens it byte for byte');
  t.throws(() => mailbox.relayAttachmentDownload(relay.relayId, randomBytes(16).toString('base64url')), { code: 'unknown_file' }, 'an attachment the copy does not name is refused');
  await mailbox.consent(relay.relayId, 'approve');

  t.match(await apiFailure(olga.relayAttachmentDownload(relay.relayId, ref.fileId)), { status: 404, code: 'unknown_relay' }, 'the organisation reads nothing before it is sent');
  await anna.sendRelay(relay.relayId);
  const opened = await olga.openRelay(relay.relayId);
  t.equal(opened.approval, 'verified', 'the approval covers the text, and with it the attachments it names');
  t.match(opened.attachments, [{ ok: true, fileId: ref.fileId, name: 'verklaring (geanonimiseerd).pdf', type: 'application/pdf', size: statement.length }], 'the organisation sees it listed');
  t.notOk(JSON.stringify(opened.attachments).includes(ref.key), 'the listing holds no key');
  t.ok((await readAll(baseUrl, await olga.relayAttachmentDownload(relay.relayId, ref.fileId))).equals(statement), 'the organisation reads the same bytes');

  // The server lies about the length: the reader refuses before reading a byte.
  await database.db.execute(sql.raw(`update files set bytes = bytes + 1 where id = '${ref.fileId}'`));
  t.match((await olga.openRelay(relay.relayId)).attachments, [{ ok: false, fileId: ref.fileId, error: 'stream_corrupt' }], 'listed with another length: refused in the list');
  await t.rejects(olga.relayAttachmentDownload(relay.relayId, ref.fileId), { code: 'stream_corrupt' }, 'and when opened');

  // The server withholds it: named by the text, not listed, shown as missing.
  await database.db.execute(sql.raw(`update files set bytes = bytes - 1, relay_id = null where id = '${ref.fileId}'`));
  t.match((await olga.openRelay(relay.relayId)).attachments, [{ ok: false, fileId: ref.fileId, error: 'unknown_file' }], 'not listed: shown as missing');
  await t.rejects(olga.relayAttachmentDownload(relay.relayId, ref.fileId), { code: 'unknown_file' }, 'and not read');
});
