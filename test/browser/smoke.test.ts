import t from 'tap';
import { buildTestApp } from '../helper.js';
import { addChannel } from '../fixtures.js';
import { buildWeb, checkPage, chromiumAvailable, launch, openPage } from './harness.js';

t.test('the app loads under the strict CSP and the crypto worker answers', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  await addChannel(app.database.db, 'demo');
  const browser = await launch(t);
  const watched = await openPage(browser, app);
  await watched.page.goto('/');
  await watched.page.getByRole('heading', { level: 1 }).waitFor();
  t.equal(await watched.page.getByRole('heading', { level: 1 }).textContent(), 'Confidant');
  await checkPage(t, watched, 'start page');
});

t.test('the crypto worker loads libsodium under the CSP and reads a code back', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const browser = await launch(t);
  const watched = await openPage(browser, app);
  // The start page starts no worker of its own, so the policy name is free for this probe.
  await watched.page.goto('/');
  const result = await watched.page.evaluate(async () => {
    const worker = new Worker(
      (window as unknown as { trustedTypes: { createPolicy(n: string, r: object): { createScriptURL(s: string): string } } }).trustedTypes
        .createPolicy('confidant', { createScriptURL: (s: string) => s })
        .createScriptURL('/assets/worker.js'),
      { type: 'module' },
    );
    return new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage({ id: 1, method: 'checkCode', args: ['K7Q4-M2XD-9PTR-H6WA-3FZN-0KYX'] });
    });
  });
  t.same(result, { id: 1, kind: 'result', value: { ok: false, error: 'wrong_check' } });
  t.same(watched.problems, [], 'no console error or CSP violation');
});

t.test('a language switch survives a reload, a new tab and in-page navigation, with nothing stored', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const browser = await launch(t);
  const watched = await openPage(browser, app, { locale: 'nl-NL' });
  const { page } = watched;
  const lang = () => page.locator('html').getAttribute('lang');
  await page.goto('/');
  await page.getByRole('button', { name: 'English' }).waitFor();
  t.equal(await lang(), 'nl', 'the browser’s language first');

  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Nederlands' }).waitFor();
  t.equal(new URL(page.url()).searchParams.get('lang'), 'en', 'the choice is in the address');
  await page.reload();
  await page.getByRole('button', { name: 'Nederlands' }).waitFor();
  t.equal(await lang(), 'en', 'a reload keeps English');

  await page.getByRole('link', { name: 'My report (with code)' }).click();
  await page.waitForURL('**/mailbox?lang=en');
  await page.reload();
  await page.getByRole('button', { name: 'Nederlands' }).waitFor();
  t.equal(await lang(), 'en', 'a page reached in the app and reloaded is still English');

  const other = await page.context().newPage();
  await other.goto(page.url());
  await other.getByRole('button', { name: 'Nederlands' }).waitFor();
  t.equal(await other.locator('html').getAttribute('lang'), 'en', 'the address opened in a new tab is English');
  await other.close();

  await page.getByRole('button', { name: 'Nederlands' }).click();
  await page.getByRole('button', { name: 'English' }).waitFor();
  t.equal(new URL(page.url()).searchParams.get('lang'), 'nl', 'switching back is kept too');
  t.same(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, ''], 'no storage and no cookie');
  await checkPage(t, watched, 'mailbox page after switching language');
});
