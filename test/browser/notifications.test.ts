/**
 * The e-mail notification settings in Chromium, for an adviser, an organisation recipient and an
 * operator: the link beside their name, the address, the language, the opt-in to immediate mail
 * with its leak said beside it (not offered to operators, who get the digest only), a wrong
 * address refused in words, and what was saved read back after a reload.
 */
import t from 'tap';
import { eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { setUpAccount } from '../../src/protocol/index.js';
import { staffAccounts } from '../../src/server/db/schema.js';
import { buildTestApp } from '../helper.js';
import { acmeWithAnna, buildWeb, checkPage, chromiumAvailable, launch, openPage, signInThroughLogin } from './harness.js';

t.setTimeout(480_000);

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'E-mailnotificaties' }).click();
  await page.getByRole('heading', { level: 1, name: 'E-mailnotificaties' }).waitFor();
  await page.getByLabel('E-mailadres').waitFor();
}

t.test('an adviser, a recipient and an operator choose how they hear of new work', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  // A mail server that is never reached here: the page only needs mail to be configured.
  const app = await buildTestApp(t, { SMTP_URL: 'smtp://127.0.0.1:9', DIGEST_TIME: '06:30', MAIL_POLL_MS: '600000' });
  const passphrase = 'anna wil weten wanneer er iets binnenkomt';
  const { admin, client } = await acmeWithAnna(app, passphrase);
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'recipient', organisation: 'acme' })).token, username: 'olga', displayName: 'Olga Organisatie', passphrase });
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'operator' })).token, username: 'otto', displayName: 'Otto Operator', passphrase });
  const stored = async (username: string) =>
    (await app.database.db.select({ email: staffAccounts.notifyEmail, immediate: staffAccounts.notifyImmediate, lang: staffAccounts.notifyLang }).from(staffAccounts).where(eq(staffAccounts.username, username)))[0];

  // The operator allowed only the digest for Anna's channel: her page says so.
  await admin.updateChannel('acme-meldpunt', { immediateMail: false });
  const browser = await launch(t);
  const watched = await openPage(browser, app);
  const { page } = watched;
  page.setDefaultTimeout(30_000);
  await signInThroughLogin(page, 'anna', passphrase);
  await openSettings(page);
  t.match(await page.locator('main, body').first().textContent(), /elke dag om 06:30 \(UTC\)/, 'the digest time is said');
  t.ok(await page.getByLabel('Ook direct een e-mail bij iets nieuws').isDisabled(), 'no immediate mail without an address');
  t.match(await page.locator('#notify-immediate-hint').textContent(), /laat de mailserver zien.*wanneer een melder iets deed/, 'the leak of immediate mail is said beside it');
  t.match(await page.getByTestId('digest-only').textContent(), /De beheerder heeft directe e-mail uitgezet voor Meldpunt Acme: nieuws daarvan komt alleen in het dagelijkse overzicht/, 'a channel with the digest only is named');

  await page.getByLabel('E-mailadres').fill('anna@example.nl, baas@example.nl');
  await page.getByRole('button', { name: 'Opslaan' }).click();
  await page.getByRole('alert').filter({ hasText: 'Dit is geen geldig e-mailadres.' }).waitFor();
  t.equal(await page.getByLabel('E-mailadres').getAttribute('aria-invalid'), 'true', 'the field is marked');
  t.same(await stored('anna'), { email: null, immediate: false, lang: 'nl' }, 'nothing was stored');

  await page.getByLabel('E-mailadres').fill('anna@example.nl');
  await page.getByLabel('Ook direct een e-mail bij iets nieuws').check();
  await page.getByLabel('Taal van de e-mail').selectOption('en');
  await page.getByRole('button', { name: 'Opslaan' }).click();
  await page.getByText('Opgeslagen.').waitFor();
  t.same(await stored('anna'), { email: 'anna@example.nl', immediate: true, lang: 'en' }, 'stored as chosen');
  await checkPage(t, watched, 'notification settings');

  await page.reload();
  await page.getByLabel('E-mailadres').waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => (document.getElementById('notify-email') as HTMLInputElement | null)?.value === 'anna@example.nl');
  t.ok(await page.getByLabel('Ook direct een e-mail bij iets nieuws').isChecked(), 'read back after a reload');
  t.equal(await page.getByLabel('Taal van de e-mail').inputValue(), 'en');

  // Clearing the address turns all mail off.
  await page.getByLabel('E-mailadres').fill('');
  await page.getByRole('button', { name: 'Opslaan' }).click();
  await page.getByText('Opgeslagen.').waitFor();
  t.same(await stored('anna'), { email: null, immediate: false, lang: 'en' }, 'no address: no mail at all');

  // The organisation's recipient finds the same page beside their name, and goes back to their relays.
  const other = await openPage(browser, app);
  other.page.setDefaultTimeout(30_000);
  await signInThroughLogin(other.page, 'olga', passphrase);
  await openSettings(other.page);
  await other.page.getByLabel('E-mailadres').fill('olga@acme.example');
  await other.page.getByRole('button', { name: 'Opslaan' }).click();
  await other.page.getByText('Opgeslagen.').waitFor();
  t.same(await stored('olga'), { email: 'olga@acme.example', immediate: false, lang: 'nl' }, "the recipient's digest only");
  await checkPage(t, other, 'notification settings of a recipient');
  await other.page.getByRole('link', { name: 'Terug' }).click();
  await other.page.waitForURL('**/relays');

  // The operator finds it beside their name in the console: the digest of what needs them, no immediate mail.
  const console = await openPage(browser, app);
  console.page.setDefaultTimeout(30_000);
  await signInThroughLogin(console.page, 'otto', passphrase);
  await console.page.waitForURL('**/operator');
  await openSettings(console.page);
  const text = await console.page.locator('main, body').first().textContent();
  t.match(text, /een kanaal zonder actieve vertrouwenspersoon, een organisatie zonder actieve ontvanger/, 'the page says what the operator hears of');
  t.match(text, /elke dag om 06:30 \(UTC\) een overzicht van wat u nodig heeft/, 'and when');
  t.equal(await console.page.getByLabel('Ook direct een e-mail bij iets nieuws').count(), 0, 'immediate mail is not offered to an operator');
  await console.page.getByLabel('E-mailadres').fill('otto@example.nl');
  await console.page.getByLabel('Taal van de e-mail').selectOption('en');
  await console.page.getByRole('button', { name: 'Opslaan' }).click();
  await console.page.getByText('Opgeslagen.').waitFor();
  t.same(await stored('otto'), { email: 'otto@example.nl', immediate: false, lang: 'en' }, "the operator's address and language, the digest only");
  await checkPage(t, console, 'notification settings of an operator');
  await console.page.getByRole('link', { name: 'Terug' }).click();
  await console.page.waitForURL('**/operator');
  await console.page.getByRole('link', { name: 'E-mailnotificaties' }).waitFor();
});

t.test('without a mail server the page says so, and an address can be saved for later', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const passphrase = 'anna wil weten wanneer er iets binnenkomt';
  await acmeWithAnna(app, passphrase);
  const browser = await launch(t);
  const watched = await openPage(browser, app);
  await signInThroughLogin(watched.page, 'anna', passphrase);
  await openSettings(watched.page);
  await watched.page.getByText('Deze installatie verstuurt (nog) geen e-mail').waitFor();
  t.notMatch(await watched.page.locator('body').textContent(), /elke dag om/, 'no digest time without mail');
  await checkPage(t, watched, 'notification settings without mail');
});
