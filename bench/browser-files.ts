/**
 * A 1 GiB evidence file through the pages in Chromium (issue 12's "done when"): the reporter
 * attaches it in the mailbox (read, encrypted and sent by the page's worker over tus), the
 * adviser decrypts and saves it (the download fallback, so the saved file can be read here),
 * and the saved bytes are compared with the original by SHA-256. Too long for CI, which sends
 * 50 MB (test/browser/files.test.ts); this proves the size the product promises.
 *
 * It times both transfers from the click to the page saying it is done, as information rather
 * than a comparison: bench/files.ts compares the same routes with a plain copy. Figures go to
 * bench/RESULTS.md between `<!-- browser-files:start -->` and `<!-- browser-files:end -->`.
 *
 * Settings (environment): BENCH_FILE_MIB (1024), CHROMIUM_PATH (/usr/bin/chromium), BENCH_RESULTS.
 * Needs `npm run build` first (the pages as served).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ConfidantClient, setUpAccount, submitNewReport } from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/server/db/connection.js';
import { createAdministration } from '../src/server/services/administration.js';
import { describeMachine, fixed, listenOnLoopback, markdownTable, writeSection } from './lib.js';

const MIB = 1024 * 1024;
const SIZE = (Number(process.env.BENCH_FILE_MIB) || 1024) * MIB;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = process.env.BENCH_RESULTS?.trim() || fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../public/assets/worker.js', import.meta.url));
const ADVISER = { username: 'anna', passphrase: 'een lange wachtwoordzin voor de bench' };
const HALF_HOUR = 30 * 60 * 1000;

/** Writes `size` random bytes to `file` in 64 MiB pieces: the file is never whole in memory. */
async function writeRandomFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    for (let written = 0; written < size; ) {
      const piece = randomBytes(Math.min(64 * MIB, size - written));
      await handle.write(piece);
      written += piece.length;
    }
  } finally {
    await handle.close();
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(file)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
  if (!existsSync(BUNDLE)) throw new Error('public/assets/worker.js is missing: run npm run build first');
  const startedAt = new Date();
  // Taken first: its load average tells how quiet the machine was when the run began.
  const machine = await describeMachine();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'confidant-bench-browser-files-'));
  const dataDir = path.join(dir, 'data');
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', MAX_EVENT_LOOP_DELAY_MS: '0', POW_DIFFICULTY: '0' });
  const database = await openDatabase({ dataDir });
  await database.migrate();
  const app = await buildApp(config, database);
  const server = await listenOnLoopback(app, database);
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
  try {
    const admin = createAdministration(database.db, { powDifficulty: 0 });
    await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
    await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
    const client = new ConfidantClient({ baseUrl });
    await setUpAccount(client, { token: (await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' })).token, username: ADVISER.username, displayName: 'Anna de Vries', passphrase: ADVISER.passphrase });
    const report = await submitNewReport(client, { slug: 'acme-meldpunt', report: { v: 1, lang: 'en', answers: { what: 'Invoices are split.' }, anonymity: 'anonymous' } });
    const original = path.join(dir, 'evidence.bin');
    await writeRandomFile(original, SIZE);
    const originalHash = await sha256Of(original);
    console.log(`${SIZE / MIB} MiB written, sha256 ${originalHash.slice(0, 16)}…`);

    // The reporter attaches it in the mailbox.
    const reporter = await browser.newContext({ baseURL: baseUrl, locale: 'en-GB' });
    const r = await reporter.newPage();
    await r.goto('/mailbox');
    await r.getByLabel('Your code').fill(report.code);
    await r.getByRole('button', { name: 'Open' }).click();
    await r.getByRole('heading', { name: 'Files' }).waitFor({ timeout: 120_000 });
    await r.getByLabel('Choose a file').setInputFiles(original);
    await r.getByText(/We cannot look inside this type of file/).waitFor({ timeout: 120_000 });
    const uploadStart = Date.now();
    await r.getByRole('button', { name: 'Encrypt and send' }).click();
    await r.getByText('evidence.bin was sent encrypted.').waitFor({ timeout: HALF_HOUR });
    const uploadMs = Date.now() - uploadStart;
    console.log(`upload: ${fixed(uploadMs / 1000)} s`);
    await reporter.close();

    // The adviser saves it decrypted, through the download fallback.
    const adviser = await browser.newContext({ baseURL: baseUrl, locale: 'en-GB', acceptDownloads: true });
    await adviser.addInitScript(() => {
      delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker;
    });
    const a = await adviser.newPage();
    await a.goto('/login');
    const login = a.locator('form').filter({ has: a.getByRole('button', { name: 'Sign in', exact: true }) });
    await login.getByLabel('User name').fill(ADVISER.username);
    await login.getByLabel('Passphrase').fill(ADVISER.passphrase);
    await login.getByRole('button', { name: 'Sign in', exact: true }).click();
    await a.waitForURL(/\/inbox$/, { timeout: 120_000 });
    // In the app, without a reload, so the session in the worker stays.
    await a.evaluate((to) => {
      history.pushState(null, '', to);
      dispatchEvent(new PopStateEvent('popstate'));
    }, `/cases/${report.caseId}`);
    const row = a.getByTestId('file').filter({ hasText: 'evidence.bin' });
    await row.waitFor({ timeout: 120_000 });
    const downloadStart = Date.now();
    const [download] = await Promise.all([a.waitForEvent('download', { timeout: HALF_HOUR }), row.getByRole('button', { name: 'Decrypt and save' }).click()]);
    const saved = path.join(dir, 'saved.bin');
    await download.saveAs(saved);
    const downloadMs = Date.now() - downloadStart;
    console.log(`download: ${fixed(downloadMs / 1000)} s`);
    await adviser.close();

    const savedHash = await sha256Of(saved);
    const same = savedHash === originalHash && (await stat(saved)).size === SIZE;
    if (!same) throw new Error(`the saved file differs: sha256 ${savedHash} against ${originalHash}`);
    console.log('the adviser saved the same bytes');
    await writeSection(
      RESULTS,
      'browser-files',
      [
        '## A 1 GiB file through the pages in Chromium (bench/browser-files.ts)',
        '',
        `Run ${startedAt.toISOString()} on ${machine.cores} cores (${machine.cpu}), ${machine.memory}, ${machine.os}, Node ${machine.node}, Chromium ${browser.version()}; ` +
          `load average at the start ${machine.loadAverage}. Reporter and adviser pages, the server and the embedded database share the machine.`,
        '',
        `The reporter attached a ${SIZE / MIB} MiB file of random bytes in the mailbox (English pages): read, encrypted and sent by the page's worker over tus, 8 MiB per PATCH. ` +
          "The adviser signed in, opened the case and saved it through the download fallback (decrypted in the worker as it streamed, gathered into a Blob, saved by Chromium's download). " +
          'The saved file was compared with the original by SHA-256.',
        '',
        markdownTable(
          ['step', 'time', 'throughput'],
          [
            ['reporter: click "Encrypt and send" → "sent encrypted"', `${fixed(uploadMs / 1000)} s`, `${fixed(SIZE / MIB / (uploadMs / 1000))} MiB/s`],
            ['adviser: click "Decrypt and save" → file saved', `${fixed(downloadMs / 1000)} s`, `${fixed(SIZE / MIB / (downloadMs / 1000))} MiB/s`],
          ],
        ),
        '',
        `The saved file is the original, byte for byte (SHA-256 ${originalHash}). These are timings, not a comparison: bench/files.ts compares the same routes with a plain copy.`,
      ].join('\n'),
    );
    console.log(`written to ${RESULTS}`);
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
