/**
 * A relay attachment in Chromium, through the pages: the adviser attaches an anonymised PDF to
 * the relay text, sees the author name it carries and sends it cleaned (the default); the
 * reporter opens it in the consent view (download fallback) and approves; the adviser sends the
 * relay; the organisation saves the attachment (File System Access) and gets the cleaned bytes,
 * without the author, and its client says the reporter approved exactly this.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import t from 'tap';
import { setUpAccount, submitNewReport } from '../../src/protocol/index.js';
import { relays } from '../../src/server/db/schema.js';
import { blankPdfMetadata } from '../../src/web/metadata.js';
import { ascii } from '../helpers/metadata-files.js';
import { acmeWithAnna, buildTestApp, buildWeb, checkPage, chromiumAvailable, goInApp, launch, opfsFile, openPage, saveDialogIntoOpfs, shown, signInThroughLogin } from './harness.js';

// Argon2id in Chromium for two sign-ins and the mailbox.
t.setTimeout(600_000);
const SLOW = { timeout: 180_000 };
const PASSPHRASE = 'lange wachtwoordzin voor bijlagen';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

t.test('an anonymised PDF goes with the relay: cleaned of its author, opened by the reporter before approving, saved by the organisation byte for byte', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const { admin, client } = await acmeWithAnna(app, PASSPHRASE);
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'recipient', organisation: 'acme' })).token, username: 'olga', displayName: 'Olga Bakker', passphrase: PASSPHRASE });
  const report = await submitNewReport(client, { slug: 'acme-meldpunt', report: { v: 1, lang: 'nl', answers: { what: 'Facturen worden gesplitst.' }, anonymity: 'anonymous' } });
  const browser = await launch(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'confidant-browser-relay-attachments-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // The adviser's anonymised statement still names its author in the document information.
  const pdf = ascii(
    '%PDF-1.7\n1 0 obj\n<< /Author (Anna de Vries) /Title (Verklaring) >>\nendobj\n' +
      '2 0 obj\n<< /Length 44 >>\nstream\nGeanonimiseerde verklaring over de inkoop.\nendstream\nendobj\ntrailer\n<< /Info 1 0 R >>\n%%EOF\n',
  );
  const statement = path.join(dir, 'verklaring.pdf');
  writeFileSync(statement, pdf);
  const cleaned = blankPdfMetadata(pdf);
  t.notOk(Buffer.from(cleaned).includes('Anna'), 'the cleaned copy the test expects has no author');

  // ── The adviser writes the relay with the attachment.
  const adviser = await openPage(browser, app);
  await saveDialogIntoOpfs(adviser);
  const a = adviser.page;
  await signInThroughLogin(a, 'anna', PASSPHRASE);
  await goInApp(a, `/cases/${report.caseId}`);
  await a.locator('.relay-readers').waitFor(SLOW);
  await a.getByLabel('Tekst voor de organisatie').fill('Er zijn aanwijzingen dat facturen worden gesplitst. Zie de bijgevoegde verklaring.');
  await a.getByLabel('Bijlagen kiezen').setInputFiles(statement);
  const chosen = a.getByTestId('relay-attachment');
  t.ok(await shown(chosen.getByText(/Auteur: Anna de Vries/)), 'the adviser sees the author the PDF carries');
  t.ok(await chosen.getByRole('radio').first().isChecked(), 'a cleaned copy is the default');
  await checkPage(t, adviser, 'adviser: relay text with a chosen attachment');
  await a.getByRole('button', { name: 'Voorleggen aan de melder' }).click();
  await a.getByText('De tekst is opgeslagen. Status: Wacht op toestemming van de melder.').waitFor(SLOW);
  t.equal(await chosen.count(), 0, 'the chooser is empty again');
  const relayItem = a.locator('article.relay').first();
  const adviserRow = relayItem.getByTestId('file').filter({ hasText: 'verklaring.pdf' });
  await adviserRow.waitFor(SLOW);
  await adviserRow.getByRole('button', { name: 'Ontsleutelen en opslaan' }).click();
  t.ok(await shown(adviserRow.getByText('Opgeslagen.'), 60_000), 'the adviser saves the attachment back');
  t.same(await opfsFile(a, 'verklaring.pdf'), { size: cleaned.length, sha256: sha256(cleaned) }, 'it is the cleaned copy, byte for byte');
  await checkPage(t, adviser, 'adviser: relay with its attachment awaiting consent');

  // ── The reporter opens it before deciding (English, without a save dialog), then approves.
  const reporter = await openPage(browser, app, { locale: 'en-GB' });
  await reporter.context.addInitScript(() => {
    delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  const r = reporter.page;
  await r.goto('/mailbox');
  await r.getByLabel('Your code').fill(report.code);
  await r.getByRole('button', { name: 'Open' }).click();
  const reporterRelay = r.locator('article.relay');
  await reporterRelay.waitFor(SLOW);
  t.ok(await shown(reporterRelay.getByText(/Open them before you decide: your approval covers them as well/)), 'the consent view says the approval covers the attachments');
  const reporterRow = reporterRelay.getByTestId('file').filter({ hasText: 'verklaring.pdf' });
  t.match(await reporterRow.textContent(), /\d+ B\s*verklaring\.pdf/, 'with its size and name');
  t.equal(await r.locator('section[aria-labelledby="files-title"]').getByTestId('file').count(), 0, "it is not among the case's files");
  await checkPage(t, reporter, 'reporter: relay with an attachment to approve');
  const [download] = await Promise.all([r.waitForEvent('download'), reporterRow.getByRole('button', { name: 'Decrypt and save' }).click()]);
  t.equal(download.suggestedFilename(), 'verklaring.pdf', 'the download keeps the name');
  const saved = path.join(dir, 'reporter-copy.pdf');
  await download.saveAs(saved);
  t.ok(readFileSync(saved).equals(Buffer.from(cleaned)), 'the reporter opens the cleaned copy, byte for byte');
  await reporterRelay.getByRole('button', { name: 'Approve' }).click();
  await reporterRelay.getByRole('button', { name: 'Yes, approve' }).click();
  await reporterRelay.getByText('You approved this text.', { exact: false }).waitFor(SLOW);

  // ── The adviser sends it.
  await a.getByRole('button', { name: 'Vernieuwen' }).click();
  await relayItem.getByText('Goedgekeurd door de melder').waitFor(SLOW);
  await relayItem.getByRole('button', { name: 'Doorgeven aan de organisatie' }).click();
  await relayItem.getByText('De organisatie heeft nog niet gereageerd.').waitFor(SLOW);

  // ── The organisation saves it, and its client checks the approval.
  const [relay] = await app.database.db.select({ id: relays.id }).from(relays).where(eq(relays.caseId, report.caseId));
  const organisation = await openPage(browser, app);
  await saveDialogIntoOpfs(organisation);
  const o = organisation.page;
  await signInThroughLogin(o, 'olga', PASSPHRASE);
  await goInApp(o, `/relays/${relay!.id}`);
  const orgRow = o.getByTestId('file').filter({ hasText: 'verklaring.pdf' });
  await orgRow.waitFor(SLOW);
  t.ok(await shown(o.getByText('Gecontroleerd: dit is precies wat de melder heeft goedgekeurd (de tekst en eventuele bijlagen).')), 'the organisation reads what the reporter approved, attachments included');
  await orgRow.getByRole('button', { name: 'Ontsleutelen en opslaan' }).click();
  t.ok(await shown(orgRow.getByText('Opgeslagen.'), 60_000), 'the organisation saves it');
  t.same(await opfsFile(o, 'verklaring.pdf'), { size: cleaned.length, sha256: sha256(cleaned) }, 'the organisation gets the cleaned copy, byte for byte, without the author');
  await checkPage(t, organisation, 'organisation: relay with an attachment');
});
