/**
 * Retention in Chromium: an adviser closes a case and sees when it will be deleted, in the case
 * and the inbox; puts it on legal hold with a reason (sealed in the browser), changes the reason,
 * lifts the hold; then the housekeeping sweep runs past the retention, the case leaves the inbox,
 * and the reporter's code answers as a wrong code does, in Dutch and English.
 */
import t from 'tap';
import { eq } from 'drizzle-orm';
import { submitNewReport } from '../../src/protocol/index.js';
import { addCalendarMonths } from '../../src/protocol/deadlines.js';
import { cases } from '../../src/server/db/schema.js';
import { buildTestApp } from '../helper.js';
import { acmeWithAnna, buildWeb, checkPage, chromiumAvailable, goInApp, launch, openPage, screenshots, signInThroughLogin } from './harness.js';

const SLOW = { timeout: 120_000 };
t.setTimeout(480_000);

const dutchDate = (date: Date) => new Intl.DateTimeFormat('nl-NL', { dateStyle: 'long' }).format(date);

t.test('an adviser sees when a closed case is deleted, holds it with a reason, and after the sweep the code opens nothing', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const passphrase = 'anna bewaart wat moet en verwijdert wat mag';
  const { client } = await acmeWithAnna(app, passphrase);
  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Declaraties worden dubbel ingediend.' }, anonymity: 'anonymous' as const };
  const submitted = await submitNewReport(client, { slug: 'acme-meldpunt', report });

  const browser = await launch(t);
  const watched = await openPage(browser, app);
  const { page } = watched;
  page.setDefaultTimeout(30_000);
  await signInThroughLogin(page, 'anna', passphrase);
  await goInApp(page, `/cases/${submitted.caseId}`);
  const section = page.locator('section[aria-labelledby="retention-title"]');
  await section.getByRole('heading', { name: 'Bewaren en verwijderen' }).waitFor(SLOW);
  t.match(await section.textContent(), /Een gesloten zaak wordt verwijderd als de bewaartermijn van het kanaal voorbij is/, 'open: the rule, no date');

  // Close it: three steps forward.
  for (const step of ['Ontvangst bevestigen', 'In behandeling nemen', 'Melding afsluiten']) {
    await page.getByRole('button', { name: step }).click();
    await page.getByRole('button', { name: step }).waitFor({ state: 'detached' });
  }
  const [closed] = await app.database.db.select({ closedAt: cases.closedAt }).from(cases).where(eq(cases.id, submitted.caseId));
  const due = addCalendarMonths(closed!.closedAt!, 12);
  await section.getByText(`Deze zaak wordt op ${dutchDate(due)} verwijderd`).waitFor();
  t.pass('closed: the deletion day, a year on by default, shows at once');

  // The hold: an empty reason is refused in words; a reason is sealed and read back.
  await section.getByRole('button', { name: 'Bewaarplicht instellen' }).click();
  await section.getByRole('alert').filter({ hasText: 'Schrijf eerst de reden van de bewaarplicht.' }).waitFor();
  await section.getByLabel('Reden van de bewaarplicht').fill('Lopend onderzoek van de accountant');
  await section.getByRole('button', { name: 'Bewaarplicht instellen' }).click();
  await section.getByText('Reden: Lopend onderzoek van de accountant').waitFor();
  t.match(await section.textContent(), /Bewaarplicht sinds .*: deze zaak wordt niet verwijderd\./, 'held: no deletion day');
  t.notMatch(await section.textContent(), /wordt op .* verwijderd/, 'held: the deletion day is gone');
  const [stored] = await app.database.db.select().from(cases).where(eq(cases.id, submitted.caseId));
  t.notOk(Buffer.from(stored!.holdCiphertext!).includes(Buffer.from('accountant')), 'the server holds the reason only encrypted');
  await checkPage(t, watched, 'case on legal hold');
  await screenshots(page, 'case-legal-hold');

  await section.getByLabel('Reden van de bewaarplicht').fill('Verzoek van de rechtbank');
  await section.getByRole('button', { name: 'Reden wijzigen' }).click();
  await section.getByText('Reden: Verzoek van de rechtbank').waitFor();

  // The inbox marks the held case and gives no deletion day.
  await goInApp(page, '/inbox');
  const row = page.locator('tbody tr').filter({ hasText: 'Melding' });
  await row.first().waitFor(SLOW);
  t.match(await row.textContent(), /Bewaarplicht/, 'the inbox marks the hold');
  t.notMatch(await row.textContent(), /Wordt verwijderd op/, 'and shows no deletion day');

  // Lifted: the deletion day is back, in the case and in the inbox.
  await goInApp(page, `/cases/${submitted.caseId}`);
  await section.getByRole('button', { name: 'Bewaarplicht opheffen' }).click();
  await section.getByText(`Deze zaak wordt op ${dutchDate(due)} verwijderd`).waitFor();
  await goInApp(page, '/inbox');
  await page.locator('tbody tr').filter({ hasText: `Wordt verwijderd op ${dutchDate(due)}` }).waitFor(SLOW);
  t.pass('the inbox shows the deletion day');
  await checkPage(t, watched, 'inbox with a deletion day');

  // The sweep past the retention: gone from the inbox, and the code is a wrong code.
  const swept = await app.app.services.retention.sweep(new Date(due.getTime() + 60_000));
  t.same(swept, { deleted: 1, purged: 0 }, 'the sweep deletes the case');
  await page.getByRole('button', { name: 'Vernieuwen' }).click();
  await page.getByText('Er zijn geen meldingen om te tonen.').waitFor();
  t.pass('the deleted case has left the inbox');

  const reporter = await openPage(browser, app);
  await reporter.page.goto('/mailbox');
  await reporter.page.getByLabel('Uw code').fill(submitted.code);
  await reporter.page.getByRole('button', { name: 'Openen' }).click();
  await reporter.page.getByText('Met deze code kunt u geen melding openen.').waitFor(SLOW);
  t.pass('the reporter’s code answers as a wrong code');
  await reporter.page.getByRole('button', { name: 'English' }).click();
  await reporter.page.getByText('This code does not open a report.').waitFor();
  await checkPage(t, reporter, 'mailbox of a deleted case');
});
