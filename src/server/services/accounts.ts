/**
 * Staff accounts (protocol-v1 §3): invite acceptance, pre-login, login with optional TOTP,
 * bearer sessions, TOTP enrolment, passphrase change and recovery. The server keeps only a
 * verifier of the authKey, public keys and client-sealed bundles; never a passphrase or key.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import { sodium, STAFF_ARGON2_MEM, STAFF_ARGON2_MIN_MEM, STAFF_ARGON2_MIN_OPS, STAFF_ARGON2_OPS } from '../../protocol/index.js';
import { fakeStaffSalt, staffVerifier, verifyStaffRecovery } from '../../protocol/checks.js';
import type { Database, Transaction } from '../db/connection.js';
import { isUniqueViolation } from '../db/errors.js';
import { adviserChannels, channels, invites, organisations, spentPowChallenges, staffAccounts, staffSessions } from '../db/schema.js';
import { badRequest, conflict, notFound, slowDown, unauthorized } from '../errors.js';
import { newId, newToken, sameBytes, tokenHash } from '../tokens.js';
import { recordAudit } from './audit.js';
import type { InstanceSecrets } from './settings.js';
import { matchTotp, newTotpSecret, otpauthUri } from './totp.js';

export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 3600 * 1000;
const SESSION_TOUCH_MS = 60 * 1000;
const RECOVERY_CHALLENGE_MS = 5 * 60 * 1000;
/** Failed logins before delays start, and the longest delay. */
const FREE_FAILURES = 3;
const MAX_DELAY_MS = 15 * 60 * 1000;
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;
/** A key bundle seals JSON of two base64url keys (43 + 86 symbols): 167 bytes and the tag, as our client writes it. */
const BUNDLE_BYTES = 183;
const BUNDLE_MAX_BYTES = 1024;

export type Role = 'adviser' | 'recipient';

/** Work whose amount must not depend on whether a user name exists; `onWork` lets tests count it. */
export type Work = 'verifier' | 'totp' | 'signature';

export interface KdfParams {
  salt: Uint8Array;
  ops: number;
  mem: number;
}

export interface Sealed {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

export interface NewAccount {
  token: string;
  username: string;
  displayName: string;
  kdf: KdfParams;
  authKey: Uint8Array;
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
  keyBundle: Sealed;
  recoveryBundle: Sealed;
}

export interface StaffPrincipal {
  accountId: string;
  role: Role;
  username: string;
  tokenHash: Buffer;
  /** Set when the operator requires TOTP for advisers and this adviser has not enrolled yet. */
  totpEnrolmentRequired: boolean;
}

export interface AccountView {
  id: string;
  role: Role;
  username: string;
  displayName: string;
  keyBundle: Sealed;
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
  channels: Array<{ slug: string; name: string; organisation: string }>;
  organisation: { slug: string; name: string } | null;
  totpEnabled: boolean;
  totpRequired: boolean;
}

const loginFailed = () => unauthorized('login_failed', 'The user name, passphrase or authentication code is not right.');
const notSignedIn = () => unauthorized('not_signed_in', 'Sign in first; sessions end after 30 minutes without use.');
const totpOn = () => conflict('totp_enabled', 'TOTP is on already for this account.');
const passphraseWrong = () => unauthorized('passphrase_wrong', 'The current passphrase is not right.');
const recoveryFailed = () => unauthorized('recovery_failed', 'The recovery did not succeed: check the user name and the recovery key.');

function checkKdf(kdf: KdfParams): void {
  if (kdf.salt.length !== 16) throw badRequest('invalid_kdf_salt', 'The KDF salt must be 16 bytes.');
  if (kdf.ops < STAFF_ARGON2_MIN_OPS || kdf.mem < STAFF_ARGON2_MIN_MEM) {
    throw badRequest('weak_kdf', `Argon2id needs at least ops ${STAFF_ARGON2_MIN_OPS} and mem ${STAFF_ARGON2_MIN_MEM} bytes.`);
  }
}

function checkBundle(bundle: Sealed, field: string): void {
  // Other clients may serialise the JSON differently, so only a plausible size is required.
  if (bundle.ciphertext.length <= 16 + 64 || bundle.ciphertext.length > BUNDLE_MAX_BYTES) {
    throw badRequest(`invalid_${field}`, `The ${field.replace('_', ' ')} must seal the two secret keys.`);
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

export function createAccounts(
  db: Database,
  secrets: InstanceSecrets,
  options: { requireTotp: boolean; issuer: string; onWork?: (work: Work) => void },
) {
  const verifierOf = (authKey: Uint8Array) => staffVerifier(authKey, secrets.pepper);
  const recoveryMac = (text: string) => createHmac('sha256', secrets.serverSecret).update(`recovery|${text}`).digest('base64url');
  const stable = (label: string) => createHmac('sha256', secrets.serverSecret).update(`fake|${label}`).digest();
  /** What an unknown name is checked against, so that its failure costs what a real one costs. */
  const fake = { verifier: stable('verifier'), totpSecret: stable('totp').subarray(0, 20) };
  let fakeSignPublicKey: Uint8Array | undefined;
  const work = (kind: Work) => options.onWork?.(kind);

  /**
   * The session behind a bearer token, on every staff request: only the columns a principal
   * needs (not the account's key bundles), prepared once.
   */
  const sessionByToken = db
    .select({
      createdAt: staffSessions.createdAt,
      lastUsedAt: staffSessions.lastUsedAt,
      accountId: staffAccounts.id,
      role: staffAccounts.role,
      username: staffAccounts.username,
      totpEnabledAt: staffAccounts.totpEnabledAt,
    })
    .from(staffSessions)
    .innerJoin(staffAccounts, eq(staffSessions.accountId, staffAccounts.id))
    .where(and(eq(staffSessions.tokenHash, sql.placeholder('hash')), gt(staffSessions.expiresAt, sql.placeholder('now')), isNull(staffAccounts.disabledAt)))
    .prepare('staff_session_by_token');

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

  async function newSession(accountId: string, now: Date) {
    const token = newToken();
    const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
    await db.insert(staffSessions).values({ tokenHash: tokenHash(token), accountId, createdAt: now, lastUsedAt: now, expiresAt });
    return { token, expiresAt };
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

  async function throttled(accountId: string, now: Date): Promise<Error> {
    const [account] = await db.select({ lockedUntil: staffAccounts.lockedUntil }).from(staffAccounts).where(eq(staffAccounts.id, accountId));
    const seconds = Math.max(1, Math.ceil(((account?.lockedUntil?.getTime() ?? now.getTime()) - now.getTime()) / 1000));
    return slowDown('login_throttled', `Too many failed attempts for this account: wait ${seconds} seconds.`);
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
    if (!code) throw unauthorized('totp_required', 'Enter the code from your authenticator app.');
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

  async function view(accountId: string): Promise<AccountView> {
    const [account] = await db.select().from(staffAccounts).where(eq(staffAccounts.id, accountId));
    if (!account) throw notSignedIn();
    const served = await db
      .select({ slug: channels.slug, name: channels.name, organisation: organisations.slug })
      .from(adviserChannels)
      .innerJoin(channels, eq(adviserChannels.channelId, channels.id))
      .innerJoin(organisations, eq(channels.organisationId, organisations.id))
      .where(eq(adviserChannels.accountId, accountId))
      .orderBy(asc(channels.slug));
    const [organisation] = account.organisationId
      ? await db.select({ slug: organisations.slug, name: organisations.name }).from(organisations).where(eq(organisations.id, account.organisationId))
      : [];
    return {
      id: account.id,
      role: account.role,
      username: account.username,
      displayName: account.displayName,
      keyBundle: { nonce: account.keyBundleNonce, ciphertext: account.keyBundle },
      boxPublicKey: account.boxPublicKey,
      signPublicKey: account.signPublicKey,
      channels: served,
      organisation: organisation ?? null,
      totpEnabled: account.totpEnabledAt !== null,
      totpRequired: options.requireTotp && account.role === 'adviser',
    };
  }

  return {
    view,

    async acceptInvite(input: NewAccount, now = new Date()): Promise<{ accountId: string; role: Role }> {
      if (!USERNAME.test(input.username)) {
        throw badRequest('invalid_username', 'A user name is 3 to 64 lower-case letters, digits, dots, hyphens or underscores.');
      }
      const displayName = input.displayName.trim();
      if (displayName.length === 0 || displayName.length > 100) throw badRequest('invalid_display_name', 'A display name is 1 to 100 characters.');
      checkKdf(input.kdf);
      checkBundle(input.keyBundle, 'key_bundle');
      checkBundle(input.recoveryBundle, 'recovery_bundle');
      const accountId = newId();
      try {
        return await db.transaction(async (tx) => {
          // Spending the invite first makes a second acceptance of the same token fail.
          const [invite] = await tx
            .update(invites)
            .set({ usedAt: now })
            .where(and(eq(invites.tokenHash, tokenHash(input.token)), isNull(invites.usedAt), gt(invites.expiresAt, now)))
            .returning();
          if (!invite) throw notFound('invite_invalid', 'This invite link is unknown, used or expired: ask the operator for a new one.');
          await tx.insert(staffAccounts).values({
            id: accountId,
            role: invite.role,
            username: input.username,
            displayName,
            organisationId: invite.role === 'recipient' ? invite.organisationId : null,
            kdfSalt: input.kdf.salt,
            kdfOps: input.kdf.ops,
            kdfMem: input.kdf.mem,
            verifier: verifierOf(input.authKey),
            boxPublicKey: input.boxPublicKey,
            signPublicKey: input.signPublicKey,
            keyBundleNonce: input.keyBundle.nonce,
            keyBundle: input.keyBundle.ciphertext,
            recoveryBundleNonce: input.recoveryBundle.nonce,
            recoveryBundle: input.recoveryBundle.ciphertext,
            createdAt: now,
          });
          await tx.update(invites).set({ accountId }).where(eq(invites.id, invite.id));
          if (invite.role === 'adviser' && invite.channelId) {
            await tx.insert(adviserChannels).values({ accountId, channelId: invite.channelId, createdAt: now });
          }
          await recordAudit(tx, { actor: accountId, action: 'account_created', subject: invite.id, at: now });
          return { accountId, role: invite.role };
        });
      } catch (error) {
        if (isUniqueViolation(error, 'username')) throw conflict('username_taken', 'This user name is taken: choose another.');
        throw error;
      }
    },

    /** An adviser who already has an account joins another channel with a new invite. */
    async joinChannel(principal: StaffPrincipal, token: string, now = new Date()): Promise<{ channel: string }> {
      return db.transaction(async (tx) => {
        const [invite] = await tx
          .update(invites)
          .set({ usedAt: now, accountId: principal.accountId })
          .where(and(eq(invites.tokenHash, tokenHash(token)), isNull(invites.usedAt), gt(invites.expiresAt, now), eq(invites.role, principal.role)))
          .returning();
        if (!invite?.channelId) throw notFound('invite_invalid', 'This invite link is unknown, used, expired or not for an adviser.');
        await tx.insert(adviserChannels).values({ accountId: principal.accountId, channelId: invite.channelId, createdAt: now }).onConflictDoNothing();
        await recordAudit(tx, { actor: principal.accountId, action: 'channel_joined', subject: invite.id, at: now });
        const [channel] = await tx.select({ slug: channels.slug }).from(channels).where(eq(channels.id, invite.channelId));
        return { channel: channel?.slug ?? '' };
      });
    },

    /** The KDF parameters of a user name; unknown names get stable fake ones, so existence does not show. */
    async prelogin(username: string): Promise<KdfParams> {
      const account = await accountByUsername(username);
      if (account) return { salt: account.kdfSalt, ops: account.kdfOps, mem: account.kdfMem };
      return { salt: fakeStaffSalt(secrets.serverSecret, username), ops: STAFF_ARGON2_OPS, mem: STAFF_ARGON2_MEM };
    },

    async login(input: { username: string; authKey: Uint8Array; totp?: string | undefined }, now = new Date()) {
      const account = await accountByUsername(input.username);
      // Unknown names go through the same claim, hash, code and failure steps as known ones.
      if (!(await claimAttempt(account?.id, now)) && account) throw await throttled(account.id, now);
      const keyRight = keyMatches(input.authKey, account?.verifier);
      const step = totpMatch(account, input.totp, now);
      if (!account || !keyRight) {
        await recordFailure(account?.id, now);
        throw loginFailed();
      }
      const spend = await secondFactor(account, input.totp, step, now, loginFailed);
      if (!(await accept(db, account.id, spend))) {
        await recordFailure(account.id, now);
        throw loginFailed();
      }
      await recordAudit(db, { actor: account.id, action: 'login', subject: account.id, at: now });
      const session = await newSession(account.id, now);
      return { ...session, account: await view(account.id) };
    },

    /** The account a bearer token belongs to, sliding the idle expiry within the absolute one. */
    async authenticate(token: string | undefined, now = new Date()): Promise<StaffPrincipal> {
      if (!token) throw notSignedIn();
      const hash = tokenHash(token);
      const [session] = await sessionByToken.execute({ hash, now });
      if (!session) throw notSignedIn();
      const absoluteEnd = session.createdAt.getTime() + SESSION_MAX_MS;
      if (now.getTime() >= absoluteEnd) throw notSignedIn();
      if (now.getTime() - session.lastUsedAt.getTime() > SESSION_TOUCH_MS) {
        const expiresAt = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, absoluteEnd));
        await db.update(staffSessions).set({ lastUsedAt: now, expiresAt }).where(eq(staffSessions.tokenHash, hash));
      }
      return {
        accountId: session.accountId,
        role: session.role,
        username: session.username,
        tokenHash: hash,
        totpEnrolmentRequired: options.requireTotp && session.role === 'adviser' && session.totpEnabledAt === null,
      };
    },

    async logout(principal: StaffPrincipal, now = new Date()): Promise<void> {
      await db.delete(staffSessions).where(eq(staffSessions.tokenHash, principal.tokenHash));
      await recordAudit(db, { actor: principal.accountId, action: 'logout', subject: principal.accountId, at: now });
    },

    /**
     * Starts TOTP enrolment: a new secret, active only once a code from it is confirmed. The
     * current authKey proves the passphrase, checked and throttled like a login, so a stolen
     * bearer token cannot put the thief's second factor on the account.
     */
    async startTotp(principal: StaffPrincipal, authKey: Uint8Array, now = new Date()): Promise<{ secret: Uint8Array; uri: string }> {
      const [account] = await db.select().from(staffAccounts).where(eq(staffAccounts.id, principal.accountId));
      if (!account) throw notSignedIn();
      if (account.totpEnabledAt) throw totpOn();
      if (!(await claimAttempt(account.id, now))) throw await throttled(account.id, now);
      if (!keyMatches(authKey, account.verifier)) {
        await recordFailure(account.id, now);
        throw passphraseWrong();
      }
      const secret = newTotpSecret();
      const [started] = await db
        .update(staffAccounts)
        .set({ totpSecret: secret, failedLogins: 0, lockedUntil: null })
        .where(and(eq(staffAccounts.id, account.id), isNull(staffAccounts.totpEnabledAt)))
        .returning({ id: staffAccounts.id });
      if (!started) throw totpOn();
      return { secret, uri: otpauthUri(secret, principal.username, options.issuer) };
    },

    async confirmTotp(principal: StaffPrincipal, code: string, now = new Date()): Promise<void> {
      const [account] = await db.select().from(staffAccounts).where(eq(staffAccounts.id, principal.accountId));
      if (!account?.totpSecret) throw conflict('totp_not_started', 'Start the TOTP enrolment first.');
      if (account.totpEnabledAt) throw totpOn();
      const step = matchTotp(account.totpSecret, code, now, null);
      if (step === null) throw badRequest('invalid_totp', 'That code does not match: check the clock of the device and try the next code.');
      // Only the secret the code was checked against, and only once: a concurrent confirmation or a new start loses.
      const [enabled] = await db
        .update(staffAccounts)
        .set({ totpEnabledAt: now, totpLastStep: step })
        .where(and(eq(staffAccounts.id, principal.accountId), isNull(staffAccounts.totpEnabledAt), eq(staffAccounts.totpSecret, account.totpSecret)))
        .returning({ id: staffAccounts.id });
      if (!enabled) {
        const [current] = await db.select({ enabledAt: staffAccounts.totpEnabledAt }).from(staffAccounts).where(eq(staffAccounts.id, principal.accountId));
        if (current?.enabledAt) throw totpOn();
        throw conflict('totp_restarted', 'The enrolment was started again meanwhile: confirm with a code of the newest secret.');
      }
      await recordAudit(db, { actor: principal.accountId, action: 'totp_enabled', subject: principal.accountId, at: now });
    },

    /** A new passphrase: proven by the current authKey; every other session ends. */
    async changePassphrase(principal: StaffPrincipal, input: { authKey: Uint8Array; kdf: KdfParams; newAuthKey: Uint8Array; keyBundle: Sealed }, now = new Date()) {
      checkKdf(input.kdf);
      checkBundle(input.keyBundle, 'key_bundle');
      const [account] = await db.select().from(staffAccounts).where(eq(staffAccounts.id, principal.accountId));
      if (!account) throw notSignedIn();
      // Throttled like a login: a stolen bearer token must not guess passphrases freely.
      if (!(await claimAttempt(account.id, now))) throw await throttled(account.id, now);
      if (!keyMatches(input.authKey, account.verifier)) {
        await recordFailure(account.id, now);
        throw passphraseWrong();
      }
      await db.transaction(async (tx) => {
        await tx
          .update(staffAccounts)
          .set({
            kdfSalt: input.kdf.salt,
            kdfOps: input.kdf.ops,
            kdfMem: input.kdf.mem,
            verifier: verifierOf(input.newAuthKey),
            keyBundleNonce: input.keyBundle.nonce,
            keyBundle: input.keyBundle.ciphertext,
            failedLogins: 0,
            lockedUntil: null,
          })
          .where(eq(staffAccounts.id, account.id));
        await tx.delete(staffSessions).where(and(eq(staffSessions.accountId, account.id), ne(staffSessions.tokenHash, principal.tokenHash)));
        await recordAudit(tx, { actor: account.id, action: 'passphrase_changed', subject: account.id, at: now });
      });
    },

    /**
     * The first step of recovery: a signed challenge and the recovery bundle. Unknown names get
     * a stable fake bundle of the same size, so the answer does not tell whether they exist.
     */
    async recoveryChallenge(username: string, now = new Date()): Promise<{ challenge: string; recoveryBundle: Sealed }> {
      const expiry = Math.floor((now.getTime() + RECOVERY_CHALLENGE_MS) / 1000);
      const body = `${expiry}.${randomBytes(16).toString('base64url')}`;
      const challenge = `${body}.${recoveryMac(`${username}|${body}`)}`;
      const account = await accountByUsername(username);
      if (account) return { challenge, recoveryBundle: { nonce: account.recoveryBundleNonce, ciphertext: account.recoveryBundle } };
      const bytes = createHash('shake256', { outputLength: 24 + BUNDLE_BYTES })
        .update(secrets.serverSecret)
        .update(`fake-recovery|${username}`)
        .digest();
      return { challenge, recoveryBundle: { nonce: bytes.subarray(0, 24), ciphertext: bytes.subarray(24, 24 + BUNDLE_BYTES) } };
    },

    /** Recovery: the signature proves the recovery key opened the bundle; a new passphrase replaces the old. */
    async recover(
      input: { username: string; challenge: string; signature: Uint8Array; totp?: string | undefined; kdf: KdfParams; authKey: Uint8Array; keyBundle: Sealed },
      now = new Date(),
    ): Promise<void> {
      checkKdf(input.kdf);
      checkBundle(input.keyBundle, 'key_bundle');
      const parts = input.challenge.split('.');
      const [expiry, random, tag] = parts;
      const genuine = parts.length === 3 && !!expiry && !!random && !!tag && sameBytes(Buffer.from(tag), Buffer.from(recoveryMac(`${input.username}|${expiry}.${random}`)));
      if (!genuine || Number(expiry) * 1000 <= now.getTime()) throw recoveryFailed();
      const account = await accountByUsername(input.username);
      // Unknown names go through the same claim, signature, code and failure steps as known ones.
      if (!(await claimAttempt(account?.id, now)) && account) throw await throttled(account.id, now);
      const signed = signatureMatches(input.challenge, input.signature, account?.signPublicKey);
      const step = totpMatch(account, input.totp, now);
      if (!account || !signed) {
        await recordFailure(account?.id, now);
        throw recoveryFailed();
      }
      const spend = await secondFactor(account, input.totp, step, now, recoveryFailed);
      await db.transaction(async (tx) => {
        const spent = await tx
          .insert(spentPowChallenges)
          .values({ challengeHash: createHash('sha256').update(`recovery|${input.challenge}`).digest(), expiresAt: new Date(Number(expiry) * 1000) })
          .onConflictDoNothing()
          .returning({ expiresAt: spentPowChallenges.expiresAt });
        if (spent.length === 0) throw recoveryFailed();
        const replaced = await accept(tx, account.id, spend, {
          kdfSalt: input.kdf.salt,
          kdfOps: input.kdf.ops,
          kdfMem: input.kdf.mem,
          verifier: verifierOf(input.authKey),
          keyBundleNonce: input.keyBundle.nonce,
          keyBundle: input.keyBundle.ciphertext,
        });
        if (!replaced) throw recoveryFailed();
        await tx.delete(staffSessions).where(eq(staffSessions.accountId, account.id));
        await recordAudit(tx, { actor: account.id, action: 'recovered', subject: account.id, at: now });
      });
    },

    /** Forgets expired sessions. */
    async sweep(now = new Date()): Promise<void> {
      await db.delete(staffSessions).where(lt(staffSessions.expiresAt, now));
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
