/**
 * A report by phone, in Chromium: the adviser records the contact with its minutes and gets a
 * code to hand over; the reporter, in a browser of their own, opens the mailbox with it, reads
 * the minutes and approves them; the adviser sees the approval in the conversation and the
 * contact's registration. An advice-only contact is registered without any code shown.
 */
import t from 'tap';
import { caseReference } from '../../src/protocol/case-reference.js';
import { ConfidantClient, setUpAccount, signIn } from '../../src/protocol/index.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { buildTestApp } from '../helper.js';
import { buildWeb, checkPage, chromiumAvailable, launch, openPage, shown, signInThroughLogin } from './harness.js';

const SLOW = { timeout: 120_000 };
t.setTimeout(480_000);

t.test('an adviser records a phone report; the reporter approves the minutes with the code', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const client = new ConfidantClient({ baseUrl: app.baseUrl });
  const passphrase = 'anna neemt de telefoon op en schrijft mee';
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' })).token, username: 'anna', displayName: 'Anna de Vries', passphrase });
  // A colleague in the same channel: a phone contact is sealed to the adviser who took it, not to them.
  const bramPassphrase = 'bram is een collega van anna';
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' })).token, username: 'bram', displayName: 'Bram', passphrase: bramPassphrase });

  const browser = await launch(t);
  const watched = await openPage(browser, app);
  const { page } = watched;
  page.setDefaultTimeout(30_000);
  await signInThroughLogin(page, 'anna', passphrase);
  await page.getByRole('heading', { level: 1, name: 'Meldingen' }).waitFor(SLOW);

  // The form: how it came in, what kind, the minutes, and a code for the reporter.
  await page.getByRole('link', { name: 'Contact vastleggen (telefoon of gesprek)' }).click();
  await page.getByRole('heading', { level: 1, name: 'Contact vastleggen' }).waitFor();
  await checkPage(t, watched, 'record a contact');
  await page.getByRole('button', { name: 'Contact vastleggen' }).click();
  t.match(await page.getByRole('alert').textContent(), /Schrijf eerst het verslag/, 'minutes are required');
  await page.getByLabel('Telefonisch').check();
  await page.getByLabel('Melding', { exact: true }).check();
  const minutes = 'De melder belde op 1 december. Bij de inkoop worden facturen gesplitst om onder de aanbestedingsgrens te blijven.';
  await page.getByLabel('Verslag van het gesprek').fill(minutes);
  await page.getByLabel('Geef de melder een code om het verslag te lezen en goed te keuren').check();
  await page.getByRole('button', { name: 'Contact vastleggen' }).click();
  const code = ((await page.getByTestId('contact-code').textContent(SLOW)) ?? '').trim();
  t.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/, 'a code to hand over');
  const heading = (await page.getByRole('heading', { name: /^Contact .* is vastgelegd$/ }).textContent()) ?? '';
  const reference = /Contact (\S+) is vastgelegd/.exec(heading)?.[1] ?? '';
  await page.emulateMedia({ media: 'print' });
  t.ok(await shown(page.getByText(/vul deze code in\. Maak daarna een nieuwe code/)), 'the printed sheet says how to use and replace the code');
  t.notOk(await page.locator('header.top').isVisible(), 'the sheet holds no page header');
  await page.emulateMedia({ media: 'screen' });
  await checkPage(t, watched, 'contact recorded, code shown');

  // The case: the minutes as the report, the registration already says phone and report.
  await page.getByRole('link', { name: 'Naar het contact' }).click();
  await page.getByRole('heading', { level: 1, name: `Melding ${reference}` }).waitFor(SLOW);
  t.ok(await shown(page.locator('.case-report').getByText(minutes)), 'the minutes are the report');
  t.ok(await page.getByLabel('Telefonisch').isChecked(), 'registered as a phone contact');
  t.ok(await page.getByLabel('Melding', { exact: true }).isChecked(), 'and as a report');

  // The colleague cannot open it: it was sealed to the adviser who took the call.
  const bram = await signIn(client, { username: 'bram', passphrase: bramPassphrase });
  t.same((await bram.listCases()).cases, [], 'the colleague holds no wrap');

  // The reporter, with the code from paper.
  const reporter = await openPage(browser, app);
  reporter.page.setDefaultTimeout(30_000);
  await reporter.page.goto('/mailbox');
  await reporter.page.getByLabel('Uw code').fill(code);
  await reporter.page.getByRole('button', { name: 'Openen' }).click();
  await reporter.page.getByRole('heading', { level: 1, name: 'Uw melding', exact: true }).waitFor(SLOW);
  t.equal(await reporter.page.getByTestId('minutes').textContent(), minutes, 'the minutes, as written');
  t.ok(await shown(reporter.page.getByText(/Maak hieronder bij “Uw code vervangen” een nieuwe code/)), 'asked to replace the code');
  await checkPage(t, reporter, 'mailbox with minutes to approve');
  await reporter.page.getByRole('button', { name: 'Het verslag klopt' }).click();
  await reporter.page.getByText('U heeft het verslag goedgekeurd.').waitFor(SLOW);
  t.equal(await reporter.page.getByRole('button', { name: 'Het verslag klopt' }).count(), 0, 'approved once');

  // The adviser reads the approval as a message.
  await page.getByRole('button', { name: 'Vernieuwen' }).first().click();
  await page.locator('ul.messages').getByText('Ik keur het verslag van ons gesprek goed.').waitFor(SLOW);

  // Advice only: registered, counted, and no code anywhere.
  await page.getByRole('link', { name: 'Terug naar de meldingen' }).click();
  await page.getByRole('link', { name: 'Contact vastleggen (telefoon of gesprek)' }).click();
  await page.getByLabel('In een gesprek').check();
  await page.getByLabel('Advies', { exact: true }).check();
  await page.getByLabel('Verslag van het gesprek').fill('Vraag over de mogelijkheden bij ongewenst gedrag van een klant. Uitgelegd welke stappen er zijn.');
  await page.getByLabel(/Alleen advies: geen postbus/).check();
  await page.getByRole('button', { name: 'Contact vastleggen' }).click();
  await page.getByText('Er is geen postbus: het contact is alleen geregistreerd en telt mee in het jaarverslag.').waitFor(SLOW);
  t.equal(await page.getByTestId('contact-code').count(), 0, 'no code is shown');
  await checkPage(t, watched, 'advice-only contact recorded');
  const anna = await signIn(client, { username: 'anna', passphrase });
  const cases = (await anna.listCases()).cases;
  t.equal(cases.length, 2, 'both contacts are cases of the adviser');
  const adviceOnly = cases.find((c) => caseReference(c.caseId) !== reference);
  const opened = await anna.openCase(adviceOnly?.caseId ?? '');
  t.match(opened.registration, { kind: 'advice', contactBy: 'meeting' }, 'registered as advice in a meeting');
});
