/**
 * Staff sign-in and sessions (protocol-v1 §3): pre-login, login with optional TOTP, bearer
 * sessions that slide within an absolute limit, sign-out, and the signed-in account's view.
 */
import { createHmac } from 'node:crypto';
import { and, asc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { STAFF_ARGON2_MEM, STAFF_ARGON2_OPS } from '../../protocol/index.js';
import { fakeStaffSalt } from '../../protocol/checks.js';
import type { Database } from '../db/connection.js';
import { adviserChannels, channels, organisations, staffAccounts, staffSessions } from '../db/schema.js';
import { unauthenticated } from '../errors.js';
import { newToken, tokenHash } from '../tokens.js';
import { notSignedIn, type AccountChecks } from './account-checks.js';
import type { AccountView, KdfParams, StaffPrincipal } from './accounts.js';
import { totpRoles } from './roles.js';
import { recordAudit } from './audit.js';
import type { InstanceSecrets } from './settings.js';

export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 3600 * 1000;
const SESSION_TOUCH_MS = 60 * 1000;

const loginFailed = () => unauthenticated('login_failed', 'The user name, passphrase or authentication code is not right.');

export function createStaffSessions(db: Database, checks: AccountChecks, secrets: InstanceSecrets, options: { requireTotp: boolean }) {
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

  async function newSession(accountId: string, now: Date) {
    const token = newToken();
    const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
    await db.insert(staffSessions).values({ tokenHash: tokenHash(token), accountId, createdAt: now, lastUsedAt: now, expiresAt });
    return { token, expiresAt };
  }

  async function view(accountId: string): Promise<AccountView> {
    const account = await checks.accountById(accountId);
    if (!account) throw notSignedIn();
    const served = await db
      .select({ slug: channels.slug, name: channels.name, organisation: organisations.slug, locations: channels.locations })
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
      totpRequired: options.requireTotp && totpRoles.includes(account.role),
    };
  }

  return {
    view,

    /** The KDF parameters of a user name; unknown names get stable fake ones, so existence does not show. */
    async prelogin(username: string): Promise<KdfParams> {
      const account = await checks.accountByUsername(username);
      if (account) return { salt: account.kdfSalt, ops: account.kdfOps, mem: account.kdfMem };
      return { salt: fakeStaffSalt(secrets.serverSecret, username), ops: STAFF_ARGON2_OPS, mem: STAFF_ARGON2_MEM };
    },

    async login(input: { username: string; authKey: Uint8Array; totp?: string | undefined }, now = new Date()) {
      const account = await checks.accountByUsername(input.username);
      // Unknown names go through the same claim, hash, code and failure steps as known ones.
      if (!(await checks.claimAttempt(account?.id, now)) && account) throw await checks.lockedOut(account.id, now);
      const keyRight = checks.keyMatches(input.authKey, account?.verifier);
      const step = checks.totpMatch(account, input.totp, now);
      if (!account || !keyRight) {
        await checks.recordFailure(account?.id, now);
        throw loginFailed();
      }
      const spend = await checks.secondFactor(account, input.totp, step, now, loginFailed);
      if (!(await checks.accept(db, account.id, spend))) {
        await checks.recordFailure(account.id, now);
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
        totpEnrolmentRequired: options.requireTotp && totpRoles.includes(session.role) && session.totpEnabledAt === null,
      };
    },

    /**
     * The key a browser needs, with its own non-extractable one, to resume this session in a
     * reloaded or new tab (protocol/staff-resume.ts): derived from the session, so nothing is
     * stored for it and it is gone when the session ends.
     */
    resumeKey(principal: StaffPrincipal): Uint8Array {
      return createHmac('sha256', secrets.serverSecret).update('confidant/staff-resume-key|').update(principal.tokenHash).digest();
    },

    async logout(principal: StaffPrincipal, now = new Date()): Promise<void> {
      await db.delete(staffSessions).where(eq(staffSessions.tokenHash, principal.tokenHash));
      await recordAudit(db, { actor: principal.accountId, action: 'logout', subject: principal.accountId, at: now });
    },

    /** Forgets expired sessions. */
    async sweep(now = new Date()): Promise<void> {
      await db.delete(staffSessions).where(lt(staffSessions.expiresAt, now));
    },
  };
}
