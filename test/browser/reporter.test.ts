/**
 * The reporter's journeys in Chromium: landing page → form → submission (Argon2id and proof
 * of work in the worker) → code page → mailbox with the code → reply; typo feedback from the
 * check symbols without any mailbox request; the mailbox with an adviser's answer and a relay
 * text to approve; changing the code; the language switch. Every page visited gets checkPage.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { ConfidantClient, setUpAccount, signIn, submitNewReport } from '../../src/protocol/index.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { addAdviser, addChannel } from '../fixtures.js';
import { buildTestApp, buildWeb, checkPage, chromiumAvailable, launch, openPage, shown, type Watched } from './harness.js';

type Tap = Parameters<typeof chromiumAvailable>[0];

/**
 * One app and one browser for the whole file (building the app migrates a fresh database,
 * which is the slow part); each test uses channels of its own and a fresh browser context.
 */
let shared: Promise<{ app: Awaited<ReturnType<typeof buildTestApp>>; browser: Awaited<ReturnType<typeof launch>> }> | undefined;
function setUp() {
  shared ??= (async () => {
    buildWeb();
    const app = await buildTestApp(t);
    const browser = await launch(t);
    return { app, browser };
  })();
  return shared;
}

const CODE = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/;
const SLOW = { timeout: 90_000 };
/** A valid code (the second code of docs/vectors/code-v1.json) that opens no mailbox here. */
const VALID_UNUSED = 'K7Q4-M2XD-9PTR-H6WA-3FZN-1KYX';

/** Saves a screenshot when REPORTER_SCREENSHOTS names a folder (for looking at the pages). */
async function shot(page: Page, name: string): Promise<void> {
  const folder = process.env.REPORTER_SCREENSHOTS;
  if (folder) await page.screenshot({ path: path.join(folder, `${name}.png`), fullPage: true });
}

async function heading(page: Page): Promise<string> {
  return (await page.getByRole('heading', { level: 1 }).textContent()) ?? '';
}

/** The focus is on the page heading (moved there after each step). */
async function focusOnHeading(page: Page): Promise<boolean> {
  return page.evaluate(() => document.activeElement?.id === 'page-title');
}

/** Every request to the mailbox routes, seen from the page and its worker. */
function watchMailboxRequests(page: Page): string[] {
  const seen: string[] = [];
  page.context().on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/v1/mailbox')) seen.push(`${request.method()} ${request.url()}`);
  });
  return seen;
}

/** Reads the code shown on a code page, checks its controls and the leave guard, and continues. */
async function saveShownCode(t: Tap, watched: Watched, what: string): Promise<string> {
  const { page } = watched;
  const code = ((await page.locator('#the-code').textContent()) ?? '').trim();
  t.match(code, CODE, `${what}: the code has six groups of four`);
  t.equal(new URL(page.url()).search + new URL(page.url()).hash, '', `${what}: the code is not in the URL`);
  t.same(
    await page.evaluate(() => [localStorage.length, sessionStorage.length]),
    [0, 0],
    `${what}: nothing in localStorage or sessionStorage`,
  );

  // Copy: the clipboard holds exactly the code.
  await page.getByRole('button', { name: 'Copy code' }).click();
  await page.getByText('The code has been copied.').waitFor();
  t.equal(await page.evaluate(() => navigator.clipboard.readText()), code, `${what}: the copy button copies the code`);

  // Download: a text file that holds the code.
  const link = page.getByRole('link', { name: 'Download as a text file' });
  t.match(await link.getAttribute('href'), /^blob:/, `${what}: the download is an object URL`);
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = await download.path();
  t.ok((await readFile(file, 'utf8')).includes(code), `${what}: the downloaded file holds the code`);

  // The warning, and no leaving before "I have saved my code".
  await page.getByRole('heading', { name: 'This code cannot be recovered' }).waitFor();
  const proceed = page.getByRole('button', { name: 'Continue' });
  t.ok(await proceed.isDisabled(), `${what}: Continue is disabled until the code is saved`);
  t.ok(await beforeUnloadStopped(page), `${what}: closing or reloading the tab asks first`);
  await page.getByRole('link', { name: 'Confidant' }).click();
  await page.getByRole('alert').filter({ hasText: 'Save your code first' }).waitFor();
  await page.goBack();
  t.equal(await heading(page), what === 'new code' ? 'Your new code' : 'Save your code', `${what}: links and Back stay on the code page`);
  t.equal(await page.locator('#the-code').textContent(), code, `${what}: the code is still shown`);
  await checkPage(t, watched, `${what} page`);

  await page.getByLabel('I have saved my code').check();
  t.ok(await proceed.isDisabled(), `${what}: ticking alone does not enable Continue: the last group is typed back first`);
  const typeBack = page.getByLabel('To check, type the last four symbols of your code');
  const wrong = code.slice(-4) === 'ZZZZ' ? 'YYYY' : 'ZZZZ';
  await typeBack.fill(wrong);
  await page.getByText('Those are not yet the last four symbols of your code', { exact: false }).waitFor();
  t.ok(await proceed.isDisabled(), `${what}: another group does not enable Continue`);
  // Typed as people type: lower case, an O for a 0, an L for a 1.
  await typeBack.fill(code.slice(-4).toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l'));
  await page.getByText('Right. You can continue.').waitFor();
  t.notOk(await proceed.isDisabled(), `${what}: Continue is enabled once the code is saved and its last group typed back`);
  await proceed.click();
  // The guard is lifted when the code page's effect is cleaned up, which Preact may do a
  // frame after the click: wait for the page to move on, then for the guard to go.
  await page.locator('#the-code').waitFor({ state: 'detached' });
  const lifted = await page
    .waitForFunction(() => {
      const event = new Event('beforeunload', { cancelable: true });
      dispatchEvent(event);
      return !event.defaultPrevented;
    }, undefined, { timeout: 5000 })
    .then(() => true, () => false);
  t.ok(lifted, `${what}: once saved, the page may be left`);
  return code;
}

/** True when a beforeunload event is cancelled, i.e. the browser would ask before leaving. */
async function beforeUnloadStopped(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const event = new Event('beforeunload', { cancelable: true });
    dispatchEvent(event);
    return event.defaultPrevented;
  });
}

t.test('a reporter reports, saves the code, opens the mailbox with it and replies', async (t) => {
  if (!chromiumAvailable(t)) return;
  const { app, browser } = await setUp();
  // Difficulty 8 makes the worker solve a real proof of work.
  await addChannel(app.database.db, 'acme', { powDifficulty: 8 });
  await addAdviser(app.database.db, 'acme', 'Anna de Vries');
  await addAdviser(app.database.db, 'acme', 'Bram Jansen');
  const watched = await openPage(browser, app, { locale: 'en-GB' });
  const { page, context } = watched;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.baseUrl });
  const mailboxRequests = watchMailboxRequests(page);
  const watchedPosts: string[] = [];
  context.on('request', (request) => {
    if (request.method() === 'POST') watchedPosts.push(new URL(request.url()).pathname);
  });

  // Landing page.
  await page.goto('/c/acme');
  await page.getByRole('heading', { level: 1, name: 'Report an integrity concern', exact: true }).waitFor();
  await page.getByText('Reporting channel: Channel acme').waitFor();
  for (const text of ['What happens to your report', 'Who can read your report', 'You can report anonymously', 'Reporting outside the organisation', 'Your safety']) {
    t.ok(await shown(page.getByRole('heading', { level: 2, name: text })), `landing: "${text}"`);
  }
  t.ok(await shown(page.getByRole('listitem').filter({ hasText: 'Anna de Vries' })), 'landing names the advisers');
  t.ok(await shown(page.getByText('We never ask for your name or e-mail address.')), 'landing says no name or e-mail is asked');
  t.ok(await shown(page.getByText(/Do not use a computer, phone or network of your employer/)), 'landing advises against the employer’s device and network');
  t.ok(await shown(page.getByText(/directly to a competent external authority, such as the Dutch Whistleblowers Authority/)), 'landing says the reporter may report externally, to the Huis voor Klokkenluiders');
  t.ok(await shown(page.getByRole('button', { name: 'Quick exit' })), 'the quick-exit button is there');
  await shot(page, 'landing');
  await checkPage(t, watched, 'landing page');

  // The form.
  await page.getByRole('link', { name: 'Start your report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your report', exact: true }).waitFor();
  t.ok(await focusOnHeading(page), 'the focus moves to the form’s heading');
  t.equal(await page.getByRole('textbox', { name: /name|e-mail/i }).count(), 0, 'no name or e-mail field while anonymous');
  t.ok(await shown(page.getByText('Before anything is passed on to your organisation')), 'the consent rule is explained');
  t.ok(await page.getByRole('checkbox', { name: 'Anna de Vries' }).isChecked(), 'every adviser is chosen by default');
  t.ok(await page.getByRole('checkbox', { name: 'Bram Jansen' }).isChecked());
  await checkPage(t, watched, 'report form');

  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('alert').filter({ hasText: 'Please describe what happened.' }).waitFor();
  t.equal(await page.getByLabel(/What happened\?/).getAttribute('aria-invalid'), 'true', 'the missing answer is marked');

  await page.getByLabel(/What happened\?/).fill('Invoices are split to stay below the tender threshold.');
  await page.getByLabel('When did it happen?').fill('Since March');
  await page.getByLabel('Where did it happen?').fill('Purchasing');
  await page.getByLabel('Who was involved?').fill('The head of purchasing');
  // A code pasted into the report (one from an earlier report, say) is refused before anything is sent.
  await page.getByLabel('How do you know this?').fill(`I reported before, with code ${VALID_UNUSED}.`);
  const reportPosts = () => watchedPosts.filter((url) => url.endsWith('/api/v1/reports')).length;
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('alert').filter({ hasText: 'Your text holds a report code.' }).waitFor(SLOW);
  t.equal(reportPosts(), 0, 'a report with a code in it is not sent');
  await page.getByLabel('How do you know this?').fill('I process the invoices.');
  await page.getByLabel(/Yes, the adviser may know who I am/).check();
  await page.getByLabel('Your name').fill('Robin Reporter');
  await page.getByLabel('How can the adviser reach you?').fill('06 1234 5678');
  await shot(page, 'form');
  await checkPage(t, watched, 'report form, confidential');

  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('status').filter({ hasText: /Securing|One more short check against abuse|Sending/ }).first().waitFor(SLOW);
  t.pass('the submission shows its progress');
  await page.getByRole('heading', { level: 1, name: 'Save your code', exact: true }).waitFor(SLOW);
  t.ok(await focusOnHeading(page), 'the focus moves to the code page’s heading');
  t.ok(await shown(page.getByText(/Your report has been sent safely\. The adviser confirms receipt by/)));
  await shot(page, 'code');
  const code = await saveShownCode(t, watched, 'code');

  await page.getByRole('heading', { level: 1, name: 'Thank you for your report', exact: true }).waitFor();
  t.ok(await focusOnHeading(page), 'the focus moves to the last page’s heading');
  t.equal(await page.locator('#the-code').count(), 0, 'the code is gone from the page');
  t.ok(await shown(page.getByText(/ask the Dutch Whistleblowers Authority .* for free, confidential advice, or report to it externally/)), 'the thank-you page names the Huis voor Klokkenluiders');
  await checkPage(t, watched, 'thank-you page');
  t.same(mailboxRequests, [], 'no mailbox request before the mailbox is opened');

  // Evidence added right after sending, without typing the code again.
  await page.getByRole('button', { name: 'Add files' }).click();
  await page.getByLabel('Choose a file').waitFor(SLOW);
  await page.getByLabel('Choose a file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Invoice numbers 2026-114 to 2026-131.\n') });
  t.ok(await shown(page.getByText(/We cannot look inside this type of file/)), 'a text file is named as one that cannot be cleaned');
  await page.getByRole('button', { name: 'Encrypt and send' }).click();
  t.ok(await shown(page.getByText('notes.txt was sent encrypted.'), 60_000), 'a file is attached on the thank-you page');
  await checkPage(t, watched, 'thank-you page with a file attached');

  // The mailbox, opened with the code as someone might type it.
  await page.getByRole('link', { name: 'Open my report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Open your report', exact: true }).waitFor();
  await checkPage(t, watched, 'mailbox login');
  await page.getByLabel('Your code').fill(code.toLowerCase().replaceAll('-', ' '));
  await page.getByText('The code looks right.').waitFor();
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your report', exact: true }).waitFor(SLOW);
  t.ok(await focusOnHeading(page), 'the focus moves to the mailbox heading');
  t.ok(mailboxRequests.length > 0, 'opening the mailbox does reach the mailbox routes (the watch works)');
  t.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/mailbox', 'the code is not in the URL');

  t.ok(await shown(page.getByText('Status: Received')), 'the status in plain words');
  t.ok(await shown(page.getByText(/^The adviser confirms receipt by \d{1,2} \w+ \d{4}\.$/)), 'the acknowledgement deadline');
  t.ok(await shown(page.getByText(/^You will hear by \d{1,2} \w+ \d{4} how your report was assessed and what follows\.$/)), 'the feedback deadline');
  t.ok(await shown(page.getByText('No messages yet.', { exact: false })));
  t.match(await page.getByTestId('file').textContent(), /You · \d+ B\s*notes\.txt/, 'the mailbox lists the file attached after sending');
  t.ok(await shown(page.getByText(/Dutch Whistleblowers Authority .* gives free, confidential advice and takes external reports/)), 'the mailbox names the Huis voor Klokkenluiders');
  await page.getByText('Show your report').click();
  t.ok(await shown(page.getByText('Invoices are split to stay below the tender threshold.')), 'the own report is shown');
  t.ok(await shown(page.getByText('Robin Reporter')), 'with the identity given to the adviser');
  await checkPage(t, watched, 'mailbox');

  await page.getByRole('button', { name: 'Send message' }).click();
  await page.getByRole('alert').filter({ hasText: 'Write a message first.' }).waitFor();
  // The own code pasted into a message: refused in the browser, with the reason, nothing sent.
  const sentBefore = mailboxRequests.filter((r) => r.startsWith('POST ') && r.endsWith('/api/v1/mailbox/messages')).length;
  await page.getByLabel('Your message to the adviser').fill(`My code, just in case: ${code}`);
  await page.getByRole('button', { name: 'Send message' }).click();
  await page.getByRole('alert').filter({ hasText: 'Your text holds a report code.' }).waitFor();
  t.equal(mailboxRequests.filter((r) => r.startsWith('POST ') && r.endsWith('/api/v1/mailbox/messages')).length, sentBefore, 'a message with the code is not sent');
  t.equal(await page.locator('.messages li.mine').count(), 0, 'and not in the conversation');
  await page.getByLabel('Your message to the adviser').fill('I can send copies of the invoices.');
  await page.getByRole('button', { name: 'Send message' }).click();
  await page.getByText('Your message has been sent.').waitFor(SLOW);
  const mine = page.locator('.messages li.mine');
  t.equal(await mine.count(), 1, 'the reply is in the conversation');
  t.match(await mine.textContent(), /You.*I can send copies of the invoices\./s);
  t.equal(await page.getByLabel('Your message to the adviser').inputValue(), '', 'the reply field is emptied');
  await shot(page, 'mailbox');
  await checkPage(t, watched, 'mailbox after the reply');

  // A new code: shown like the first, the old one stops working.
  await page.getByRole('button', { name: 'Make a new code' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your new code', exact: true }).waitFor(SLOW);
  const newCode = await saveShownCode(t, watched, 'new code');
  t.not(newCode, code, 'the new code differs from the old');
  await page.getByRole('heading', { level: 1, name: 'Open your report', exact: true }).waitFor();
  t.ok(await shown(page.getByText('Your old code no longer works. Open your report with the new code.')));

  await page.getByLabel('Your code').fill(newCode);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your report', exact: true }).waitFor(SLOW);
  t.match(await page.locator('.messages li.mine').textContent(), /I can send copies of the invoices\./, 'the new code opens the same mailbox');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.', { exact: false }).waitFor();
  t.same(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0], 'nothing was stored in the browser');
  await checkPage(t, watched, 'mailbox after signing out');
});

t.test('a mistyped code gets the right message at once and no mailbox request', async (t) => {
  if (!chromiumAvailable(t)) return;
  const { app, browser } = await setUp();
  const watched = await openPage(browser, app, { locale: 'en-GB' });
  const { page } = watched;
  const mailboxRequests = watchMailboxRequests(page);
  await page.goto('/mailbox');
  await page.getByRole('heading', { level: 1, name: 'Open your report', exact: true }).waitFor();
  const field = page.getByLabel('Your code');
  const feedback = page.locator('#mailbox-code-feedback');
  t.equal(await feedback.getAttribute('aria-live'), 'polite', 'the feedback is announced');
  const instantly = { timeout: 3000 };

  await field.fill('K7Q4-M2XD');
  await feedback.filter({ hasText: '8 of the 24 characters' }).waitFor(instantly);
  t.pass('a code being typed shows how far along it is');

  await field.fill('K7Q4-M2XD-9PTR-H6WA-3FZN-0KYX');
  await feedback.filter({ hasText: 'There is a typing mistake in the code' }).waitFor(instantly);
  t.equal(await field.getAttribute('aria-invalid'), 'true');
  t.pass('a wrong check symbol says there is a typing mistake');
  await shot(page, 'typo');
  await checkPage(t, watched, 'mailbox login with a typing mistake');

  await field.fill(`${VALID_UNUSED}7`);
  await feedback.filter({ hasText: 'The code is too long: you typed 25 characters, a code has 24.' }).waitFor(instantly);
  t.pass('a code too long says so');

  await field.fill('K7Q4-M2XD-9PTR-H6WA-3FZN-1KYU');
  await feedback.filter({ hasText: 'The character “U” is never part of a code.' }).waitFor(instantly);
  t.pass('an invalid symbol is named');
  await field.fill('K7Q4 M2XD 9PTR H6WA 3FZN 1KY#');
  await feedback.filter({ hasText: 'The character “#” is never part of a code.' }).waitFor(instantly);

  // Submitting a short code: an alert, still no request.
  await field.fill('K7Q4-M2XD-9PTR');
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('alert').filter({ hasText: 'The code is too short: you typed 12 of the 24 characters.' }).waitFor(instantly);
  await field.fill('K7Q4-M2XD-9PTR-H6WA-3FZN-0KYX');
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('alert').filter({ hasText: 'There is a typing mistake in the code' }).waitFor(instantly);
  t.ok(await focusOnField(page), 'the focus returns to the code field');
  t.same(mailboxRequests, [], 'no request to /api/v1/mailbox for a mistyped code');

  // Confusable letters are read as digits: o → 0, i and l → 1.
  await field.fill('k7q4-m2xd-9ptr-h6wa-3fzn-ikyx');
  await feedback.filter({ hasText: 'The code looks right.' }).waitFor(instantly);
  t.same(mailboxRequests, [], 'still no request while typing a right code');

  // A right code that opens nothing: a plain answer, after a request.
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('alert').filter({ hasText: 'This code does not open a report.' }).waitFor(SLOW);
  t.ok(mailboxRequests.length > 0, 'a right code does go to the server');
});

async function focusOnField(page: Page): Promise<boolean> {
  return page.evaluate(() => document.activeElement?.id === 'mailbox-code');
}

t.test('the mailbox shows the adviser’s answer and a relay text to approve', async (t) => {
  if (!chromiumAvailable(t)) return;
  const { app, browser } = await setUp();
  await addChannel(app.database.db, 'zorg');
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  const client = new ConfidantClient({ baseUrl: app.baseUrl });
  const account = async (invite: { token: string }, username: string) => {
    await setUpAccount(client, { token: invite.token, username, displayName: username, passphrase: `${username} heeft een lang wachtwoord` });
    return signIn(client, { username, passphrase: `${username} heeft een lang wachtwoord` });
  };
  const anna = await account(await admin.createInvite({ role: 'adviser', channel: 'zorg' }), 'anna');
  await account(await admin.createInvite({ role: 'recipient', organisation: 'zorg-org' }), 'olga');
  const submitted = await submitNewReport(client, {
    slug: 'zorg',
    report: { v: 1, lang: 'nl', answers: { what: 'Er wordt geknoeid met roosters.' }, anonymity: 'anonymous' },
  });
  await anna.setStatus(submitted.caseId, 'acknowledged');
  await anna.reply(submitted.caseId, 'Dank u wel. Ik neem dit in behandeling.');
  const relayText = 'Er zijn signalen dat roosters achteraf worden aangepast.';
  const relay = await anna.createRelay(submitted.caseId, relayText);

  const watched = await openPage(browser, app);
  const { page } = watched;
  await page.goto('/mailbox');
  await page.getByRole('heading', { level: 1, name: 'Uw melding openen', exact: true }).waitFor();
  await page.getByLabel('Uw code').fill(submitted.code);
  await page.getByRole('button', { name: 'Openen' }).click();
  await page.getByRole('heading', { level: 1, name: 'Uw melding', exact: true }).waitFor(SLOW);

  t.ok(await shown(page.getByText('Status: Ontvangst bevestigd')), 'the status in Dutch');
  t.ok(await shown(page.getByText(/^De vertrouwenspersoon heeft de ontvangst bevestigd op /)), 'when receipt was acknowledged');
  t.ok(await shown(page.getByText(/^U hoort uiterlijk op .+ hoe uw melding is beoordeeld en wat er nu gebeurt\.$/)), 'the feedback deadline: a thank-you is not the feedback');
  const theirs = page.locator('.messages li:not(.mine)');
  t.match(await theirs.textContent(), /Vertrouwenspersoon.*Dank u wel\. Ik neem dit in behandeling\./s, 'the adviser’s answer');
  t.equal(await page.locator('blockquote.relay-text').textContent(), relayText, 'the relay text exactly as the organisation gets it');
  t.ok(await shown(page.getByText('Wacht op uw toestemming')));
  await shot(page, 'relay');
  await checkPage(t, watched, 'mailbox with a relay');

  await page.getByRole('button', { name: 'Goedkeuren' }).click();
  await page.getByLabel('Bericht aan de vertrouwenspersoon (niet verplicht)').fill('Prima zo.');
  await checkPage(t, watched, 'relay approval');
  await page.getByRole('button', { name: 'Ja, goedkeuren' }).click();
  await page.getByText('U heeft deze tekst goedgekeurd.', { exact: false }).waitFor(SLOW);
  t.match(await page.locator('.messages li.mine').textContent(), /Prima zo\./, 'the message with the decision is posted');
  t.equal(await page.getByRole('button', { name: 'Goedkeuren' }).count(), 0, 'a decided relay has no buttons');
  const sent = await anna.sendRelay(relay.relayId);
  t.equal(sent.state, 'sent', 'the approved relay can be sent');
  await checkPage(t, watched, 'mailbox after approving');
});

t.test('the language switch changes the strings and <html lang>; the consent notice shows', async (t) => {
  if (!chromiumAvailable(t)) return;
  const { app, browser } = await setUp();
  await addChannel(app.database.db, 'open', { consentRequired: false });
  await addAdviser(app.database.db, 'open', 'Anna de Vries');
  const watched = await openPage(browser, app, { locale: 'nl-NL' });
  const { page } = watched;
  const lang = () => page.evaluate(() => document.documentElement.lang);

  await page.goto('/c/open');
  await page.getByRole('heading', { level: 1, name: 'Een integriteitskwestie melden', exact: true }).waitFor();
  t.equal(await lang(), 'nl');
  await page.getByText(/zonder het u eerst te vragen/).waitFor();
  t.pass('the landing page says consent is not asked');
  await checkPage(t, watched, 'landing page in Dutch');

  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: 'Report an integrity concern', exact: true }).waitFor();
  t.equal(await lang(), 'en', '<html lang> follows the switch');
  t.ok(await shown(page.getByRole('link', { name: 'Start your report' })));
  await checkPage(t, watched, 'landing page in English');

  await page.getByRole('link', { name: 'Start your report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your report', exact: true }).waitFor();
  t.ok(await shown(page.getByRole('heading', { name: 'Please note: no permission asked beforehand' })), 'the form warns before submitting');
  t.ok(await shown(page.getByText('Your report goes to Anna de Vries.')), 'a single adviser is named');
  await checkPage(t, watched, 'report form in English');

  await page.getByRole('button', { name: 'Nederlands' }).click();
  await page.getByRole('heading', { level: 1, name: 'Uw melding', exact: true }).waitFor();
  t.equal(await lang(), 'nl');
  t.ok(await shown(page.getByRole('heading', { name: 'Let op: geen toestemming vooraf' })));
  t.ok(await shown(page.getByLabel(/Wat is er gebeurd\?/)), 'the labels follow the switch');
  await checkPage(t, watched, 'report form in Dutch');

  await page.goto('/mailbox');
  await page.getByRole('heading', { level: 1, name: 'Uw melding openen', exact: true }).waitFor();
  await page.getByLabel('Uw code').fill('K7Q4-M2XD-9PTR-H6WA-3FZN-0KYX');
  await page.getByText('Er zit een typefout in de code', { exact: false }).waitFor();
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByText('There is a typing mistake in the code', { exact: false }).waitFor();
  t.equal(await lang(), 'en');
  await checkPage(t, watched, 'mailbox login in English');

  await page.goto('/c/missing');
  await page.getByRole('alert').filter({ hasText: 'Dit meldpunt bestaat niet.' }).waitFor();
  t.pass('an unknown channel is said in plain words');
});

t.test('quick exit: Escape twice leaves every reporter page at once, one Escape does not', async (t) => {
  if (!chromiumAvailable(t)) return;
  const { app, browser } = await setUp();
  await addChannel(app.database.db, 'vlucht');
  await addAdviser(app.database.db, 'vlucht', 'Anna de Vries');
  const watched = await openPage(browser, app, { locale: 'nl-NL' });
  const { page } = watched;
  // The exit page is not fetched from the internet: a stand-in answers for it.
  await page.route('https://www.google.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Google</title>' }));

  await page.goto('/c/vlucht');
  await page.getByText(/twee keer op Esc/).waitFor();
  t.pass('the landing page says how');
  t.match(await page.getByRole('button', { name: 'Snel weg' }).getAttribute('title'), /twee keer op Esc/, 'and so does the button, on every reporter page');
  await checkPage(t, watched, 'landing page with the quick-exit hint');

  for (const [path, heading] of [
    ['/c/vlucht', 'Een integriteitskwestie melden'],
    ['/c/vlucht/report', 'Uw melding'],
    ['/mailbox', 'Uw melding openen'],
  ] as const) {
    // A blank page before, to see where Back goes once the page is left.
    await page.goto('about:blank');
    await page.goto(`${app.baseUrl}${path}`);
    await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1200);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    t.equal(new URL(page.url()).pathname, path, `${path}: two Escapes more than a second apart stay`);
    // From inside a field too: the key is caught before any field sees it.
    const field = page.locator('main input, main textarea').first();
    if ((await field.count()) > 0) await field.focus();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.waitForURL('https://www.google.com/**', { waitUntil: 'load' });
    t.pass(`${path}: Escape twice leaves for the exit page`);
    // Chromium may still be swapping the tab to the other site's process, and then reports a
    // failure ("not attached to an active page") although it may have gone back all the same:
    // go back again only if it did not, or Back would be taken twice.
    await page.goBack({ waitUntil: 'commit' }).catch(async () => {
      await page.waitForTimeout(500);
      if (!page.url().startsWith('https://www.google.com/')) return null;
      return page.goBack({ waitUntil: 'commit' });
    });
    // Back may still be under way when goBack answers: wait for where it lands (the page left, were
    // it in the history, would be a third place, and fail the check all the same).
    await page.waitForURL('about:blank', { waitUntil: 'commit', timeout: 10_000 }).catch(() => undefined);
    t.equal(page.url(), 'about:blank', `${path}: Back skips the page left: it was replaced, not left in the history`);
  }
});

t.test('a channel without an adviser tells the reporter where else to go and the operator what to do', async (t) => {
  if (!chromiumAvailable(t)) return;
  const { app, browser } = await setUp();
  await addChannel(app.database.db, 'leeg');
  const watched = await openPage(browser, app, { locale: 'nl-NL' });
  const { page } = watched;
  await page.goto('/c/leeg');
  await page.getByRole('alert').filter({ hasText: 'nog geen vertrouwenspersoon' }).waitFor();
  t.match(await page.locator('main').textContent(), /Huis voor Klokkenluiders/, 'the reporter is told where else to report or ask for advice');
  t.match(await page.locator('main').textContent(), /confidant invite adviser --channel leeg/, 'the operator is told the command, with this channel');
  t.equal(await page.getByRole('link', { name: 'Melding maken' }).count(), 0, 'no way into a form that cannot be sent');
  await checkPage(t, watched, 'landing page of a channel without an adviser');
});
