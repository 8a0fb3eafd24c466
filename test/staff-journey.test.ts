/**
 * The adviser's journey through the typed client against the real app over HTTP: invite,
 * account set-up in the client, login with TOTP, a report arrives, the adviser lists,
 * decrypts, acknowledges and replies, and the reporter reads the reply with the code.
 */
import t from 'tap';
import { ConfidantClient, emptyRegistration, openMailbox, recoverAccount, setUpAccount, signIn, submitNewReport } from '../src/protocol/index.js';
import { auditLog, reporterEvents } from '../src/server/db/schema.js';
import { createAdministration } from '../src/server/services/administration.js';
import { totpCode, totpStep } from '../src/server/services/totp.js';
import { apiFailure, buildTestApp } from './helper.js';
import { fromBase32 } from './fixtures.js';

t.test('invite → set-up → TOTP login → casework → the reporter reads the reply', async (t) => {
  const { baseUrl, database, app } = await buildTestApp(t);
  const admin = createAdministration(database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'gemeente', name: 'Gemeente Voorbeeld' });
  await admin.createChannel({ slug: 'meldpunt', name: 'Meldpunt', organisation: 'gemeente' });
  const invite = await admin.createInvite({ role: 'adviser', channel: 'meldpunt' });
  const client = new ConfidantClient({ baseUrl });

  const created = await setUpAccount(client, { token: invite.token, username: 'anna', displayName: 'Anna de Vries', passphrase: 'paard batterij nietje correct' });
  t.equal(created.role, 'adviser');
  t.match(created.recoveryKey, /^[0-9A-Z]{4}(-[0-9A-Z]{1,4})+$/, 'a recovery key to show once');
  t.match(await apiFailure(setUpAccount(client, { token: invite.token, username: 'bram', displayName: 'Bram', passphrase: 'x y z w' })), {
    status: 404,
    code: 'invite_invalid',
  }, 'an invite works once');

  // TOTP enrolment, then login needs the code, and a code works once. Codes of the current
  // step and the next are both accepted (one step of drift), so the test needs no waiting.
  const first = await signIn(client, { username: 'anna', passphrase: 'paard batterij nietje correct' });
  t.same(first.account.channels.map((c) => c.slug), ['meldpunt']);
  const enrolment = await first.startTotp('paard batterij nietje correct');
  t.match(enrolment.uri, /^otpauth:\/\/totp\/Confidant%3Aanna\?secret=[A-Z2-7]+&issuer=Confidant/);
  const secret = fromBase32(enrolment.secret);
  const step = totpStep(new Date());
  await first.confirmTotp(totpCode(secret, step));
  await first.logout();
  t.match(await apiFailure(signIn(client, { username: 'anna', passphrase: 'paard batterij nietje correct' })), { status: 401, code: 'totp_required' });
  const code = totpCode(secret, step + 1);
  const anna = await signIn(client, { username: 'anna', passphrase: 'paard batterij nietje correct', totp: code });
  t.equal(anna.account.totpEnabled, true);
  t.match(await apiFailure(signIn(client, { username: 'anna', passphrase: 'paard batterij nietje correct', totp: code })), { status: 401, code: 'login_failed' }, 'a used code is refused');

  // A reporter submits.
  const report = { v: 1 as const, lang: 'en', answers: { what: 'Invoices are being split to avoid tendering.' }, anonymity: 'anonymous' as const };
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report });

  const list = await anna.listCases();
  t.equal(list.cases.length, 1);
  t.match(list.cases[0], { caseId: submitted.caseId, channel: 'meldpunt', status: 'received', unread: true, overdue: false, acknowledgedAt: null });
  const opened = await anna.openCase(submitted.caseId);
  t.same(opened.report, report, 'the adviser decrypts the report');
  t.equal((await anna.listCases()).cases[0]?.unread, false, 'read after opening');

  const acknowledged = await anna.setStatus(submitted.caseId, 'acknowledged');
  t.equal(acknowledged.status, 'acknowledged');
  t.ok(acknowledged.acknowledgedAt, 'acknowledgedAt is set');
  await anna.reply(submitted.caseId, 'Thank you. I will look into this and answer within three months.');
  const record = { ...emptyRegistration(), kind: 'report' as const, track: 'integrity' as const, categories: ['wrongdoing' as const], notes: 'split invoices' };
  await anna.saveRegistration(submitted.caseId, record);
  const again = await anna.openCase(submitted.caseId);
  t.strictSame(again.registration, record, 'the registration round-trips encrypted');

  const mailbox = await openMailbox(client, submitted.code);
  t.equal(mailbox.view.status, 'acknowledged');
  t.equal(mailbox.view.acknowledgedAt, acknowledged.acknowledgedAt);
  const reply = mailbox.view.messages.find((m) => m.author === 'adviser');
  t.ok(reply?.ok && reply.message.body.startsWith('Thank you.'), 'the reporter reads the reply with the code');
  await mailbox.postMessage('Thank you!');
  t.equal((await anna.listCases()).cases[0]?.unread, true, 'a reporter message makes it unread again');

  // A second adviser of the channel receives the case by a grant.
  const bramInvite = await admin.createInvite({ role: 'adviser', channel: 'meldpunt' });
  const bramAccount = await setUpAccount(client, { token: bramInvite.token, username: 'bram', displayName: 'Bram Jansen', passphrase: 'bram zijn eerste wachtwoord' });
  let bram = await signIn(client, { username: 'bram', passphrase: 'bram zijn eerste wachtwoord' });
  t.same((await bram.listCases()).cases, [], 'Bram holds no wrap yet');
  t.match(await apiFailure(bram.openCase(submitted.caseId)), { status: 404, code: 'unknown_case' });
  const bramKeys = (await client.getChannel('meldpunt')).advisers.find((a) => a.keyId === bramAccount.accountId);
  await anna.grant(submitted.caseId, { keyId: bramAccount.accountId, boxPublicKey: bramKeys!.boxPublicKey });
  t.same((await bram.openCase(submitted.caseId)).report, report, 'after the grant Bram decrypts the report');

  // Passphrase change and recovery keep the keys: the case still opens.
  await bram.changePassphrase('bram zijn eerste wachtwoord', 'bram zijn tweede wachtwoord');
  await bram.logout();
  t.match(await apiFailure(signIn(client, { username: 'bram', passphrase: 'bram zijn eerste wachtwoord' })), { status: 401, code: 'login_failed' }, 'the old passphrase stops working');
  await recoverAccount(client, { username: 'bram', recoveryKey: bramAccount.recoveryKey, newPassphrase: 'na herstel een nieuw wachtwoord' });
  bram = await signIn(client, { username: 'bram', passphrase: 'na herstel een nieuw wachtwoord' });
  t.same((await bram.openCase(submitted.caseId)).report, report, 'after recovery the case still opens');

  // The audit chain holds the journey, with nothing but ids and actions.
  await app.services.audit.seal();
  t.match(await app.services.audit.verify(), { ok: true });
  const [entries] = await Promise.all([database.db.select().from(auditLog)]);
  const actions = entries.map((e) => e.action);
  for (const action of ['account_created', 'login', 'login_failed', 'totp_enabled', 'logout', 'view', 'status', 'message', 'registration', 'grant', 'passphrase_changed', 'recovered']) {
    t.ok(actions.includes(action), `audited: ${action}`);
  }
  // The reporter's actions stay out of the permanent chain: kept apart, by whole hour and case only.
  t.strictSame(entries.filter((e) => e.actor === 'reporter'), [], 'no reporter action in the chain');
  const reporterActions = await database.db.select().from(reporterEvents);
  t.ok(reporterActions.every((e) => e.caseId === submitted.caseId && e.hour.getTime() % 3600_000 === 0), 'reporter events name only the case, at whole hours');
  t.ok(['submitted', 'message'].every((action) => reporterActions.some((e) => e.action === action)), 'the submission and the message are among them');
});
