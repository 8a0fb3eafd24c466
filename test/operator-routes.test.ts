/**
 * The operator's console routes (/api/v1/operator/…): organisations, channels (settings,
 * retention, locations), invites (create, list, revoke), accounts (list, disable, enable) and the
 * removal of an adviser from a channel after a confirmation naming how many cases they lose. Each
 * route's success and each refusal; every change audited as the operator who made it; no answer
 * names a case; only operators get in. Parallel revocations, disables and removals change once
 * (run on PostgreSQL in CI).
 */
import { and, eq, sql } from 'drizzle-orm';
import t from 'tap';
import { ConfidantClient, submitNewReport } from '../src/protocol/index.js';
import { auditLog } from '../src/server/db/schema.js';
import { apiFailure, buildTestApp } from './helper.js';
import { personThroughApi } from './fixtures.js';

const built = await buildTestApp(t);
const { db } = built.database;
const admin = built.app.services.administration;
await admin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
await admin.createChannel({ slug: 'meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
const client = new ConfidantClient({ baseUrl: built.baseUrl });
const olaf = await personThroughApi(client, admin, 'operator');
const anna = await personThroughApi(client, admin, 'adviser', 'meldpunt');
const rita = await personThroughApi(client, admin, 'recipient', 'acme');
const caseIds: string[] = [];
const report = async (slug = 'meldpunt') => {
  const { caseId } = await submitNewReport(client, { slug, report: { v: 1, lang: 'nl', answers: { what: 'Een melding.' }, anonymity: 'anonymous' } });
  caseIds.push(caseId);
  return caseId;
};
await report();

/** Every answer an operator got, to check none names a case. */
const answers: unknown[] = [];
const seen = <T>(answer: T): T => {
  answers.push(answer);
  return answer;
};
const failure = async (call: Promise<unknown>) => {
  const error = await apiFailure(call);
  return { status: error.status, code: error.code };
};
/** The sealed audit entries of `action`, pending ones sealed first: the background sealer may have moved them from audit_events at any moment. */
const auditsOf = async (action: string) => {
  await built.app.services.audit.seal();
  return db.select({ actor: auditLog.actor, subject: auditLog.subject }).from(auditLog).where(eq(auditLog.action, action));
};
const usernameOf = async (accountId: string) =>
  String(((await db.execute(sql`select username from staff_accounts where id = ${accountId}`)) as unknown as { rows: Array<{ username: string }> }).rows[0]?.username);

t.test('organisations: listed, created once, audited as the operator', async (t) => {
  t.strictSame(seen(await client.listOrganisations(olaf.token)).organisations.map((o) => o.slug), ['acme']);
  const created = seen(await client.createOrganisation(olaf.token, { slug: 'beta', name: '  Beta B.V. ' }));
  t.match(created, { slug: 'beta', name: 'Beta B.V.' }, 'the name trimmed');
  t.strictSame(Object.keys(created).sort(), ['createdAt', 'name', 'slug']);
  t.strictSame((await client.listOrganisations(olaf.token)).organisations.map((o) => o.slug), ['acme', 'beta'], 'listed by slug');
  t.equal((await auditsOf('organisation_created')).filter((a) => a.actor === olaf.id).length, 1, 'audited as the operator');
  t.strictSame(await failure(client.createOrganisation(olaf.token, { slug: 'beta', name: 'Again' })), { status: 409, code: 'organisation_exists' });
  t.strictSame(await failure(client.createOrganisation(olaf.token, { slug: 'Beta!', name: 'X' })), { status: 400, code: 'invalid_slug' }, 'a slug with capitals');
  t.strictSame(await failure(client.createOrganisation(olaf.token, { slug: '-beta', name: 'X' })), { status: 400, code: 'invalid_slug' }, 'a slug starting with a hyphen');
  t.strictSame(await failure(client.createOrganisation(olaf.token, { slug: 'gamma', name: '   ' })), { status: 400, code: 'invalid_name' }, 'a blank name');
  t.strictSame(await failure(client.createOrganisation(olaf.token, { slug: 'gamma', name: 'a\u0000b' })), { status: 400, code: 'invalid_name' }, 'a name with NUL');
});

t.test('channels: created with settings, changed in one go, retention with its overdue count, locations', async (t) => {
  const created = seen(
    await client.createChannel(olaf.token, { slug: 'tweede', name: 'Tweede', organisation: 'acme', consentRequired: false, powDifficulty: 4, retentionMonths: 24 }),
  );
  t.match(created, { slug: 'tweede', name: 'Tweede', organisation: 'acme', consentRequired: false, powDifficulty: 4, retentionMonths: 24, immediateMail: true, locations: [] });
  const defaults = seen(await client.createChannel(olaf.token, { slug: 'derde', name: 'Derde', organisation: 'acme', immediateMail: false }));
  t.match(defaults, { consentRequired: true, retentionMonths: 12, immediateMail: false }, 'defaults: consent required, 12 months; immediate mail as asked');
  t.strictSame(await failure(client.createChannel(olaf.token, { slug: 'tweede', name: 'X', organisation: 'acme' })), { status: 409, code: 'channel_exists' });
  t.strictSame(await failure(client.createChannel(olaf.token, { slug: 'vierde', name: 'X', organisation: 'nobody' })), { status: 404, code: 'unknown_organisation' });
  t.strictSame(await failure(client.createChannel(olaf.token, { slug: 'vierde', name: 'X', organisation: 'acme', retentionMonths: 0 })), { status: 400, code: 'invalid_retention_months' });
  t.strictSame(await failure(client.createChannel(olaf.token, { slug: 'vierde', name: 'X', organisation: 'acme', powDifficulty: 33 })), { status: 400, code: 'invalid_pow_difficulty' });
  t.strictSame(seen(await client.listOperatorChannels(olaf.token)).channels.map((c) => c.slug), ['derde', 'meldpunt', 'tweede']);
  t.equal((await auditsOf('channel_created')).filter((a) => a.actor === olaf.id).length, 2, 'each creation audited as the operator');

  const changed = seen(await client.updateChannel(olaf.token, 'tweede', { name: 'Tweede kanaal', consentRequired: true, powDifficulty: 0, retentionMonths: 6, immediateMail: false }));
  t.match(changed, { channel: { slug: 'tweede', name: 'Tweede kanaal', consentRequired: true, powDifficulty: 0, retentionMonths: 6, immediateMail: false }, overdue: 0 });
  t.match((await client.listOperatorChannels(olaf.token)).channels.find((c) => c.slug === 'tweede'), changed.channel, 'as listed afterwards');
  t.equal((await auditsOf('channel_changed')).length, 1, 'the change audited once');
  t.equal((await auditsOf('channel_retention')).filter((a) => a.actor === olaf.id).length, 1, 'and the retention on its own, as the operator');
  await client.updateChannel(olaf.token, 'tweede', { name: 'Tweede kanaal', retentionMonths: 6 });
  await client.updateChannel(olaf.token, 'tweede', {});
  t.equal((await auditsOf('channel_changed')).length, 1, 'nothing changed: nothing audited');
  t.strictSame(await failure(client.updateChannel(olaf.token, 'nergens', { name: 'X' })), { status: 404, code: 'unknown_channel' });
  t.strictSame(await failure(client.updateChannel(olaf.token, 'tweede', { retentionMonths: 121 })), { status: 400, code: 'invalid_retention_months' });
  t.strictSame(await failure(client.updateChannel(olaf.token, 'tweede', { name: '' })), { status: 400, code: 'invalid_name' });

  // A case closed three months ago: a retention of one month makes it due at once.
  const closed = await report();
  await db.execute(sql`update cases set status = 'closed', acknowledged_at = now() - interval '100 days', closed_at = now() - interval '92 days' where id = ${closed}`);
  t.equal(seen(await client.updateChannel(olaf.token, 'meldpunt', { retentionMonths: 1 })).overdue, 1, 'one closed case due for deletion at once');
  t.equal((await client.updateChannel(olaf.token, 'meldpunt', { retentionMonths: 12 })).overdue, 0, 'back to 12 months: none');

  const locations = [{ id: 'hq', name: 'Hoofdkantoor' }, { id: 'depot', name: ' Depot ' }];
  t.strictSame(seen(await client.putChannelLocations(olaf.token, 'tweede', locations)), { locations: [{ id: 'hq', name: 'Hoofdkantoor' }, { id: 'depot', name: 'Depot' }] });
  t.match(await auditsOf('channel_locations'), [{ actor: olaf.id }]);
  t.strictSame(await failure(client.putChannelLocations(olaf.token, 'tweede', [{ id: 'HQ', name: 'X' }])), { status: 400, code: 'invalid_location_id' });
  t.strictSame(await failure(client.putChannelLocations(olaf.token, 'tweede', [{ id: 'hq', name: 'X' }, { id: 'hq', name: 'Y' }])), { status: 400, code: 'invalid_locations' });
  t.strictSame(await failure(client.putChannelLocations(olaf.token, 'nergens', [])), { status: 404, code: 'unknown_channel' });
});

t.test('invites: a link for each role, listed while open, revoked once, audited', async (t) => {
  const adviser = seen(await client.createInvite(olaf.token, { role: 'adviser', channel: 'meldpunt' }));
  t.match(adviser.link, new RegExp(`^${built.app.config.publicUrl.replace(/[.]/g, '\\.')}/invite\\?for=adviser#[A-Za-z0-9_-]{43}$`), 'a link on the public URL, the token in the fragment');
  const recipient = seen(await client.createInvite(olaf.token, { role: 'recipient', organisation: 'acme' }));
  const operator = seen(await client.createInvite(olaf.token, { role: 'operator' }));
  t.match(operator.link, /\/invite\?for=operator#/);
  const open = seen(await client.listInvites(olaf.token)).invites;
  t.match(
    open.filter((i) => [adviser.id, recipient.id, operator.id].includes(i.id)).map((i) => [i.role, i.target]),
    [['adviser', 'channel meldpunt'], ['recipient', 'organisation acme'], ['operator', 'installation']],
  );
  t.notOk(JSON.stringify(open).includes(adviser.link.split('#')[1]!), 'no token in the list');
  t.equal((await auditsOf('invite_created')).filter((a) => a.actor === olaf.id).length, 3);
  t.strictSame(await failure(client.createInvite(olaf.token, { role: 'adviser', channel: 'nergens' })), { status: 404, code: 'unknown_channel' });
  t.strictSame(await failure(client.createInvite(olaf.token, { role: 'recipient', organisation: 'nobody' })), { status: 404, code: 'unknown_organisation' });
  const malformed = await built.app.inject({ method: 'POST', url: '/api/v1/operator/invites', headers: { authorization: `Bearer ${olaf.token}` }, payload: { role: 'adviser' } });
  t.equal(malformed.statusCode, 400, 'an adviser invite without a channel: 400');

  t.match(seen(await client.revokeInvite(olaf.token, adviser.id)), { id: adviser.id, role: 'adviser', target: 'channel meldpunt' });
  t.match(await auditsOf('invite_revoked'), [{ actor: olaf.id, subject: adviser.id }]);
  t.notOk((await client.listInvites(olaf.token)).invites.some((i) => i.id === adviser.id), 'no longer listed');
  t.strictSame(await failure(client.revokeInvite(olaf.token, adviser.id)), { status: 404, code: 'unknown_invite' }, 'revoked twice');
  const revokedToken = adviser.link.split('#')[1]!;
  t.strictSame(await failure(client.joinChannel(anna.token, revokedToken)), { status: 404, code: 'invite_invalid' }, 'the revoked link works no more');
  const used = await client.createInvite(olaf.token, { role: 'adviser', channel: 'meldpunt' });
  await client.joinChannel(anna.token, used.link.split('#')[1]!);
  t.strictSame(await failure(client.revokeInvite(olaf.token, used.id)), { status: 409, code: 'invite_used' });
});

t.test('accounts: listed with what they serve; disabled (sessions ended) and enabled; never oneself', async (t) => {
  const listed = seen(await client.listAccounts(olaf.token)).accounts;
  const byName = new Map(listed.map((a) => [a.username, a]));
  const annaName = await usernameOf(anna.id);
  t.match(byName.get(annaName), { role: 'adviser', channels: ['meldpunt'], organisation: null, disabledAt: null });
  t.match(byName.get(await usernameOf(rita.id)), { role: 'recipient', channels: [], organisation: 'acme' });
  t.match(byName.get(await usernameOf(olaf.id)), { role: 'operator', channels: [], organisation: null });

  const disabled = seen(await client.disableAccount(olaf.token, annaName));
  t.match(disabled, { username: annaName, changed: true, sessionsEnded: 1 });
  t.strictSame(await failure(client.listCases(anna.token)), { status: 401, code: 'not_signed_in' }, "the adviser's session ended");
  t.match(await client.disableAccount(olaf.token, annaName), { changed: false }, 'disabled already: unchanged');
  t.match(await auditsOf('account_disabled'), [{ actor: olaf.id, subject: anna.id }], 'audited once');
  t.match(seen(await client.enableAccount(olaf.token, annaName)), { changed: true, disabledAt: null });
  t.match(await client.enableAccount(olaf.token, annaName), { changed: false });
  t.strictSame(await failure(client.disableAccount(olaf.token, await usernameOf(olaf.id))), { status: 409, code: 'own_account' });
  t.strictSame(await failure(client.disableAccount(olaf.token, 'nobody-here')), { status: 404, code: 'unknown_account' });
  t.strictSame(await failure(client.enableAccount(olaf.token, 'nobody-here')), { status: 404, code: 'unknown_account' });
});

t.test('removing an adviser from a channel: previewed, confirmed with the number of cases, refused when it changed', async (t) => {
  const bert = await personThroughApi(client, admin, 'adviser', 'meldpunt');
  const bertName = await usernameOf(bert.id);
  const preview = seen(await client.previewAdviserRemoval(olaf.token, 'meldpunt', bertName));
  t.match(preview, { channel: 'meldpunt', username: bertName, cases: 0, unreadable: 0, otherChannels: [] });
  await report();
  await report();
  const now = seen(await client.previewAdviserRemoval(olaf.token, 'meldpunt', bertName));
  t.match(now, { cases: 2, unreadable: 0 }, 'two new cases, both also sealed to Anna');
  t.strictSame(await failure(client.removeAdviser(olaf.token, 'meldpunt', bertName, preview.cases)), { status: 409, code: 'removal_changed' }, 'confirmed for 0 cases, now 2: refused');
  t.equal((await db.execute(sql`select 1 from adviser_channels where account_id = ${bert.id}`) as unknown as { rows: unknown[] }).rows.length, 1, 'and nothing removed');
  const removed = seen(await client.removeAdviser(olaf.token, 'meldpunt', bertName, 2));
  t.match(removed, { cases: 2 });
  t.equal((await db.execute(sql`select 1 from case_wraps where account_id = ${bert.id}`) as unknown as { rows: unknown[] }).rows.length, 0, 'his keys to the cases are gone');
  t.match(await auditsOf('adviser_removed'), [{ actor: olaf.id }]);
  t.strictSame(await failure(client.previewAdviserRemoval(olaf.token, 'meldpunt', bertName)), { status: 404, code: 'not_an_adviser' });
  t.strictSame(await failure(client.removeAdviser(olaf.token, 'nergens', bertName, 0)), { status: 404, code: 'unknown_channel' });
  t.strictSame(await failure(client.previewAdviserRemoval(olaf.token, 'meldpunt', 'nobody-here')), { status: 404, code: 'unknown_account' });
});

t.test('only operators: others are refused, and the operator is refused case and relay routes', async (t) => {
  const operatorOnly = { status: 403, code: 'operators_only' };
  const dora = await personThroughApi(client, admin, 'adviser', 'meldpunt');
  t.strictSame(await failure(client.listOrganisations(dora.token)), operatorOnly, 'an adviser');
  t.strictSame(await failure(client.createInvite(rita.token, { role: 'operator' })), operatorOnly, 'a recipient');
  t.strictSame(await failure(client.listOrganisations('not-a-token')), { status: 401, code: 'not_signed_in' }, 'no session');
  t.strictSame(await failure(client.listCases(olaf.token)), { status: 403, code: 'advisers_only' }, 'the operator and the cases');
  t.strictSame(await failure(client.listRelays(olaf.token)), { status: 403, code: 'recipients_only' }, 'the operator and the relays');
  t.strictSame(await failure(client.getOperatorAttention(rita.token)), operatorOnly, 'a recipient and what needs the operator');
  t.match(await client.getNotificationSettings(olaf.token), { email: null, immediate: false }, 'notification settings are for operators too (the digest only)');
});

t.test('what needs the operator: channels without an active adviser, organisations without an active recipient, invites about to lapse', async (t) => {
  // An installation of its own: what needs the operator depends on everything in it.
  const own = await buildTestApp(t);
  const ownAdmin = own.app.services.administration;
  const ownClient = new ConfidantClient({ baseUrl: own.baseUrl });
  const otto = await personThroughApi(ownClient, ownAdmin, 'operator');
  t.strictSame(seen(await ownClient.getOperatorAttention(otto.token)), { channelsWithoutAdviser: [], organisationsWithoutRecipient: [], invitesExpiringSoon: 0 }, 'an empty installation: nothing');

  await ownAdmin.createOrganisation({ slug: 'acme', name: 'Acme B.V.' });
  await ownAdmin.createOrganisation({ slug: 'beta', name: 'Beta B.V.' });
  await ownAdmin.createChannel({ slug: 'meldpunt', name: 'Meldpunt Acme', organisation: 'acme' });
  await ownAdmin.createChannel({ slug: 'beta-meldpunt', name: 'Beta meldt', organisation: 'beta' });
  const now = Date.now();
  const day = 24 * 3600 * 1000;
  await ownAdmin.createInvite({ role: 'recipient', organisation: 'beta' }, new Date(now - 6 * day)); // lapses in a day
  await ownAdmin.createInvite({ role: 'recipient', organisation: 'beta' }, new Date(now - 8 * day)); // lapsed
  await ownAdmin.createInvite({ role: 'adviser', channel: 'meldpunt' }); // a week left
  t.strictSame(
    seen(await ownClient.getOperatorAttention(otto.token)),
    { channelsWithoutAdviser: ['Beta meldt', 'Meldpunt Acme'], organisationsWithoutRecipient: ['Acme B.V.', 'Beta B.V.'], invitesExpiringSoon: 1 },
    'names in name order, and only the invite that lapses within two days',
  );

  const adviser = await personThroughApi(ownClient, ownAdmin, 'adviser', 'meldpunt');
  await personThroughApi(ownClient, ownAdmin, 'recipient', 'acme');
  t.strictSame(
    await ownClient.getOperatorAttention(otto.token),
    { channelsWithoutAdviser: ['Beta meldt'], organisationsWithoutRecipient: ['Beta B.V.'], invitesExpiringSoon: 1 },
    'an adviser and a recipient take their channel and organisation off the list',
  );
  const adviserName = await own.database.db.execute(sql`select username from staff_accounts where id = ${adviser.id}`);
  await ownAdmin.disableAccount(String((adviserName as unknown as { rows: Array<{ username: string }> }).rows[0]?.username));
  t.strictSame((await ownClient.getOperatorAttention(otto.token)).channelsWithoutAdviser, ['Beta meldt', 'Meldpunt Acme'], 'a disabled adviser is not an active one');
  t.strictSame(await failure(ownClient.getOperatorAttention('not-a-token')), { status: 401, code: 'not_signed_in' }, 'no session');
});

t.test('no answer the operator got in the tests above (organisations, channels, invites, accounts, removals) names a case', async (t) => {
  const text = JSON.stringify(answers);
  t.ok(answers.length >= 19, `${answers.length} answers seen`);
  for (const caseId of caseIds) t.notOk(text.includes(caseId), `case ${caseId} is not named`);
});

t.test('parallel requests change once: revoke, disable, remove', async (t) => {
  const invite = await client.createInvite(olaf.token, { role: 'recipient', organisation: 'acme' });
  const revocations = await Promise.allSettled(Array.from({ length: 4 }, () => client.revokeInvite(olaf.token, invite.id)));
  t.equal(revocations.filter((r) => r.status === 'fulfilled').length, 1, 'one revocation of four succeeds');
  t.equal((await auditsOf('invite_revoked')).filter((a) => a.subject === invite.id).length, 1, 'audited once');

  const carl = await personThroughApi(client, admin, 'adviser', 'meldpunt');
  const carlName = await usernameOf(carl.id);
  const disables = await Promise.all(Array.from({ length: 4 }, () => client.disableAccount(olaf.token, carlName)));
  t.equal(disables.filter((d) => d.changed).length, 1, 'one disable of four changes the account');
  t.equal((await auditsOf('account_disabled')).filter((a) => a.subject === carl.id).length, 1, 'audited once');
  await client.enableAccount(olaf.token, carlName);

  const count = (await client.previewAdviserRemoval(olaf.token, 'meldpunt', carlName)).cases;
  const removals = await Promise.allSettled(Array.from({ length: 4 }, () => client.removeAdviser(olaf.token, 'meldpunt', carlName, count)));
  t.equal(removals.filter((r) => r.status === 'fulfilled').length, 1, 'one removal of four succeeds');
  await built.app.services.audit.seal();
  const rows = await db.select({ actor: auditLog.actor }).from(auditLog).where(and(eq(auditLog.action, 'adviser_removed'), sql`${auditLog.subject} like ${`${carl.id}/%`}`));
  t.equal(rows.length, 1, 'audited once');
});
