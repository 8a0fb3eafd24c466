/**
 * The adviser's year in Chromium: five cases registered through the case page's form (with a
 * follow-up that then shows in the inbox), the annual report made in the browser for this year
 * beside last year, small numbers suppressed on the page and in the CSV, the print view as an
 * A4 PDF, in Dutch and English; then relayed to the organisation, whose recipient reads the
 * same tables and commentary in their own browser.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { inArray } from 'drizzle-orm';
import { caseReference } from '../../src/protocol/case-reference.js';
import { ConfidantClient, emptyRegistration, setUpAccount, signIn, submitNewReport } from '../../src/protocol/index.js';
import { cases } from '../../src/server/db/schema.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { buildTestApp } from '../helper.js';
import { buildWeb, checkPage, chromiumAvailable, goInApp, launch, openPage, screenshots, shown, signInThroughLogin } from './harness.js';

const SLOW = { timeout: 120_000 };
t.setTimeout(480_000);

t.test('an adviser registers five cases and makes the annual report: charts, suppression, print and CSV', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const client = new ConfidantClient({ baseUrl: app.baseUrl });
  const passphrase = 'anna telt het jaar in haar eigen browser';
  const invite = await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' });
  await setUpAccount(client, { token: invite.token, username: 'anna', displayName: 'Anna de Vries', passphrase });
  const anna = await signIn(client, { username: 'anna', passphrase });
  const recipientPassphrase = 'olga leest het jaarverslag van anna';
  const recipientInvite = await admin.createInvite({ role: 'recipient', organisation: 'acme' });
  await setUpAccount(client, { token: recipientInvite.token, username: 'olga', displayName: 'Olga Bakker', passphrase: recipientPassphrase });

  // Seven cases this year (five registered in the browser, two never), three last year (registered in Node).
  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Iets wat niet klopt.' }, anonymity: 'anonymous' as const };
  const thisYear: string[] = [];
  for (let i = 0; i < 7; i++) thisYear.push((await submitNewReport(client, { slug: 'acme-meldpunt', report })).caseId);
  const lastYear: string[] = [];
  for (let i = 0; i < 3; i++) lastYear.push((await submitNewReport(client, { slug: 'acme-meldpunt', report })).caseId);
  const year = new Date().getUTCFullYear();
  await app.database.db.update(cases).set({ receivedAt: new Date(Date.UTC(year - 1, 4, 10, 9)) }).where(inArray(cases.id, lastYear));
  for (const caseId of lastYear) {
    await anna.openCase(caseId);
    await anna.saveRegistration(caseId, { ...emptyRegistration(), kind: 'question', track: 'undesirable-behaviour', categories: ['bullying'] });
  }
  // One of this year's cases acknowledged (in time); the others' seven days still run.
  await anna.setStatus(thisYear[0] ?? '', 'acknowledged');

  const browser = await launch(t);
  const watched = await openPage(browser, app);
  const { page } = watched;
  page.setDefaultTimeout(30_000);

  await signInThroughLogin(page, 'anna', passphrase);
  await page.getByRole('heading', { level: 1, name: 'Meldingen' }).waitFor(SLOW);

  // Five registrations through the form: all reports, integrity, fraud; referred for two.
  for (const [i, caseId] of thisYear.slice(0, 5).entries()) {
    await goInApp(page, `/cases/${caseId}`);
    await page.getByRole('heading', { name: 'Registratie' }).waitFor(SLOW);
    await page.getByLabel('Melding', { exact: true }).check();
    await page.getByLabel('Via het meldformulier').check();
    await page.getByLabel('Integriteit', { exact: true }).check();
    await page.getByLabel('Fraude of diefstal').check();
    await page.getByLabel('Leidinggevende').check();
    await page.getByLabel('Geluisterd en opgevangen').check();
    if (i < 2) {
      await page.getByRole('checkbox', { name: 'Doorverwezen', exact: true }).check();
      await page.getByLabel('Huis voor Klokkenluiders').check();
    }
    if (i === 0) {
      // A follow-up: an aftercare call next month, which the inbox then shows.
      await page.getByRole('button', { name: 'Datum toevoegen' }).click();
      await page.locator('#registration-follow-up-0-on').fill(`${year + 1}-01-15`);
      await checkPage(t, watched, 'registration form, filled in');
      await page.locator('#registration-title').scrollIntoViewIfNeeded();
      await screenshots(page, 'adviser-registration');
    }
    await page.locator('#registration-minutes').fill('30');
    await page.getByRole('button', { name: 'Registratie opslaan' }).click();
    await page.getByText(/De registratie is opgeslagen/).waitFor();
  }

  await goInApp(page, '/inbox');
  const firstRow = page.locator('tr').filter({ has: page.getByRole('link', { name: `Melding ${caseReference(thisYear[0] ?? '')}` }) });
  t.match(await firstRow.locator('.follow-up').textContent(), /Vervolg op 15 januari/, 'the follow-up shows in the inbox');

  // The annual report, for this year. The page has the worker start its helper thread (two threads decrypt).
  const helperStarted = new Promise<boolean>((resolve) => {
    page.on('worker', (worker) => {
      if (new URL(worker.url()).pathname === '/assets/period-helper.js') resolve(true);
    });
    setTimeout(() => resolve(false), 60_000);
  });
  await page.getByRole('link', { name: 'Jaarverslag maken' }).click();
  await page.getByRole('heading', { level: 1, name: 'Jaarverslag' }).waitFor();
  await checkPage(t, watched, 'annual report form');
  await page.locator('#annual-year').selectOption(String(year));
  await page.getByRole('button', { name: 'Jaarverslag maken' }).click();
  await page.getByRole('heading', { name: /^Jaarverslag vertrouwenspersoon/ }).waitFor(SLOW);
  t.ok(await helperStarted, 'the worker started its helper thread for the report');
  t.match(await page.locator('.annual-headline').textContent(), /Aantal contacten: 7 \(vorige periode, .*: < 5\)\. Bestede tijd: 3 uur\./, 'seven this year; three last year shows as < 5; 150 minutes');
  t.ok(await shown(page.locator('.annual-suppression')), 'the page says small numbers are suppressed');

  const cells = async (id: string) =>
    page.locator(`#annual-table-${id}`).locator('xpath=..').locator('tbody tr, tfoot tr').evaluateAll((rows) => rows.map((row) => [...row.children].map((c) => c.textContent?.trim() ?? '')));
  t.same(await cells('kind'), [
    ['Melding', '•', '0'],
    ['Vraag', '0', '< 5'],
    ['Advies', '0', '0'],
    ['Klacht', '0', '0'],
    ['Niet vastgelegd', '< 5', '0'],
    ['Totaal', '7', '< 5'],
  ], 'five reports are hidden (•) so that the two unregistered (< 5) cannot be worked out from the total');
  t.same((await cells('categories')).find((row) => row[0] === 'Fraude of diefstal'), ['Fraude of diefstal', '5', '0'], 'a category of several rows: five is shown');
  t.same((await cells('referredTo')).find((row) => row[0] === 'Huis voor Klokkenluiders'), ['Huis voor Klokkenluiders', '< 5', '0']);
  t.same((await cells('acknowledgement')).map((row) => row.slice(0, 2)), [
    ['Op tijd', '< 5'],
    ['Te laat', '0'],
    ['Niet gedaan', '0'],
    ['Termijn loopt nog', '•'],
    ['Totaal', '7'],
  ]);
  t.equal(await page.locator('.annual-table canvas').count(), 15, 'a chart per table');
  t.ok(await page.locator('.annual-table canvas').first().evaluate((c) => (c as HTMLCanvasElement).width > 0), 'the charts are drawn');
  await page.locator('#annual-observations').fill('Meer meldingen over fraude dan vorig jaar.');
  await page.locator('#annual-recommendations').fill('Maak het vier-ogenprincipe bij inkoop verplicht.');
  await checkPage(t, watched, 'annual report');
  await screenshots(page, 'adviser-annual-report');

  // CSV: the same suppressed values, nothing more.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tabellen downloaden (CSV)' }).click()]);
  t.equal(download.suggestedFilename(), `jaarverslag-${year}.csv`);
  const csv = await readFile((await download.path()) ?? '', 'utf8');
  t.ok(csv.startsWith('\ufeffTabel;Rij;Deze periode;Vorige periode\r\n'), 'a header, with the Dutch separator');
  t.match(csv, /Soort contact;Melding;•;0\r\n/);
  t.match(csv, /Soort contact;Niet vastgelegd;< 5;0\r\n/);
  t.match(csv, /Soort contact;Totaal;7;< 5\r\n/);
  t.notMatch(csv, /;[1-4];|;[1-4]\r\n/, 'no count from 1 to 4 anywhere in the export');

  // Print: the form and buttons go, the commentary is printed as text, on A4.
  await page.emulateMedia({ media: 'print' });
  t.notOk(await page.locator('form.annual-form').isVisible(), 'the form is not printed');
  t.notOk(await page.locator('header.top').isVisible(), 'the header is not printed');
  t.ok(await shown(page.locator('.print-only').filter({ hasText: 'vier-ogenprincipe' })), 'the commentary is printed');
  const pdf = await page.pdf({ format: 'A4' });
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'prints to a PDF');
  t.ok(pdf.length > 20_000, 'with the charts in it');
  await page.emulateMedia({ media: 'screen' });

  // English.
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: 'Annual report' }).waitFor();
  t.match(await page.locator('.annual-headline').textContent(), /Number of contacts: 7/);
  t.same((await cells('kind'))[0], ['Report', '•', '0']);
  await checkPage(t, watched, 'annual report in English');
  await page.getByRole('button', { name: 'Nederlands' }).click();

  // Relayed to the organisation: the readers with their fingerprints, then sent at once.
  const send = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Doorgeven aan de organisatie' }) });
  await send.locator('.relay-readers').getByText('Olga Bakker').waitFor();
  t.match(await send.locator('.relay-readers').textContent(), /Anna de Vries/, 'the adviser keeps a key too');
  await send.getByRole('button', { name: 'Jaarverslag doorgeven' }).click();
  const sentText = (await send.getByText(/Het jaarverslag is doorgegeven als/).textContent()) ?? '';
  const reference = /als ([0-9A-Z]{3}-[0-9A-Z]{3})/.exec(sentText)?.[1] ?? '';
  t.ok(reference, 'the relay reference is shown');
  await checkPage(t, watched, 'annual report, relayed');

  // The recipient, in a browser of her own: the list names it an annual report; the page shows the tables and the commentary.
  const olga = await openPage(browser, app);
  olga.page.setDefaultTimeout(30_000);
  await signInThroughLogin(olga.page, 'olga', recipientPassphrase);
  await olga.page.getByRole('link', { name: `Jaarverslag ${reference}` }).click(SLOW);
  await olga.page.getByRole('heading', { level: 1, name: `Jaarverslag ${reference}` }).waitFor(SLOW);
  await olga.page.getByRole('heading', { name: /^Jaarverslag vertrouwenspersoon/ }).waitFor();
  t.match(await olga.page.locator('.annual-headline').textContent(), /Aantal contacten: 7/);
  const olgaKind = await olga.page.locator('#annual-table-kind').locator('xpath=..').locator('tbody tr').first().evaluate((row) => [...row.children].map((c) => c.textContent?.trim()));
  t.same(olgaKind, ['Melding', '•', '0'], 'the same suppressed table');
  t.ok(await shown(olga.page.getByText('Maak het vier-ogenprincipe bij inkoop verplicht.')), 'the commentary arrives');
  t.equal(await olga.page.locator('.annual-table canvas').count(), 15, 'with the charts');
  t.notMatch(await olga.page.content(), new RegExp(thisYear.join('|')), 'no case id reaches the organisation');
  await checkPage(t, olga, 'annual report at the organisation');
});
