/**
 * Browser tests drive Debian's Chromium (/usr/bin/chromium) with playwright-core; nothing is
 * downloaded. Each test gets the real app on its own database, listening on loopback, with the
 * web bundle built once. Every page is watched for console errors, CSP violations and
 * requests to any other origin; `checkAccessibility` runs axe-core on the page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { ConfidantClient, setUpAccount } from '../../src/protocol/index.js';
import { createAdministration, type Administration } from '../../src/server/services/administration.js';
import { buildTestApp, type TestApp } from '../helper.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '../..');

type Tap = Test;

/**
 * False, and the test skipped, when Chromium is missing outside CI (in CI a missing Chromium
 * fails), or when `BROWSER_TESTS=skip`: CI runs the pages once, on the embedded database, and
 * skips them in its PostgreSQL pass, where the API tests cover the SQL.
 */
export function chromiumAvailable(t: Tap): boolean {
  if (process.env.BROWSER_TESTS === 'skip') {
    t.skip('browser tests skipped: BROWSER_TESTS=skip', () => {});
    return false;
  }
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) t.fail(`Chromium is missing at ${CHROMIUM}: CI must install it (apt-get install -y chromium)`);
  else t.skip(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`, () => {});
  return false;
}

let built = false;
/** Builds the web bundle into public/assets (once per process). */
export function buildWeb(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build-web.js'], { cwd: root, stdio: 'inherit' });
  built = true;
}

/**
 * `jitless`: V8 without its JIT compilers, which also leaves it without WebAssembly, as Tor
 * Browser runs at its "Safer" level.
 */
export async function launch(t: Tap, options: { jitless?: boolean } = {}): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      ...(options.jitless === true ? ['--js-flags=--jitless'] : []),
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}

export interface Watched {
  page: Page;
  context: BrowserContext;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  /** Every URL the page requested that is not on the app's origin. */
  foreignRequests: string[];
}

/** A new browser context (its own storage, like another person's browser) and a watched page. */
export async function openPage(browser: Browser, app: TestApp, options: { locale?: string } = {}): Promise<Watched> {
  const context = await browser.newContext({ locale: options.locale ?? 'nl-NL', baseURL: app.baseUrl });
  const page = await context.newPage();
  const problems: string[] = [];
  const foreignRequests: string[] = [];
  const origin = new URL(app.baseUrl).origin;
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) foreignRequests.push(url);
  });
  // CSP violations are reported to the page as events; collect them from every document.
  await page.exposeFunction('__reportCspViolation', (text: string) => problems.push(`CSP: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return { page, context, problems, foreignRequests };
}

const axeSource = (): string => readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe-core violations on the current page. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // evaluate() runs through the DevTools protocol, outside the page's CSP.
  await page.evaluate(axeSource());
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }> }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} ×${v.nodes}`);
}

/** The checks every page gets: no console error or CSP violation, only same-origin requests, no serious axe finding. */
export async function checkPage(t: Tap, watched: Watched, what: string): Promise<void> {
  t.same(watched.problems, [], `${what}: no console error or CSP violation`);
  t.same(watched.foreignRequests, [], `${what}: every request goes to the app's own origin`);
  t.same(await accessibilityViolations(watched.page), [], `${what}: no serious or critical accessibility violation`);
}

export { buildTestApp };

/**
 * With SCREENSHOTS=<folder>, the page at 1280 and 390 px wide, whole length: how the screenshots
 * in docs/screenshots are made (`SCREENSHOTS=docs/screenshots CI=true npx tap test/browser/journey.test.ts test/browser/annual-report.test.ts`).
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  const folder = process.env.SCREENSHOTS;
  if (!folder) return;
  const size = page.viewportSize();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    // From the top: a whole-page capture draws sticky parts (the case page's index) where the scroll left them.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(folder, `${name}-${width}.png`), fullPage: true });
  }
  if (size) await page.setViewportSize(size);
}

/** Signs in through the real /login page (Dutch), as a person would; waits for the page it leads to. */
export async function signInThroughLogin(page: Page, username: string, passphrase: string): Promise<void> {
  await page.goto('/login');
  const login = page.locator('form').filter({ has: page.getByRole('button', { name: 'Inloggen', exact: true }) });
  await login.getByLabel('Gebruikersnaam').fill(username);
  await login.getByLabel('Wachtwoordzin').fill(passphrase);
  await login.getByRole('button', { name: 'Inloggen', exact: true }).click();
  // Argon2id at 128 MiB in Chromium takes seconds on a busy machine.
  await page.waitForURL(/\/(inbox|relays|operator)$/, { timeout: 120_000 });
}

/**
 * The setting most browser tests start from: organisation Acme with its channel "Meldpunt Acme"
 * (acme-meldpunt), and Anna de Vries (anna) as its adviser with `passphrase`.
 */
export async function acmeWithAnna(app: TestApp, passphrase: string): Promise<{ admin: Administration; client: ConfidantClient }> {
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  const client = new ConfidantClient({ baseUrl: app.baseUrl });
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' })).token, username: 'anna', displayName: 'Anna de Vries', passphrase });
  return { admin, client };
}

/** Goes to `path` inside the app without reloading, so the session in the worker stays. */
export async function goInApp(page: Page, path: string): Promise<void> {
  await page.evaluate((to) => {
    history.pushState(null, '', to);
    dispatchEvent(new PopStateEvent('popstate'));
  }, path);
}

/**
 * Whether the locator becomes visible within `timeout`: for content that arrives after the page's
 * heading (a channel, a decrypted case), where isVisible() would answer for one instant only.
 */
export async function shown(locator: Locator, timeout = 30_000): Promise<boolean> {
  try {
    await locator.waitFor({ state: 'visible', timeout });
    return true;
  } catch {
    return false;
  }
}

/**
 * How many elements the locator finds once that number is `expected`, or after `timeout` what it
 * finds then: for a list that is replaced as a whole (a next page), where one count could fall
 * between the old rows and the new.
 */
export async function settledCount(locator: Locator, expected: number, timeout = 30_000): Promise<number> {
  const until = Date.now() + timeout;
  for (;;) {
    const found = await locator.count();
    if (found === expected || Date.now() > until) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Makes the save dialog answer a file in the origin's private file system, as if the person
 * picked a place: the test can then read what was written, or see that nothing was.
 */
export async function saveDialogIntoOpfs(watched: Watched): Promise<void> {
  await watched.context.addInitScript(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (options: { suggestedName: string }) =>
      (await navigator.storage.getDirectory()).getFileHandle(options.suggestedName, { create: true });
  });
}

/** The SHA-256 and size of a file the save dialog stub wrote. */
export async function opfsFile(page: Page, name: string): Promise<{ size: number; sha256: string }> {
  return page.evaluate(async (file) => {
    const blob = await (await (await navigator.storage.getDirectory()).getFileHandle(file)).getFile();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    return { size: blob.size, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
  }, name);
}
