/**
 * The checks every way into a staff account shares (sign-in, second factor, passphrase change,
 * recovery): the throttled claim on an attempt, the constant-cost comparisons that an unknown
 * user name runs against stand-ins, the failure record, and the success that spends a TOTP step.
 */
import { createHmac } from 'node:crypto';
import { and, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { sodium, STAFF_ARGON2_MIN_MEM, STAFF_ARGON2_MIN_OPS } from '../../protocol/index.js';
import { staffVerifier, verifyStaffRecovery } from '../../protocol/checks.js';
import type { Database, Transaction } from '../db/connection.js';
import { staffAccounts } from '../db/schema.js';
import { invalid, throttled, unauthenticated } from '../errors.js';
import { sameBytes } from '../tokens.js';
import type { KdfParams, Work } from './accounts.js';
import type { Sealed } from './sealed.js';
import { recordAudit } from './audit.js';
import type { InstanceSecrets } from './settings.js';
import { matchTotp } from './totp.js';

/** Failed logins before delays start, and the longest delay. */
const FREE_FAILURES = 3;
const MAX_DELAY_MS = 15 * 60 * 1000;
const BUNDLE_MAX_BYTES = 1024;

export const notSignedIn = () => unauthenticated('not_signed_in', 'Sign in first; sessions end after 30 minutes without use.');
export const passphraseWrong = () => unauthenticated('passphrase_wrong', 'The current passphrase is not right.');

export function checkKdf(kdf: KdfParams): void {
  if (kdf.salt.length !== 16) throw invalid('invalid_kdf_salt', 'The KDF salt must be 16 bytes.');
  if (kdf.ops < STAFF_ARGON2_MIN_OPS || kdf.mem < STAFF_ARGON2_MIN_MEM) {
    throw invalid('weak_kdf', `Argon2id needs at least ops ${STAFF_ARGON2_MIN_OPS} and mem ${STAFF_ARGON2_MIN_MEM} bytes.`);
  }
}

export function checkBundle(bundle: Sealed, field: string): void {
  // Other clients may serialise the JSON differently, so only a plausible size is required.
  if (bundle.ciphertext.length <= 16 + 64 || bundle.ciphertext.length > BUNDLE_MAX_BYTES) {
    throw invalid(`invalid_${field}`, `The ${field.replace('_', ' ')} must seal the two secret keys.`);
  }
}

/** Growing delay after repeated failures: 1 s, 2 s, 4 s … up to 15 minutes. */
export function lockoutMs(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_DELAY_MS, 1000 * 2 ** (failures - FREE_FAILURES));
}

/** lockoutMs of the failure count after one more failure, as SQL generated from lockoutMs so the two cannot differ. */
const nextLockoutSql = (() => {
  const cases: string[] = [];
  for (let failures = 0; lockoutMs(failures) < MAX_DELAY_MS; failures++) cases.push(`when ${failures} then ${lockoutMs(failures)}`);
  return sql`(case ${staffAccounts.failedLogins} + 1 ${sql.raw(cases.join(' '))} else ${sql.raw(String(MAX_DELAY_MS))} end)`;
})();

export function createAccountChecks(db: Database, secrets: InstanceSecrets, onWork?: (work: Work) => void) {
  const verifierOf = (authKey: Uint8Array) => staffVerifier(authKey, secrets.pepper);
  const stable = (label: string) => createHmac('sha256', secrets.serverSecret).update(`fake|${label}`).digest();
  /** What an unknown name is checked against, so that its failure costs what a real one costs. */
  const fake = { verifier: stable('verifier'), totpSecret: stable('totp').subarray(0, 20) };
  let fakeSignPublicKey: Uint8Array | undefined;
  const work = (kind: Work) => onWork?.(kind);

  /** Whether `authKey` is the account's (or, for an unknown name, a stand-in's), at the cost of one hash either way. */
  function keyMatches(authKey: Uint8Array, verifier: Uint8Array | undefined): boolean {
    work('verifier');
    return sameBytes(verifierOf(authKey), verifier ?? fake.verifier);
  }

  function signatureMatches(challenge: string, signature: Uint8Array, signPublicKey: Uint8Array | undefined): boolean {
    work('signature');
    fakeSignPublicKey ??= sodium().crypto_sign_seed_keypair(stable('sign')).publicKey;
    return verifyStaffRecovery(challenge, signature, signPublicKey ?? fakeSignPublicKey);
  }

  async function accountByUsername(username: string) {
    const [row] = await db.select().from(staffAccounts).where(and(eq(staffAccounts.username, username), isNull(staffAccounts.disabledAt)));
    return row;
  }

  async function accountById(accountId: string) {
    const [row] = await db.select().from(staffAccounts).where(eq(staffAccounts.id, accountId));
    return row;
  }

  /**
   * Claims the right to check one secret of an account: counts the attempt as a failure and sets
   * the next delay in the one statement that also checks the account is not locked. Concurrent
   * attempts queue on the row and see each other's count, so a burst gets only the checks the
   * delays allow; a success resets the count. An unknown name runs the same statement, matching nothing.
   */
  async function claimAttempt(accountId: string | undefined, now: Date): Promise<boolean> {
    const claimed = await db
      .update(staffAccounts)
      .set({
        failedLogins: sql`${staffAccounts.failedLogins} + 1`,
        lockedUntil: sql`case when ${nextLockoutSql} > 0 then ${now.toISOString()}::timestamptz + ${nextLockoutSql} * interval '1 millisecond' end`,
      })
      .where(and(eq(staffAccounts.id, accountId ?? ''), or(isNull(staffAccounts.lockedUntil), lte(staffAccounts.lockedUntil, now))))
      .returning({ id: staffAccounts.id });
    return claimed.length === 1;
  }

  /** The refusal while an account waits out its delay, saying how long is left. */
  async function lockedOut(accountId: string, now: Date): Promise<Error> {
    const [account] = await db.select({ lockedUntil: staffAccounts.lockedUntil }).from(staffAccounts).where(eq(staffAccounts.id, accountId));
    const seconds = Math.max(1, Math.ceil(((account?.lockedUntil?.getTime() ?? now.getTime()) - now.getTime()) / 1000));
    return throttled('login_throttled', `Too many failed attempts for this account: wait ${seconds} seconds.`);
  }

  /** A failed check, counted already by its claim: audited for an account. */
  async function recordFailure(accountId: string | undefined, now: Date) {
    if (accountId) await recordAudit(db, { actor: accountId, action: 'login_failed', subject: accountId, at: now });
    // Stands in for that audit insert, so an unknown name costs as many round trips.
    else await db.execute(sql`select 1`);
  }

  /**
   * The step a given code matches for an enrolled account, else null. Computed for every code
   * given, against a stand-in secret when the account has none, so the work does not show
   * whether the name exists or uses TOTP.
   */
  function totpMatch(
    account: { totpEnabledAt: Date | null; totpSecret: Uint8Array | null; totpLastStep: number | null } | undefined,
    code: string | undefined,
    now: Date,
  ): number | null {
    if (code === undefined) return null;
    work('totp');
    const secret = account?.totpEnabledAt ? account.totpSecret : null;
    const step = matchTotp(secret ?? fake.totpSecret, code, now, secret ? (account?.totpLastStep ?? null) : null);
    return secret ? step : null;
  }

  /**
   * The TOTP step to spend for an enrolled account once its key is right, or null when TOTP is
   * off. A missing code asks for one; a wrong or reused code fails with `failure`.
   */
  async function secondFactor(
    account: { id: string; totpEnabledAt: Date | null; totpSecret: Uint8Array | null },
    code: string | undefined,
    step: number | null,
    now: Date,
    failure: () => Error,
  ): Promise<number | null> {
    if (!account.totpEnabledAt || !account.totpSecret) return null;
    if (!code) throw unauthenticated('totp_required', 'Enter the code from your authenticator app.');
    if (step === null) {
      await recordFailure(account.id, now);
      throw failure();
    }
    return step;
  }

  /**
   * A success: resets the failure count and spends the TOTP step in one statement that matches
   * only while no concurrent attempt has spent that step or a later one. False when one has.
   */
  async function accept(tx: Database | Transaction, accountId: string, step: number | null, changes: Partial<typeof staffAccounts.$inferInsert> = {}): Promise<boolean> {
    const unspent = step === null ? undefined : or(isNull(staffAccounts.totpLastStep), lt(staffAccounts.totpLastStep, step));
    const accepted = await tx
      .update(staffAccounts)
      .set({ ...changes, failedLogins: 0, lockedUntil: null, ...(step !== null ? { totpLastStep: step } : {}) })
      .where(and(eq(staffAccounts.id, accountId), unspent))
      .returning({ id: staffAccounts.id });
    return accepted.length === 1;
  }

  /**
   * The current passphrase proven by its authKey for a signed-in account: throttled like a
   * login, so that a stolen bearer token cannot guess passphrases freely.
   */
  async function provePassphrase(account: { id: string; verifier: Uint8Array }, authKey: Uint8Array, now: Date): Promise<void> {
    if (!(await claimAttempt(account.id, now))) throw await lockedOut(account.id, now);
    if (!keyMatches(authKey, account.verifier)) {
      await recordFailure(account.id, now);
      throw passphraseWrong();
    }
  }

  return {
    verifierOf,
    keyMatches,
    signatureMatches,
    accountByUsername,
    accountById,
    claimAttempt,
    lockedOut,
    recordFailure,
    totpMatch,
    secondFactor,
    accept,
    provePassphrase,
  };
}

export type AccountChecks = ReturnType<typeof createAccountChecks>;
