/**
 * The whole journey in Chromium, three people in three browser contexts, everything through
 * the pages: the reporter submits → the adviser reads, replies and writes a relay text → the
 * reporter approves it → the adviser sends it → the organisation reads and answers → the
 * adviser passes the answer on → the reporter reads it. Only what the operator does with the
 * CLI (organisation, channel, invites) is done in Node. Every page each person visits gets the
 * harness checks: no console error, no CSP violation, only same-origin requests, no serious or
 * critical axe-core finding. The adviser and the reporter use Dutch, the organisation English.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { caseReference } from '../../src/protocol/case-reference.js';
import { createAdministration, inviteLink, type CreatedInvite } from '../../src/server/services/administration.js';
import { buildTestApp } from '../helper.js';
import { buildWeb, checkPage, chromiumAvailable, launch, openPage, screenshots, shown, type Watched } from './harness.js';

/** Argon2id at 128 MiB in Chromium takes seconds, more on a busy machine. */
const SLOW = { timeout: 120_000 };
const CODE = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/;

// Six Argon2id derivations in Chromium (two per account, the report, the mailbox) and many axe-core runs: more than tap's default.
t.setTimeout(600_000);

type Tap = Parameters<typeof chromiumAvailable>[0];

/** Sets up a staff account from the invite link, as the invited person does: form, recovery key, TOTP later. */
async function acceptInvite(
  t: Tap,
  watched: Watched,
  who: string,
  input: { invite: CreatedInvite; displayName: string; username: string; passphrase: string },
  words: { title: string; role: RegExp; submit: string; recoveryTitle: string; recoveryConfirm: RegExp; continue: string; totpTitle: string; later: string },
): Promise<void> {
  const { page } = watched;
  await page.goto(inviteLink('', input.invite));
  await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
  t.match(await page.locator('main').textContent(), words.role, `${who}: the invite page speaks to the role invited`);
  await checkPage(t, watched, `${who}: invite form`);
  await page.locator('#invite-display-name').fill(input.displayName);
  await page.locator('#invite-username').fill(input.username);
  await page.locator('#invite-passphrase').fill(input.passphrase);
  await page.locator('#invite-passphrase-repeat').fill(input.passphrase);
  await page.getByRole('button', { name: words.submit }).click();

  await page.getByRole('heading', { name: words.recoveryTitle }).waitFor(SLOW);
  t.ok(((await page.getByTestId('recovery-key').textContent()) ?? '').trim().length >= 40, `${who}: the recovery key is shown`);
  t.equal(new URL(page.url()).hash, '', `${who}: the used invite token left the address bar`);
  await checkPage(t, watched, `${who}: recovery key`);
  await page.getByLabel(words.recoveryConfirm).check();
  await page.getByRole('button', { name: words.continue }).click();

  await page.getByRole('heading', { name: words.totpTitle }).waitFor(SLOW);
  await page.getByRole('button', { name: words.later }).waitFor(SLOW);
  await checkPage(t, watched, `${who}: two-step verification offered`);
  await page.getByRole('button', { name: words.later }).click();
}

/** The HTML of a page, kept to search it at the end. */
async function html(page: Page): Promise<string> {
  return page.content();
}

t.test('reporter, adviser and organisation go through the whole journey in their own browsers', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);

  // The operator's part (the CLI): organisation, channel with consent, two invites.
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme', consentRequired: true });
  const adviserInvite = await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' });
  const recipientInvite = await admin.createInvite({ role: 'recipient', organisation: 'acme' });

  // What the people write.
  const reportSentence = 'Mijn leidinggevende splitst de facturen van Bouwbedrijf Zuidwest telkens in drieën om de aanbestedingsgrens te ontlopen.';
  const reportWhere = 'Afdeling inkoop, vestiging Tilburg';
  const adviserReply = 'Dank u voor uw melding. Ik heb hem gelezen en leg de organisatie een geanonimiseerde tekst voor, als u daarmee instemt.';
  const relayText = 'Er zijn aanwijzingen dat bij de afdeling inkoop facturen worden gesplitst om een aanbesteding te ontlopen.\nGraag een onderzoek naar de inkoopprocedure.';
  const reporterConsentNote = 'Akkoord, hieraan ben ik niet te herkennen.';
  const organisationAnswer = 'Thank you. We have started an audit of the purchasing procedure and will report on it within four weeks.';
  const passedOn = `De organisatie heeft geantwoord: “${organisationAnswer}” Ik houd u op de hoogte.`;

  const browser = await launch(t);
  const adviser = await openPage(browser, app, { locale: 'nl-NL' });
  const organisation = await openPage(browser, app, { locale: 'en-GB' });
  const reporter = await openPage(browser, app, { locale: 'nl-NL' });
  for (const person of [adviser, organisation, reporter]) person.page.setDefaultTimeout(30_000);
  const a = adviser.page;
  const o = organisation.page;
  const r = reporter.page;

  // ── The adviser accepts the invite (Dutch) and arrives at an empty inbox.
  await acceptInvite(
    t,
    adviser,
    'adviser',
    { invite: adviserInvite, displayName: 'Anna de Vries', username: 'anna', passphrase: 'paars konijn drinkt thee bij maanlicht' },
    {
      title: 'Account instellen',
      role: /uitgenodigd als vertrouwenspersoon.*melders en collega’s u zien/s,
      submit: 'Account aanmaken',
      recoveryTitle: 'Uw herstelsleutel',
      recoveryConfirm: /Ik heb de herstelsleutel veilig bewaard/,
      continue: 'Verder',
      totpTitle: 'Tweestapsverificatie',
      later: 'Later',
    },
  );
  await a.waitForURL('**/inbox', SLOW);
  await a.getByRole('heading', { level: 1, name: 'Meldingen' }).waitFor();
  await a.getByText('Er zijn geen meldingen om te tonen.').waitFor(SLOW);
  t.ok(await shown(a.getByText('Ingelogd als Anna de Vries')), 'the adviser is signed in by name');
  await checkPage(t, adviser, 'adviser: empty inbox');

  // ── The organisation recipient accepts the invite (English) and arrives at the empty relay inbox.
  const organisationPages: Array<{ what: string; html: string }> = [];
  await acceptInvite(
    t,
    organisation,
    'organisation',
    { invite: recipientInvite, displayName: 'Olga Bakker', username: 'olga', passphrase: 'olga leest de doorgegeven meldingen' },
    {
      title: 'Set up your account',
      role: /^(?!.*(reporters and colleagues|as a confidential adviser)).*invited to Confidant as the recipient for your organisation.*As the confidential adviser sees you/s,
      submit: 'Create account',
      recoveryTitle: 'Your recovery key',
      recoveryConfirm: /I have stored the recovery key safely/,
      continue: 'Continue',
      totpTitle: 'Two-step verification',
      later: 'Later',
    },
  );
  await o.waitForURL('**/relays', SLOW);
  await o.getByRole('heading', { level: 1, name: 'Relayed reports' }).waitFor(SLOW);
  await o.getByText('No reports have been relayed yet.', { exact: false }).waitFor(SLOW);
  t.equal(await o.locator('html').getAttribute('lang'), 'en', 'the organisation’s pages are in English');
  t.ok(await shown(o.getByText('Signed in as Olga Bakker, for Acme B.V.')), 'the recipient and the organisation are named');
  organisationPages.push({ what: 'empty relay inbox', html: await html(o) });
  await checkPage(t, organisation, 'organisation: empty relay inbox');
  // The set-up said two-step verification can be set up later "with the button at the top of the page": it is there.
  await o.getByRole('button', { name: 'Set up two-step verification' }).click();
  await o.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  t.ok(await shown(o.locator('#totp-passphrase')), 'the recipient can set it up from the relay inbox');
  await checkPage(t, organisation, 'organisation: setting up two-step verification');
  await o.getByRole('button', { name: 'Later' }).click();
  t.equal(await o.locator('#totp-passphrase').count(), 0, 'and put it off again');

  // ── The reporter reports (Dutch): landing page → form → code → thank-you → mailbox.
  await r.goto('/c/acme-meldpunt');
  await r.getByRole('heading', { level: 1, name: 'Een integriteitskwestie melden', exact: true }).waitFor();
  // The heading shows while the channel loads; the advisers come with it.
  await r.getByRole('listitem').filter({ hasText: 'Anna de Vries' }).waitFor();
  t.pass('the landing page names the adviser who just joined');
  await checkPage(t, reporter, 'reporter: landing page');
  await r.getByRole('link', { name: 'Melding maken' }).click();
  await r.getByRole('heading', { level: 1, name: 'Uw melding', exact: true }).waitFor();
  // As on the landing page, the heading may show before the channel's advisers have loaded.
  await r.getByText('Uw melding gaat naar Anna de Vries.').waitFor();
  t.pass('the form names the one adviser');
  await r.getByLabel(/Wat is er gebeurd\?/).fill(reportSentence);
  await r.getByLabel('Waar is het gebeurd?').fill(reportWhere);
  await checkPage(t, reporter, 'reporter: report form');
  await screenshots(r, 'reporter-form');
  await r.getByRole('button', { name: 'Melding versturen' }).click();

  await r.getByRole('heading', { level: 1, name: 'Bewaar uw code', exact: true }).waitFor(SLOW);
  const code = ((await r.locator('#the-code').textContent()) ?? '').trim();
  t.match(code, CODE, 'the code is read from the page');
  t.equal(new URL(r.url()).search + new URL(r.url()).hash, '', 'the code is not in the URL');
  await checkPage(t, reporter, 'reporter: code page');
  await r.getByLabel('Ik heb mijn code bewaard').check();
  await r.getByLabel('Typ ter controle de laatste vier tekens van uw code over').fill(code.slice(-4));
  await r.getByRole('button', { name: 'Verder' }).click();
  await r.getByRole('heading', { level: 1, name: 'Bedankt voor uw melding', exact: true }).waitFor();
  await checkPage(t, reporter, 'reporter: thank-you page');

  await r.getByRole('link', { name: 'Mijn melding openen' }).click();
  await r.getByRole('heading', { level: 1, name: 'Uw melding openen', exact: true }).waitFor();
  await r.getByLabel('Uw code').fill(code);
  await r.getByText('De code lijkt goed.').waitFor();
  await checkPage(t, reporter, 'reporter: mailbox login');
  await r.getByRole('button', { name: 'Openen' }).click();
  await r.getByRole('heading', { level: 1, name: 'Uw melding', exact: true }).waitFor(SLOW);
  t.ok(await shown(r.getByText('Status: Ontvangen')), 'the new report is received');
  t.ok(await shown(r.getByText('Nog geen berichten.', { exact: false })), 'no messages yet');
  t.same(await r.locator('ul.readers li').allTextContents(), ['Anna de Vries'], 'the reporter sees who can read the report');
  await checkPage(t, reporter, 'reporter: mailbox, just reported');

  // ── The adviser finds the case, reads the report, acknowledges, replies and writes a relay text.
  await a.getByRole('button', { name: 'Vernieuwen' }).click();
  const caseLink = a.locator('tbody tr').first().getByRole('link');
  await caseLink.waitFor(SLOW);
  t.equal(await a.locator('tbody tr').count(), 1, 'one case in the inbox');
  t.match(await a.locator('tbody tr').first().textContent(), /Nieuw/, 'marked as new');
  await checkPage(t, adviser, 'adviser: inbox with the report');
  await caseLink.click();
  await a.waitForURL('**/cases/*');
  const caseId = decodeURIComponent(new URL(a.url()).pathname.split('/').pop() ?? '');
  t.ok(caseId.length >= 8, 'the case id is in the adviser’s URL');
  await a.getByRole('heading', { level: 1, name: `Melding ${caseReference(caseId)}` }).waitFor();
  const reportSection = a.locator('section[aria-labelledby="report-title"]');
  await reportSection.getByText(reportSentence).waitFor(SLOW);
  t.match(await reportSection.textContent(), reportSentence, 'the adviser reads the report the reporter typed');
  t.match(await reportSection.textContent(), reportWhere, 'with every answer');
  t.ok(await shown(a.getByText('Sleutel gecontroleerd: de melder heeft deze sleutel bij het melden ondertekend.')), 'the case key is checked against the reporter’s signature');
  const annaPrint = ((await a.locator('.account-bar .fingerprint').textContent()) ?? '').replace(/^.*: /, '');
  t.match(annaPrint, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, 'the adviser sees her own key fingerprint');
  await checkPage(t, adviser, 'adviser: case');

  await a.getByRole('button', { name: 'Ontvangst bevestigen' }).click();
  await a.getByText('De status is nu: Ontvangst bevestigd.').waitFor();
  const conversation = a.locator('section[aria-labelledby="conversation-title"]');
  await conversation.getByLabel('Bericht aan de melder').fill(adviserReply);
  await conversation.getByLabel('Dit bericht is de terugkoppeling').check();
  await conversation.getByRole('button', { name: 'Bericht versturen' }).click();
  await conversation.getByText('Het bericht is verstuurd.').waitFor(SLOW);
  t.match(await conversation.locator('ul.messages').textContent(), adviserReply, 'the reply is in the conversation');
  // The reply was marked as the feedback: the case page and the inbox say so alike (the mailbox too, below).
  t.match(await a.locator('.deadlines').textContent(), /Terugkoppeling gegeven op/, 'the case page: feedback given');
  await a.getByRole('link', { name: 'Terug naar de meldingen' }).click();
  const inboxRow = a.locator('tbody tr').filter({ hasText: `Melding ${caseReference(caseId)}` });
  await inboxRow.waitFor(SLOW);
  t.match(await inboxRow.textContent(), /Terugkoppeling gegeven op/, 'the inbox: feedback given, not "feedback by"');
  await inboxRow.getByRole('link').click();
  await conversation.getByText(adviserReply).waitFor(SLOW);

  // Before writing, the adviser sees who can read the relay, with the fingerprint the recipient sees.
  const olgaPrint = ((await o.locator('.org-account .fingerprint').textContent()) ?? '').replace(/^.*: /, '');
  t.match(olgaPrint, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, 'the recipient sees her own key fingerprint');
  const readers = a.locator('.relay-readers');
  await readers.waitFor(SLOW);
  t.match(await readers.textContent(), `Olga Bakker ${olgaPrint}`, 'the relay editor names the recipient with the fingerprint she sees');
  t.match(await readers.textContent(), `Anna de Vries ${annaPrint}`, 'and the adviser');
  await a.getByLabel('Tekst voor de organisatie').fill(relayText);
  await a.getByRole('button', { name: 'Voorleggen aan de melder' }).click();
  await a.getByText('De tekst is opgeslagen. Status: Wacht op toestemming van de melder.').waitFor(SLOW);
  const relayItem = a.locator('article.relay').first();
  await relayItem.waitFor(SLOW);
  t.equal(await relayItem.locator('blockquote').textContent(), relayText, 'the adviser sees the relay text as written');
  t.ok(await relayItem.getByRole('button', { name: 'Doorgeven aan de organisatie' }).isDisabled(), 'sending waits for the reporter’s consent');
  await checkPage(t, adviser, 'adviser: case with a relay text awaiting consent');

  // ── The reporter reads the reply and approves the relay text, which is exactly the adviser's.
  await r.getByRole('button', { name: 'Nieuwe berichten ophalen' }).click();
  const fromAdviser = r.locator('.messages li:not(.mine)');
  await fromAdviser.first().waitFor(SLOW);
  t.match(await r.getByTestId('case-reference').textContent(), `Kenmerk: ${caseReference(caseId)}.`, 'the reporter sees the reference the adviser sees');
  t.match(caseReference(caseId), /^[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$/, 'short, grouped, without look-alike symbols');
  t.match(await fromAdviser.first().textContent(), /Vertrouwenspersoon/, 'the message is from the adviser');
  t.equal(await fromAdviser.first().locator('p.pre').textContent(), adviserReply, 'the reporter reads the adviser’s reply');
  t.equal(await fromAdviser.first().locator('.badge.feedback').textContent(), 'Terugkoppeling', 'marked as the feedback');
  t.match(await r.locator('.deadlines').textContent(), /heeft u op .* laten weten hoe uw melding is beoordeeld/, 'the mailbox: feedback given, as the adviser’s pages say');
  t.notMatch(await r.locator('.deadlines').textContent(), /U hoort uiterlijk/, 'and no longer "you will hear by"');
  t.ok(await shown(r.getByText('Status: Ontvangst bevestigd')), 'the status moved on');
  const reporterRelay = r.locator('article.relay');
  await reporterRelay.waitFor(SLOW);
  t.equal(await reporterRelay.count(), 1, 'one relay text to decide on');
  t.equal(await reporterRelay.locator('blockquote.relay-text').textContent(), relayText, 'the text to approve is exactly the adviser’s');
  t.ok(await shown(reporterRelay.getByText('Wacht op uw toestemming')));
  t.match(await reporterRelay.locator('h3').textContent(), /^Voorgestelde tekst/, 'a text awaiting consent is headed as proposed');
  await checkPage(t, reporter, 'reporter: mailbox with the reply and a relay text');
  await screenshots(r, 'reporter-mailbox');
  await reporterRelay.getByRole('button', { name: 'Goedkeuren' }).click();
  await reporterRelay.getByLabel('Bericht aan de vertrouwenspersoon (niet verplicht)').fill(reporterConsentNote);
  await checkPage(t, reporter, 'reporter: approving the relay text');
  await reporterRelay.getByRole('button', { name: 'Ja, goedkeuren' }).click();
  await reporterRelay.getByText('U heeft deze tekst goedgekeurd.', { exact: false }).waitFor(SLOW);
  t.equal(await reporterRelay.getByRole('button', { name: 'Goedkeuren' }).count(), 0, 'a decided relay has no buttons');
  t.match(await reporterRelay.locator('h3').textContent(), /^Goedgekeurde tekst/, 'an approved text is headed as approved, no longer as proposed');
  t.match(await r.locator('.messages li.mine').textContent(), reporterConsentNote, 'the note to the adviser is posted');
  await checkPage(t, reporter, 'reporter: mailbox after approving');

  // ── The adviser sees the consent and sends the relay text.
  await a.getByRole('button', { name: 'Vernieuwen' }).click();
  await relayItem.getByText('Goedgekeurd door de melder').waitFor(SLOW);
  await conversation.getByText(reporterConsentNote).waitFor(SLOW);
  t.pass('the adviser reads the reporter’s note with the consent');
  await relayItem.getByRole('button', { name: 'Doorgeven aan de organisatie' }).click();
  await relayItem.getByText('De organisatie heeft nog niet gereageerd.').waitFor(SLOW);
  t.match(await relayItem.locator('.relay-state').textContent(), /Doorgegeven aan de organisatie/, 'the relay is sent');
  await checkPage(t, adviser, 'adviser: case with the relay sent');

  // ── The organisation finds the relay (through the app's links), reads it and answers.
  await o.getByRole('link', { name: 'Confidant', exact: true }).click();
  await o.getByRole('link', { name: 'Sign in for advisers and organisations' }).click();
  await o.getByRole('link', { name: 'You are signed in already: to the relayed reports' }).click();
  await o.waitForURL('**/relays');
  const relayRows = o.locator('table tbody tr');
  await relayRows.first().waitFor(SLOW);
  t.equal(await relayRows.count(), 1, 'one relayed report');
  organisationPages.push({ what: 'relay inbox', html: await html(o) });
  await checkPage(t, organisation, 'organisation: relay inbox');
  await screenshots(o, 'recipient-list');
  t.equal(await relayRows.first().locator('td').nth(2).textContent(), 'New', 'never opened: new');
  await relayRows.first().getByRole('link', { name: /^Relayed report [2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$/ }).click();
  await o.waitForURL('**/relays/*');
  await o.getByRole('heading', { level: 1, name: 'Relayed report' }).waitFor();
  const organisationText = o.locator('.org-text .pre');
  await organisationText.waitFor(SLOW);
  t.equal(await organisationText.textContent(), relayText, 'the organisation reads exactly the text the reporter approved');
  t.ok(await shown(o.getByText('Checked: this is exactly what the reporter approved (the text and any attachments).')), 'and its client checked that against the reporter’s approval');
  t.ok(await shown(o.getByText('No messages yet.', { exact: false })), 'no messages yet');
  organisationPages.push({ what: 'relay', html: await html(o) });
  await checkPage(t, organisation, 'organisation: relay');
  await o.getByLabel('Your answer to the adviser').fill(organisationAnswer);
  await o.getByRole('button', { name: 'Send answer' }).click();
  await o.getByRole('status').filter({ hasText: 'Your answer has been sent.' }).waitFor(SLOW);
  t.match(await o.locator('.messages li.mine').textContent(), organisationAnswer, 'the answer is in the thread');
  organisationPages.push({ what: 'relay, answered', html: await html(o) });
  await checkPage(t, organisation, 'organisation: relay answered');

  // Nothing of the report, the conversation or the case reached the organisation's pages.
  for (const { what, html: page } of organisationPages) {
    t.notOk(page.includes(reportSentence), `organisation, ${what}: not the report’s text`);
    t.notOk(page.includes(reportWhere), `organisation, ${what}: not the report’s other answers`);
    t.notOk(page.includes(adviserReply), `organisation, ${what}: not the conversation with the reporter`);
    t.notOk(page.includes(reporterConsentNote), `organisation, ${what}: not the reporter’s note`);
    t.notOk(page.includes(caseId), `organisation, ${what}: not the case id`);
    t.notOk(page.includes(code), `organisation, ${what}: not the reporter’s code`);
  }

  // ── The adviser reads the answer and passes it on to the reporter.
  await relayItem.getByRole('button', { name: 'Nieuwe berichten ophalen' }).click();
  await relayItem.getByText(organisationAnswer).waitFor(SLOW);
  t.match(await relayItem.locator('ul.messages').textContent(), /Organisatie/, 'the answer is marked as the organisation’s');
  await checkPage(t, adviser, 'adviser: case with the organisation’s answer');
  await screenshots(a, 'adviser-case');
  await conversation.getByLabel('Bericht aan de melder').fill(passedOn);
  await conversation.getByRole('button', { name: 'Bericht versturen' }).click();
  await conversation.getByText('Het bericht is verstuurd.').waitFor(SLOW);
  t.match(await conversation.locator('ul.messages').textContent(), passedOn, 'the message passing the answer on is in the conversation');
  await checkPage(t, adviser, 'adviser: case after passing the answer on');

  // ── The reporter reads the adviser's message with the organisation's answer.
  await r.getByRole('button', { name: 'Nieuwe berichten ophalen' }).click();
  await r.locator('.messages li:not(.mine)').filter({ hasText: organisationAnswer }).waitFor(SLOW);
  const adviserMessages = await r.locator('.messages li:not(.mine) p.pre').allTextContents();
  t.same(adviserMessages, [adviserReply, passedOn], 'the reporter reads both of the adviser’s messages, in order');
  t.ok(await shown(reporterRelay.getByText('Deze tekst is aan de organisatie doorgegeven.')), 'the reporter sees the text was sent');
  t.match(await reporterRelay.locator('h3').textContent(), /^Doorgegeven tekst/, 'a sent text is headed as passed on, no longer as proposed');
  await checkPage(t, reporter, 'reporter: mailbox with the organisation’s answer passed on');

  // A channel link with the organisation's pins: a key that is not pinned gets nothing.
  await r.goto(`/c/acme-meldpunt#pins=${annaPrint}`);
  await r.getByRole('listitem').filter({ hasText: 'Anna de Vries' }).waitFor();
  t.pass('the pinned link offers the adviser whose fingerprint it carries');
  await checkPage(t, reporter, 'reporter: landing page with pinned keys');
  await r.goto('/c/acme-meldpunt#pins=0000-0000-0000-0000');
  await r.getByText('De sleutels van de vertrouwenspersonen komen niet overeen', { exact: false }).waitFor();
  t.pass('a link whose pins match no adviser refuses to offer any');
  await checkPage(t, reporter, 'reporter: landing page with pins that match nobody');
  await r.goto('/mailbox');
  await r.getByLabel('Uw code').fill(code);
  await r.getByRole('button', { name: 'Openen' }).click();
  await r.getByRole('heading', { level: 1, name: 'Uw melding', exact: true }).waitFor(SLOW);

  // The reporter signs out; nothing was kept in the browser.
  await r.getByRole('button', { name: 'Uitloggen' }).click();
  await r.getByText('U bent uitgelogd.', { exact: false }).waitFor();
  t.same(await r.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0], 'nothing stored in the reporter’s browser');
  await checkPage(t, reporter, 'reporter: signed out');
});
