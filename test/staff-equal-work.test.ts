/**
 * A failed login or recovery costs the same work whether the user name exists or not, so its
 * timing does not tell which names exist. Counted, not timed (timed tests are flaky): the
 * service reports its verifier hashes, TOTP computations and signature checks through its
 * `onWork` hook, and a proxy of the database counts the statements it sends.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { ready, signStaffRecovery } from '../src/protocol/index.js';
import type { Database } from '../src/server/db/connection.js';
import { staffAccounts } from '../src/server/db/schema.js';
import { createAccounts, type Work } from '../src/server/services/accounts.js';
import { totpCode, totpStep } from '../src/server/services/totp.js';
import { buildTestApp } from './helper.js';
import { addAdviser, addChannel } from './fixtures.js';

await ready();

const { app, database } = await buildTestApp(t);
await addChannel(database.db, 'loket');

const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'execute', 'transaction']);
const counts = new Map<string, number>();
const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
/** The database, counting each statement a service starts on it. */
const countingDb = new Proxy(database.db, {
  get(target, property, receiver) {
    const value: unknown = Reflect.get(target, property, receiver);
    if (typeof value !== 'function') return value;
    return (...args: unknown[]) => {
      if (STATEMENTS.has(String(property))) count('db statements');
      return (value as (...a: unknown[]) => unknown).apply(target, args);
    };
  },
}) as Database;
const accounts = createAccounts(countingDb, app.services.secrets, { requireTotp: false, issuer: 'Confidant', onWork: (work: Work) => count(work) });

/** What one call costs, whatever it answers. */
async function cost(call: () => Promise<unknown>): Promise<{ answer: string; work: Record<string, number> }> {
  counts.clear();
  const answer = await call().then(
    () => 'ok',
    (error: { code?: string }) => error.code ?? 'error',
  );
  return { answer, work: Object.fromEntries([...counts].sort()) };
}

const adviser = await addAdviser(database.db, 'loket');
const secret = randomBytes(20);
const withTotp = await addAdviser(database.db, 'loket', 'With TOTP');
await database.db.update(staffAccounts).set({ totpSecret: secret, totpEnabledAt: new Date() }).where(eq(staffAccounts.id, withTotp.id));
const unknown = `nobody-${randomBytes(4).toString('hex')}`;

t.test('login: an unknown name costs what a known name with a wrong authKey costs', async (t) => {
  const known = await cost(() => accounts.login({ username: adviser.username, authKey: randomBytes(32) }));
  const missing = await cost(() => accounts.login({ username: unknown, authKey: randomBytes(32) }));
  t.equal(known.answer, 'login_failed', 'a known name with a wrong authKey fails');
  t.equal(missing.answer, 'login_failed', 'an unknown name fails alike');
  t.ok(known.work.verifier === 1, 'the known name costs one verifier hash');
  t.strictSame(missing.work, known.work, `the same work and statements: ${JSON.stringify(known.work)}`);
});

t.test('login with a TOTP code: an unknown name costs what an enrolled account with a wrong authKey costs', async (t) => {
  const code = totpCode(secret, totpStep(new Date()));
  const known = await cost(() => accounts.login({ username: withTotp.username, authKey: randomBytes(32), totp: code }));
  const missing = await cost(() => accounts.login({ username: unknown, authKey: randomBytes(32), totp: code }));
  const plain = await cost(() => accounts.login({ username: adviser.username, authKey: randomBytes(32), totp: code }));
  t.equal(known.work.totp, 1, 'the code is computed for the enrolled account');
  t.strictSame(missing.work, known.work, 'and for an unknown name, with the same statements');
  t.strictSame(plain.work, known.work, 'and for an account without TOTP');
});

t.test('recovery: an unknown name costs what a known name with a wrong signature costs', async (t) => {
  const attempt = async (username: string) => {
    const { challenge } = await accounts.recoveryChallenge(username);
    const body = { username, challenge, signature: signStaffRecovery(challenge, randomBytes(64)), kdf: { salt: randomBytes(16), ops: 3, mem: 134217728 }, authKey: randomBytes(32) };
    return cost(() => accounts.recover({ ...body, keyBundle: { nonce: randomBytes(24), ciphertext: randomBytes(183) } }));
  };
  const known = await attempt(adviser.username);
  const missing = await attempt(unknown);
  t.equal(known.answer, 'recovery_failed', 'a wrong signature fails');
  t.equal(missing.answer, 'recovery_failed', 'an unknown name fails alike');
  t.equal(known.work.signature, 1, 'the known name costs one signature check');
  t.strictSame(missing.work, known.work, `the same work and statements: ${JSON.stringify(known.work)}`);
});
