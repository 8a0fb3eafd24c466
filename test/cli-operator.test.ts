/**
 * The operator's commands that take access away or change how long cases are kept: invite
 * revoke, account list/disable/enable, channel remove-adviser and channel retention. Run
 * in-process against the database of a real app, so each command's effect is checked where it
 * matters: in the tables, on the real HTTP routes (invite acceptance, sign-in, the adviser's
 * inbox, the reporters' channel page) and in the audit chain.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { makeStaffKeys, ready, sealKeyBundle, sealRecoveryBundle, STAFF_ARGON2_MEM, STAFF_ARGON2_OPS } from '../src/protocol/index.js';
import { run } from '../src/cli/main.js';
import { adviserChannels, auditLog, caseWraps, cases, channels, invites, staffAccounts, staffSessions } from '../src/server/db/schema.js';
import { createAdministration } from '../src/server/services/administration.js';
import { tokenHash } from '../src/server/tokens.js';
import { buildTestApp, databaseKind } from './helper.js';
import { addAdviser, addChannel, addRecipient, sessionOf } from './fixtures.js';

await ready();

const { app, database } = await buildTestApp(t);
const { db } = database;
/** The PostgreSQL database's address (openTestDatabase adds it); undefined on in-memory PGlite. */
const databaseUrl = (database as { url?: string }).url;
const admin = createAdministration(db, { powDifficulty: 0 });
const PUBLIC_URL = 'https://meldpunt.example.nl';
const DATE = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC';
const DAY = 24 * 3600 * 1000;

interface Result {
  code: number;
  out: string[];
  err: string[];
  stdout: string;
}

/** Runs a command line on the app's database, handed in (in-memory PGlite lives in this process only). */
async function cli(args: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const env = { PUBLIC_URL, POW_DIFFICULTY: '12', ADMIN_SOCKET: 'off', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  const code = await run(args, { env, database, out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err, stdout: out.join('\n') };
}

function succeeded(t: Test, result: Result, what: string): void {
  t.equal(result.code, 0, `${what}: exit code 0`);
  t.same(result.err, [], `${what}: nothing on stderr`);
}

/** A failure: its exit code, one line on stderr starting "confidant: ", nothing on stdout. */
function failed(t: Test, result: Result, code: number, message: RegExp, what: string): void {
  t.equal(result.code, code, `${what}: exit code ${code}`);
  t.equal(result.err.length, 1, `${what}: one line on stderr`);
  t.match(result.err[0], /^confidant: /, `${what}: the line starts with "confidant: "`);
  t.match(result.err[0], message, `${what}: ${result.err[0]}`);
  t.same(result.out, [], `${what}: nothing on stdout`);
}

/** The table row whose first column is `key`. */
const row = (result: Result, key: string) => result.out.find((line) => line.startsWith(`${key} `));

/** The operator's audit entries about `subject` (sealed first), as [action, subject]. */
/** The operator's audit entries about `subject`, but an invite's creation (checked once, below): these tests are about taking access away. */
async function operatorAudit(subject: string): Promise<Array<[string, string | null]>> {
  await app.services.audit.seal();
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.actor, 'operator'), eq(auditLog.subject, subject), ne(auditLog.action, 'invite_created')))
    .orderBy(asc(auditLog.seq));
  return rows.map((r) => [r.action, r.subject]);
}

// ─── Staff through the real routes ──────────────────────────────────────────────────────────

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');

/** What a client uploads to accept an invite: real keys and bundles, a random authKey (the server never runs Argon2id). */
function acceptBody(token: string, username: string) {
  const keys = makeStaffKeys();
  return {
    token,
    username,
    displayName: `Person ${username}`,
    kdf: { salt: randomB64(16), ops: STAFF_ARGON2_OPS, mem: STAFF_ARGON2_MEM },
    authKey: randomB64(32),
    boxPublicKey: b64(keys.boxPublicKey),
    signPublicKey: b64(keys.signPublicKey),
    keyBundle: sealKeyBundle(randomBytes(32), keys, username),
    recoveryBundle: sealRecoveryBundle(randomBytes(32), keys, username),
  };
}

const post = (url: string, payload: object, token?: string) =>
  app.inject({ method: 'POST', url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
const accept = (token: string, username: string) => post('/api/v1/invites/accept', acceptBody(token, username));

interface Person {
  id: string;
  username: string;
  authKey: string;
}

/** An adviser of `channel` made the real way: an invite, accepted over HTTP. */
async function newAdviser(channel: string, username: string): Promise<Person> {
  const invite = await admin.createInvite({ role: 'adviser', channel });
  const body = acceptBody(invite.token, username);
  const answer = await post('/api/v1/invites/accept', body);
  if (answer.statusCode !== 201) throw new Error(`accepting failed: ${answer.body}`);
  return { id: (answer.json() as { accountId: string }).accountId, username, authKey: body.authKey };
}

const login = (person: Person) => post('/api/v1/auth/login', { username: person.username, authKey: person.authKey });
const inbox = (token: string) => get('/api/v1/cases', token);
/** The key ids the reporters' page of a channel offers. */
async function offered(slug: string): Promise<string[]> {
  const answer = await get(`/api/v1/channels/${slug}`);
  return (answer.json() as { advisers: Array<{ keyId: string }> }).advisers.map((a) => a.keyId);
}

/** A case of the channel, sealed to `holders` (stand-in bytes: the server never opens them). */
async function addCase(channelId: string, holders: string[], closed?: { closedAt: Date; heldBy?: string }): Promise<string> {
  const id = randomB64(16);
  await db.insert(cases).values({
    id,
    channelId,
    mailboxId: randomB64(16),
    reporterSignPublicKey: randomBytes(32),
    reporterBoxPublicKey: randomBytes(32),
    reporterWrap: randomBytes(80),
    reportNonce: randomBytes(24),
    reportCiphertext: randomBytes(4096 + 16),
    receivedAt: new Date(Date.now() - 400 * DAY),
    ...(closed ? { status: 'closed' as const, closedAt: closed.closedAt } : {}),
    ...(closed?.heldBy ? { heldAt: closed.closedAt, heldBy: closed.heldBy, holdNonce: randomBytes(24), holdCiphertext: randomBytes(64) } : {}),
  });
  if (holders.length > 0) await db.insert(caseWraps).values(holders.map((accountId) => ({ caseId: id, accountId, wrap: randomBytes(80) })));
  return id;
}

const wrapsOf = async (accountId: string) =>
  (await db.select({ caseId: caseWraps.caseId }).from(caseWraps).where(eq(caseWraps.accountId, accountId))).map((r) => r.caseId).sort();

// ─── Help ───────────────────────────────────────────────────────────────────────────────────

t.test('on an empty database: no accounts yet', async (t) => {
  const list = await cli(['account', 'list']);
  succeeded(t, list, 'account list');
  t.same(list.out, ['No accounts yet.']);
});

t.test('--help lists the new commands; each has its own help', async (t) => {
  const help = await cli(['--help']);
  succeeded(t, help, '--help');
  for (const line of [
    '  confidant channel create <slug> --name <name> --org <org-slug> [--no-consent] [--pow-difficulty <n>] [--retention <months>] [--digest-only]',
    '  confidant channel retention <slug> [<months>]',
    '  confidant channel mail <slug> [immediate|digest-only]',
    '  confidant channel remove-adviser <channel-slug> <username> [--yes]',
    '  confidant invite revoke <id>',
    '  confidant account list',
    '  confidant account disable <username>',
    '  confidant account enable <username>',
  ]) {
    t.ok(help.out.includes(line), `the help lists: ${line.trim()}`);
  }

  const group = await cli(['account', '--help']);
  succeeded(t, group, 'account --help');
  t.equal(group.out[0], 'Usage: confidant account <list|disable|enable>');
  t.match(group.stdout, /sessions that disabling ended stay ended/);

  const remove = await cli(['channel', 'remove-adviser', '--help']);
  succeeded(t, remove, 'channel remove-adviser --help');
  t.equal(remove.out[0], 'Usage: confidant channel remove-adviser <channel-slug> <username> [--yes]');
  t.ok(remove.out.some((line) => line.startsWith('  --yes ')), 'it explains --yes');
  t.match(remove.stdout, /never be read again/, 'and says a case can become unreadable');
  t.match(remove.stdout, /A <slug> is 1 to 64/, 'and what a slug is');

  const retention = await cli(['channel', 'retention', '--help']);
  succeeded(t, retention, 'channel retention --help');
  t.equal(retention.out[0], 'Usage: confidant channel retention <slug> [<months>]');
  t.match(retention.stdout, /whole number from 1 to 120/);
  t.match(retention.stdout, /legal hold/);

  const revoke = await cli(['invite', 'revoke', '--help']);
  succeeded(t, revoke, 'invite revoke --help');
  t.equal(revoke.out[0], 'Usage: confidant invite revoke <id>');
  t.match(revoke.stdout, /by the id "invite list" shows/);
});

// ─── invite revoke ──────────────────────────────────────────────────────────────────────────

t.test('invite revoke: a pending invite is deleted and its link answers as an unknown one; used, expired and unknown ids are refused', async (t) => {
  await addChannel(db, 'herroep');
  const revoked = await admin.createInvite({ role: 'adviser', channel: 'herroep' });
  const kept = await admin.createInvite({ role: 'adviser', channel: 'herroep' });
  const recipient = await admin.createInvite({ role: 'recipient', organisation: 'herroep-org' });

  const listed = await cli(['invite', 'list']);
  t.ok(row(listed, revoked.id), 'invite list shows the id to revoke');

  const result = await cli(['invite', 'revoke', revoked.id]);
  succeeded(t, result, 'invite revoke');
  t.same(result.out, [`Revoked invite ${revoked.id} (adviser, channel herroep): its link works no more.`]);
  t.same(await db.select().from(invites).where(eq(invites.id, revoked.id)), [], 'the row is deleted');
  t.same(await db.select().from(invites).where(eq(invites.tokenHash, tokenHash(revoked.token))), [], 'nothing holds its token hash');
  t.equal(row(await cli(['invite', 'list']), revoked.id), undefined, 'invite list no longer shows it');
  t.ok(row(await cli(['invite', 'list']), kept.id), 'the other invite is still pending');
  t.same(await operatorAudit(revoked.id), [['invite_revoked', revoked.id]], 'one audit entry, actor operator');
  const created = await db.select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.actor, 'operator'), eq(auditLog.subject, revoked.id), eq(auditLog.action, 'invite_created')));
  t.equal(created.length, 1, 'and its creation was audited too');

  // The revoked link, and then a link that never existed: the same answer, byte for byte.
  const revokedAnswer = await accept(revoked.token, 'na-herroeping');
  const unknownAnswer = await accept(randomB64(32), 'onbekende-link');
  t.equal(revokedAnswer.statusCode, 404, 'the revoked invite answers 404');
  t.same(revokedAnswer.json(), unknownAnswer.json(), 'exactly as an unknown invite does');
  t.equal(revokedAnswer.json().error, 'invite_invalid');
  t.same(await db.select().from(staffAccounts).where(eq(staffAccounts.username, 'na-herroeping')), [], 'no account was made');
  const member = await newAdviser('herroep', 'lid-herroep');
  const session = (await login(member)).json().token as string;
  const joined = await post('/api/v1/invites/join', { token: revoked.token }, session);
  t.equal(joined.statusCode, 404, 'joining a channel with it answers 404 too');
  t.equal(joined.json().error, 'invite_invalid');

  const second = await cli(['invite', 'revoke', revoked.id]);
  failed(t, second, 1, /There is no pending invite "[A-Za-z0-9_-]+" \(see confidant invite list\)\./, 'revoking it again');

  const recipientResult = await cli(['invite', 'revoke', recipient.id]);
  succeeded(t, recipientResult, 'revoking a recipient invite');
  t.same(recipientResult.out, [`Revoked invite ${recipient.id} (recipient, organisation herroep-org): its link works no more.`]);

  const used = await admin.createInvite({ role: 'adviser', channel: 'herroep' });
  t.equal((await accept(used.token, 'gebruikt-herroep')).statusCode, 201, 'an invite is used');
  failed(t, await cli(['invite', 'revoke', used.id]), 1, /was used already, so it cannot be revoked: disable the account it made instead\./, 'a used invite');
  t.ok((await db.select().from(invites).where(eq(invites.id, used.id)))[0]?.usedAt, 'the used invite stays, naming its account');

  const expired = await admin.createInvite({ role: 'adviser', channel: 'herroep' }, new Date(Date.now() - 8 * DAY));
  failed(t, await cli(['invite', 'revoke', expired.id]), 1, /has expired: its link no longer works\./, 'an expired invite');
  t.equal((await db.select().from(invites).where(eq(invites.id, expired.id))).length, 1, 'the expired invite is left to the sweep');

  failed(t, await cli(['invite', 'revoke', 'geen-invite']), 1, /There is no pending invite "geen-invite"/, 'an unknown id');
  failed(t, await cli(['invite', 'revoke']), 2, /missing <id>; usage: confidant invite revoke <id>$/, 'no id');
  failed(t, await cli(['invite', 'revoke', kept.id, 'extra']), 2, /unexpected argument "extra"/, 'two ids');
  t.ok(row(await cli(['invite', 'list']), kept.id), 'no mistake touched the pending invite');
  for (const id of [used.id, expired.id, 'geen-invite', kept.id]) t.same(await operatorAudit(id), [], `no audit entry for a refused revoke (${id})`);
  t.equal((await accept(kept.token, 'toch-welkom')).statusCode, 201, 'the kept invite still works');
});

t.test('invite revoke: an id that starts with "-" (one in 64) is an argument, not an option', async (t) => {
  await addChannel(db, 'streep');
  const invite = await admin.createInvite({ role: 'adviser', channel: 'streep' });
  const dashed = `-${invite.id.slice(1)}`;
  await db.update(invites).set({ id: dashed }).where(eq(invites.id, invite.id));
  const result = await cli(['invite', 'revoke', dashed]);
  succeeded(t, result, 'revoking the dashed id');
  t.same(result.out, [`Revoked invite ${dashed} (adviser, channel streep): its link works no more.`]);
  t.same(await db.select().from(invites).where(eq(invites.id, dashed)), [], 'the row is deleted');
  failed(t, await cli(['invite', 'revoke', '--onbekend']), 2, /unknown option --onbekend for "invite revoke"/, 'a real unknown option is still refused');
  failed(t, await cli(['invite', 'revoke', dashed]), 1, /There is no pending invite "-/, 'revoking it again names the dashed id');
});

t.test('invite revoke racing itself and redemptions on PostgreSQL: exactly one wins', { skip: databaseKind === 'pglite' ? 'PGlite runs one statement at a time: no race to lose' : false }, async (t) => {
  await addChannel(db, 'race-herroep');
  const invite = await admin.createInvite({ role: 'adviser', channel: 'race-herroep' });
  // Each run opens its own connections (no database handed in), as ten operators' shells would.
  const env = { PUBLIC_URL, ADMIN_SOCKET: 'off', DATABASE_URL: databaseUrl ?? '' };
  const revokeOnce = async () => {
    const err: string[] = [];
    const code = await run(['invite', 'revoke', invite.id], { env, out: () => undefined, err: (line) => err.push(line) });
    return { code, err };
  };
  const results = await Promise.all(Array.from({ length: 10 }, revokeOnce));
  t.equal(results.filter((r) => r.code === 0).length, 1, 'one revoke succeeds');
  t.equal(results.filter((r) => r.code === 1 && /There is no pending invite/.test(r.err[0] ?? '')).length, 9, 'nine find it gone');
  t.same(await db.select().from(invites).where(eq(invites.id, invite.id)), [], 'the invite is gone');
  t.same(await operatorAudit(invite.id), [['invite_revoked', invite.id]], 'one audit entry');

  // Revokes and acceptances of one invite at once: the invite serves exactly one of them.
  for (let round = 0; round < 5; round++) {
    const contested = await admin.createInvite({ role: 'adviser', channel: 'race-herroep' });
    const [revokes, accepts] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, () => run(['invite', 'revoke', contested.id], { env, out: () => undefined, err: () => undefined }))),
      Promise.all(Array.from({ length: 5 }, (_, i) => accept(contested.token, `race-${round}-${i}-${randomBytes(2).toString('hex')}`))),
    ]);
    const wins = revokes.filter((code) => code === 0).length + accepts.filter((a) => a.statusCode === 201).length;
    t.equal(wins, 1, `round ${round}: one of ten wins`);
    const [left] = await db.select().from(invites).where(eq(invites.id, contested.id));
    t.equal(left !== undefined, accepts.some((a) => a.statusCode === 201), `round ${round}: the row stays exactly when an acceptance won`);
  }
});

// ─── account list, disable, enable ──────────────────────────────────────────────────────────

t.test('account list: advisers with their channels, recipients with their organisation, disabled ones marked', async (t) => {
  await addChannel(db, 'lijst-a');
  const second = await addChannel(db, 'lijst-b');
  const anna = await newAdviser('lijst-a', 'lijst-anna');
  await db.insert(adviserChannels).values({ accountId: anna.id, channelId: second.id });
  const org = await admin.organisationBySlug('lijst-a-org');
  const recipient = await addRecipient(db, org.id, 'Ontvanger \u001b[31mrood');
  const idle = await addAdviser(db, 'lijst-b', 'Zonder kanaal');
  await db.delete(adviserChannels).where(eq(adviserChannels.accountId, idle.id));
  await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, idle.id));

  const list = await cli(['account', 'list']);
  succeeded(t, list, 'account list');
  t.match(list.out[0], /^USERNAME +ROLE +NAME +SERVES +CREATED +STATUS$/);
  t.match(row(list, 'lijst-anna'), new RegExp(`^lijst-anna +adviser +Person lijst-anna +channels lijst-a, lijst-b +${DATE} +active$`));
  t.match(row(list, recipient.username), new RegExp(`^${recipient.username} +recipient +Ontvanger \ufffd\\[31mrood +organisation lijst-a-org +${DATE} +active$`));
  t.notMatch(list.stdout, /\u001b/, 'a control character in a display name never reaches the terminal');
  t.match(row(list, idle.username), new RegExp(`^${idle.username} +adviser +Zonder kanaal +no channel +${DATE} +DISABLED$`));
  t.equal(list.out.length - 1, (await db.select().from(staffAccounts)).length, 'one row per account');
  failed(t, await cli(['account', 'list', 'all']), 2, /unexpected argument "all"; usage: confidant account list$/, 'an argument');
});

t.test('account disable and enable: sessions end, sign-in stops and resumes, the channel stops and resumes offering the adviser', async (t) => {
  await addChannel(db, 'toegang');
  const dirk = await newAdviser('toegang', 'dirk-toegang');
  const signedIn = await login(dirk);
  t.equal(signedIn.statusCode, 200, 'dirk signs in');
  const loginToken = signedIn.json().token as string;
  const fixtureToken = await sessionOf(db, dirk.id);
  t.equal((await inbox(loginToken)).statusCode, 200, 'his session opens the inbox');
  t.ok((await offered('toegang')).includes(dirk.id), 'the channel offers his key to reporters');
  const other = await newAdviser('toegang', 'eva-toegang');
  const otherToken = await sessionOf(db, other.id);

  const disabled = await cli(['account', 'disable', 'dirk-toegang']);
  succeeded(t, disabled, 'account disable');
  t.same(disabled.out, [
    'Disabled account "dirk-toegang" (adviser): they can no longer sign in; 2 session(s) ended.',
    'New reports are no longer sealed to them.',
    'Their keys to cases stay: "confidant account enable dirk-toegang" gives their access back.',
    "The advisers offered to reporters changed: print the pinned reporters' link again and publish it:",
    '  confidant channel link toegang',
  ]);
  const [account] = await db.select().from(staffAccounts).where(eq(staffAccounts.id, dirk.id));
  t.ok(account?.disabledAt, 'disabled_at is set');
  t.same(await db.select().from(staffSessions).where(eq(staffSessions.accountId, dirk.id)), [], 'his sessions are deleted');
  t.equal((await db.select().from(staffSessions).where(eq(staffSessions.accountId, other.id))).length, 1, "another adviser's session stays");
  for (const [what, token] of [['the login session', loginToken], ["the fixture's session", fixtureToken]] as const) {
    const answer = await inbox(token);
    t.equal(answer.statusCode, 401, `${what} no longer opens the inbox`);
  }
  t.equal((await inbox(otherToken)).statusCode, 200, "the other adviser's session still works");
  const refused = await login(dirk);
  t.equal(refused.statusCode, 401, 'he cannot sign in');
  t.equal(refused.json().error, 'login_failed', 'with the answer a wrong passphrase gets');
  t.notOk((await offered('toegang')).includes(dirk.id), 'the channel no longer offers his key');
  t.ok((await offered('toegang')).includes(other.id), 'it still offers the other adviser');
  t.match(row(await cli(['account', 'list']), 'dirk-toegang'), / DISABLED$/, 'account list marks him');
  t.same(await operatorAudit(dirk.id), [['account_disabled', dirk.id]], 'one audit entry');

  const again = await cli(['account', 'disable', 'dirk-toegang']);
  succeeded(t, again, 'disabling him again');
  t.match(again.out, [new RegExp(`^Account "dirk-toegang" is disabled already \\(since ${DATE}\\): nothing changed\\.$`)]);
  t.equal(again.out.length, 1, 'one line');
  t.same((await db.select().from(staffAccounts).where(eq(staffAccounts.id, dirk.id)))[0]?.disabledAt, account?.disabledAt, 'the time he was disabled stays');
  t.same(await operatorAudit(dirk.id), [['account_disabled', dirk.id]], 'and no second audit entry');

  const enabled = await cli(['account', 'enable', 'dirk-toegang']);
  succeeded(t, enabled, 'account enable');
  t.same(enabled.out, [
    'Enabled account "dirk-toegang" (adviser): they can sign in again; the sessions that disabling ended stay ended.',
    'New reports of their channels are sealed to them again.',
    "The advisers offered to reporters changed: print the pinned reporters' link again and publish it:",
    '  confidant channel link toegang',
  ]);
  t.equal((await db.select().from(staffAccounts).where(eq(staffAccounts.id, dirk.id)))[0]?.disabledAt, null, 'disabled_at is cleared');
  t.equal((await inbox(loginToken)).statusCode, 401, 'his old session stays ended');
  t.same(await db.select().from(staffSessions).where(eq(staffSessions.accountId, dirk.id)), [], 'no session was restored');
  const back = await login(dirk);
  t.equal(back.statusCode, 200, 'he signs in again');
  t.equal((await inbox(back.json().token as string)).statusCode, 200, 'and his new session opens the inbox');
  t.ok((await offered('toegang')).includes(dirk.id), 'the channel offers his key again');
  t.same(await operatorAudit(dirk.id), [['account_disabled', dirk.id], ['account_enabled', dirk.id]], 'an account_enabled entry follows');

  const active = await cli(['account', 'enable', 'dirk-toegang']);
  succeeded(t, active, 'enabling him again');
  t.same(active.out, ['Account "dirk-toegang" is active already: nothing changed.']);
  t.equal((await operatorAudit(dirk.id)).length, 2, 'no audit entry for it');

  const org = await admin.organisationBySlug('toegang-org');
  const recipient = await addRecipient(db, org.id, 'Ontvanger');
  await sessionOf(db, recipient.id);
  const recipientResult = await cli(['account', 'disable', recipient.username]);
  succeeded(t, recipientResult, 'disabling a recipient');
  t.same(recipientResult.out, [
    `Disabled account "${recipient.username}" (recipient): they can no longer sign in; 1 session(s) ended.`,
    'New relays are no longer sealed to them.',
    `Their keys to cases stay: "confidant account enable ${recipient.username}" gives their access back.`,
  ]);

  for (const command of ['disable', 'enable']) {
    failed(t, await cli(['account', command, 'niemand']), 1, /^confidant: There is no account "niemand"\.$/, `${command} of an unknown user`);
    failed(t, await cli(['account', command]), 2, new RegExp(`missing <username>; usage: confidant account ${command} <username>$`), `${command} without a user`);
    failed(t, await cli(['account', command, 'a', 'b']), 2, /unexpected argument "b"/, `${command} of two users`);
  }
});

// ─── channel remove-adviser ─────────────────────────────────────────────────────────────────

t.test('channel remove-adviser: counts without --yes, then removes the membership and only that channel\'s keys', async (t) => {
  const kanaal = await addChannel(db, 'weg');
  const ander = await addChannel(db, 'weg-ander');
  const anna = await addAdviser(db, 'weg', 'Anna');
  const bob = await addAdviser(db, 'weg', 'Bob');
  const carl = await addAdviser(db, 'weg', 'Carl');
  await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, carl.id));
  await db.insert(adviserChannels).values({ accountId: anna.id, channelId: ander.id });
  const shared = await addCase(kanaal.id, [anna.id, bob.id]);
  const annaOnly = await addCase(kanaal.id, [anna.id]);
  const withDisabled = await addCase(kanaal.id, [anna.id, carl.id]);
  const bobOnly = await addCase(kanaal.id, [bob.id]);
  const elsewhere = await addCase(ander.id, [anna.id]);
  const pending = await admin.createInvite({ role: 'adviser', channel: 'weg' });
  const annaToken = await sessionOf(db, anna.id);
  const wrapCount = async () => (await db.select().from(caseWraps).where(inArray(caseWraps.caseId, [shared, annaOnly, withDisabled, bobOnly, elsewhere]))).length;
  const serving = async (accountId: string) =>
    (await db.select({ slug: channels.slug }).from(adviserChannels).innerJoin(channels, eq(adviserChannels.channelId, channels.id)).where(eq(adviserChannels.accountId, accountId)).orderBy(asc(channels.slug))).map((r) => r.slug);

  const preview = await cli(['channel', 'remove-adviser', 'weg', anna.username]);
  succeeded(t, preview, 'remove-adviser without --yes');
  t.same(preview.out, [
    `Removing "${anna.username}" (Anna) from channel "weg" would:`,
    '  - stop sealing new reports of "weg" to them;',
    '  - delete their keys to 3 case(s) of "weg": they could no longer open them.',
    '2 of those case(s) no other active adviser holds a key to: nobody could ever read them again.',
    'Nothing was changed. To remove the adviser, run again with --yes:',
    `  confidant channel remove-adviser weg ${anna.username} --yes`,
  ], 'three cases of this channel; two held by nobody else active (a disabled holder does not count)');
  t.equal(await wrapCount(), 7, 'no key was deleted');
  t.same(await serving(anna.id), ['weg', 'weg-ander'], 'she still serves both channels');
  t.same(await operatorAudit(`${anna.id}/${kanaal.id}`), [], 'nothing audited');

  const removed = await cli(['channel', 'remove-adviser', 'weg', anna.username, '--yes']);
  succeeded(t, removed, 'remove-adviser --yes');
  t.same(removed.out, [
    `Removed "${anna.username}" from channel "weg": new reports of it are no longer sealed to them.`,
    'Deleted their keys to 3 case(s) of the channel.',
    '2 of those case(s) no active adviser holds a key to any more: nobody can read them.',
    "The advisers offered to reporters changed: print the pinned reporters' link again and publish it:",
    '  confidant channel link weg',
  ]);
  t.same(await wrapsOf(anna.id), [elsewhere], "only her key to the other channel's case stays");
  t.same(await wrapsOf(bob.id), [shared, bobOnly].sort(), "Bob's keys stay");
  t.same(await wrapsOf(carl.id), [withDisabled], "the disabled adviser's key stays");
  t.same(await serving(anna.id), ['weg-ander'], 'she serves only the other channel');
  t.notOk((await offered('weg')).includes(anna.id), 'the channel no longer offers her key');
  t.ok((await offered('weg')).includes(bob.id), 'it still offers Bob');
  t.ok((await offered('weg-ander')).includes(anna.id), 'the other channel still offers her');
  const annaInbox = await inbox(annaToken);
  t.equal(annaInbox.statusCode, 200, 'her session still works');
  t.same((annaInbox.json() as { cases: Array<{ caseId: string }> }).cases.map((c) => c.caseId), [elsewhere], 'her inbox holds only the other channel\'s case');
  t.equal((await db.select().from(invites).where(eq(invites.id, pending.id)))[0]?.usedAt, null, 'the pending invite of the channel is untouched');
  t.ok(row(await cli(['invite', 'list']), pending.id), 'and still listed');
  t.same(await operatorAudit(`${anna.id}/${kanaal.id}`), [['adviser_removed', `${anna.id}/${kanaal.id}`]], 'one audit entry naming account and channel');

  failed(t, await cli(['channel', 'remove-adviser', 'weg', anna.username, '--yes']), 1, new RegExp(`"${anna.username}" is not an adviser of channel "weg"\\.`), 'removing her again');
  failed(t, await cli(['channel', 'remove-adviser', 'weg', anna.username]), 1, /is not an adviser of channel "weg"/, 'a preview for someone not serving');

  // Bob is now the only holder of the shared case too, and serves no other channel.
  const bobPreview = await cli(['channel', 'remove-adviser', 'weg', bob.username]);
  t.match(bobPreview.out[2], /delete their keys to 2 case\(s\)/, 'Bob holds two cases');
  t.equal(bobPreview.out[3], '2 of those case(s) no other active adviser holds a key to: nobody could ever read them again.', 'neither is held by anyone else now');
  const bobRemoved = await cli(['channel', 'remove-adviser', 'weg', bob.username, '--yes']);
  succeeded(t, bobRemoved, 'removing Bob');
  t.equal(bobRemoved.out.at(-1), `"${bob.username}" serves no channel any more; to stop them signing in: confidant account disable ${bob.username}`);
  t.same(await wrapsOf(bob.id), [], 'Bob holds no key any more');

  const dave = await addAdviser(db, 'weg', 'Dave');
  const daveCase = await addCase(kanaal.id, [dave.id, carl.id]);
  await db.update(staffAccounts).set({ disabledAt: null }).where(eq(staffAccounts.id, carl.id));
  const held = await cli(['channel', 'remove-adviser', 'weg', dave.username]);
  t.equal(held.out[3], 'Another active adviser holds a key to each of those cases.', 'an enabled co-holder is counted');
  const none = await addAdviser(db, 'weg', 'Eef');
  const empty = await cli(['channel', 'remove-adviser', 'weg', none.username]);
  t.equal(empty.out[2], '  - delete their keys to 0 case(s) of "weg": they could no longer open them.', 'an adviser without cases');
  t.equal(empty.out[3], 'Nothing was changed. To remove the adviser, run again with --yes:');

  failed(t, await cli(['channel', 'remove-adviser', 'nergens', dave.username]), 1, /There is no channel "nergens"\./, 'an unknown channel');
  failed(t, await cli(['channel', 'remove-adviser', 'weg', 'niemand', '--yes']), 1, /There is no account "niemand"\./, 'an unknown user');
  failed(t, await cli(['channel', 'remove-adviser', 'weg-ander', dave.username, '--yes']), 1, new RegExp(`"${dave.username}" is not an adviser of channel "weg-ander"`), 'an adviser of another channel');
  failed(t, await cli(['channel', 'remove-adviser', 'weg']), 2, /missing <username>; usage: confidant channel remove-adviser <channel-slug> <username> \[--yes\]$/, 'no user');
  failed(t, await cli(['channel', 'remove-adviser', 'weg', dave.username, '--yes=1']), 2, /option --yes takes no value/, 'a value for --yes');
  t.same(await wrapsOf(dave.id), [daveCase], 'no mistake deleted a key');
});

// ─── channel retention ──────────────────────────────────────────────────────────────────────

t.test('channel retention: create with --retention, list, show, set, and every mistake', async (t) => {
  const org = await admin.createOrganisation({ slug: 'bewaar-org', name: 'Bewaar' });
  const stored = async (slug: string) => (await db.select({ months: channels.retentionMonths }).from(channels).where(eq(channels.slug, slug)))[0]?.months;

  const created = await cli(['channel', 'create', 'bewaar', '--name', 'Bewaar', '--org', org.slug, '--retention', '6']);
  succeeded(t, created, 'channel create --retention 6');
  t.ok(created.out.includes('Retention: a closed case is deleted 6 months after closure, unless held.'));
  t.equal(await stored('bewaar'), 6);
  succeeded(t, await cli(['channel', 'create', 'bewaar-een', '--name', 'Een', '--org', org.slug, '--retention=1']), '--retention=1');
  succeeded(t, await cli(['channel', 'create', 'bewaar-max', '--name', 'Max', '--org', org.slug, '--retention', '120']), '--retention 120');
  const list = await cli(['channel', 'list']);
  t.match(row(list, 'bewaar'), /^bewaar +Bewaar +bewaar-org +required +12 +6 months$/, 'channel list shows the retention');
  t.match(row(list, 'bewaar-een'), / 1 month$/, 'one month, singular');
  t.match(row(list, 'bewaar-max'), / 120 months$/);
  for (const bad of ['0', '121', '1.5', 'jaar', '-1', '']) {
    failed(
      t,
      await cli(['channel', 'create', 'bewaar-fout', '--name', 'Fout', '--org', org.slug, `--retention=${bad}`]),
      2,
      new RegExp(`--retention must be a whole number from 1 to 120, got "${bad.replace('.', '\\.')}"`),
      `channel create --retention=${bad}`,
    );
  }
  t.equal(await stored('bewaar-fout'), undefined, 'no channel was made');

  const shown = await cli(['channel', 'retention', 'bewaar']);
  succeeded(t, shown, 'channel retention <slug>');
  t.same(shown.out, ['Channel "bewaar" deletes a closed case 6 months after closure, unless it is held.']);

  const [channel] = await db.select().from(channels).where(eq(channels.slug, 'bewaar'));
  const set = await cli(['channel', 'retention', 'bewaar', '24']);
  succeeded(t, set, 'channel retention <slug> 24');
  t.same(set.out, ['Channel "bewaar" now deletes a closed case 24 months after closure (was 6 months), unless it is held.']);
  t.equal(await stored('bewaar'), 24);
  t.same(await operatorAudit(`${channel!.id}/24`), [['channel_retention', `${channel!.id}/24`]], 'audited with the new value');
  const same = await cli(['channel', 'retention', 'bewaar', '24']);
  succeeded(t, same, 'setting the same value');
  t.same(same.out, ['Channel "bewaar" deletes a closed case 24 months after closure already: nothing changed.']);
  t.equal((await operatorAudit(`${channel!.id}/24`)).length, 1, 'not audited again');

  // Shortening it: cases closed longer ago become due at once, and the command counts them.
  const holder = await addAdviser(db, 'bewaar', 'Houder');
  const month = 31 * DAY;
  await addCase(channel!.id, [holder.id], { closedAt: new Date(Date.now() - 5 * month) });
  await addCase(channel!.id, [holder.id], { closedAt: new Date(Date.now() - 4 * month) });
  await addCase(channel!.id, [holder.id], { closedAt: new Date(Date.now() - 2 * month) });
  await addCase(channel!.id, [holder.id], { closedAt: new Date(Date.now() - 5 * month), heldBy: holder.id });
  await addCase(channel!.id, [holder.id]);
  const shortened = await cli(['channel', 'retention', 'bewaar', '3']);
  succeeded(t, shortened, 'shortening to 3 months');
  t.same(shortened.out, [
    'Channel "bewaar" now deletes a closed case 3 months after closure (was 24 months), unless it is held.',
    '2 closed case(s) of the channel were closed longer ago than that: retention deletes them at its next run.',
  ], 'two cases are due; the held one, the recent one and the open one are not');
  t.equal(await stored('bewaar'), 3);
  const single = await cli(['channel', 'retention', 'bewaar-een', '1']);
  t.same(single.out, ['Channel "bewaar-een" deletes a closed case 1 month after closure already: nothing changed.']);

  const mistakes: Array<[string, string[], number, RegExp]> = [
    ['zero months', ['bewaar', '0'], 2, /<months> must be a whole number from 1 to 120, got "0"/],
    ['121 months', ['bewaar', '121'], 2, /got "121"/],
    ['a fraction', ['bewaar', '2.5'], 2, /got "2\.5"/],
    ['a word', ['bewaar', 'lang'], 2, /got "lang"/],
    ['two values', ['bewaar', '3', '4'], 2, /unexpected argument "4"; usage: confidant channel retention <slug> \[<months>\]$/],
    ['no slug', [], 2, /missing <slug>; usage: confidant channel retention <slug> \[<months>\]$/],
    ['an unknown channel to show', ['nergens'], 1, /There is no channel "nergens"\./],
    ['an unknown channel to set', ['nergens', '3'], 1, /There is no channel "nergens"\./],
  ];
  for (const [what, rest, code, message] of mistakes) failed(t, await cli(['channel', 'retention', ...rest]), code, message, what);
  t.equal(await stored('bewaar'), 3, 'no mistake changed the retention');
});

// ─── channel mail ───────────────────────────────────────────────────────────────────────────

t.test('channel mail: create --digest-only, show, set both ways, audited once per change, and every mistake', async (t) => {
  const org = await admin.createOrganisation({ slug: 'post-org', name: 'Post' });
  const stored = async (slug: string) => (await db.select({ immediate: channels.immediateMail }).from(channels).where(eq(channels.slug, slug)))[0]?.immediate;

  const quiet = await cli(['channel', 'create', 'post-stil', '--name', 'Stil', '--org', org.slug, '--digest-only']);
  succeeded(t, quiet, 'channel create --digest-only');
  t.ok(quiet.out.includes('Mail: channel "post-stil" is in the daily digest only; nobody gets mail right after an event.'));
  t.equal(await stored('post-stil'), false);
  const open = await cli(['channel', 'create', 'post-open', '--name', 'Open', '--org', org.slug]);
  t.ok(open.out.includes('Mail: channel "post-open" is in the daily digest; staff may also choose mail right after an event.'), 'the default: immediate mail may be chosen');
  t.equal(await stored('post-open'), true);

  const shown = await cli(['channel', 'mail', 'post-open']);
  succeeded(t, shown, 'channel mail <slug>');
  t.same(shown.out, ['Mail: channel "post-open" is in the daily digest; staff may also choose mail right after an event.']);

  const [channel] = await db.select().from(channels).where(eq(channels.slug, 'post-open'));
  const off = await cli(['channel', 'mail', 'post-open', 'digest-only']);
  succeeded(t, off, 'channel mail <slug> digest-only');
  t.same(off.out, [
    'Mail: channel "post-open" is in the daily digest only; nobody gets mail right after an event.',
    "People who had chosen immediate mail get this channel's news in their digest from now on; their choice stays for other channels.",
  ]);
  t.equal(await stored('post-open'), false);
  const changes = async () => (await operatorAudit(channel!.id)).filter(([action]) => action === 'channel_changed');
  t.same(await changes(), [['channel_changed', channel!.id]], 'audited');
  const again = await cli(['channel', 'mail', 'post-open', 'digest-only']);
  t.same(again.out, ['Mail: channel "post-open" is in the daily digest only; nobody gets mail right after an event. Nothing changed.']);
  t.equal((await changes()).length, 1, 'not audited again');
  const on = await cli(['channel', 'mail', 'post-open', 'immediate']);
  succeeded(t, on, 'channel mail <slug> immediate');
  t.equal(await stored('post-open'), true);
  t.equal((await changes()).length, 2, 'the change back is audited too');

  const mistakes: Array<[string, string[], number, RegExp]> = [
    ['another word', ['post-open', 'off'], 2, /the mail setting is "immediate" or "digest-only", got "off"/],
    ['two values', ['post-open', 'immediate', 'digest-only'], 2, /unexpected argument "digest-only"; usage: confidant channel mail <slug> \[immediate\|digest-only\]$/],
    ['no slug', [], 2, /missing <slug>; usage: confidant channel mail <slug> \[immediate\|digest-only\]$/],
    ['an unknown channel to show', ['nergens'], 1, /There is no channel "nergens"\./],
    ['an unknown channel to set', ['nergens', 'immediate'], 1, /There is no channel "nergens"\./],
  ];
  for (const [what, rest, code, message] of mistakes) failed(t, await cli(['channel', 'mail', ...rest]), code, message, what);
  t.equal(await stored('post-open'), true, 'no mistake changed the setting');
});
