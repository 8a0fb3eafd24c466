/**
 * Evidence files in Chromium, through the pages: the reporter sees what a photo carries (EXIF
 * author, GPS) and sends it cleaned, then attaches a 50 MB file in the mailbox (encrypted in the worker while tus sends it, paused and resumed on the way), the
 * adviser saves it decrypted through the save dialog (File System Access) and gets the same
 * bytes; the adviser attaches a document for the reporter, who saves it through the download
 * fallback; a body cut or changed on the server is refused with a message in the reader's
 * language, and no partial file is left.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openMailbox, submitNewReport, type ConfidantClient } from '../../src/protocol/index.js';
import { jpegWithExif } from '../helpers/metadata-files.js';
import { acmeWithAnna, buildTestApp, buildWeb, checkPage, chromiumAvailable, goInApp, launch, opfsFile, openPage, saveDialogIntoOpfs, shown, signInThroughLogin } from './harness.js';

// Argon2id in Chromium (sign-in, the mailbox) and 50 MB through encryption, tus and decryption.
t.setTimeout(600_000);
const SLOW = { timeout: 180_000 };
const MB = 1_000_000;
const PASSPHRASE = 'lange wachtwoordzin voor bestanden';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

t.test('files between reporter and adviser in Chromium: a photo cleaned of its metadata, 50 MB with a pause, a document back, truncation and tampering refused', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const { client } = await acmeWithAnna(app, PASSPHRASE);
  const report = await submitNewReport(client, { slug: 'acme-meldpunt', report: { v: 1, lang: 'nl', answers: { what: 'Facturen worden gesplitst.' }, anonymity: 'anonymous' } });
  const browser = await launch(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'confidant-browser-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // The reporter opens the mailbox (English) and attaches 50 MB.
  const reporter = await openPage(browser, app, { locale: 'en-GB' });
  const evidence = path.join(dir, 'invoices.bin');
  const evidenceBytes = randomBytes(50 * MB);
  writeFileSync(evidence, evidenceBytes);
  // Each PATCH waits a little, so the pause lands while the upload runs.
  const patches: number[] = [];
  await reporter.context.route('**/api/v1/mailbox/uploads/**', async (route) => {
    if (route.request().method() === 'PATCH') {
      patches.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    // A paused upload's request is gone by then.
    await route.continue().catch(() => {});
  });
  await reporter.page.goto('/mailbox');
  await reporter.page.getByLabel('Your code').fill(report.code);
  await reporter.page.getByRole('button', { name: 'Open' }).click();
  await reporter.page.getByRole('heading', { name: 'Files' }).waitFor(SLOW);
  t.ok(await shown(reporter.page.getByText('There are no files yet.')), 'no files yet');
  await checkPage(t, reporter, 'mailbox with the files section');

  // A photo with EXIF (camera, author, GPS): shown before sending, and sent cleaned by default.
  const canvasJpeg = await reporter.page.evaluate(async () => {
    const canvas = new OffscreenCanvas(64, 48);
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#c00';
    g.fillRect(0, 0, 64, 48);
    return Array.from(new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg' })).arrayBuffer()));
  });
  const photo = path.join(dir, 'foto.jpg');
  writeFileSync(photo, jpegWithExif(Buffer.from(canvasJpeg)));
  await reporter.page.getByLabel('Choose a file').setInputFiles(photo);
  t.ok(await shown(reporter.page.getByText('GPS position (where it was made): 52.37009, 4.88333')), 'the photo\'s GPS position is shown before sending');
  t.ok(await shown(reporter.page.getByText('Author: Jan Jansen')), 'and its author');
  t.ok(await reporter.page.getByLabel(/A cleaned copy \(recommended\)/).isChecked(), 'a cleaned copy is the default');
  await checkPage(t, reporter, 'mailbox with a chosen photo and its metadata');
  await reporter.page.getByRole('button', { name: 'Encrypt and send' }).click();
  t.ok(await shown(reporter.page.getByText('foto.jpg was sent encrypted.'), 60_000), 'the photo is sent');

  await reporter.page.getByLabel('Choose a file').setInputFiles(evidence);
  t.ok(await shown(reporter.page.getByText(/We cannot look inside this type of file or clean it\. It may carry your name as its author/)), 'a type that cannot be cleaned is named as such');
  await reporter.page.getByRole('button', { name: 'Encrypt and send' }).click();
  await reporter.page.waitForFunction(() => Number(document.querySelector('.transfer progress')?.getAttribute('value')) > 0, undefined, SLOW);
  await reporter.page.getByRole('button', { name: 'Pause' }).click();
  t.ok(await shown(reporter.page.getByText('Paused')), 'the upload pauses');
  const pausedAt = Number(await reporter.page.locator('.transfer progress').getAttribute('value'));
  const requestsAt = patches.length;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const later = Number(await reporter.page.locator('.transfer progress').getAttribute('value'));
  t.same({ progress: later, patches: patches.length }, { progress: pausedAt, patches: requestsAt }, 'and stays where it was while paused: no progress, no new PATCH');
  t.ok(pausedAt > 0 && pausedAt < 1, `it was paused midway (${Math.round(pausedAt * 100)}%)`);
  await reporter.page.getByRole('button', { name: 'Resume' }).click();
  t.ok(await shown(reporter.page.getByText('invoices.bin was sent encrypted.'), 180_000), 'the upload resumes and completes');
  t.equal(await reporter.page.getByTestId('file').count(), 2, 'the mailbox lists both files');
  t.match(await reporter.page.getByTestId('file').filter({ hasText: 'invoices.bin' }).textContent(), /You · 50 MB\s*invoices\.bin/, 'with their author, size and name');
  await checkPage(t, reporter, 'mailbox after the upload');

  // The adviser saves it through the save dialog; the bytes are the reporter's.
  const adviser = await openPage(browser, app);
  await saveDialogIntoOpfs(adviser);
  await signInThroughLogin(adviser.page, 'anna', PASSPHRASE);
  await goInApp(adviser.page, `/cases/${report.caseId}`);
  await adviser.page.getByRole('heading', { name: 'Bestanden' }).waitFor(SLOW);
  const row = adviser.page.getByTestId('file').filter({ hasText: 'invoices.bin' });
  t.match(await row.textContent(), /Melder/, 'the adviser sees who attached it');
  await row.getByRole('button', { name: 'Ontsleutelen en opslaan' }).click();
  t.ok(await shown(row.getByText('Opgeslagen.'), 120_000), 'the adviser saves it');
  t.same(await opfsFile(adviser.page, 'invoices.bin'), { size: 50 * MB, sha256: sha256(evidenceBytes) }, 'byte for byte the reporter\'s file');
  await checkPage(t, adviser, 'case with the files');

  // The photo arrives as a JPEG without any of its metadata.
  await adviser.page.getByTestId('file').filter({ hasText: 'foto.jpg' }).getByRole('button', { name: 'Ontsleutelen en opslaan' }).click();
  t.ok(await shown(adviser.page.getByTestId('file').filter({ hasText: 'foto.jpg' }).getByText('Opgeslagen.'), 60_000), 'the adviser saves the photo');
  const cleaned = await adviser.page.evaluate(async () => {
    const bytes = new Uint8Array(await (await (await (await navigator.storage.getDirectory()).getFileHandle('foto.jpg')).getFile()).arrayBuffer());
    const text = new TextDecoder('latin1').decode(bytes);
    return { jpeg: bytes[0] === 0xff && bytes[1] === 0xd8, metadata: ['Exif', 'Jansen', 'iPhone', 'kantoor'].filter((word) => text.includes(word)) };
  });
  t.same(cleaned, { jpeg: true, metadata: [] }, 'the cleaned copy is a JPEG with no EXIF, author, camera or comment');

  // The adviser attaches an anonymised document for the reporter.
  const anonymised = path.join(dir, 'samenvatting.txt');
  writeFileSync(anonymised, 'Geanonimiseerde samenvatting: facturen onder de aanbestedingsgrens.\n');
  await adviser.page.getByLabel('Kies een bestand').setInputFiles(anonymised);
  await adviser.page.getByRole('button', { name: 'Versleutelen en versturen' }).click();
  t.ok(await shown(adviser.page.getByText('samenvatting.txt is versleuteld verstuurd.'), 60_000), 'the adviser\'s document is sent');

  // The reporter, without a save dialog, gets it as a download.
  await reporter.context.addInitScript(() => {
    delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  await reporter.page.reload();
  await reporter.page.getByLabel('Your code').fill(report.code);
  await reporter.page.getByRole('button', { name: 'Open' }).click();
  const theirs = reporter.page.getByTestId('file').filter({ hasText: 'samenvatting.txt' });
  await theirs.waitFor(SLOW);
  t.match(await theirs.textContent(), /Adviser/, 'the reporter sees the adviser attached it');
  const [download] = await Promise.all([reporter.page.waitForEvent('download'), theirs.getByRole('button', { name: 'Decrypt and save' }).click()]);
  t.equal(download.suggestedFilename(), 'samenvatting.txt', 'the download keeps the name');
  const saved = path.join(dir, 'downloaded.txt');
  await download.saveAs(saved);
  t.same(readFileSync(saved), readFileSync(anonymised), 'byte for byte the adviser\'s document');

  // A body cut on the server: refused, in Dutch for the adviser, and nothing is left in the file.
  const ids = await fileIds(client, report.code);
  const bodyPath = path.join(app.config.filesDir, ids.evidence);
  truncateSync(bodyPath, 10 * MB);
  await adviser.page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('invoices.bin'));
  await row.getByRole('button', { name: 'Ontsleutelen en opslaan' }).click();
  t.ok(await shown(row.getByText(/Het bestand is niet compleet/), 120_000), 'a cut body is refused in the reader\'s language');
  t.equal((await opfsFile(adviser.page, 'invoices.bin')).size, 0, 'and nothing is written into the chosen file');

  // A changed body: refused for the reporter in English.
  const docPath = path.join(app.config.filesDir, ids.document);
  const body = readFileSync(docPath);
  body[body.length - 5] = body[body.length - 5]! ^ 1;
  writeFileSync(docPath, body);
  await theirs.getByRole('button', { name: 'Decrypt and save' }).click();
  t.ok(await shown(theirs.getByText(/The file was changed on the way or on the server/), 60_000), 'a changed body is refused in the reader\'s language');
  await checkPage(t, reporter, 'mailbox after a refused download');
});

/** The ids of the reporter's 50 MB and of the adviser's document, as the mailbox lists them. */
async function fileIds(client: ConfidantClient, code: string): Promise<{ evidence: string; document: string }> {
  const mailbox = await openMailbox(client, code);
  const id = (name: string) => mailbox.view.files.find((f) => f.ok && f.name === name)?.fileId ?? '';
  try {
    return { evidence: id('invoices.bin'), document: id('samenvatting.txt') };
  } finally {
    await mailbox.close();
  }
}
