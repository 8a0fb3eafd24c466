/**
 * The relay journey (protocol-v1 §5) through the typed client over HTTP, and the promise that
 * nothing leaks to the organisation: every answer an organisation recipient receives is
 * recorded and searched for every value that could lead back to the case or the reporter.
 */
import t from 'tap';
import {
  ConfidantClient,
  openMailbox,
  setUpAccount,
  signIn,
  submitNewReport,
  type FetchLike,
  type StaffSession,
  emptyRegistration,
} from '../src/protocol/index.js';
import { createAdministration } from '../src/server/services/administration.js';
import { apiFailure, buildTestApp } from './helper.js';

/** A client that keeps every answer body it receives. */
function recordingClient(baseUrl: string) {
  const answers: Array<{ url: string; status: number; body: string }> = [];
  const recording: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    const body = await response.text();
    answers.push({ url, status: response.status, body });
    return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => body };
  };
  return { client: new ConfidantClient({ baseUrl, fetch: recording }), answers };
}

t.test('adviser relays, reporter approves, organisation answers, reporter reads; nothing leaks', async (t) => {
  const { baseUrl, database } = await buildTestApp(t);
  const admin = createAdministration(database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createOrganisation({ slug: 'other', name: 'Other B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const client = new ConfidantClient({ baseUrl });
  const org = recordingClient(baseUrl);

  const account = async (c: ConfidantClient, invite: { token: string }, username: string, passphrase: string): Promise<StaffSession> => {
    await setUpAccount(c, { token: invite.token, username, displayName: username, passphrase });
    return signIn(c, { username, passphrase });
  };
  const anna = await account(client, await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' }), 'anna', 'anna heeft een lang wachtwoord');

  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Fraude bij inkoop.', who: 'Naam van de melder staat hier niet.' }, anonymity: 'anonymous' as const };
  const submitted = await submitNewReport(client, { slug: 'acme-meldpunt', report });
  await anna.setStatus(submitted.caseId, 'acknowledged');
  await anna.reply(submitted.caseId, 'Dank u. Ik wil dit anoniem doorgeven aan de organisatie.');
  await anna.saveRegistration(submitted.caseId, { ...emptyRegistration(), track: 'integrity', categories: ['wrongdoing'] });

  // No recipient yet: the adviser is told to have one invited.
  t.match(await apiFailure(anna.createRelay(submitted.caseId, 'x')), { status: 409, code: 'no_recipients' });
  const olga = await account(org.client, await admin.createInvite({ role: 'recipient', organisation: 'acme' }), 'olga', 'olga van de organisatie');
  const otto = await account(client, await admin.createInvite({ role: 'recipient', organisation: 'other' }), 'otto', 'otto van een andere organisatie');

  const relayText = 'Er zijn aanwijzingen dat bij inkoop facturen worden gesplitst om aanbesteding te ontlopen.';
  const relay = await anna.createRelay(submitted.caseId, relayText);
  t.equal(relay.state, 'awaiting_consent', 'the channel requires consent');
  t.match(await apiFailure(anna.sendRelay(relay.relayId)), { status: 409, code: 'consent_missing' }, 'not sent before consent');
  t.match(await apiFailure(olga.openRelay(relay.relayId)), { status: 404, code: 'unknown_relay' }, 'the organisation sees nothing before it is sent');
  t.same((await olga.listRelays()).relays, []);

  // The reporter reads the copy exactly as the organisation would get it, and approves.
  const mailbox = await openMailbox(client, submitted.code);
  const copy = mailbox.view.relays.find((r) => r.relayId === relay.relayId);
  t.ok(copy?.ok, 'the copy opens with the case key');
  t.match(copy?.ok ? copy.copy : null, { v: 1, body: relayText }, 'the copy is the relay text');
  await mailbox.consent(relay.relayId, 'approve');
  t.match(await apiFailure(mailbox.consent(relay.relayId, 'decline')), { status: 409, code: 'relay_decided' });

  const sent = await anna.sendRelay(relay.relayId);
  t.equal(sent.state, 'sent');
  t.match(await apiFailure(anna.sendRelay(relay.relayId)), { status: 409, code: 'relay_sent' });

  // The organisation reads and answers.
  const inbox = await olga.listRelays();
  t.same(inbox.relays.map((r) => r.relayId), [relay.relayId]);
  const opened = await olga.openRelay(relay.relayId);
  t.match(opened.text, { v: 1, body: relayText }, 'the organisation decrypts the relay text');
  t.equal(opened.approval, 'verified', 'and it is the text the reporter approved');
  await olga.postRelayMessage(relay.relayId, 'Dank. Wij starten een onderzoek en horen graag of er meer documenten zijn.');
  t.match(await apiFailure(otto.openRelay(relay.relayId)), { status: 404, code: 'unknown_relay' }, 'a recipient of another organisation sees nothing');
  t.same((await otto.listRelays()).relays, []);

  // The adviser reads the thread and passes on what is useful; the reporter reads it.
  const thread = await anna.openRelay(relay.relayId);
  t.same(thread.messages.map((m) => m.author), ['organisation']);
  await anna.postRelayMessage(relay.relayId, 'Ik vraag het na bij de melder.');
  await anna.reply(submitted.caseId, `De organisatie laat weten: ${thread.messages[0]?.message.body ?? ''}`);
  const view = await mailbox.refresh();
  const last = view.messages[view.messages.length - 1];
  t.ok(last?.ok && last.message.body.includes('Wij starten een onderzoek'), 'the reporter reads the answer with the code');
  t.same(view.relays.map((r) => r.state), ['sent']);
  t.same((await olga.openRelay(relay.relayId)).messages.map((m) => m.author), ['organisation', 'adviser'], 'the thread in order');

  // A declined relay can be replaced by a new one.
  const second = await anna.createRelay(submitted.caseId, 'Aanvullende informatie.');
  t.match(await apiFailure(anna.createRelay(submitted.caseId, 'Nog een.')), { status: 409, code: 'relay_pending' });
  await mailbox.consent(second.relayId, 'decline');
  t.match(await apiFailure(anna.sendRelay(second.relayId)), { status: 409, code: 'relay_declined' });
  const third = await anna.createRelay(submitted.caseId, 'Aanvullende informatie, herschreven.');
  t.equal(third.state, 'awaiting_consent');

  // Nothing that leads to the case or the reporter reached the organisation.
  const detail = await client.getCase(anna.token, submitted.caseId);
  const forbidden: Array<[string, string]> = [
    ['caseId', submitted.caseId],
    ['report nonce', detail.report.nonce],
    ['report ciphertext', detail.report.ciphertext.slice(0, 64)],
    ['reporter wrap', detail.reporterWrap],
    ['case wrap', detail.wrap],
    ['received time', detail.receivedAt],
    ['acknowledged time', detail.acknowledgedAt ?? 'never'],
    ['registration', detail.registration?.ciphertext.slice(0, 64) ?? 'none'],
    ...detail.messages.flatMap((m): Array<[string, string]> => [
      [`message ${m.id} id`, m.id],
      [`message ${m.id} ciphertext`, m.ciphertext.slice(0, 64)],
      [`message ${m.id} time`, m.sentAt],
    ]),
    ...detail.relays.map((r): [string, string] => [`relay copy of ${r.relayId}`, r.copy.ciphertext.slice(0, 64)]),
  ];
  t.ok(org.answers.length >= 5, 'the organisation received answers');
  for (const answer of org.answers) {
    for (const [what, value] of forbidden) t.notMatch(answer.body, value, `${answer.url}: no ${what}`);
    for (const key of ['"caseId"', '"mailboxId"', '"status"', '"report"', '"reporterWrap"', '"registration"', '"decidedAt"', '"createdAt"']) {
      t.notMatch(answer.body, key, `${answer.url}: no ${key} field`);
    }
  }
});
