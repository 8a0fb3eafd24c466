/**
 * The staff account routes (protocol-v1 §3, §6 staff side): invite acceptance, pre-login,
 * login with its throttling, sessions, TOTP, passphrase change, recovery and joining a
 * channel. Each success answer's exact shape; each failure's status, error code, a body of
 * exactly { error, message } and no echo of what the request carried.
 *
 * The server never derives anything from a passphrase: it sees an authKey, 32 bytes. So the
 * accounts here are made with random authKeys and real key pairs and bundles, without the
 * client's Argon2id, and time-dependent rules are driven through the services' `now`.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import {
  MESSAGE_BLOCK, REGISTRATION_BLOCK, STAFF_ARGON2_MEM, STAFF_ARGON2_OPS, makeStaffKeys, ready, sealKeyBundle, sealRecoveryBundle, signStaffRecovery, type StaffKeys
} from '../src/protocol/index.js';
import { fakeStaffSalt } from '../src/protocol/checks.js';
import { DomainError } from '../src/server/errors.js';
import { adviserChannels, auditLog, caseWraps, cases, channels, invites, organisations, staffAccounts, staffSessions } from '../src/server/db/schema.js';
import { SESSION_IDLE_MS, SESSION_MAX_MS, lockoutMs } from '../src/server/services/accounts.js';
import { totpCode, totpStep } from '../src/server/services/totp.js';
import { tokenHash } from '../src/server/tokens.js';
import { buildApp } from '../src/server/app.js';
import { LogCapture, buildTestApp, testConfig } from './helper.js';
import { addAdviser, addChannel, fromBase32 } from './fixtures.js';
import { ECHO, isError } from './helpers/answers.js';

await ready();

// One app for the file; the REQUIRE_TOTP test builds a second one on the same database.
const { app, database } = await buildTestApp(t);
const { db } = database;
await addChannel(db, 'loket');
await addChannel(db, 'tweede');
const admin = app.services.administration;

/** Put into requests wherever a value may go; lower case, so snake-casing cannot disguise it. */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));

// Loosely typed access to a body, for breaking one field at a time.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The DomainError a service call fails with; throws when it succeeds or fails otherwise. */
async function serviceError(call: Promise<unknown>): Promise<DomainError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const post = (url: string, payload: unknown, token?: string, server: FastifyInstance = app) =>
  server.inject({ method: 'POST', url, payload: payload as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
const listCases = (token: string, server: FastifyInstance = app) =>
  server.inject({ method: 'GET', url: '/api/v1/cases', headers: { authorization: `Bearer ${token}` } });

const strongKdf = () => ({ salt: randomB64(16), ops: STAFF_ARGON2_OPS, mem: STAFF_ARGON2_MEM });

/** What a client would upload to accept an invite: real key pairs and bundles, a random authKey. */
function draft(token: string, username: string, kdf = strongKdf()) {
  const keys = makeStaffKeys();
  const recoveryKey = randomBytes(32);
  const body = {
    token,
    username,
    displayName: 'Test Person',
    kdf,
    authKey: randomB64(32),
    boxPublicKey: b64(keys.boxPublicKey),
    signPublicKey: b64(keys.signPublicKey),
    keyBundle: sealKeyBundle(randomBytes(32), keys, username),
    recoveryBundle: sealRecoveryBundle(recoveryKey, keys, username),
  };
  return { body, keys, recoveryKey };
}

interface Account {
  id: string;
  username: string;
  authKey: string;
  kdf: { salt: string; ops: number; mem: number };
  keys: StaffKeys;
  recoveryBundle: { nonce: string; ciphertext: string };
  keyBundle: { nonce: string; ciphertext: string };
}

let accounts = 0;
/** A fresh account through an invite: an adviser of `channel`, or a recipient of an organisation. */
async function newAccount(
  target: { role: 'adviser'; channel: string } | { role: 'recipient'; organisation: string } = { role: 'adviser', channel: 'loket' },
  server: FastifyInstance = app,
  kdf = strongKdf(),
): Promise<Account> {
  const invite = await server.services.administration.createInvite(target);
  const username = `person-${++accounts}-${randomBytes(3).toString('hex')}`;
  const { body, keys } = draft(invite.token, username, kdf);
  const answer = await post('/api/v1/invites/accept', body, undefined, server);
  if (answer.statusCode !== 201) throw new Error(`accepting failed: ${answer.body}`);
  const id = (answer.json() as { accountId: string }).accountId;
  return { id, username, authKey: body.authKey, kdf: body.kdf, keys, recoveryBundle: body.recoveryBundle, keyBundle: body.keyBundle };
}

const login = (account: Pick<Account, 'username' | 'authKey'>, totp?: string, server: FastifyInstance = app) =>
  post('/api/v1/auth/login', { username: account.username, authKey: account.authKey, ...(totp === undefined ? {} : { totp }) }, undefined, server);

async function signIn(account: Account, totp?: string, server: FastifyInstance = app): Promise<string> {
  const answer = await login(account, totp, server);
  if (answer.statusCode !== 200) throw new Error(`login failed: ${answer.body}`);
  return (answer.json() as { token: string }).token;
}

const accountRow = async (id: string) => (await db.select().from(staffAccounts).where(eq(staffAccounts.id, id)))[0]!;

/** A six-digit code that none of the accepted steps (current ± 1) produces. */
function wrongCode(secret: Uint8Array, now = new Date()): string {
  const step = totpStep(now);
  const valid = new Set([step - 1, step, step + 1, step + 2].map((s) => totpCode(secret, s)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

let auditMark = 0;
/** The audit entries recorded since the previous call, sealed into the chain first. */
async function newAuditEntries(): Promise<Array<{ actor: string; action: string; subject: string | null }>> {
  await app.services.audit.seal();
  const rows = await db.select().from(auditLog).where(gt(auditLog.seq, auditMark)).orderBy(asc(auditLog.seq));
  auditMark = rows.at(-1)?.seq ?? auditMark;
  return rows.map((r) => ({ actor: r.actor, action: r.action, subject: r.subject }));
}

// ─── Invite acceptance ──────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/invites/accept: 201 { accountId, role }; the account serves the channel; the invite works once', async (t) => {
  const invite = await admin.createInvite({ role: 'adviser', channel: 'loket' });
  const { body } = draft(invite.token, 'anna.de-vries_1');
  await newAuditEntries();
  const answer = await post('/api/v1/invites/accept', { ...body, displayName: '  Anna de Vries  ' });
  t.equal(answer.statusCode, 201, '201');
  const created = answer.json() as { accountId: string; role: string };
  t.strictSame(Object.keys(created).sort(), ['accountId', 'role'], 'exactly { accountId, role }');
  t.equal(created.role, 'adviser', 'an adviser invite makes an adviser');
  t.match(created.accountId, /^[A-Za-z0-9_-]{22}$/, 'the account id is 16 bytes of base64url');

  const row = await accountRow(created.accountId);
  t.match(row, { role: 'adviser', username: 'anna.de-vries_1', displayName: 'Anna de Vries', organisationId: null, kdfOps: 3, kdfMem: 134217728 }, 'the account as uploaded, the display name trimmed');
  t.equal(b64(row.kdfSalt), body.kdf.salt, 'the KDF salt is stored');
  t.notOk(Buffer.from(row.verifier).equals(fromB64(body.authKey)), 'the authKey itself is not stored');
  t.equal(b64(row.keyBundle), body.keyBundle.ciphertext, 'the key bundle is stored');
  t.equal(b64(row.recoveryBundle), body.recoveryBundle.ciphertext, 'the recovery bundle is stored');
  const served = await db
    .select({ slug: channels.slug })
    .from(adviserChannels)
    .innerJoin(channels, eq(adviserChannels.channelId, channels.id))
    .where(eq(adviserChannels.accountId, created.accountId));
  t.strictSame(served, [{ slug: 'loket' }], 'the adviser serves the invite\'s channel');
  const [inviteRow] = await db.select().from(invites).where(eq(invites.id, invite.id));
  t.ok(inviteRow?.usedAt, 'the invite is spent');
  t.equal(inviteRow?.accountId, created.accountId, 'and names the account it made');
  t.strictSame(await newAuditEntries(), [{ actor: created.accountId, action: 'account_created', subject: invite.id }], 'one audit entry: account_created');

  const again = draft(invite.token, 'bram-second');
  isError(t, await post('/api/v1/invites/accept', again.body), 404, 'invite_invalid', 'a used invite', [invite.token, 'bram-second']);
  t.equal((await db.select().from(staffAccounts).where(eq(staffAccounts.username, 'bram-second'))).length, 0, 'no account is made with a used invite');
});

t.test('POST /api/v1/invites/accept: unknown and expired invites answer 404 invite_invalid', async (t) => {
  const expired = await admin.createInvite({ role: 'adviser', channel: 'loket' }, new Date(Date.now() - 8 * DAY));
  const nearlyExpired = await admin.createInvite({ role: 'adviser', channel: 'loket' }, new Date(Date.now() - 7 * DAY + MINUTE));
  const unknown = randomB64(32);
  for (const [what, token] of [
    ['an unknown invite', unknown],
    ['an invite that expired a day ago', expired.token],
  ] as const) {
    const { body } = draft(token, `unknown-${randomBytes(3).toString('hex')}`);
    isError(t, await post('/api/v1/invites/accept', body), 404, 'invite_invalid', what, [token, body.username]);
  }
  const { body } = draft(nearlyExpired.token, 'just-in-time');
  t.equal((await post('/api/v1/invites/accept', body)).statusCode, 201, 'an invite a minute before its expiry still works');
});

t.test('POST /api/v1/invites/accept: a user name that breaks the rules answers 400 invalid_username and leaves the invite unspent', async (t) => {
  const invite = await admin.createInvite({ role: 'adviser', channel: 'loket' });
  const names: Array<[string, string]> = [
    ['upper-case letters', 'ZQXECHO7731'],
    ['two characters', 'ab'],
    ['a leading dot', `.${ECHO}`],
    ['a leading hyphen', `-${ECHO}`],
    ['a space', `${ECHO} x`],
    ['an at sign', `${ECHO}@example`],
    ['a non-ASCII letter', `${ECHO}é`],
    ['65 characters', `${ECHO}${'a'.repeat(65 - ECHO.length)}`],
    ['an empty string', ''],
  ];
  for (const [what, username] of names) {
    isError(t, await post('/api/v1/invites/accept', draft(invite.token, username).body), 400, 'invalid_username', `a user name with ${what}`, [username]);
  }
  isError(t, await post('/api/v1/invites/accept', { ...draft(invite.token, 'a-number').body, username: 12345 }), 400, 'invalid_username', 'a user name that is a number');
  isError(t, await post('/api/v1/invites/accept', { ...draft(invite.token, 'blank-name').body, displayName: '   ' }), 400, 'invalid_display_name', 'a blank display name');
  isError(t, await post('/api/v1/invites/accept', { ...draft(invite.token, 'long-name').body, displayName: `${ECHO}${'x'.repeat(100)}` }), 400, 'invalid_display_name', 'a display name of 111 characters');

  const longest = `z${'9'.repeat(63)}`;
  const answer = await post('/api/v1/invites/accept', draft(invite.token, longest).body);
  t.equal(answer.statusCode, 201, 'afterwards the invite still works, with a 64-character name');
});

t.test('POST /api/v1/invites/accept: a taken user name answers 409 username_taken and the invite stays usable', async (t) => {
  const existing = await newAccount();
  const before = await accountRow(existing.id);
  const invite = await admin.createInvite({ role: 'adviser', channel: 'loket' });
  const taken = draft(invite.token, existing.username);
  isError(t, await post('/api/v1/invites/accept', taken.body), 409, 'username_taken', 'a taken user name', [invite.token, taken.body.authKey, existing.username]);
  const [inviteRow] = await db.select().from(invites).where(eq(invites.id, invite.id));
  t.equal(inviteRow?.usedAt, null, 'the invite is not spent');
  t.same(await accountRow(existing.id), before, 'the existing account is untouched');

  const second = await post('/api/v1/invites/accept', draft(invite.token, `${existing.username}-2`).body);
  t.equal(second.statusCode, 201, 'a second try with another name works');
});

t.test('POST /api/v1/invites/accept: KDF parameters below ops 3 or 128 MiB answer 400 weak_kdf', async (t) => {
  const invite = await admin.createInvite({ role: 'adviser', channel: 'loket' });
  const weak: Array<[string, { ops: number; mem: number }]> = [
    ['ops 2', { ops: 2, mem: 134217728 }],
    ['ops 1', { ops: 1, mem: 134217728 }],
    ['mem one byte below 128 MiB', { ops: 3, mem: 134217727 }],
    ['mem 64 MiB (the reporter code\'s parameters)', { ops: 2, mem: 67108864 }],
    ['mem 8 KiB', { ops: 10, mem: 8192 }],
  ];
  for (const [what, params] of weak) {
    const { body } = draft(invite.token, `weak-${params.ops}-${params.mem}`, { salt: randomB64(16), ...params });
    isError(t, await post('/api/v1/invites/accept', body), 400, 'weak_kdf', what, [body.username, body.authKey]);
  }
  const { body } = draft(invite.token, 'strong-enough', { salt: randomB64(16), ops: 4, mem: 268435456 });
  t.equal((await post('/api/v1/invites/accept', body)).statusCode, 201, 'ops 4 and 256 MiB are accepted, and the invite was not spent by the refusals');
});

t.test('POST /api/v1/invites/accept: wrong lengths, missing fields and unknown fields answer 400 naming the field', async (t) => {
  const invite = await admin.createInvite({ role: 'adviser', channel: 'loket' });
  const valid = () => draft(invite.token, `valid-${randomBytes(3).toString('hex')}`).body as Json;
  const cases: Array<[string, (body: Json) => void, string]> = [
    ['authKey of 31 bytes', (b) => (b.authKey = randomB64(31)), 'invalid_auth_key'],
    ['authKey of 33 bytes', (b) => (b.authKey = randomB64(33)), 'invalid_auth_key'],
    ['authKey non-canonical', (b) => (b.authKey = `${randomB64(32).slice(0, 42)}B`), 'invalid_auth_key'],
    ['authKey with "+"', (b) => (b.authKey = `+${randomB64(32).slice(1)}`), 'invalid_auth_key'],
    ['boxPublicKey of 31 bytes', (b) => (b.boxPublicKey = randomB64(31)), 'invalid_box_public_key'],
    ['signPublicKey of 64 bytes', (b) => (b.signPublicKey = randomB64(64)), 'invalid_sign_public_key'],
    ['kdf.salt of 15 bytes', (b) => (b.kdf.salt = randomB64(15)), 'invalid_kdf_salt'],
    ['kdf.salt of 32 bytes', (b) => (b.kdf.salt = randomB64(32)), 'invalid_kdf_salt'],
    ['kdf.ops a string', (b) => (b.kdf.ops = '3'), 'invalid_kdf_ops'],
    ['kdf.ops 0', (b) => (b.kdf.ops = 0), 'invalid_kdf_ops'],
    ['kdf.mem fractional', (b) => (b.kdf.mem = 134217728.5), 'invalid_kdf_mem'],
    ['keyBundle.nonce of 23 bytes', (b) => (b.keyBundle.nonce = randomB64(23)), 'invalid_key_bundle_nonce'],
    ['keyBundle.ciphertext of 80 bytes, too short to seal two keys', (b) => (b.keyBundle.ciphertext = randomB64(80)), 'invalid_key_bundle'],
    ['keyBundle.ciphertext not base64url', (b) => (b.keyBundle.ciphertext = `${ECHO}!`), 'invalid_key_bundle_ciphertext'],
    ['recoveryBundle.ciphertext of 64 bytes', (b) => (b.recoveryBundle.ciphertext = randomB64(64)), 'invalid_recovery_bundle'],
    ['recoveryBundle.nonce of 25 bytes', (b) => (b.recoveryBundle.nonce = randomB64(25)), 'invalid_recovery_bundle_nonce'],
    ['token of 42 characters', (b) => (b.token = randomB64(32).slice(0, 42)), 'invalid_token'],
    ['token with "."', (b) => (b.token = `.${randomB64(32).slice(1)}`), 'invalid_token'],
    ['keyBundle a string', (b) => (b.keyBundle = ECHO), 'invalid_key_bundle'],
  ];
  for (const field of ['token', 'username', 'displayName', 'kdf', 'authKey', 'boxPublicKey', 'signPublicKey', 'keyBundle', 'recoveryBundle']) {
    const snake = field.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    cases.push([`no ${field}`, (b) => delete b[field], `missing_${snake}`]);
  }
  cases.push(
    ['no kdf.salt', (b) => delete b.kdf.salt, 'missing_kdf_salt'],
    ['no kdf.mem', (b) => delete b.kdf.mem, 'missing_kdf_mem'],
    ['no keyBundle.nonce', (b) => delete b.keyBundle.nonce, 'missing_key_bundle_nonce'],
    ['no recoveryBundle.ciphertext', (b) => delete b.recoveryBundle.ciphertext, 'missing_recovery_bundle_ciphertext'],
    ['an unknown top-level field', (b) => (b[ECHO] = ECHO), 'unknown_field'],
    ['an unknown field in kdf', (b) => (b.kdf[ECHO] = 1), 'unknown_field'],
    ['an unknown field in keyBundle', (b) => (b.keyBundle[ECHO] = 'x'), 'unknown_field'],
  );
  for (const [what, breakIt, code] of cases) {
    const body = valid();
    breakIt(body);
    const answer = await post('/api/v1/invites/accept', body);
    isError(t, answer, 400, code, what, [body.username, body.token, typeof body.authKey === 'string' ? body.authKey : undefined]);
  }
  isError(t, await app.inject({ method: 'POST', url: '/api/v1/invites/accept', payload: `{"token":"${ECHO}"`, headers: { 'content-type': 'application/json' } }), 400, 'invalid_json', 'a body that is not JSON');
  const [row] = await db.select().from(invites).where(eq(invites.id, invite.id));
  t.equal(row?.usedAt, null, 'no malformed request spent the invite');
});

t.test('POST /api/v1/invites/accept: a recipient invite makes a recipient bound to the organisation', async (t) => {
  const [organisation] = await db.select().from(organisations).where(eq(organisations.slug, 'loket-org'));
  const invite = await admin.createInvite({ role: 'recipient', organisation: 'loket-org' });
  const { body } = draft(invite.token, 'ontvanger');
  const answer = await post('/api/v1/invites/accept', body);
  t.equal(answer.statusCode, 201, '201');
  t.strictSame(answer.json(), { accountId: answer.json().accountId, role: 'recipient' }, 'the answer says recipient');
  const id = (answer.json() as { accountId: string }).accountId;
  const row = await accountRow(id);
  t.equal(row.role, 'recipient', 'the account is a recipient');
  t.equal(row.organisationId, organisation?.id, 'bound to the invite\'s organisation');
  t.strictSame(await db.select().from(adviserChannels).where(eq(adviserChannels.accountId, id)), [], 'serving no channel');

  const signedIn = await login({ username: 'ontvanger', authKey: body.authKey });
  t.equal(signedIn.statusCode, 200, 'the recipient signs in');
  t.match(signedIn.json().account, { role: 'recipient', channels: [], organisation: { slug: 'loket-org', name: 'Organisation loket' }, totpRequired: false }, 'the login answer names the organisation');
  const token = signedIn.json().token as string;
  isError(t, await listCases(token), 403, 'advisers_only', 'a recipient listing cases');
  const join = await admin.createInvite({ role: 'adviser', channel: 'tweede' });
  isError(t, await post('/api/v1/invites/join', { token: join.token }, token), 403, 'advisers_only', 'a recipient joining a channel', [join.token]);
});

// ─── Pre-login ──────────────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/auth/prelogin: an account\'s real parameters; stable fake ones of the same shape for unknown names', async (t) => {
  const tuned = await newAccount({ role: 'adviser', channel: 'loket' }, app, { salt: randomB64(16), ops: 4, mem: 268435456 });
  const known = await post('/api/v1/auth/prelogin', { username: tuned.username });
  t.equal(known.statusCode, 200, 'a known user: 200');
  t.strictSame(known.json(), { kdf: tuned.kdf }, 'a known user gets the salt and parameters the account was made with');

  const ordinary = await newAccount();
  const real = (await post('/api/v1/auth/prelogin', { username: ordinary.username })).json() as { kdf: { salt: string; ops: number; mem: number } };
  const unknownName = `nobody-${ECHO}`;
  const first = await post('/api/v1/auth/prelogin', { username: unknownName });
  const second = await post('/api/v1/auth/prelogin', { username: unknownName });
  const other = await post('/api/v1/auth/prelogin', { username: 'somebody-else' });
  t.equal(first.statusCode, 200, 'an unknown user: 200');
  const fake = first.json() as { kdf: { salt: string; ops: number; mem: number } };
  t.strictSame(Object.keys(fake), Object.keys(real), 'the same top-level keys as a real answer');
  t.strictSame(Object.keys(fake.kdf), Object.keys(real.kdf), 'the same kdf keys, in the same order, as a real answer');
  t.equal(fake.kdf.ops, 3, 'ops 3, as a new account has');
  t.equal(fake.kdf.mem, 134217728, 'mem 128 MiB, as a new account has');
  t.equal(fake.kdf.ops, real.kdf.ops, 'ops identical to a real account\'s');
  t.equal(fake.kdf.mem, real.kdf.mem, 'mem identical to a real account\'s');
  t.equal(fromB64(fake.kdf.salt).length, 16, 'a 16-byte salt');
  t.match(fake.kdf.salt, /^[A-Za-z0-9_-]{22}$/, 'in base64url of the same length as a real salt');
  t.equal(fake.kdf.salt.length, real.kdf.salt.length, 'as long as a real salt');
  t.equal(first.body.length, (await post('/api/v1/auth/prelogin', { username: ordinary.username.replace(/./g, 'q') })).body.length, 'answers for unknown names have one length');
  t.strictSame(second.json(), fake, 'the same salt on every call');
  t.not(other.json().kdf.salt, fake.kdf.salt, 'a different salt for another name');
  t.equal(fake.kdf.salt, b64(fakeStaffSalt(app.services.secrets.serverSecret, unknownName)), 'the salt is hash(16, serverSecret ‖ username)');
  t.notOk(first.body.toLowerCase().includes(ECHO), 'the answer does not echo the name');

  isError(t, await post('/api/v1/auth/prelogin', {}), 400, 'missing_username', 'no username');
  isError(t, await post('/api/v1/auth/prelogin', { username: `${ECHO}${'x'.repeat(60)}` }), 400, 'invalid_username', 'a username of 71 characters');
  isError(t, await post('/api/v1/auth/prelogin', { username: ECHO, [ECHO]: 1 }), 400, 'unknown_field', 'an unknown field');
});

// ─── Login ──────────────────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/auth/login: the answer\'s shape; an unknown user and a wrong authKey get one identical 401', async (t) => {
  const anna = await newAccount();
  await newAuditEntries();
  const before = Date.now();
  const answer = await login(anna);
  t.equal(answer.statusCode, 200, '200');
  const body = answer.json() as Json;
  t.strictSame(Object.keys(body).sort(), ['account', 'expiresAt', 'token'], 'exactly { token, expiresAt, account }');
  t.match(body.token, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit token in base64url');
  const ttl = Date.parse(body.expiresAt) - before;
  t.ok(ttl >= SESSION_IDLE_MS - SECOND && ttl <= SESSION_IDLE_MS + 5 * SECOND, 'the session ends 30 minutes after its last use');
  t.strictSame(
    Object.keys(body.account).sort(),
    ['boxPublicKey', 'channels', 'displayName', 'id', 'keyBundle', 'organisation', 'role', 'signPublicKey', 'totpEnabled', 'totpRequired', 'username'],
    'the account view has exactly its fields',
  );
  t.strictSame(
    body.account,
    {
      id: anna.id,
      role: 'adviser',
      username: anna.username,
      displayName: 'Test Person',
      keyBundle: anna.keyBundle,
      boxPublicKey: b64(anna.keys.boxPublicKey),
      signPublicKey: b64(anna.keys.signPublicKey),
      channels: [{ slug: 'loket', name: 'Channel loket', organisation: 'loket-org', locations: [] }],
      organisation: null,
      totpEnabled: false,
      totpRequired: false,
    },
    'the account as it was set up, with its channel',
  );
  const [session] = await db.select().from(staffSessions).where(eq(staffSessions.tokenHash, tokenHash(body.token)));
  t.equal(session?.accountId, anna.id, 'only the hash of the token is stored, for the account');
  t.strictSame(await newAuditEntries(), [{ actor: anna.id, action: 'login', subject: anna.id }], 'one audit entry: login');

  const unknown = await login({ username: `nobody-${ECHO}`, authKey: anna.authKey });
  const wrongKey = randomB64(32);
  const wrong = await login({ username: anna.username, authKey: wrongKey });
  isError(t, unknown, 401, 'login_failed', 'an unknown user', [anna.authKey]);
  isError(t, wrong, 401, 'login_failed', 'a wrong authKey', [wrongKey, anna.username]);
  t.equal(unknown.body, wrong.body, 'both failures have byte-identical bodies');
  t.strictSame(
    Object.keys(unknown.headers).filter((h) => h !== 'date').sort(),
    Object.keys(wrong.headers).filter((h) => h !== 'date').sort(),
    'and the same headers',
  );
  t.strictSame(await newAuditEntries(), [{ actor: anna.id, action: 'login_failed', subject: anna.id }], 'only the failure of a real account is audited');
  t.equal(answer.json().token === (await login(anna)).json().token, false, 'every login gets a new token');

  const malformed: Array<[string, unknown, string]> = [
    ['no authKey', { username: anna.username }, 'missing_auth_key'],
    ['no username', { authKey: anna.authKey }, 'missing_username'],
    ['authKey of 16 bytes', { username: anna.username, authKey: randomB64(16) }, 'invalid_auth_key'],
    ['authKey non-canonical', { username: anna.username, authKey: `${randomB64(32).slice(0, 42)}Z` }, 'invalid_auth_key'],
    ['totp of five digits', { username: anna.username, authKey: anna.authKey, totp: '12345' }, 'invalid_totp'],
    ['totp with letters', { username: anna.username, authKey: anna.authKey, totp: 'abcdef' }, 'invalid_totp'],
    ['totp a number', { username: anna.username, authKey: anna.authKey, totp: 123456 }, 'invalid_totp'],
    ['an unknown field', { username: anna.username, authKey: anna.authKey, [ECHO]: true }, 'unknown_field'],
  ];
  for (const [what, payload, code] of malformed) isError(t, await post('/api/v1/auth/login', payload), 400, code, what, [anna.authKey]);
});

t.test('POST /api/v1/auth/login: after 3 failures delays of 1 s, 2 s, 4 s … up to 15 minutes; success resets the count', async (t) => {
  const expected = [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900].map((s) => s * SECOND);
  t.strictSame(
    expected.map((_, failures) => lockoutMs(failures)),
    expected,
    'lockoutMs: none for up to 2 failures, then doubling from 1 s, capped at 15 minutes',
  );
  t.equal(lockoutMs(1000), 15 * MINUTE, 'still 15 minutes after 1000 failures');

  const bert = await newAccount();
  const { accounts } = app.services;
  const right = { username: bert.username, authKey: fromB64(bert.authKey) };
  const wrong = { username: bert.username, authKey: randomBytes(32) };
  const start = Date.now();

  for (let failure = 1; failure <= 2; failure++) {
    const error = await serviceError(accounts.login(wrong, new Date(start)));
    t.match(error, { kind: 'unauthenticated', code: 'login_failed' }, `failure ${failure}: login_failed`);
    t.equal((await accountRow(bert.id)).lockedUntil, null, `failure ${failure}: no delay yet`);
  }
  // From the third failure on, each failure at the moment the last delay ends sets the next one.
  let now = start;
  for (let failure = 3; failure <= 15; failure++) {
    t.match(await serviceError(accounts.login(wrong, new Date(now))), { kind: 'unauthenticated', code: 'login_failed' }, `failure ${failure}: login_failed`);
    const row = await accountRow(bert.id);
    t.equal(row.failedLogins, failure, `failure ${failure} is counted`);
    t.equal(row.lockedUntil!.getTime() - now, Math.min(1000 * 2 ** (failure - 3), 15 * MINUTE), `failure ${failure}: a delay of ${lockoutMs(failure) / SECOND} s`);
    const lockedUntil = row.lockedUntil!.getTime();
    const throttled = await serviceError(accounts.login(right, new Date(lockedUntil - 1)));
    t.match(throttled, { kind: 'throttled', code: 'login_throttled' }, `failure ${failure}: the right key a millisecond before the delay ends gets 429`);
    t.match(await serviceError(accounts.login(wrong, new Date(lockedUntil - 1))), { kind: 'throttled', code: 'login_throttled' }, `failure ${failure}: so does a wrong key`);
    t.equal((await accountRow(bert.id)).failedLogins, failure, `failure ${failure}: refusals while throttled are not counted`);
    now = lockedUntil;
  }
  const signedIn = await accounts.login(right, new Date(now));
  t.ok(signedIn.token, 'when the delay ends the right key signs in');
  t.match(await accountRow(bert.id), { failedLogins: 0, lockedUntil: null }, 'success resets the count and the delay');

  for (let failure = 1; failure <= 2; failure++) await serviceError(accounts.login(wrong, new Date(now)));
  t.ok((await accounts.login(right, new Date(now))).token, 'after a reset two failures cause no delay');
  for (let failure = 1; failure <= 3; failure++) await serviceError(accounts.login(wrong, new Date(now)));
  t.equal((await accountRow(bert.id)).lockedUntil!.getTime() - now, SECOND, 'and the third failure after a reset delays 1 s again, not 15 minutes');

  // Through the route, at the real time: three failures, then the right key is refused.
  const carla = await newAccount();
  for (let failure = 1; failure <= 3; failure++) isError(t, await login({ username: carla.username, authKey: randomB64(32) }), 401, 'login_failed', `route failure ${failure}`);
  const refused = await login(carla);
  isError(t, refused, 429, 'login_throttled', 'the right key within a second of the third failure', [carla.authKey, carla.username]);
});

// ─── Sessions ───────────────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/auth/logout: 204; ends only that session', async (t) => {
  const dora = await newAccount();
  const first = await signIn(dora);
  const second = await signIn(dora);
  await newAuditEntries();
  const answer = await post('/api/v1/auth/logout', undefined, first);
  t.equal(answer.statusCode, 204, '204');
  t.equal(answer.body, '', 'with no body');
  t.strictSame(await newAuditEntries(), [{ actor: dora.id, action: 'logout', subject: dora.id }], 'one audit entry: logout');
  isError(t, await listCases(first), 401, 'not_signed_in', 'the ended session', [first]);
  t.equal((await listCases(second)).statusCode, 200, 'the other session of the account still works');
  isError(t, await post('/api/v1/auth/logout', undefined, first), 401, 'not_signed_in', 'logging out twice', [first]);
  isError(t, await post('/api/v1/auth/logout', undefined), 401, 'not_signed_in', 'logging out without a token');
  isError(t, await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Basic ${second}` } }), 401, 'not_signed_in', 'a token not as Bearer', [second]);
  isError(t, await post('/api/v1/auth/logout', undefined, randomB64(32)), 401, 'not_signed_in', 'a made-up token');
  t.equal((await listCases(second)).statusCode, 200, 'none of that touched the other session');
});

t.test('GET /api/v1/auth/resume-key: one key per session, for as long as it lives and never after', async (t) => {
  const fenna = await newAccount();
  const first = await signIn(fenna);
  const second = await signIn(fenna);
  const resumeKey = (token?: string) => app.inject({ method: 'GET', url: '/api/v1/auth/resume-key', headers: token ? { authorization: `Bearer ${token}` } : {} });
  const answer = await resumeKey(first);
  t.equal(answer.statusCode, 200, '200');
  t.strictSame(Object.keys(answer.json()).sort(), ['key'], 'exactly { key }');
  const key = answer.json().key as string;
  t.equal(Buffer.from(key, 'base64url').length, 32, '32 bytes');
  t.equal((await resumeKey(first)).json().key, key, 'the same key each time within the session');
  t.not((await resumeKey(second)).json().key, key, 'another session of the same account gets another key');
  await newAuditEntries();
  await resumeKey(first);
  t.strictSame(await newAuditEntries(), [], 'asking for it leaves no audit entry (it changes nothing)');
  t.equal((await post('/api/v1/auth/logout', undefined, first)).statusCode, 204);
  isError(t, await resumeKey(first), 401, 'not_signed_in', 'after sign-out: never again', [first, key]);
  isError(t, await resumeKey(), 401, 'not_signed_in', 'without a token');
  isError(t, await resumeKey(randomB64(32)), 401, 'not_signed_in', 'a made-up token');
  t.equal((await resumeKey(second)).statusCode, 200, 'the other session keeps its key');
});

t.test('sessions end 30 minutes after their last use and 12 hours after login, whatever the use', async (t) => {
  const eva = await newAccount();
  const { accounts } = app.services;
  const credentials = { username: eva.username, authKey: fromB64(eva.authKey) };
  const start = Date.now();
  const at = (ms: number) => new Date(start + ms);

  const idle = await accounts.login(credentials, at(0));
  t.equal(idle.expiresAt.getTime(), start + SESSION_IDLE_MS, 'a new session expires in 30 minutes');
  t.match(await accounts.authenticate(idle.token, at(29 * MINUTE)), { accountId: eva.id }, 'unused for 29 minutes: still valid');
  const untouched = await accounts.login(credentials, at(0));
  t.match(await serviceError(accounts.authenticate(untouched.token, at(SESSION_IDLE_MS))), { kind: 'unauthenticated', code: 'not_signed_in' }, 'unused for exactly 30 minutes: 401 not_signed_in');
  t.match(await serviceError(accounts.authenticate(untouched.token, at(31 * MINUTE))), { kind: 'unauthenticated', code: 'not_signed_in' }, 'unused for 31 minutes: 401 not_signed_in');

  // Use within the idle window slides the expiry, but never past 12 hours after login.
  t.match(await accounts.authenticate(idle.token, at(50 * MINUTE)), { accountId: eva.id }, 'used at 29 minutes, so still valid at 50');
  const expiryOf = async (token: string) => (await db.select().from(staffSessions).where(eq(staffSessions.tokenHash, tokenHash(token))))[0]!.expiresAt.getTime();
  t.equal(await expiryOf(idle.token), start + 80 * MINUTE, 'each use moves the expiry to 30 minutes after it');
  let lastUse = 50 * MINUTE;
  let alive = true;
  for (let use = 75 * MINUTE; use < SESSION_MAX_MS; use += 25 * MINUTE) {
    alive &&= (await accounts.authenticate(idle.token, at(use))).accountId === eva.id;
    alive &&= (await expiryOf(idle.token)) <= start + SESSION_MAX_MS;
    lastUse = use;
  }
  t.ok(alive, 'used every 25 minutes the session lives on, its expiry never past 12 hours after login');
  t.ok(lastUse > SESSION_MAX_MS - 30 * MINUTE, 'the last of those uses was within 30 minutes of the 12 hours');
  t.equal(await expiryOf(idle.token), start + SESSION_MAX_MS, 'so its expiry is capped at 12 hours after login');
  t.match(await accounts.authenticate(idle.token, at(SESSION_MAX_MS - 1)), { accountId: eva.id }, 'a millisecond before 12 hours it still works');
  t.match(await serviceError(accounts.authenticate(idle.token, at(SESSION_MAX_MS))), { kind: 'unauthenticated', code: 'not_signed_in' }, 'at 12 hours: 401 not_signed_in, though used minutes ago');

  // A session in the database with its expiry passed is refused by the routes too.
  const route = await signIn(eva);
  await db.update(staffSessions).set({ expiresAt: new Date(Date.now() - SECOND) }).where(eq(staffSessions.tokenHash, tokenHash(route)));
  isError(t, await listCases(route), 401, 'not_signed_in', 'a route with an expired session', [route]);
  const old = await signIn(eva);
  await db.update(staffSessions).set({ createdAt: new Date(Date.now() - SESSION_MAX_MS - SECOND) }).where(eq(staffSessions.tokenHash, tokenHash(old)));
  isError(t, await listCases(old), 401, 'not_signed_in', 'a route with a session older than 12 hours', [old]);
});

// ─── TOTP ───────────────────────────────────────────────────────────────────────────────────

t.test('TOTP: start gives { secret, uri }; confirm turns it on; then login needs a code, and a code works once', async (t) => {
  const fay = await newAccount();
  const token = await signIn(fay);
  isError(t, await post('/api/v1/auth/totp/confirm', { code: '123456' }, token), 409, 'totp_not_started', 'confirming before starting');
  isError(t, await post('/api/v1/auth/totp', { authKey: fay.authKey }), 401, 'not_signed_in', 'starting without a session');

  const replaced = fromBase32((await post('/api/v1/auth/totp', { authKey: fay.authKey }, token)).json().secret as string);
  const started = await post('/api/v1/auth/totp', { authKey: fay.authKey }, token);
  t.equal(started.statusCode, 200, 'start: 200');
  const { secret: text, uri } = started.json() as { secret: string; uri: string };
  t.strictSame(Object.keys(started.json()).sort(), ['secret', 'uri'], 'start: exactly { secret, uri }');
  t.match(text, /^[A-Z2-7]{32}$/, 'the secret is RFC 4648 base32 of 20 bytes');
  const parsed = new URL(uri);
  t.equal(parsed.protocol, 'otpauth:', 'an otpauth: URI');
  t.equal(parsed.host, 'totp', 'of type totp');
  t.equal(decodeURIComponent(parsed.pathname), `/Confidant:${fay.username}`, 'labelled issuer:username');
  t.strictSame(
    Object.fromEntries(parsed.searchParams),
    { secret: text, issuer: 'Confidant', algorithm: 'SHA1', digits: '6', period: '30' },
    'carrying the secret, issuer, SHA1, 6 digits and 30-second steps',
  );
  const secret = fromBase32(text);
  t.equal(secret.length, 20, '20 bytes of secret');
  t.match(await accountRow(fay.id), { totpEnabledAt: null }, 'not on before it is confirmed');
  t.equal((await login(fay)).json().account.totpEnabled, false, 'login needs no code before confirmation');

  isError(t, await post('/api/v1/auth/totp/confirm', { code: wrongCode(secret) }, token), 400, 'invalid_totp', 'confirming with a wrong code');
  const staleCode = totpCode(replaced, totpStep(new Date()));
  if (![-1, 0, 1].some((d) => totpCode(secret, totpStep(new Date()) + d) === staleCode)) {
    isError(t, await post('/api/v1/auth/totp/confirm', { code: staleCode }, token), 400, 'invalid_totp', 'confirming with a code of the secret a second start replaced');
  }
  isError(t, await post('/api/v1/auth/totp/confirm', { code: `${ECHO}` }, token), 400, 'invalid_code', 'confirming with a code that is not six digits');
  isError(t, await post('/api/v1/auth/totp/confirm', {}, token), 400, 'missing_code', 'confirming without a code');
  isError(t, await post('/api/v1/auth/totp/confirm', { code: '123456', [ECHO]: 1 }, token), 400, 'unknown_field', 'confirming with an unknown field');

  await newAuditEntries();
  const step = totpStep(new Date());
  const confirmed = await post('/api/v1/auth/totp/confirm', { code: totpCode(secret, step) }, token);
  t.equal(confirmed.statusCode, 204, 'confirm: 204');
  t.equal(confirmed.body, '', 'with no body');
  t.strictSame(await newAuditEntries(), [{ actor: fay.id, action: 'totp_enabled', subject: fay.id }], 'one audit entry: totp_enabled');
  t.ok((await accountRow(fay.id)).totpEnabledAt, 'TOTP is on');

  isError(t, await post('/api/v1/auth/totp', { authKey: fay.authKey }, token), 409, 'totp_enabled', 'starting again once on');
  isError(t, await post('/api/v1/auth/totp/confirm', { code: totpCode(secret, step + 1) }, token), 409, 'totp_enabled', 'confirming again once on');
  t.same(fromBase32(text), (await accountRow(fay.id)).totpSecret, 'the secret was not replaced');

  isError(t, await login(fay), 401, 'totp_required', 'login without a code', [fay.authKey]);
  const wrong = await login(fay, wrongCode(secret));
  isError(t, wrong, 401, 'login_failed', 'login with a wrong code', [fay.authKey]);
  const next = totpCode(secret, step + 1);
  const answer = await login(fay, next);
  t.equal(answer.statusCode, 200, 'login with the next step\'s code: 200');
  t.equal(answer.json().account.totpEnabled, true, 'the account says TOTP is on');
  const reused = await login(fay, next);
  isError(t, reused, 401, 'login_failed', 'the same code again', [fay.authKey]);
  t.equal(reused.body, wrong.body, 'a reused code fails exactly as a wrong one');
  isError(t, await login(fay, totpCode(secret, step)), 401, 'login_failed', 'the code confirmation used, older than the last one accepted');
  const unknownWithCode = await login({ username: `nobody-${ECHO}`, authKey: fay.authKey }, next);
  t.equal(unknownWithCode.body, wrong.body, 'an unknown user with a code fails exactly as a wrong code');

  // The service, driven with `now`: a code belongs to its 30-second step, with one step of drift.
  // The refusals above counted as failed logins; each acceptance below resets the count.
  const { accounts } = app.services;
  const credentials = { username: fay.username, authKey: fromB64(fay.authKey) };
  const later = new Date(Date.now() + 10 * MINUTE);
  t.ok((await accounts.login({ ...credentials, totp: totpCode(secret, totpStep(later) - 1) }, later)).token, 'a code one step old is accepted');
  const evenLater = new Date(later.getTime() + 10 * MINUTE);
  const step2 = totpStep(evenLater);
  t.match(await serviceError(accounts.login({ ...credentials, totp: totpCode(secret, step2 - 2) }, evenLater)), { code: 'login_failed' }, 'a code two steps old is refused');
  t.ok((await accounts.login({ ...credentials, totp: totpCode(secret, step2 + 1) }, evenLater)).token, 'a code one step ahead is accepted');
  t.match(await serviceError(accounts.login({ ...credentials, totp: totpCode(secret, step2) }, evenLater)), { code: 'login_failed' }, 'then the current step is refused: steps up to the last accepted one are spent');
});

t.test('POST /api/v1/auth/totp: starting the enrolment needs the current authKey, checked and throttled like a login', async (t) => {
  const ida = await newAccount();
  const token = await signIn(ida);
  isError(t, await post('/api/v1/auth/totp', undefined, token), 400, 'invalid_body', 'no body');
  isError(t, await post('/api/v1/auth/totp', {}, token), 400, 'missing_auth_key', 'no authKey');
  isError(t, await post('/api/v1/auth/totp', { authKey: randomB64(31) }, token), 400, 'invalid_auth_key', 'an authKey of 31 bytes');
  isError(t, await post('/api/v1/auth/totp', { authKey: ida.authKey, [ECHO]: 1 }, token), 400, 'unknown_field', 'an unknown field');
  await newAuditEntries();
  const wrongKey = randomB64(32);
  isError(t, await post('/api/v1/auth/totp', { authKey: wrongKey }, token), 401, 'passphrase_wrong', 'a wrong authKey: a bearer token alone does not enrol', [wrongKey]);
  t.strictSame(await newAuditEntries(), [{ actor: ida.id, action: 'login_failed', subject: ida.id }], 'audited as a failed login');
  t.match(await accountRow(ida.id), { failedLogins: 1, totpSecret: null }, 'counted as a failed login; no secret was made');
  for (let failure = 2; failure <= 3; failure++) await post('/api/v1/auth/totp', { authKey: randomB64(32) }, token);
  isError(t, await post('/api/v1/auth/totp', { authKey: ida.authKey }, token), 429, 'login_throttled', 'the right authKey within the delay after three failures', [ida.authKey]);
  await db.update(staffAccounts).set({ lockedUntil: null }).where(eq(staffAccounts.id, ida.id));
  const started = await post('/api/v1/auth/totp', { authKey: ida.authKey }, token);
  t.equal(started.statusCode, 200, 'the right authKey once the delay is over: 200');
  t.match(await accountRow(ida.id), { failedLogins: 0, lockedUntil: null }, 'and the failure count is reset');
});

t.test('REQUIRE_TOTP=true: an adviser\'s case routes answer 403 totp_enrolment_required until TOTP is confirmed', async (t) => {
  // A second app with that configuration on the same database: the database is not what differs.
  const strict = { app: await buildApp(testConfig({ REQUIRE_TOTP: 'true' }), database, { logStream: new LogCapture() }), database };
  t.teardown(() => strict.app.close());
  const channel = await addChannel(strict.database.db, 'strikt');
  const colleague = await addAdviser(strict.database.db, 'strikt', 'Colleague');
  const gijs = await newAccount({ role: 'adviser', channel: 'strikt' }, strict.app);
  const answer = await login(gijs, undefined, strict.app);
  t.equal(answer.statusCode, 200, 'an adviser without TOTP may still sign in');
  t.match(answer.json().account, { totpRequired: true, totpEnabled: false }, 'the login answer says TOTP is required and not on');
  const token = answer.json().token as string;

  const caseId = randomB64(16);
  const now = new Date();
  await strict.database.db.insert(cases).values({
    id: caseId,
    channelId: channel.id,
    mailboxId: randomB64(16),
    reporterSignPublicKey: randomBytes(32),
    reporterBoxPublicKey: randomBytes(32),
    reporterWrap: randomBytes(80),
    reportNonce: randomBytes(24),
    reportCiphertext: randomBytes(4096 + 16),
    receivedAt: now,
  });
  await strict.database.db.insert(caseWraps).values({ caseId, accountId: gijs.id, wrap: randomBytes(80) });
  const envelope = (block: number) => ({ nonce: randomB64(24), ciphertext: randomB64(block + 16) });
  const routes: Array<[string, 'GET' | 'POST' | 'PATCH' | 'PUT', string, unknown, number]> = [
    ['list', 'GET', '/api/v1/cases', undefined, 200],
    ['detail', 'GET', `/api/v1/cases/${caseId}`, undefined, 200],
    ['message', 'POST', `/api/v1/cases/${caseId}/messages`, envelope(MESSAGE_BLOCK), 201],
    ['status', 'PATCH', `/api/v1/cases/${caseId}`, { status: 'acknowledged' }, 200],
    ['registration', 'PUT', `/api/v1/cases/${caseId}/registration`, envelope(REGISTRATION_BLOCK), 200],
    ['grant', 'POST', `/api/v1/cases/${caseId}/grants`, { keyId: colleague.id, wrap: randomB64(80) }, 201],
  ];
  const call = (method: string, url: string, payload: unknown) =>
    strict.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  for (const [what, method, url, payload] of routes) isError(t, await call(method, url, payload), 403, 'totp_enrolment_required', `${what} before enrolment`, [caseId]);
  const started = await post('/api/v1/auth/totp', { authKey: gijs.authKey }, token, strict.app);
  t.equal(started.statusCode, 200, 'starting the enrolment is allowed');
  for (const [what, method, url, payload] of routes) isError(t, await call(method, url, payload), 403, 'totp_enrolment_required', `${what} after start, before confirmation`);
  const [row] = await strict.database.db.select().from(caseWraps).where(and(eq(caseWraps.caseId, caseId), eq(caseWraps.accountId, colleague.id)));
  t.equal(row, undefined, 'the refused grant changed nothing');

  const secret = fromBase32((started.json() as { secret: string }).secret);
  const confirmed = await post('/api/v1/auth/totp/confirm', { code: totpCode(secret, totpStep(new Date())) }, token, strict.app);
  t.equal(confirmed.statusCode, 204, 'confirming is allowed');
  for (const [what, method, url, payload, status] of routes) t.equal((await call(method, url, payload)).statusCode, status, `${what} works in the same session once TOTP is on: ${status}`);

  const recipient = await newAccount({ role: 'recipient', organisation: 'strikt-org' }, strict.app);
  t.match((await login(recipient, undefined, strict.app)).json().account, { totpRequired: false }, 'the requirement is for advisers only');
});

// ─── Passphrase change ──────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/auth/passphrase: proven by the current authKey; ends the other sessions, keeps this one', async (t) => {
  const hugo = await newAccount();
  const current = await signIn(hugo);
  const other = await signIn(hugo);
  const change = (overrides: Json = {}): Json => ({
    authKey: hugo.authKey,
    kdf: strongKdf(),
    newAuthKey: randomB64(32),
    keyBundle: sealKeyBundle(randomBytes(32), hugo.keys, hugo.username),
    ...overrides,
  });

  const wrongKey = randomB64(32);
  const refused = change({ authKey: wrongKey });
  isError(t, await post('/api/v1/auth/passphrase', refused, current), 401, 'passphrase_wrong', 'a wrong current authKey', [wrongKey, refused.newAuthKey]);
  t.equal((await accountRow(hugo.id)).failedLogins, 1, 'a wrong current authKey counts as a failed login');
  t.equal((await listCases(other)).statusCode, 200, 'the refusal ends no session');

  const malformed: Array<[string, Json, number, string]> = [
    ['ops 2', change({ kdf: { salt: randomB64(16), ops: 2, mem: STAFF_ARGON2_MEM } }), 400, 'weak_kdf'],
    ['mem below 128 MiB', change({ kdf: { salt: randomB64(16), ops: 3, mem: 100 * 1024 * 1024 } }), 400, 'weak_kdf'],
    ['newAuthKey of 31 bytes', change({ newAuthKey: randomB64(31) }), 400, 'invalid_new_auth_key'],
    ['kdf.salt of 8 bytes', change({ kdf: { ...strongKdf(), salt: randomB64(8) } }), 400, 'invalid_kdf_salt'],
    ['a key bundle too short', change({ keyBundle: { nonce: randomB64(24), ciphertext: randomB64(32) } }), 400, 'invalid_key_bundle'],
    ['no keyBundle', { ...change(), keyBundle: undefined }, 400, 'missing_key_bundle'],
    ['no newAuthKey', { ...change(), newAuthKey: undefined }, 400, 'missing_new_auth_key'],
    ['an unknown field', change({ [ECHO]: ECHO }), 400, 'unknown_field'],
  ];
  for (const [what, body, status, code] of malformed) {
    isError(t, await post('/api/v1/auth/passphrase', JSON.parse(JSON.stringify(body)), current), status, code, what, [body.newAuthKey, hugo.authKey]);
  }
  isError(t, await post('/api/v1/auth/passphrase', change()), 401, 'not_signed_in', 'no session');
  t.equal(b64((await accountRow(hugo.id)).keyBundle), hugo.keyBundle.ciphertext, 'no refused change touched the account');

  await newAuditEntries();
  const body = change();
  const answer = await post('/api/v1/auth/passphrase', body, current);
  t.equal(answer.statusCode, 204, '204');
  t.equal(answer.body, '', 'with no body');
  t.strictSame(await newAuditEntries(), [{ actor: hugo.id, action: 'passphrase_changed', subject: hugo.id }], 'one audit entry: passphrase_changed');
  t.equal((await listCases(current)).statusCode, 200, 'the session that changed it goes on');
  isError(t, await listCases(other), 401, 'not_signed_in', 'every other session ended');
  t.match(await accountRow(hugo.id), { failedLogins: 0, lockedUntil: null }, 'the failure count is reset');

  isError(t, await login(hugo), 401, 'login_failed', 'the old authKey');
  const signedIn = await login({ username: hugo.username, authKey: body.newAuthKey });
  t.equal(signedIn.statusCode, 200, 'the new authKey signs in');
  t.strictSame(signedIn.json().account.keyBundle, body.keyBundle, 'with the new key bundle');
  t.strictSame((await post('/api/v1/auth/prelogin', { username: hugo.username })).json(), { kdf: body.kdf }, 'prelogin gives the new salt and parameters');
});

// ─── Recovery ───────────────────────────────────────────────────────────────────────────────

const recoveryChallenge = (username: string) => post('/api/v1/auth/recovery/challenge', { username });
const challengeText = async (username: string) => ((await recoveryChallenge(username)).json() as { challenge: string }).challenge;
/** A recovery body: the challenge signed with `signSecretKey`, a new passphrase's kdf, authKey and bundle. */
function recoveryBody(account: Account, username: string, challenge: string, signSecretKey: Uint8Array): Json {
  return {
    username,
    challenge,
    signature: b64(signStaffRecovery(challenge, signSecretKey)),
    kdf: strongKdf(),
    authKey: randomB64(32),
    keyBundle: sealKeyBundle(randomBytes(32), account.keys, username),
  };
}

t.test('POST /api/v1/auth/recovery/challenge: the same shape and bundle size for an unknown user, stable per name', async (t) => {
  const ines = await newAccount();
  const known = await recoveryChallenge(ines.username);
  t.equal(known.statusCode, 200, 'a known user: 200');
  const real = known.json() as { challenge: string; recoveryBundle: { nonce: string; ciphertext: string } };
  t.strictSame(Object.keys(real), ['challenge', 'recoveryBundle'], 'exactly { challenge, recoveryBundle }');
  t.strictSame(real.recoveryBundle, ines.recoveryBundle, 'the recovery bundle the account uploaded');
  t.match(real.challenge, /^\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/, 'the challenge: expiry, random, MAC');
  const expiresIn = Number(real.challenge.split('.')[0]) * 1000 - Date.now();
  t.ok(expiresIn > 4 * MINUTE && expiresIn <= 5 * MINUTE, 'it expires in 5 minutes');

  const unknownName = `nobody-${ECHO}`;
  const first = await recoveryChallenge(unknownName);
  const second = await recoveryChallenge(unknownName);
  const other = await recoveryChallenge('somebody-else');
  t.equal(first.statusCode, 200, 'an unknown user: 200');
  const fake = first.json() as typeof real;
  t.strictSame(Object.keys(fake), Object.keys(real), 'the same keys');
  t.strictSame(Object.keys(fake.recoveryBundle), Object.keys(real.recoveryBundle), 'the same bundle keys');
  t.match(fake.challenge, /^\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/, 'a challenge of the same form');
  t.equal(fromB64(fake.recoveryBundle.nonce).length, 24, 'a 24-byte nonce');
  t.equal(fromB64(fake.recoveryBundle.ciphertext).length, fromB64(real.recoveryBundle.ciphertext).length, 'a ciphertext as long as a real bundle\'s (183 bytes)');
  t.equal(first.body.length, known.body.length, 'answers of the same length');
  t.strictSame((second.json() as typeof real).recoveryBundle, fake.recoveryBundle, 'the same fake bundle on every call');
  t.not((other.json() as typeof real).recoveryBundle.ciphertext, fake.recoveryBundle.ciphertext, 'a different fake bundle for another name');
  t.not((second.json() as typeof real).challenge, fake.challenge, 'every challenge is new');
  t.notOk(first.body.toLowerCase().includes(ECHO), 'the answer does not echo the name');

  isError(t, await post('/api/v1/auth/recovery/challenge', {}), 400, 'missing_username', 'no username');
  isError(t, await post('/api/v1/auth/recovery/challenge', { username: ECHO, extra: 1 }), 400, 'unknown_field', 'an unknown field');
});

t.test('POST /api/v1/auth/recovery: one identical 401 for every failure; a challenge works once; success ends all sessions', async (t) => {
  const jan = await newAccount();
  const sessions = [await signIn(jan), await signIn(jan)];
  const genuine = await challengeText(jan.username);
  const [expiry, random, tag] = genuine.split('.') as [string, string, string];
  const stranger = makeStaffKeys();
  const unknownName = `nobody-${randomBytes(4).toString('hex')}`;
  const expired = (await app.services.accounts.recoveryChallenge(jan.username, new Date(Date.now() - 6 * MINUTE))).challenge;

  const failures: Array<[string, Json]> = [
    ['a garbled challenge', recoveryBody(jan, jan.username, `garbled-${ECHO}`, jan.keys.signSecretKey)],
    ['a forged MAC', recoveryBody(jan, jan.username, `${expiry}.${random}.${randomB64(32)}`, jan.keys.signSecretKey)],
    ['a later expiry under the old MAC', recoveryBody(jan, jan.username, `${Number(expiry) + 3600}.${random}.${tag}`, jan.keys.signSecretKey)],
    ['other random bytes under the old MAC', recoveryBody(jan, jan.username, `${expiry}.${randomB64(16)}.${tag}`, jan.keys.signSecretKey)],
    ['a fourth part', recoveryBody(jan, jan.username, `${genuine}.x`, jan.keys.signSecretKey)],
    ['a challenge issued for another name', recoveryBody(jan, jan.username, await challengeText(`${jan.username}x`), jan.keys.signSecretKey)],
    ['an expired challenge', recoveryBody(jan, jan.username, expired, jan.keys.signSecretKey)],
    ['a wrong signature', recoveryBody(jan, jan.username, genuine, stranger.signSecretKey)],
    ['an unknown user', recoveryBody(jan, unknownName, await challengeText(unknownName), stranger.signSecretKey)],
  ];
  const bodies = new Set<string>();
  for (const [what, body] of failures) {
    const answer = await post('/api/v1/auth/recovery', body);
    isError(t, answer, 401, 'recovery_failed', what, [body.authKey, body.signature, body.challenge]);
    bodies.add(answer.body);
  }
  t.equal(bodies.size, 1, 'every failure has the byte-identical body');
  t.equal((await listCases(sessions[0]!)).statusCode, 200, 'no failure ended a session');
  t.equal((await login(jan)).statusCode, 200, 'no failure changed the passphrase');

  const malformed: Array<[string, Json, string]> = [
    ['ops 2', { ...recoveryBody(jan, jan.username, genuine, jan.keys.signSecretKey), kdf: { salt: randomB64(16), ops: 2, mem: STAFF_ARGON2_MEM } }, 'weak_kdf'],
    ['a signature of 63 bytes', { ...recoveryBody(jan, jan.username, genuine, jan.keys.signSecretKey), signature: randomB64(63) }, 'invalid_signature'],
    ['a challenge with a space', recoveryBody(jan, jan.username, `${genuine} x`, jan.keys.signSecretKey), 'invalid_challenge'],
    ['a challenge of 201 characters', recoveryBody(jan, jan.username, 'c'.repeat(201), jan.keys.signSecretKey), 'invalid_challenge'],
    ['no signature', { ...recoveryBody(jan, jan.username, genuine, jan.keys.signSecretKey), signature: undefined }, 'missing_signature'],
    ['an unknown field', { ...recoveryBody(jan, jan.username, genuine, jan.keys.signSecretKey), [ECHO]: 1 }, 'unknown_field'],
  ];
  for (const [what, body, code] of malformed) isError(t, await post('/api/v1/auth/recovery', JSON.parse(JSON.stringify(body))), 400, code, what, [body.authKey]);

  await newAuditEntries();
  const body = recoveryBody(jan, jan.username, genuine, jan.keys.signSecretKey);
  const answer = await post('/api/v1/auth/recovery', body);
  t.equal(answer.statusCode, 204, 'a genuine challenge signed with the account\'s key: 204');
  t.equal(answer.body, '', 'with no body');
  t.strictSame(await newAuditEntries(), [{ actor: jan.id, action: 'recovered', subject: jan.id }], 'one audit entry: recovered');
  for (const [i, session] of sessions.entries()) isError(t, await listCases(session), 401, 'not_signed_in', `session ${i + 1} after recovery`);
  isError(t, await login(jan), 401, 'login_failed', 'the old authKey after recovery');
  const signedIn = await login({ username: jan.username, authKey: body.authKey });
  t.equal(signedIn.statusCode, 200, 'the new authKey signs in');
  t.strictSame(signedIn.json().account.keyBundle, body.keyBundle, 'with the new key bundle');

  const replay = recoveryBody(jan, jan.username, genuine, jan.keys.signSecretKey);
  const again = await post('/api/v1/auth/recovery', replay);
  isError(t, again, 401, 'recovery_failed', 'the same challenge a second time', [replay.authKey]);
  t.ok(bodies.has(again.body), 'failing exactly like the others');
  t.equal((await login({ username: jan.username, authKey: body.authKey })).statusCode, 200, 'the replay did not change the passphrase');
  isError(t, await login({ username: jan.username, authKey: replay.authKey }), 401, 'login_failed', 'the replay\'s authKey');
});

// ─── Joining a channel ──────────────────────────────────────────────────────────────────────

t.test('POST /api/v1/invites/join: an adviser joins a second channel; other invites answer 404 invite_invalid', async (t) => {
  const kees = await newAccount();
  const token = await signIn(kees);
  const invite = await admin.createInvite({ role: 'adviser', channel: 'tweede' });
  const answer = await post('/api/v1/invites/join', { token: invite.token }, token);
  t.equal(answer.statusCode, 200, '200');
  t.strictSame(answer.json(), { channel: 'tweede' }, 'exactly { channel }');
  t.strictSame(
    (await login(kees)).json().account.channels,
    [
      { slug: 'loket', name: 'Channel loket', organisation: 'loket-org', locations: [] },
      { slug: 'tweede', name: 'Channel tweede', organisation: 'tweede-org', locations: [] },
    ],
    'the account\'s channels list both',
  );
  const [row] = await db.select().from(invites).where(eq(invites.id, invite.id));
  t.ok(row?.usedAt, 'the invite is spent');
  t.equal(row?.accountId, kees.id, 'by this account');

  isError(t, await post('/api/v1/invites/join', { token: invite.token }, token), 404, 'invite_invalid', 'the same invite again', [invite.token]);
  isError(t, await post('/api/v1/invites/accept', draft(invite.token, 'late-comer').body), 404, 'invite_invalid', 'the joined invite used to make an account');

  const recipientInvite = await admin.createInvite({ role: 'recipient', organisation: 'tweede-org' });
  isError(t, await post('/api/v1/invites/join', { token: recipientInvite.token }, token), 404, 'invite_invalid', 'a recipient invite used by an adviser', [recipientInvite.token]);
  t.equal((await db.select().from(invites).where(eq(invites.id, recipientInvite.id)))[0]?.usedAt, null, 'the recipient invite is not spent');
  t.equal((await post('/api/v1/invites/accept', draft(recipientInvite.token, 'real-recipient').body)).statusCode, 201, 'its recipient can still use it');
  t.strictSame((await login(kees)).json().account.organisation, null, 'the adviser did not become a recipient');

  const expired = await admin.createInvite({ role: 'adviser', channel: 'tweede' }, new Date(Date.now() - 8 * DAY));
  isError(t, await post('/api/v1/invites/join', { token: expired.token }, token), 404, 'invite_invalid', 'an expired invite', [expired.token]);
  isError(t, await post('/api/v1/invites/join', { token: randomB64(32) }, token), 404, 'invite_invalid', 'an unknown invite');
  isError(t, await post('/api/v1/invites/join', { token: `${ECHO}` }, token), 400, 'invalid_token', 'a token of the wrong length');
  isError(t, await post('/api/v1/invites/join', {}, token), 400, 'missing_token', 'no token');
  isError(t, await post('/api/v1/invites/join', { token: randomB64(32), [ECHO]: 1 }, token), 400, 'unknown_field', 'an unknown field');
  const unused = await admin.createInvite({ role: 'adviser', channel: 'tweede' });
  isError(t, await post('/api/v1/invites/join', { token: unused.token }), 401, 'not_signed_in', 'joining without a session', [unused.token]);
});

// ─── A channel's list of locations ──────────────────────────────────────────────────────────

t.test("login: each of the adviser's channels with its list of locations; nobody else's list, and none for a reporter", async (t) => {
  await addChannel(db, 'vestigingen');
  await addChannel(db, 'elders');
  const utrecht = [
    { id: 'utrecht', name: 'Vestiging Utrecht' },
    { id: 'inkoop', name: 'Afdeling Inkoop' },
  ];
  t.strictSame(await admin.setChannelLocations('vestigingen', utrecht), utrecht, 'the operator sets a list');
  await admin.setChannelLocations('elders', [{ id: 'geheim', name: `Afdeling ${ECHO}` }]);

  const lena = await newAccount({ role: 'adviser', channel: 'vestigingen' });
  const answer = await login(lena);
  t.equal(answer.statusCode, 200);
  t.strictSame(
    answer.json().account.channels,
    [{ slug: 'vestigingen', name: 'Channel vestigingen', organisation: 'vestigingen-org', locations: utrecht }],
    "exactly the adviser's one channel, with its list in the operator's order",
  );
  t.notOk(answer.body.includes(ECHO), "another channel's list is not in the answer");

  const token = await signIn(lena);
  await post('/api/v1/invites/join', { token: (await admin.createInvite({ role: 'adviser', channel: 'loket' })).token }, token);
  t.strictSame(
    (await login(lena)).json().account.channels.map((c: Json) => [c.slug, c.locations]),
    [['loket', []], ['vestigingen', utrecht]],
    'a channel without a list has an empty one',
  );

  const olga = await newAccount({ role: 'recipient', organisation: 'vestigingen-org' });
  const recipient = await login(olga);
  t.strictSame(recipient.json().account.channels, [], "a recipient serves no channel, so gets no list, not even of their organisation's");
  t.notOk(recipient.body.includes('Vestiging Utrecht'), 'no location name in the answer');

  const reporterView = await app.inject({ method: 'GET', url: '/api/v1/channels/vestigingen' });
  t.equal(reporterView.statusCode, 200);
  t.notOk('locations' in reporterView.json(), "the reporter's channel view has no list");
  for (const { id, name } of utrecht) t.notOk(reporterView.body.includes(name) || reporterView.body.includes(`"${id}"`), `nor ${id} anywhere in it`);

  await admin.setChannelLocations('vestigingen', [utrecht[1]!]);
  t.strictSame((await login(lena)).json().account.channels[1].locations, [utrecht[1]], 'a changed list reaches the adviser at the next sign-in');
  await admin.setChannelLocations('vestigingen', []);
  t.strictSame((await login(lena)).json().account.channels[1].locations, [], 'and a cleared one');
});
