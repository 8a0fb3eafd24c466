/**
 * The channel's list of departments or locations in Chromium: the operator sets it, an adviser
 * signs in through /login and records a case under one in the registration form, reads it back
 * after a reload, sees the names in the annual report; then the operator takes that location off
 * the list, and the form keeps the stored id as "(removed)", still selectable; a channel without a
 * list has no location question.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { ConfidantClient, emptyRegistration, setUpAccount, signIn, submitNewReport } from '../../src/protocol/index.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { buildTestApp } from '../helper.js';
import { buildWeb, checkPage, chromiumAvailable, goInApp, launch, openPage, type Watched } from './harness.js';

const SLOW = { timeout: 120_000 };
t.setTimeout(480_000);

/** The options of the location question, as [value, text], and the chosen value. */
async function locationChoice(page: Page): Promise<{ options: string[][]; value: string }> {
  const select = page.locator('#registration-location');
  return {
    options: await select.locator('option').evaluateAll((options) => options.map((o) => [(o as HTMLOptionElement).value, o.textContent?.trim() ?? ''])),
    value: await select.inputValue(),
  };
}

t.test("an adviser records a case under a location from the channel's list, also after the list changed", async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  await admin.setChannelLocations('acme-meldpunt', [
    { id: 'utrecht', name: 'Vestiging Utrecht' },
    { id: 'inkoop', name: 'Afdeling Inkoop' },
  ]);
  const client = new ConfidantClient({ baseUrl: app.baseUrl });
  const passphrase = 'anna kent de afdelingen van acme uit haar hoofd';
  const invite = await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' });
  await setUpAccount(client, { token: invite.token, username: 'anna', displayName: 'Anna de Vries', passphrase });
  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Iets wat niet klopt bij inkoop.' }, anonymity: 'anonymous' as const };
  const first = (await submitNewReport(client, { slug: 'acme-meldpunt', report })).caseId;
  const second = (await submitNewReport(client, { slug: 'acme-meldpunt', report })).caseId;

  const browser = await launch(t);
  const signInAs = async (): Promise<Watched> => {
    const watched = await openPage(browser, app);
    watched.page.setDefaultTimeout(30_000);
    await watched.page.goto('/login');
    const login = watched.page.locator('form').filter({ has: watched.page.getByRole('button', { name: 'Inloggen', exact: true }) });
    await login.getByLabel('Gebruikersnaam').fill('anna');
    await login.getByLabel('Wachtwoordzin').fill(passphrase);
    await login.getByRole('button', { name: 'Inloggen', exact: true }).click();
    await watched.page.getByRole('heading', { level: 1, name: 'Meldingen' }).waitFor(SLOW);
    return watched;
  };
  const openCase = async (page: Page, caseId: string) => {
    await goInApp(page, `/cases/${caseId}`);
    await page.getByRole('heading', { name: 'Registratie' }).waitFor(SLOW);
  };
  const save = async (page: Page) => {
    await page.getByRole('button', { name: 'Registratie opslaan' }).click();
    await page.getByText(/De registratie is opgeslagen/).waitFor();
  };

  // 1. The list in the form: "not recorded" first, then the operator's order.
  const watched = await signInAs();
  const { page } = watched;
  await openCase(page, first);
  t.same(await locationChoice(page), {
    options: [['', 'Niet vastgelegd'], ['utrecht', 'Vestiging Utrecht'], ['inkoop', 'Afdeling Inkoop']],
    value: '',
  }, 'the channel\'s list, nothing chosen yet');
  t.equal(await page.getByLabel('Afdeling of locatie').getAttribute('id'), 'registration-location', 'the question has its label');
  await page.getByLabel('Afdeling of locatie').selectOption({ label: 'Afdeling Inkoop' });
  await checkPage(t, watched, 'registration form with a location');
  await save(page);

  // 2. After a reload (the session resumes) the case opens with the location chosen.
  await page.reload();
  await page.getByRole('heading', { name: 'Registratie' }).waitFor(SLOW);
  t.equal((await locationChoice(page)).value, 'inkoop', 'after a reload: the stored location');
  const anna = await signIn(client, { username: 'anna', passphrase });
  t.equal((await anna.openCase(first)).registration?.location, 'inkoop', 'the encrypted record holds the id');

  // 3. The annual report names its rows from the list.
  await anna.openCase(second);
  await anna.saveRegistration(second, { ...emptyRegistration(), location: 'utrecht' });
  await goInApp(page, '/annual-report');
  await page.getByRole('heading', { level: 1, name: 'Jaarverslag' }).waitFor();
  await page.locator('#annual-year').selectOption(String(new Date().getUTCFullYear()));
  await page.getByRole('button', { name: 'Jaarverslag maken' }).click();
  await page.getByRole('heading', { name: /^Jaarverslag vertrouwenspersoon/ }).waitFor(SLOW);
  t.equal(await page.locator('#annual-table-location').textContent(), 'Afdeling of locatie', 'a location table');
  const rows = await page.locator('#annual-table-location').locator('xpath=..').locator('tbody tr, tfoot tr').evaluateAll((trs) => trs.map((tr) => tr.children[0]?.textContent?.trim() ?? ''));
  t.same(rows, ['Vestiging Utrecht', 'Afdeling Inkoop', 'Niet vastgelegd', 'Totaal'], 'its rows are named from the list');
  t.ok(await page.locator('#annual-section-subjects').locator('xpath=..').locator('#annual-table-location').count(), 'among the subjects');
  await checkPage(t, watched, 'annual report with a location table');

  // 4. The operator takes "inkoop" off the list; at the next sign-in the stored id shows as removed.
  await admin.setChannelLocations('acme-meldpunt', [{ id: 'utrecht', name: 'Vestiging Utrecht' }]);
  const again = await signInAs();
  await openCase(again.page, first);
  t.same(await locationChoice(again.page), {
    options: [['', 'Niet vastgelegd'], ['utrecht', 'Vestiging Utrecht'], ['inkoop', 'inkoop (verwijderd)']],
    value: 'inkoop',
  }, 'the stored id stays chosen, marked as removed');
  await again.page.locator('#registration-location').selectOption('utrecht');
  t.equal((await locationChoice(again.page)).options.length, 3, 'after choosing another, the removed one is still offered');
  await again.page.locator('#registration-location').selectOption({ label: 'inkoop (verwijderd)' });
  await save(again.page);
  t.equal((await anna.openCase(first)).registration?.location, 'inkoop', 'and can be saved again');
  await again.page.locator('#registration-location').selectOption('');
  await save(again.page);
  t.equal((await anna.openCase(first)).registration?.location, null, '"not recorded" clears it');
  await again.page.locator('#registration-location').selectOption('inkoop');
  await save(again.page);
  await checkPage(t, again, 'registration form with a removed location');

  await again.page.goto(`/cases/${first}?lang=en`);
  await again.page.getByRole('heading', { name: 'Registration' }).waitFor(SLOW);
  t.same((await locationChoice(again.page)).options, [['', 'Not recorded'], ['utrecht', 'Vestiging Utrecht'], ['inkoop', 'inkoop (removed)']], 'in English');

  // 5. Without a list, no question: unless a stored id needs keeping or clearing.
  await admin.setChannelLocations('acme-meldpunt', []);
  const third = await signInAs();
  const fresh = (await submitNewReport(client, { slug: 'acme-meldpunt', report })).caseId;
  await openCase(third.page, fresh);
  t.equal(await third.page.locator('#registration-location').count(), 0, 'a channel without a list asks no location');
  await openCase(third.page, first);
  t.same(await locationChoice(third.page), { options: [['', 'Niet vastgelegd'], ['inkoop', 'inkoop (verwijderd)']], value: 'inkoop' }, 'a stored id still shows, to keep or clear');
  await checkPage(t, third, 'registration form after the list was cleared');
});
