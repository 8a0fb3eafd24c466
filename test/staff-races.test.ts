/**
 * Staff authentication under concurrency and timing: parallel attempts against one account
 * through the real HTTP app. PGlite runs one query at a time and hides races, so these tests
 * prove something only on PostgreSQL (TEST_DATABASE_URL); on PGlite they run as a smoke test.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { STAFF_ARGON2_MEM, STAFF_ARGON2_OPS, makeStaffKeys, ready, sealKeyBundle, sealRecoveryBundle, signStaffRecovery, type StaffKeys } from '../src/protocol/index.js';
import { auditLog, auditEvents, staffAccounts } from '../src/server/db/schema.js';
import { totpCode, totpStep } from '../src/server/services/totp.js';
import { buildTestApp } from './helper.js';
import { addChannel } from './fixtures.js';

await ready();

const { app, database, baseUrl } = await buildTestApp(t);
const { db } = database;
await addChannel(db, 'loket');

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const strongKdf = () => ({ salt: randomB64(16), ops: STAFF_ARGON2_OPS, mem: STAFF_ARGON2_MEM });

interface Account {
  id: string;
  username: string;
  authKey: string;
  keys: StaffKeys;
}

/** Real HTTP, so that requests run side by side on the server's connection pool. */
async function call(path: string, body: unknown, token?: string): Promise<{ status: number; error: string | undefined }> {
  const response = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, error: text ? (JSON.parse(text) as { error?: string }).error : undefined };
}

/** How many answers had each `status error`, e.g. { '401 login_failed': 1, '429 login_throttled': 49 }. */
function tally(answers: Array<{ status: number; error: string | undefined }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[`${a.status} ${a.error ?? ''}`.trim()] = (counts[`${a.status} ${a.error ?? ''}`.trim()] ?? 0) + 1;
  return counts;
}

let made = 0;
async function newAccount(): Promise<Account> {
  const invite = await app.services.administration.createInvite({ role: 'adviser', channel: 'loket' });
  const username = `racer-${++made}-${randomBytes(3).toString('hex')}`;
  const keys = makeStaffKeys();
  const authKey = randomB64(32);
  const answer = await call('/api/v1/invites/accept', {
    token: invite.token,
    username,
    displayName: 'Racer',
    kdf: strongKdf(),
    authKey,
    boxPublicKey: b64(keys.boxPublicKey),
    signPublicKey: b64(keys.signPublicKey),
    keyBundle: sealKeyBundle(randomBytes(32), keys, username),
    recoveryBundle: sealRecoveryBundle(randomBytes(32), keys, username),
  });
  if (answer.status !== 201) throw new Error(`accepting failed: ${answer.error}`);
  const [row] = await db.select({ id: staffAccounts.id }).from(staffAccounts).where(eq(staffAccounts.username, username));
  return { id: row!.id, username, authKey, keys };
}

async function signIn(account: Account): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: account.username, authKey: account.authKey }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** Turns TOTP on directly in the database: the enrolment is not what these tests are about. */
async function enableTotp(account: Account): Promise<Buffer> {
  const secret = randomBytes(20);
  await db.update(staffAccounts).set({ totpSecret: secret, totpEnabledAt: new Date(), totpLastStep: null }).where(eq(staffAccounts.id, account.id));
  return secret;
}

const row = async (id: string) => (await db.select().from(staffAccounts).where(eq(staffAccounts.id, id)))[0]!;
/** Nine failures on record: the next failure locks the account for lockoutMs(10) = 128 s, so one burst gets one check. */
const nineFailures = (id: string) => db.update(staffAccounts).set({ failedLogins: 9, lockedUntil: null }).where(eq(staffAccounts.id, id));
const PARALLEL = 100;

t.test(`${PARALLEL} parallel wrong logins: only the one attempt the throttle allows is checked; the rest answer 429 unchecked`, async (t) => {
  const victim = await newAccount();
  await nineFailures(victim.id);
  const answers = await Promise.all(Array.from({ length: PARALLEL }, () => call('/api/v1/auth/login', { username: victim.username, authKey: randomB64(32) })));
  t.strictSame(tally(answers), { '401 login_failed': 1, '429 login_throttled': PARALLEL - 1 }, 'one 401 login_failed, every other attempt 429 login_throttled');
  t.equal((await row(victim.id)).failedLogins, 10, 'exactly one failure was counted');
});

t.test('parallel wrong logins on a fresh account: at most the three free failures are checked before the delay', async (t) => {
  const victim = await newAccount();
  const answers = await Promise.all(Array.from({ length: 50 }, () => call('/api/v1/auth/login', { username: victim.username, authKey: randomB64(32) })));
  const counts = tally(answers);
  // The third failure locks for a second; a slow machine may let one more through after it.
  t.ok((counts['401 login_failed'] ?? 0) <= 4, `at most 3 (4 on a slow burst) checked: ${JSON.stringify(counts)}`);
  t.equal((counts['401 login_failed'] ?? 0) + (counts['429 login_throttled'] ?? 0), 50, 'the rest were throttled');
});

t.test(`${PARALLEL} parallel wrong passphrase changes with a stolen bearer token are throttled like logins`, async (t) => {
  const victim = await newAccount();
  const token = await signIn(victim);
  await nineFailures(victim.id);
  const change = () => ({ authKey: randomB64(32), kdf: strongKdf(), newAuthKey: randomB64(32), keyBundle: sealKeyBundle(randomBytes(32), victim.keys, victim.username) });
  const answers = await Promise.all(Array.from({ length: PARALLEL }, () => call('/api/v1/auth/passphrase', change(), token)));
  t.strictSame(tally(answers), { '401 passphrase_wrong': 1, '429 login_throttled': PARALLEL - 1 }, 'one guess checked, every other one 429');
  t.equal((await row(victim.id)).failedLogins, 10, 'exactly one failure was counted');
});

t.test('one TOTP code in 8 parallel logins: exactly one succeeds', async (t) => {
  const victim = await newAccount();
  const secret = await enableTotp(victim);
  const code = totpCode(secret, totpStep(new Date()));
  const answers = await Promise.all(Array.from({ length: 8 }, () => call('/api/v1/auth/login', { username: victim.username, authKey: victim.authKey, totp: code })));
  const counts = tally(answers);
  t.equal(counts['200'], 1, `exactly one login succeeds: ${JSON.stringify(counts)}`);
  t.equal((counts['401 login_failed'] ?? 0) + (counts['429 login_throttled'] ?? 0), 7, 'the others fail or are throttled');
});

t.test('one TOTP code in 8 parallel recoveries, each with its own challenge: exactly one succeeds', async (t) => {
  const victim = await newAccount();
  const secret = await enableTotp(victim);
  const code = totpCode(secret, totpStep(new Date()));
  const challenges = await Promise.all(
    Array.from({ length: 8 }, async () => (await app.services.accounts.recoveryChallenge(victim.username)).challenge),
  );
  const answers = await Promise.all(
    challenges.map((challenge) =>
      call('/api/v1/auth/recovery', {
        username: victim.username,
        challenge,
        signature: b64(signStaffRecovery(challenge, victim.keys.signSecretKey)),
        totp: code,
        kdf: strongKdf(),
        authKey: randomB64(32),
        keyBundle: sealKeyBundle(randomBytes(32), victim.keys, victim.username),
      }),
    ),
  );
  const counts = tally(answers);
  t.equal(counts['204'], 1, `exactly one recovery succeeds: ${JSON.stringify(counts)}`);
  t.equal((counts['401 recovery_failed'] ?? 0) + (counts['429 login_throttled'] ?? 0), 7, 'the others fail or are throttled');
});

t.test('one code in 8 parallel TOTP confirmations: exactly one turns TOTP on', async (t) => {
  const victim = await newAccount();
  const token = await signIn(victim);
  const secret = randomBytes(20);
  await db.update(staffAccounts).set({ totpSecret: secret }).where(eq(staffAccounts.id, victim.id));
  const code = totpCode(secret, totpStep(new Date()));
  const answers = await Promise.all(Array.from({ length: 8 }, () => call('/api/v1/auth/totp/confirm', { code }, token)));
  t.strictSame(tally(answers), { '204': 1, '409 totp_enabled': 7 }, 'one 204, the others 409 totp_enabled');
  await app.services.audit.seal();
  const enabled = await db.select().from(auditLog).where(and(eq(auditLog.action, 'totp_enabled'), eq(auditLog.subject, victim.id)));
  const pending = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'totp_enabled'), eq(auditEvents.subject, victim.id)));
  t.equal(enabled.length + pending.length, 1, 'one audit entry: totp_enabled');
});
