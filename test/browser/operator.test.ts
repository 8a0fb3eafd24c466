/**
 * The operator's console in Chromium, as an operator runs an installation without stopping it:
 * set up from the operator's one-time link (keys made in the browser, recovery key), then in
 * /operator an organisation, a channel with its settings and locations, an adviser's invite whose
 * link works, a revoked invite whose link does not, an account disabled and enabled, and an
 * adviser taken off a channel after a confirmation naming how many cases they lose. Everything in
 * Dutch, then the page in English; each change read back from the database or the API.
 */
import t from 'tap';
import { eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { ConfidantClient, setUpAccount, submitNewReport } from '../../src/protocol/index.js';
import { adviserChannels, channels, staffAccounts } from '../../src/server/db/schema.js';
import { auditEntries } from '../helpers/audit-entries.js';
import { apiFailure, buildTestApp } from '../helper.js';
import { acmeWithAnna, buildWeb, checkPage, chromiumAvailable, launch, openPage, shown } from './harness.js';

t.setTimeout(600_000);

const SLOW = { timeout: 120_000 };
const fill = (page: Page, id: string, value: string) => page.locator(`#${id}`).fill(value);
/** A section of the console, by its heading. */
const section = (page: Page, name: string) => page.getByRole('region', { name, exact: true });

t.test('an operator sets up the installation from the browser while it runs', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const { db } = app.database;
  const passphrase = 'olaf beheert de hele installatie';
  const { admin, client } = await acmeWithAnna(app, 'anna heeft een lange wachtwoordzin');
  const invite = await admin.createInvite({ role: 'operator' });

  const browser = await launch(t);
  const watched = await openPage(browser, app);
  const { page } = watched;
  page.setDefaultTimeout(30_000);

  // The operator's link: the same set-up as staff, with the operator's texts.
  await page.goto(`/invite?for=operator#${invite.token}`);
  t.match(await page.locator('main').textContent(), /uitgenodigd als beheerder/, 'the invite page names the role');
  await fill(page, 'invite-display-name', 'Olaf Beheer');
  await fill(page, 'invite-username', 'olaf');
  await fill(page, 'invite-passphrase', passphrase);
  await fill(page, 'invite-passphrase-repeat', passphrase);
  await page.getByRole('button', { name: 'Account aanmaken' }).click();
  await page.getByRole('heading', { name: 'Uw herstelsleutel' }).waitFor(SLOW);
  await page.getByLabel(/Ik heb de herstelsleutel veilig bewaard/).check();
  await page.getByRole('button', { name: 'Verder' }).click();
  await page.getByRole('button', { name: 'Later' }).click(SLOW);
  await page.waitForURL('**/operator', SLOW);
  await page.getByRole('heading', { level: 1, name: 'Beheer' }).waitFor();
  const [olaf] = await db.select({ id: staffAccounts.id, role: staffAccounts.role }).from(staffAccounts).where(eq(staffAccounts.username, 'olaf'));
  t.equal(olaf?.role, 'operator', 'an operator account');
  t.ok(await shown(section(page, 'Organisaties').getByRole('cell', { name: 'Acme B.V.' })), 'the organisations are listed');
  const attention = section(page, 'Vraagt uw aandacht');
  t.strictSame(
    await attention.getByRole('listitem').allTextContents(),
    ['Organisatie Acme B.V. heeft geen actieve ontvanger: een doorgegeven melding bereikt daar niemand. Nodig een ontvanger uit.'],
    'what needs the operator comes first: Acme has no recipient yet',
  );
  await checkPage(t, watched, 'operator console');

  // An organisation, and a channel of it.
  const organisations = section(page, 'Organisaties');
  await organisations.getByLabel('Korte naam (in de link)').fill('beta');
  await organisations.getByLabel('Naam', { exact: true }).fill('Beta B.V.');
  await organisations.getByRole('button', { name: 'Organisatie aanmaken' }).click();
  await organisations.getByRole('cell', { name: 'Beta B.V.' }).waitFor();
  await organisations.getByLabel('Korte naam (in de link)').fill('gamma');
  await organisations.getByLabel('Naam', { exact: true }).fill('   ');
  await organisations.getByRole('button', { name: 'Organisatie aanmaken' }).click();
  t.ok(await shown(organisations.getByRole('alert').filter({ hasText: 'Vul een naam in van hooguit 200 tekens.' })), 'a blank name: refused in words');

  const channelsSection = section(page, 'Kanalen');
  await channelsSection.locator('#channel-slug').fill('meldpunt-beta');
  await channelsSection.locator('#channel-name').fill('Meldpunt Beta');
  await channelsSection.getByLabel('Organisatie', { exact: true }).selectOption('beta');
  await channelsSection.getByRole('button', { name: 'Kanaal aanmaken' }).click();
  await channelsSection.getByRole('cell', { name: 'Meldpunt Beta' }).waitFor();
  await attention.getByText('Kanaal Meldpunt Beta heeft geen actieve vertrouwenspersoon', { exact: false }).waitFor();
  t.equal(await attention.getByRole('listitem').count(), 3, 'the new channel without an adviser and Beta without a recipient join the list');
  await channelsSection.locator('#channel-slug').fill('meldpunt-beta');
  await channelsSection.locator('#channel-name').fill('Nog eens');
  await channelsSection.getByRole('button', { name: 'Kanaal aanmaken' }).click();
  await channelsSection.getByRole('alert').filter({ hasText: 'Er bestaat al een kanaal met deze korte naam.' }).waitFor();

  // Its settings and its locations.
  await channelsSection.getByRole('button', { name: 'Wijzig meldpunt-beta' }).click();
  const editor = page.getByRole('group', { name: 'Kanaal meldpunt-beta wijzigen' });
  await editor.getByLabel('Naam', { exact: true }).fill('Meldpunt Beta B.V.');
  await editor.getByLabel(/De melder keurt elke doorgegeven tekst goed/).uncheck();
  await editor.getByLabel(/Bewaartermijn na afsluiten/).fill('24');
  t.match(await editor.locator('#channel-meldpunt-beta-immediate-hint').textContent(), /laat de mailservers zien wanneer een melder iets deed/, 'the leak of immediate mail is said beside the switch');
  await editor.getByLabel(/Vertrouwenspersonen mogen kiezen voor een e-mail direct/).uncheck();
  await editor.getByRole('button', { name: 'Instellingen opslaan' }).click();
  await editor.getByText('De instellingen zijn opgeslagen.').waitFor();
  await editor.getByLabel('Afdelingen of locaties').fill('hq = Hoofdkantoor\ndepot = Depot Zuid');
  await editor.getByRole('button', { name: 'Lijst opslaan' }).click();
  await editor.getByText('De lijst is opgeslagen.').waitFor();
  const [beta] = await db.select().from(channels).where(eq(channels.slug, 'meldpunt-beta'));
  t.match(beta, { name: 'Meldpunt Beta B.V.', consentRequired: false, retentionMonths: 24, immediateMail: false, locations: [{ id: 'hq', name: 'Hoofdkantoor' }, { id: 'depot', name: 'Depot Zuid' }] }, 'stored as set');
  await checkPage(t, watched, 'channel editor');

  // An adviser's invite for the new channel: the link shown once works.
  const invites = section(page, 'Uitnodigingen');
  await invites.getByLabel('Rol', { exact: true }).selectOption('adviser');
  await invites.getByLabel('Kanaal', { exact: true }).selectOption('meldpunt-beta');
  await invites.getByRole('button', { name: 'Uitnodiging maken' }).click();
  const link = ((await invites.getByTestId('invite-link').textContent()) ?? '').trim();
  t.match(link, /\/invite\?for=adviser#[A-Za-z0-9_-]{43}$/, 'the link, with the token in the fragment');
  await setUpAccount(new ConfidantClient({ baseUrl: app.baseUrl }), { token: link.split('#')[1]!, username: 'bram', displayName: 'Bram Beta', passphrase: 'bram heeft ook een lange zin' });

  // A recipient's invite, revoked: its link works no more.
  await invites.getByLabel('Rol', { exact: true }).selectOption('recipient');
  await invites.getByLabel('Organisatie', { exact: true }).selectOption('beta');
  await invites.getByRole('button', { name: 'Uitnodiging maken' }).click();
  const revokedLink = ((await invites.getByTestId('invite-link').textContent()) ?? '').trim();
  t.not(revokedLink, link, 'a new link');
  const rows = invites.getByRole('row').filter({ hasText: 'Ontvanger bij de organisatie' });
  await rows.first().waitFor();
  await rows.first().getByRole('button', { name: 'Intrekken' }).click();
  await invites.getByText('Er staan geen uitnodigingen open.').waitFor();
  const refused = await apiFailure(
    setUpAccount(new ConfidantClient({ baseUrl: app.baseUrl }), { token: revokedLink.split('#')[1]!, username: 'rita', displayName: 'Rita', passphrase: 'rita heeft een lange zin hoor' }),
  );
  t.equal(refused.code, 'invite_invalid', 'the revoked link is refused');

  // Accounts: reload the console (a new page load resumes the session), then disable and enable Bram.
  await page.reload();
  const accounts = section(page, 'Accounts');
  await accounts.getByRole('cell', { name: 'bram', exact: true }).waitFor(SLOW);
  await accounts.getByRole('button', { name: 'Schakel bram uit' }).click();
  await accounts.getByRole('button', { name: 'Schakel bram weer in' }).waitFor();
  const disabledAt = async () => (await db.select({ at: staffAccounts.disabledAt }).from(staffAccounts).where(eq(staffAccounts.username, 'bram')))[0]?.at ?? null;
  t.not(await disabledAt(), null, 'Bram is disabled');
  await accounts.getByRole('button', { name: 'Schakel bram weer in' }).click();
  await accounts.getByRole('button', { name: 'Schakel bram uit' }).waitFor();
  t.equal(await disabledAt(), null, 'and enabled again');
  t.equal(await accounts.getByRole('button', { name: 'Schakel olaf uit' }).count(), 0, 'no button to disable oneself');

  // Two reports to Bram's channel, then Bram taken off it after the confirmation names them.
  for (let i = 0; i < 2; i++) {
    await submitNewReport(client, { slug: 'meldpunt-beta', report: { v: 1, lang: 'nl', answers: { what: `Melding ${i}` }, anonymity: 'anonymous' } });
  }
  await accounts.getByRole('button', { name: 'Haal bram van meldpunt-beta' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Bram Beta van kanaal meldpunt-beta halen?' });
  await confirm.waitFor();
  t.match(await confirm.textContent(), /verliest de toegang tot 2 zaken/, 'the confirmation names how many cases');
  t.match(await confirm.textContent(), /Niemand anders kan 2 van die zaken lezen/, 'and how many nobody else can read');
  await checkPage(t, watched, 'removal confirmation');
  await confirm.getByRole('button', { name: 'Ja, haal van het kanaal (2 zaken)' }).click();
  await accounts.getByText('Bram Beta is van kanaal meldpunt-beta gehaald.').waitFor();
  const bram = (await db.select({ id: staffAccounts.id }).from(staffAccounts).where(eq(staffAccounts.username, 'bram')))[0]!;
  t.same(await db.select().from(adviserChannels).where(eq(adviserChannels.accountId, bram.id)), [], 'Bram serves no channel now');

  // Every change is audited as Olaf.
  const audited = (await auditEntries(db)).filter((e) => e.actor === olaf!.id);
  t.same(
    [...new Set(audited.map((a) => a.action))].sort(),
    ['account_created', 'account_disabled', 'account_enabled', 'adviser_removed', 'channel_changed', 'channel_created', 'channel_locations', 'channel_retention', 'invite_created', 'invite_revoked', 'login', 'organisation_created'].sort(),
    'each kind of change audited as the operator',
  );

  // The console in English.
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: 'Console' }).waitFor();
  t.ok(await shown(page.getByRole('heading', { level: 2, name: 'Channels' })), 'the sections in English');
  await checkPage(t, watched, 'operator console in English');

  // An adviser who opens /operator is sent to their own page.
  const anna = await openPage(browser, app);
  anna.page.setDefaultTimeout(30_000);
  await anna.page.goto('/login');
  const login = anna.page.locator('form').filter({ has: anna.page.getByRole('button', { name: 'Inloggen', exact: true }) });
  await login.getByLabel('Gebruikersnaam').fill('anna');
  await login.getByLabel('Wachtwoordzin').fill('anna heeft een lange wachtwoordzin');
  await login.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await anna.page.waitForURL('**/inbox', SLOW);
  await anna.page.goto('/operator');
  await anna.page.getByText('Deze pagina is voor de beheerders van de installatie.').waitFor(SLOW);
});
