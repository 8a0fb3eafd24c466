/**
 * The reporter's pages in Chromium without a JIT (`--js-flags=--jitless`), which also leaves it
 * without WebAssembly, as Tor Browser runs at its "Safer" level: the worker falls back to the
 * pure-JavaScript engine and the reporter submits a report (with a progress bar and a word on
 * why it is slow), saves the code, opens the mailbox with it, reads the adviser's answer and
 * approves a relay text. The adviser, in Node on libsodium, reads what the jitless browser
 * encrypted and the jitless browser reads what the adviser encrypted. Staff pages say they need
 * WebAssembly instead of failing.
 */
import t from 'tap';
import { ConfidantClient, setUpAccount, signIn } from '../../src/protocol/index.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { addChannel } from '../fixtures.js';
import { buildTestApp, buildWeb, checkPage, chromiumAvailable, launch, openPage, shown } from './harness.js';

/** Argon2id at 64 MiB without a JIT takes most of a minute, more on a busy machine. */
const SLOW = { timeout: 300_000 };
t.setTimeout(900_000);

t.test('without WebAssembly, a reporter reports, opens the mailbox with the code and approves a relay', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  // Difficulty 12: a proof of work the worker visibly solves, in a few seconds without a JIT.
  await addChannel(app.database.db, 'tor', { powDifficulty: 12 });
  const admin = createAdministration(app.database.db, { powDifficulty: 12 });
  const client = new ConfidantClient({ baseUrl: app.baseUrl });
  const passphrase = 'anna heeft een lang wachtwoord';
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'adviser', channel: 'tor' })).token, username: 'anna', displayName: 'Anna de Vries', passphrase });
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'recipient', organisation: 'tor-org' })).token, username: 'olga', displayName: 'Olga', passphrase });
  const anna = await signIn(client, { username: 'anna', passphrase });

  const browser = await launch(t, { jitless: true });
  const watched = await openPage(browser, app, { locale: 'en-GB' });
  const { page } = watched;

  await page.goto('/c/tor');
  await page.getByRole('heading', { level: 1, name: 'Report an integrity concern', exact: true }).waitFor();
  t.equal(await page.evaluate(() => typeof WebAssembly), 'undefined', 'this browser has no WebAssembly, like Tor Browser at "Safer"');
  await checkPage(t, watched, 'landing page without WebAssembly');

  await page.getByRole('link', { name: 'Start your report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your report', exact: true }).waitFor();
  const what = 'Overtime is booked on projects that never ran.';
  await page.getByLabel(/What happened\?/).fill(what);
  await page.getByRole('button', { name: 'Send report' }).click();
  const busy = page.getByRole('status').filter({ hasText: 'Securing' });
  await busy.waitFor(SLOW);
  t.ok(await shown(busy.getByText(/runs without WebAssembly .* takes a minute or longer/)), 'the page says why this step is slow');
  await busy.locator('progress').waitFor(SLOW);
  const early = Number(await busy.locator('progress').getAttribute('value'));
  await page.waitForFunction((start) => {
    const bar = document.querySelector('.busy progress');
    return bar === null || Number(bar.getAttribute('value')) > start;
  }, early, SLOW);
  t.pass('a progress bar moves while the keys are derived');
  await checkPage(t, watched, 'report form, busy without WebAssembly');

  await page.getByRole('heading', { level: 1, name: 'Save your code', exact: true }).waitFor(SLOW);
  const code = ((await page.locator('#the-code').textContent()) ?? '').trim();
  t.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/, 'the code page shows a code');
  await page.getByLabel('I have saved my code').check();
  await page.getByLabel('To check, type the last four symbols of your code').fill(code.slice(-4));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { level: 1, name: 'Thank you for your report', exact: true }).waitFor();
  await checkPage(t, watched, 'thank-you page without WebAssembly');

  // The adviser, on libsodium, opens what the pure-JavaScript engine encrypted.
  const [summary] = (await anna.listCases()).cases;
  t.ok(summary, 'the report arrived');
  const opened = await anna.openCase(summary!.caseId);
  t.equal(opened.report.answers.what, what, 'the adviser decrypts the report byte for byte');
  t.equal(opened.keyCheck, 'signed', 'and the case key is the one the reporter committed to');
  await anna.setStatus(opened.caseId, 'acknowledged');
  await anna.reply(opened.caseId, 'Thank you. I will look into this.');
  const relayText = 'Hours are booked on projects that did not run.';
  const relay = await anna.createRelay(opened.caseId, relayText);

  await page.getByRole('link', { name: 'Open my report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Open your report', exact: true }).waitFor();
  await page.getByLabel('Your code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your report', exact: true }).waitFor(SLOW);
  t.match(await page.locator('.messages li:not(.mine)').textContent(), /Thank you\. I will look into this\./, 'the reporter decrypts the adviser’s answer');
  t.equal(await page.locator('blockquote.relay-text').textContent(), relayText, 'and the relay text');
  await checkPage(t, watched, 'mailbox without WebAssembly');

  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('button', { name: 'Yes, approve' }).click();
  await page.getByText('You approved this text.', { exact: false }).waitFor(SLOW);
  t.equal((await anna.sendRelay(relay.relayId)).state, 'sent', 'the approval signed without WebAssembly lets the adviser send the relay');
  await checkPage(t, watched, 'mailbox after approving without WebAssembly');

  // Staff pages say what they need.
  for (const path of ['/login', '/inbox', '/relays']) {
    await page.goto(path);
    await page.getByRole('heading', { level: 1, name: 'This page needs WebAssembly', exact: true }).waitFor();
    t.ok(await shown(page.getByText(/Choose the “Standard” level in Tor Browser/)), `${path}: how to get there instead`);
  }
  await checkPage(t, watched, 'a staff page without WebAssembly');
});
