/**
 * The organisation recipient's journey in Chromium: sign in through the real /login page, find
 * the relays the adviser sent (newest first, a page at a time), read one, answer it; the adviser
 * reads the answer through the protocol client. The organisation's pages never show a case id.
 */
import t from 'tap';
import { ConfidantClient, relayReference, setUpAccount, signIn, submitNewReport } from '../../src/protocol/index.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { buildTestApp } from '../helper.js';
import { buildWeb, checkPage, chromiumAvailable, goInApp, launch, openPage, settledCount, shown } from './harness.js';

/** Relays per inbox page (PAGE_SIZE in src/web/pages/organisation/inbox.tsx). */
const PAGE_SIZE = 20;
/** Argon2id at 128 MiB in Chromium takes seconds; be generous. */
const SLOW = 120_000;

// Argon2id in Chromium and Node, on a busy machine: more than tap's default for one file.
t.setTimeout(480_000);

t.test('an organisation recipient reads relays and answers them; the adviser reads the answer', async (t) => {
  if (!chromiumAvailable(t)) return;
  buildWeb();
  const app = await buildTestApp(t);
  const admin = createAdministration(app.database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await admin.createChannel({ slug: 'acme-meldpunt', name: 'Meldpunt Acme', organisation: 'acme', consentRequired: false });
  const client = new ConfidantClient({ baseUrl: app.baseUrl });

  const adviserInvite = await admin.createInvite({ role: 'adviser', channel: 'acme-meldpunt' });
  await setUpAccount(client, { token: adviserInvite.token, username: 'anna', displayName: 'Anna de Vries', passphrase: 'anna heeft een lang wachtwoord' });
  const anna = await signIn(client, { username: 'anna', passphrase: 'anna heeft een lang wachtwoord' });
  const recipientInvite = await admin.createInvite({ role: 'recipient', organisation: 'acme' });
  const passphrase = 'olga leest de doorgegeven meldingen';
  await setUpAccount(client, { token: recipientInvite.token, username: 'olga', displayName: 'Olga Bakker', passphrase });

  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Facturen worden gesplitst bij inkoop.' }, anonymity: 'anonymous' as const };
  const submitted = await submitNewReport(client, { slug: 'acme-meldpunt', report });
  const caseId = submitted.caseId;

  const browser = await launch(t);
  const watched = await openPage(browser, app, { locale: 'nl-NL' });
  const { page } = watched;
  page.setDefaultTimeout(30_000);
  /** Every page's HTML, to search for the case id at the end. */
  const seen: Array<{ what: string; html: string }> = [];
  const look = async (what: string) => {
    seen.push({ what, html: await page.content() });
    await checkPage(t, watched, what);
  };

  // Not signed in: a short text and the way to /login.
  await page.goto('/relays');
  await page.getByRole('heading', { level: 1, name: 'Inloggen nodig' }).waitFor();
  await look('relay inbox, not signed in');
  await page.getByRole('link', { name: 'Naar de inlogpagina' }).click();
  await page.waitForURL('**/login');

  // Sign in through the real login page; it sends recipients to /relays.
  const login = page.locator('form').filter({ has: page.getByRole('button', { name: 'Inloggen', exact: true }) });
  await login.getByLabel('Gebruikersnaam').fill('olga');
  await login.getByLabel('Wachtwoordzin').fill(passphrase);
  await login.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.waitForURL('**/relays', { timeout: SLOW });
  await page.getByRole('heading', { level: 1, name: 'Doorgegeven meldingen' }).waitFor({ timeout: SLOW });

  // Nothing sent yet: the empty state says where relays come from.
  await page.getByText('Zodra de vertrouwenspersoon een melding aan uw organisatie doorgeeft, verschijnt die hier.').waitFor();
  t.ok(await shown(page.getByText('Ingelogd als Olga Bakker, namens Acme B.V.')), 'the account and its organisation are named');
  await look('relay inbox, empty');

  // The adviser sends more relays than fit on one page; the last one is the one to answer.
  const first = await anna.createRelay(caseId, 'Eerste doorgegeven tekst (de oudste).');
  await anna.sendRelay(first.relayId);
  await Promise.all(
    Array.from({ length: PAGE_SIZE - 1 }, async (_, i) => {
      const filler = await anna.createRelay(caseId, `Doorgegeven tekst nummer ${i + 2}.`);
      await anna.sendRelay(filler.relayId);
    }),
  );
  const relayText = 'Er zijn aanwijzingen dat bij inkoop facturen worden gesplitst om een aanbesteding te ontlopen.\nHet gaat om de afdeling Facilitair.';
  const relay = await anna.createRelay(caseId, relayText);
  t.equal(relay.state, 'approved', 'consent is off on this channel');
  await anna.sendRelay(relay.relayId);

  // A reload keeps the recipient signed in: the session resumes from what the browser sealed.
  await page.reload();
  const rows = page.locator('table tbody tr');
  await rows.first().waitFor();
  t.equal(await settledCount(rows, PAGE_SIZE), PAGE_SIZE, 'one full page');
  const firstLink = rows.first().getByRole('link');
  t.equal(await firstLink.getAttribute('href'), `/relays/${relay.relayId}`, 'the newest relay comes first');
  const reference = relayReference(relay.relayId);
  t.equal(await firstLink.textContent(), `Doorgegeven melding ${reference}`, 'the link names the relay by its reference');
  t.ok(await shown(page.getByRole('columnheader', { name: 'Doorgegeven op' })), 'the sent date has a column');
  t.ok(await shown(page.getByRole('columnheader', { name: 'Stand' })), 'and where each relay stands');
  t.equal(await rows.first().locator('td').nth(2).textContent(), 'Nieuw', 'a relay never opened is new');
  await look('relay inbox, first page');

  await page.getByRole('button', { name: 'Volgende pagina' }).click();
  await page.getByText('Pagina 2').waitFor();
  await rows.first().waitFor();
  t.equal(await settledCount(rows, 1), 1, 'the second page holds the rest');
  t.equal(await rows.first().getByRole('link').getAttribute('href'), `/relays/${first.relayId}`, 'the oldest relay comes last');
  t.equal(await page.getByRole('button', { name: 'Volgende pagina' }).count(), 0, 'no next page after the last');
  await look('relay inbox, second page');
  await page.getByRole('button', { name: 'Vorige pagina' }).click();
  await page.getByText('Pagina 1').waitFor();
  await page.locator(`a[href="/relays/${relay.relayId}"]`).waitFor();

  // Open the relay: the explanation, the text, an empty thread.
  await page.locator(`a[href="/relays/${relay.relayId}"]`).click();
  await page.waitForURL(`**/relays/${relay.relayId}`);
  await page.getByRole('heading', { level: 1, name: `Doorgegeven melding ${reference}` }).waitFor();
  await page.getByText('Het gaat om de afdeling Facilitair.', { exact: false }).waitFor();
  t.equal(await page.locator('.org-text .pre').textContent(), relayText, 'the relay text, line breaks kept');
  t.ok(await shown(page.getByText('Probeer niet te achterhalen wie de melder is', { exact: false })), 'the organisation is told not to look for the reporter');
  t.ok(await shown(page.getByText('De vertrouwenspersoon geeft aan de melder door wat voor de melder van belang is.', { exact: false })), 'the adviser passes on what is useful');
  t.ok(await shown(page.getByText('Nog geen berichten.', { exact: false })), 'an empty thread says so');
  t.same(
    await page.getByRole('heading').evaluateAll((hs) => hs.map((h) => h.tagName)),
    ['H1', 'H2', 'H2', 'H2', 'H2'],
    'headings in order',
  );
  await look('relay, before answering');

  // An empty answer is refused with an alert.
  await page.getByRole('button', { name: 'Antwoord versturen' }).click();
  t.equal(await page.getByRole('alert').textContent(), 'Schrijf eerst een antwoord.');

  // Answer.
  const answer = 'Dank u. Wij starten een onderzoek en horen graag of er meer documenten zijn.';
  await page.getByLabel('Uw antwoord aan de vertrouwenspersoon').fill(answer);
  await page.getByRole('button', { name: 'Antwoord versturen' }).click();
  await page.getByRole('status').filter({ hasText: 'Uw antwoord is verstuurd.' }).waitFor();
  t.equal(await page.getByLabel('Uw antwoord aan de vertrouwenspersoon').inputValue(), '', 'the field is emptied');
  const mine = page.locator('.messages li.mine');
  t.equal(await mine.count(), 1, 'the answer is in the thread, marked as the organisation’s own');
  t.match(await mine.first().textContent(), /Organisatie \(uw organisatie\)/);
  t.match(await mine.first().textContent(), answer);
  await look('relay, answered');

  // The adviser reads the answer, and answers in turn.
  const thread = await anna.openRelay(relay.relayId);
  t.same(
    thread.messages.map((m) => [m.author, m.message.body]),
    [['organisation', answer]],
    'the adviser reads the organisation’s answer',
  );
  await anna.postRelayMessage(relay.relayId, 'Ik vraag het na bij de melder.');

  // The list says the adviser answered since the recipient last looked; the others stay new.
  await page.getByRole('link', { name: 'Terug naar alle doorgegeven meldingen' }).click();
  const row = page.locator('table tbody tr').filter({ has: page.locator(`a[href="/relays/${relay.relayId}"]`) });
  await row.waitFor();
  t.equal(await row.locator('td').nth(2).textContent(), 'Nieuw antwoord van de vertrouwenspersoon', 'an answer since the last visit shows in the list');
  t.equal(await page.locator('table tbody tr').nth(1).locator('td').nth(2).textContent(), 'Nieuw', 'a relay not yet opened is still new');
  await look('relay inbox with an answer');

  // Reopen inside the app: both messages, in order, each with its author.
  await page.locator(`a[href="/relays/${relay.relayId}"]`).click();
  await page.getByText('Ik vraag het na bij de melder.').waitFor();
  const items = page.locator('.messages li');
  t.equal(await items.count(), 2);
  t.match(await items.nth(0).textContent(), /^Organisatie \(uw organisatie\)/, 'first the organisation');
  t.match(await items.nth(1).textContent(), /^Vertrouwenspersoon/, 'then the adviser');
  t.equal(await items.nth(1).getAttribute('class'), null, 'the adviser’s message is not marked as the organisation’s');
  await look('relay with the thread');

  // The language switch changes every string.
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: 'Relayed report' }).waitFor();
  t.equal(await page.locator('html').getAttribute('lang'), 'en');
  t.ok(await shown(page.getByRole('heading', { level: 2, name: 'How this works' })));
  t.ok(await shown(page.getByLabel('Your answer to the adviser')));
  t.ok(await shown(page.getByRole('button', { name: 'Send answer' })));
  t.ok(await shown(page.getByRole('button', { name: 'Sign out' })));
  t.match(await items.nth(0).textContent(), /^Organisation \(your organisation\)/);
  t.match(await items.nth(1).textContent(), /^Adviser/);
  t.ok(await shown(page.getByText('Do not try to find out who the reporter is', { exact: false })));
  t.notOk(await page.getByText('Doorgegeven melding').count(), 'no Dutch heading left');
  await look('relay in English');
  await page.getByRole('button', { name: 'Nederlands' }).click();
  await page.getByRole('heading', { level: 1, name: 'Doorgegeven melding' }).waitFor();

  // A relay that is not the organisation's.
  await goInApp(page, '/relays/AAAAAAAAAAAAAAAAAAAAAA');
  await page.getByRole('alert').filter({ hasText: 'Deze melding bestaat niet of is niet aan uw organisatie doorgegeven.' }).waitFor();
  await look('unknown relay');

  // Sign out: back to the login page, and the relay pages ask to sign in again.
  await goInApp(page, `/relays/${relay.relayId}`);
  await page.getByRole('heading', { level: 1, name: 'Doorgegeven melding' }).waitFor();
  await page.getByRole('button', { name: 'Uitloggen' }).first().click();
  await page.waitForURL('**/login');
  await goInApp(page, `/relays/${relay.relayId}`);
  await page.getByRole('heading', { level: 1, name: 'Inloggen nodig' }).waitFor();
  t.equal(await page.getByText(relayText.split('\n')[0] ?? '').count(), 0, 'the relay text is gone after signing out');
  await look('relay, signed out');

  // Nowhere did the organisation's pages show the case id.
  for (const { what, html } of seen) t.notOk(html.includes(caseId), `${what}: no case id in the page`);
  t.ok(seen.length >= 10, 'the pages were looked at');
});
