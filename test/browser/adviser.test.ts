/**
 * The adviser's journey in Chromium: invite → passphrase → recovery key → TOTP → sign-in with
 * the TOTP code → inbox (overdue first, badges) → case (report, acknowledge, reply,
 * registration, relay with the reporter's consent and the organisation's answer, access for a
 * colleague). Every page gets the harness checks (console, CSP, same origin, axe-core).
 */
import t from 'tap';
import { eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { ConfidantClient, caseReference, openMailbox, setUpAccount, signIn, submitNewReport } from '../../src/protocol/index.js';
import { cases } from '../../src/server/db/schema.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { totpCode, totpStep } from '../../src/server/services/totp.js';
import { adviser as strings } from '../../src/web/i18n/adviser.js';
import { passphraseStrength } from '../../src/web/pages/adviser/strength.js';
import { overdueFirst } from '../../src/web/pages/adviser/inbox.js';
import { caseDeadlines } from '../../src/web/pages/adviser/deadlines.js';
import { qrPath } from '../../src/web/pages/adviser/qr.js';
import { IDENTITY_FIELDS, QUESTIONS } from '../../src/web/pages/reporter/fields.js';
import { addAdviser, fromBase32 } from '../fixtures.js';
import { buildTestApp } from '../helper.js';
import { buildWeb, checkPage, chromiumAvailable, launch, openPage, shown } from './harness.js';

const SLOW = { timeout: 60_000 };
// Argon2id at 128 MiB runs five times in Chromium here: allow for a slow, busy machine.
t.setTimeout(600_000);
const DAY = 24 * 3600 * 1000;
type Tap = Parameters<typeof chromiumAvailable>[0];

/**
 * Every answer and identity field the report form can produce shows with the adviser's label,
 * never its raw key, wherever the page shows the report (the report section, beside the relay editor).
 */
async function labelsEveryField(t: Tap, page: Page, lang: 'nl' | 'en'): Promise<void> {
  const catalogue: Record<string, string> = strings[lang];
  const expected = [...QUESTIONS.map((q) => catalogue[`adviser.answer.${q}`]), ...IDENTITY_FIELDS.map((f) => catalogue[`adviser.identity.${f}`])];
  const reports = page.locator('.report');
  t.ok((await reports.count()) >= 1, `${lang}: the report is on the page`);
  for (let i = 0; i < (await reports.count()); i++) {
    const shown = await reports.nth(i).locator('dt').allTextContents();
    t.same(shown, expected, `${lang}: report ${i + 1} labels every field, in the form's order`);
  }
}

t.test('the adviser catalogue has the same keys in Dutch and English, all under adviser.*', async (t) => {
  const nl = Object.keys(strings.nl).sort();
  const en = Object.keys(strings.en).sort();
  t.same(nl, en);
  t.ok(nl.every((key) => key.startsWith('adviser.')));
  t.ok([...Object.values(strings.nl), ...Object.values(strings.en)].every((text) => text.trim().length > 0), 'no empty string');
});

t.test('the small rules of the adviser pages', async (t) => {
  t.equal(passphraseStrength(''), 'weak');
  t.equal(passphraseStrength('kort1!'), 'weak', 'short is weak whatever its classes');
  t.equal(passphraseStrength('aaaaaaaaaaaaaaaaaaaaaaaa'), 'weak', 'repetition counts for little');
  t.equal(passphraseStrength('Welkom2024!!'), 'fair');
  t.equal(passphraseStrength('paars konijn drinkt thee bij maanlicht'), 'strong');

  const shown = overdueFirst([
    { id: 'a', overdue: false },
    { id: 'b', overdue: true },
    { id: 'c', overdue: false },
    { id: 'd', overdue: true },
  ]);
  t.same(shown.map((c) => c.id), ['b', 'd', 'a', 'c'], 'overdue first, the server order kept otherwise');

  const now = Date.parse('2025-03-20T12:00:00Z');
  const base = { receivedAt: '2025-03-01T12:00:00Z', acknowledgeBy: '2025-03-08T12:00:00Z', feedbackBy: '2025-06-08T12:00:00Z', feedbackGivenAt: null };
  t.same(caseDeadlines({ ...base, status: 'received', acknowledgedAt: null }, now).map((l) => [l.key, l.late]), [
    ['adviser.deadline.ackLate', true],
    ['adviser.deadline.feedbackDue', false],
  ]);
  t.same(caseDeadlines({ ...base, status: 'acknowledged', acknowledgedAt: '2025-03-05T12:00:00Z', feedbackGivenAt: '2025-03-06T09:00:00Z' }, now).map((l) => l.key), [
    'adviser.deadline.ackDone',
    'adviser.deadline.feedbackDone',
  ]);
  t.same(caseDeadlines({ ...base, status: 'acknowledged', acknowledgedAt: '2025-03-05T12:00:00Z' }, Date.parse('2025-06-06T12:00:00Z')).map((l) => [l.key, l.late]), [
    ['adviser.deadline.ackDone', false],
    ['adviser.deadline.feedbackLate', true],
  ], 'acknowledged, messages or not, but no feedback marked three months on: late');
  t.same(caseDeadlines({ ...base, status: 'closed', acknowledgedAt: null }, now).map((l) => l.key), ['adviser.deadline.closed']);

  t.equal(qrPath([[true, false], [false, true]]), 'M0 0h1v1h-1zM1 1h1v1h-1z');
});

/** Fills a field found by its id. */
const fill = (page: Page, id: string, value: string) => page.locator(`#${id}`).fill(value);

t.test('an adviser sets up the account, signs in with TOTP and works a case to the organisation', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const invite = await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' });
  await addAdviser(app.database.db, 'acme-meldpunt', 'Bram Collega');
  const client = new ConfidantClient({ baseUrl: app.baseUrl });

  const browser = await launch(t);
  const watched = await openPage(browser, app);
  const { page } = watched;

  // Invite: the form, with the strength in words.
  await page.goto(`/invite#${invite.token}`);
  await page.getByRole('heading', { level: 1, name: 'Account instellen' }).waitFor();
  await checkPage(t, watched, 'invite form');
  const passphrase = 'paars konijn drinkt thee bij maanlicht';
  await fill(page, 'invite-display-name', 'Anna de Vries');
  await fill(page, 'invite-username', 'anna');
  await fill(page, 'invite-passphrase', 'kort');
  t.match(await page.locator('#invite-passphrase-strength').textContent(), /Sterkte: zwak/);
  await fill(page, 'invite-passphrase', passphrase);
  t.match(await page.locator('#invite-passphrase-strength').textContent(), /Sterkte: sterk/);
  await fill(page, 'invite-passphrase-repeat', 'iets anders dan de eerste');
  await page.getByRole('button', { name: 'Account aanmaken' }).click();
  t.match(await page.getByRole('alert').textContent(), /niet gelijk/, 'a mismatch is refused before any derivation');
  await fill(page, 'invite-passphrase-repeat', passphrase);
  await page.getByRole('button', { name: 'Account aanmaken' }).click();

  // The recovery key, once, with the warning; Continue waits for the confirmation.
  await page.getByRole('heading', { name: 'Uw herstelsleutel' }).waitFor(SLOW);
  const recoveryKey = (await page.getByTestId('recovery-key').textContent())?.trim() ?? '';
  t.ok(recoveryKey.length >= 40, 'the recovery key is shown');
  t.equal(new URL(page.url()).hash, '', 'the used invite token left the address bar');
  t.match(await page.locator('main').textContent(), /wachtwoordzin én deze herstelsleutel kwijt/);
  const continueButton = page.getByRole('button', { name: 'Verder' });
  t.ok(await continueButton.isDisabled(), 'Continue waits for the confirmation');
  await checkPage(t, watched, 'recovery key');
  await page.getByLabel(/Ik heb de herstelsleutel veilig bewaard/).check();
  await continueButton.click();

  // TOTP offered right after set-up: QR code and secret, then one code.
  await page.getByRole('button', { name: 'Nu instellen' }).waitFor(SLOW);
  t.ok(await shown(page.getByRole('button', { name: 'Later' })), 'optional here: Later is offered');
  await fill(page, 'totp-passphrase', passphrase);
  await page.getByRole('button', { name: 'Nu instellen' }).click();
  await page.getByRole('img', { name: /QR-code/ }).waitFor();
  t.ok((await page.locator('svg.qr path').getAttribute('d'))?.startsWith('M'), 'the QR code is drawn as a path');
  const secret = fromBase32(((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, ''));
  await checkPage(t, watched, 'TOTP enrolment');
  await fill(page, 'totp-confirm-code', totpCode(secret, totpStep(new Date())));
  await page.getByRole('button', { name: 'Bevestigen' }).click();
  await page.waitForURL('**/inbox', SLOW);

  // Two reports: an old one whose acknowledgement is overdue, and a fresh one.
  const report = (what: string) => ({ v: 1 as const, lang: 'nl', answers: { what, where: 'Afdeling inkoop' }, anonymity: 'anonymous' as const });
  const old = await submitNewReport(client, { slug: 'acme-meldpunt', report: report('Een oude melding over pesten.') });
  const tenDaysAgo = new Date(Date.now() - 10 * DAY);
  await app.database.db.update(cases).set({ receivedAt: tenDaysAgo }).where(eq(cases.id, old.caseId));
  // The fresh one answers every field the report form has, confidentially, with every identity field.
  const everyField = {
    ...report('Facturen worden gesplitst om aanbesteding te ontlopen.'),
    answers: Object.fromEntries(QUESTIONS.map((q) => [q, q === 'what' ? 'Facturen worden gesplitst om aanbesteding te ontlopen.' : `Antwoord op ${q}`])),
    anonymity: 'confidential' as const,
    identity: Object.fromEntries(IDENTITY_FIELDS.map((f) => [f, `Gegeven ${f}`])),
  };
  const fresh = await submitNewReport(client, { slug: 'acme-meldpunt', report: everyField });
  // A colleague who joins the channel after the reports holds neither case yet.
  await addAdviser(app.database.db, 'acme-meldpunt', 'Chris Nieuw');

  // Sign out; sign in again: the TOTP field appears when the server asks for it.
  await page.getByRole('button', { name: 'Uitloggen' }).click();
  await page.waitForURL('**/login');
  await page.getByRole('heading', { level: 1, name: 'Inloggen' }).waitFor();
  await checkPage(t, watched, 'login');
  await fill(page, 'login-username', 'anna');
  await fill(page, 'login-passphrase', passphrase);
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.locator('#login-totp').waitFor(SLOW);
  await fill(page, 'login-passphrase', passphrase);
  // The confirmation used this step's code: the next step's code is accepted (one step of drift).
  await fill(page, 'login-totp', totpCode(secret, totpStep(new Date()) + 1));
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.waitForURL('**/inbox', SLOW);

  // The inbox: both cases, the overdue one first although it is older, badges on both.
  await page.getByRole('table').waitFor(SLOW);
  const rows = page.locator('tbody tr');
  t.equal(await rows.count(), 2);
  t.match(await rows.nth(0).textContent(), new RegExp(`Melding ${caseReference(old.caseId)}.*Termijn verstreken.*Nieuw`));
  t.match(await rows.nth(1).textContent(), new RegExp(`Melding ${caseReference(fresh.caseId)}.*Nieuw`));
  t.notMatch(await rows.nth(1).textContent(), /Termijn verstreken/);
  t.match(await page.getByRole('status').first().textContent(), /2 meldingen, waarvan 1 met een verstreken termijn/);
  await checkPage(t, watched, 'inbox');
  await page.locator('#inbox-status').selectOption('closed');
  await page.getByText('Er zijn geen meldingen om te tonen.').waitFor();
  await page.locator('#inbox-status').selectOption('received');
  await page.getByRole('table').waitFor();
  t.equal(await page.locator('tbody tr').count(), 2, 'both are received');

  // Search by reference, as someone reads it out on the phone: lower case, no hyphen.
  await page.getByLabel('Zoeken op kenmerk').fill('K7M-4Q0');
  await page.getByRole('button', { name: 'Zoeken', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'Een kenmerk bestaat uit zes tekens' }).waitFor();
  t.equal(await page.getByLabel('Zoeken op kenmerk').getAttribute('aria-invalid'), 'true', 'a reference with a 0 is marked invalid');
  await page.getByLabel('Zoeken op kenmerk').fill(caseReference(old.caseId).toLowerCase().replace('-', ' '));
  await page.getByRole('button', { name: 'Zoeken', exact: true }).click();
  await page.getByText(`Meldingen met kenmerk ${caseReference(old.caseId)}:`).waitFor();
  await page.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
  t.match(await page.locator('tbody tr').textContent(), new RegExp(`Melding ${caseReference(old.caseId)}`), 'the search finds that one case');
  await checkPage(t, watched, 'inbox, searched by reference');
  await page.getByRole('button', { name: 'Alle meldingen tonen' }).click();
  await page.locator('tbody tr').nth(1).waitFor();
  t.equal(await page.locator('tbody tr').count(), 2, 'clearing the search shows every case again');

  // The case: the report decrypted, the deadlines in words.
  await page.getByRole('link', { name: `Melding ${caseReference(fresh.caseId)}` }).click();
  await page.getByText('Facturen worden gesplitst om aanbesteding te ontlopen.').first().waitFor(SLOW);
  t.match(await page.locator('.deadlines').textContent(), /Bevestig de ontvangst uiterlijk .* \(over 7 dagen\)/);
  await checkPage(t, watched, 'case');
  await labelsEveryField(t, page, 'nl');

  // Laid out for daily work: at 1280 px the report sits beside the conversation, and the index
  // of sections stays in view; at 390 px everything stacks without sideways scrolling.
  await page.setViewportSize({ width: 1280, height: 800 });
  const box = async (selector: string) => {
    const found = await page.locator(selector).boundingBox();
    if (!found) throw new Error(`${selector} is not shown`);
    return found;
  };
  const reportBox = await box('section.case-report');
  const conversationBox = await box('section[aria-labelledby="conversation-title"]');
  t.ok(reportBox.x + reportBox.width <= conversationBox.x, 'wide: the report is left of the conversation');
  t.ok(Math.abs(reportBox.y - conversationBox.y) < 40, 'wide: side by side, level at the top');
  await page.getByRole('navigation', { name: 'Op deze pagina' }).getByRole('link', { name: 'Toegang voor een andere vertrouwenspersoon' }).click();
  await page.waitForFunction(() => window.scrollY > 200);
  t.ok((await box('nav.on-this-page')).y <= 1, 'wide: the index of sections stays at the top while scrolling');
  await checkPage(t, watched, 'case at 1280 px');
  await page.setViewportSize({ width: 390, height: 844 });
  const narrowReport = await box('section.case-report');
  const narrowConversation = await box('section[aria-labelledby="conversation-title"]');
  t.ok(narrowReport.y + narrowReport.height <= narrowConversation.y, 'narrow: the conversation follows the report');
  const wider = await page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1 || (getComputedStyle(element).overflowX === 'visible' && element.scrollWidth > element.clientWidth + 1 && element.clientWidth > 0))
      .map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join('.')}#${element.id}`),
  );
  t.same(wider, [], 'narrow: nothing is wider than the screen');
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'narrow: no sideways scrolling');
  await checkPage(t, watched, 'case at 390 px');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Acknowledge: the next step is one button; the new status is announced.
  await page.getByRole('button', { name: 'Ontvangst bevestigen' }).click();
  await page.getByText('De status is nu: Ontvangst bevestigd.').waitFor();
  t.ok(await shown(page.getByRole('button', { name: 'In behandeling nemen' })), 'the next step is offered');

  // Reply to the reporter.
  await fill(page, 'reply-body', 'Dank u voor uw melding. Ik neem contact op.');
  await page.getByRole('button', { name: 'Bericht versturen' }).click();
  await page.getByText('Het bericht is verstuurd.').waitFor();
  t.match(await page.locator('#conversation-title + ul.messages').textContent(), /Dank u voor uw melding/);
  // A thank-you is not the feedback: only a message marked as such meets the 3-month deadline.
  t.match(await page.locator('.deadlines').textContent(), /Geef de melder uiterlijk .* terugkoppeling/, 'an unmarked message leaves the feedback due');
  await fill(page, 'reply-body', 'Uw melding is beoordeeld als een vermoeden van een misstand. Ik leg de organisatie een geanonimiseerde tekst voor.');
  await page.getByLabel('Dit bericht is de terugkoppeling').check();
  await page.getByRole('button', { name: 'Bericht versturen' }).click();
  await page.locator('.deadlines').filter({ hasText: 'Terugkoppeling gegeven op' }).waitFor();
  t.equal(await page.locator('#conversation-title + ul.messages li').filter({ has: page.locator('.badge.feedback') }).count(), 1, 'the one marked message carries the Terugkoppeling badge');
  t.equal(await page.getByLabel('Dit bericht is de terugkoppeling').count(), 0, 'once given, the choice is not offered again');
  await checkPage(t, watched, 'case after the feedback');

  // The registration, saved encrypted and read back after a refresh.
  t.equal(await page.getByLabel('Onregelmatigheid').count(), 0, 'categories appear once a track is chosen');
  await page.getByLabel('Melding', { exact: true }).check();
  await page.getByLabel('Integriteit', { exact: true }).check();
  await page.getByLabel('Onregelmatigheid').check();
  t.equal(await page.getByLabel('Huis voor Klokkenluiders').count(), 0, 'referrals appear once "Doorverwezen" is ticked');
  await page.getByRole('checkbox', { name: 'Doorverwezen', exact: true }).check();
  await page.getByLabel('Huis voor Klokkenluiders').check();
  await page.getByRole('button', { name: 'Datum toevoegen' }).click();
  await fill(page, 'registration-follow-up-0-on', '2031-05-14');
  await page.locator('#registration-follow-up-0-kind').selectOption('hearing');
  await fill(page, 'registration-minutes', '45');
  await page.getByRole('button', { name: 'Registratie opslaan' }).click();
  await page.getByText(/De registratie is opgeslagen/).waitFor();

  // A relay needs a recipient at the organisation: without one, the adviser is told so up front.
  await fill(page, 'relay-text', 'Er zijn aanwijzingen dat bij inkoop facturen worden gesplitst.');
  const noRecipient = page.locator('#relay-title ~ .columns .warning').filter({ hasText: 'nog geen ontvanger' });
  await noRecipient.waitFor();
  t.ok(await page.getByRole('button', { name: 'Voorleggen aan de melder' }).isDisabled(), 'nothing can be proposed without a recipient');
  const recipientInvite = await admin.createInvite({ role: 'recipient', organisation: 'acme' });
  await setUpAccount(client, { token: recipientInvite.token, username: 'olga', displayName: 'Olga', passphrase: 'olga van de organisatie' });
  // Once the recipient exists, Refresh clears the notice and shows her with her fingerprint.
  await page.getByRole('button', { name: 'Vernieuwen' }).click();
  await page.locator('.relay-readers').filter({ hasText: 'Olga' }).waitFor();
  t.equal(await noRecipient.count(), 0, 'the notice is gone once its cause is');
  t.equal(await page.getByRole('alert').count(), 0, 'and no error stays behind');
  t.match(await page.locator('.relay-readers').textContent(), /Olga [0-9A-Z]{4}-/, 'the new reader is listed with her fingerprint');
  t.equal(await page.locator('#relay-text').inputValue(), 'Er zijn aanwijzingen dat bij inkoop facturen worden gesplitst.', 'the draft survives the refresh');
  // A second recipient joins after the list was shown: nothing is sealed before the adviser has seen her.
  const secondInvite = await admin.createInvite({ role: 'recipient', organisation: 'acme' });
  await setUpAccount(client, { token: secondInvite.token, username: 'otto', displayName: 'Otto', passphrase: 'otto van de organisatie' });
  await page.getByRole('button', { name: 'Voorleggen aan de melder' }).click();
  await page.getByText('Wie de tekst kan lezen, is veranderd.', { exact: false }).waitFor();
  t.match(await page.locator('.relay-readers').textContent(), /Otto [0-9A-Z]{4}-/, 'the new reader is listed with his fingerprint');
  t.equal(await page.locator('article.relay').count(), 0, 'nothing was relayed yet');
  await page.getByRole('button', { name: 'Voorleggen aan de melder' }).click();
  await page.getByText('De tekst is opgeslagen. Status: Wacht op toestemming van de melder.').waitFor();
  const relayItem = page.locator('article.relay').first();
  t.match(await relayItem.textContent(), /Status: Wacht op toestemming van de melder/);
  t.ok(await relayItem.getByRole('button', { name: 'Doorgeven aan de organisatie' }).isDisabled(), 'Send waits for consent');
  await checkPage(t, watched, 'case with a relay awaiting consent');

  // The reporter approves; after a refresh the adviser sends it.
  const mailbox = await openMailbox(client, fresh.code);
  const relayId = mailbox.view.relays[0]?.relayId ?? '';
  await mailbox.consent(relayId, 'approve');
  await page.getByRole('button', { name: 'Vernieuwen' }).click();
  await relayItem.getByText('Goedgekeurd door de melder').waitFor();
  await relayItem.getByRole('button', { name: 'Doorgeven aan de organisatie' }).click();
  await relayItem.getByText('Doorgegeven aan de organisatie').first().waitFor();
  await relayItem.getByText('De organisatie heeft nog niet gereageerd.').waitFor();

  // The organisation answers; the adviser reads it in the case and answers back.
  const olga = await signIn(client, { username: 'olga', passphrase: 'olga van de organisatie' });
  t.same((await olga.openRelay(relayId)).text.body, 'Er zijn aanwijzingen dat bij inkoop facturen worden gesplitst.');
  await olga.postRelayMessage(relayId, 'Dank, wij zoeken het uit.');
  await relayItem.getByRole('button', { name: 'Nieuwe berichten ophalen' }).click();
  await relayItem.getByText('Dank, wij zoeken het uit.').waitFor();
  await relayItem.locator('textarea').fill('Dank u. Ik hoor graag wat u vindt.');
  await relayItem.getByRole('button', { name: 'Bericht versturen' }).click();
  await relayItem.getByText('Het bericht is verstuurd.').waitFor();
  t.same((await olga.openRelay(relayId)).messages.map((m) => [m.author, m.message.body]), [
    ['organisation', 'Dank, wij zoeken het uit.'],
    ['adviser', 'Dank u. Ik hoor graag wat u vindt.'],
  ]);

  // Access for colleagues of the channel: Bram received the report already, Chris did not.
  await page.locator('#grant-adviser').selectOption({ label: 'Bram Collega' });
  await page.getByRole('button', { name: 'Toegang geven' }).click();
  t.match(await page.locator('#grant-title ~ [role=alert]').textContent(), /heeft al toegang/);
  await page.locator('#grant-adviser').selectOption({ label: 'Chris Nieuw' });
  await page.getByRole('button', { name: 'Toegang geven' }).click();
  await page.getByText('Chris Nieuw heeft nu toegang tot deze melding.').waitFor();
  await checkPage(t, watched, 'case after relay, registration and grant');

  // Back to the inbox and into the case again: everything reads back from the server.
  await page.getByRole('link', { name: 'Terug naar de meldingen' }).click();
  await page.getByRole('link', { name: `Melding ${caseReference(fresh.caseId)}` }).click();
  await page.getByRole('heading', { name: 'Registratie' }).waitFor(SLOW);
  t.ok(await page.getByLabel('Onregelmatigheid').isChecked(), 'the registration reads back');
  t.ok(await page.getByLabel('Huis voor Klokkenluiders').isChecked());
  t.equal(await page.locator('#registration-follow-up-0-on').inputValue(), '2031-05-14');
  t.equal(await page.locator('#registration-follow-up-0-kind').inputValue(), 'hearing');
  t.equal(await page.locator('#registration-minutes').inputValue(), '45');
  t.match(await page.locator('.status-line').textContent(), /Ontvangst bevestigd/);
  await page.locator('article.relay').getByText('Dank u. Ik hoor graag wat u vindt.').waitFor();

  // English too.
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: `Case ${caseReference(fresh.caseId)}` }).waitFor();
  await page.getByRole('heading', { name: 'Relay to the organisation' }).waitFor();
  await checkPage(t, watched, 'case in English');
  await labelsEveryField(t, page, 'en');

  // A reload keeps the adviser signed in, on the same page, and so does a new tab: the session
  // resumes from what the browser sealed, which holds nothing readable.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: `Case ${caseReference(fresh.caseId)}` }).waitFor(SLOW);
  await page.getByText('Dank u. Ik hoor graag wat u vindt.').first().waitFor(SLOW);
  t.pass('reload: still signed in, the case decrypted again');
  await checkPage(t, watched, 'case after a reload');
  const other = await watched.context.newPage();
  await other.goto('/inbox?lang=en');
  await other.getByRole('table').waitFor(SLOW);
  t.pass('a new tab: signed in');
  const stored = () =>
    other.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const request = indexedDB.open('confidant-staff');
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            const read = request.result.transaction('resume').objectStore('resume').getAll();
            read.onsuccess = () => resolve(JSON.stringify(read.result.map((v: unknown) => (v instanceof CryptoKey ? { extractable: v.extractable } : v))));
          };
        }),
    );
  const kept = await stored();
  t.match(kept, /"extractable":false/, 'the browser keeps a key it cannot export');
  for (const secret of ['anna', 'Anna', passphrase, 'Facturen']) t.notOk(kept.includes(secret), `nothing stored reads "${secret}"`);
  await other.getByRole('button', { name: 'Sign out' }).first().click();
  await other.waitForURL('**/login**');
  t.equal(await stored(), '[]', 'signing out wipes what was kept');
  await other.close();
  await page.reload();
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor(SLOW);
  t.pass('after signing out in the other tab, a reload is signed out');
});

t.test('the sign-in page explains a wrong passphrase, and the adviser pages ask to sign in', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const browser = await launch(t);
  const watched = await openPage(browser, app, { locale: 'en-GB' });
  const { page } = watched;

  await page.goto('/inbox');
  await page.getByRole('heading', { level: 1, name: 'Cases' }).waitFor();
  await page.getByText(/You are not signed in/).waitFor();
  t.pass('a new page with nothing to resume asks to sign in');
  await checkPage(t, watched, 'inbox signed out');

  await page.goto('/invite');
  t.match(await page.getByRole('alert').textContent(), /This link is incomplete/);

  await page.goto('/login');
  await fill(page, 'login-username', 'nobody');
  await fill(page, 'login-passphrase', 'a passphrase that is wrong');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('alert').waitFor(SLOW);
  t.match(await page.getByRole('alert').textContent(), /The user name, the passphrase or the code is not right/);
  t.equal(await page.locator('#login-totp').count(), 0, 'no TOTP field until the server asks');
  await checkPage(t, watched, 'login failed');
});

t.test('where the installation requires TOTP, an adviser enrols at sign-in before seeing any case', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t, { REQUIRE_TOTP: 'true' });
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const invite = await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' });
  await setUpAccount(new ConfidantClient({ baseUrl: app.baseUrl }), { token: invite.token, username: 'dirk', displayName: 'Dirk', passphrase: 'dirk heeft ook een lange zin' });

  const browser = await launch(t);
  const watched = await openPage(browser, app, { locale: 'en-GB' });
  const { page } = watched;
  await page.goto('/login');
  await fill(page, 'login-username', 'dirk');
  await fill(page, 'login-passphrase', 'dirk heeft ook een lange zin');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText('This installation requires two-step verification for advisers.').waitFor(SLOW);
  t.equal(await page.getByRole('button', { name: 'Later' }).count(), 0, 'no way around it');
  await fill(page, 'totp-passphrase', 'dirk heeft ook een lange zin');
  await page.getByRole('button', { name: 'Set up now' }).click();
  const secret = fromBase32(((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, ''));
  await checkPage(t, watched, 'required TOTP enrolment');
  await fill(page, 'totp-confirm-code', totpCode(secret, totpStep(new Date())));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForURL('**/inbox', SLOW);
  await page.getByText('There are no cases to show.').waitFor(SLOW);
  await checkPage(t, watched, 'inbox after the required enrolment');
});
