/**
 * TOTP enrolment for staff (RFC 6238): a new secret, active only once a code from it is
 * confirmed. Checking codes at sign-in lives with the other checks in account-checks.ts.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { staffAccounts } from '../db/schema.js';
import { conflict, invalid } from '../errors.js';
import { notSignedIn, type AccountChecks } from './account-checks.js';
import type { StaffPrincipal } from './accounts.js';
import { recordAudit } from './audit.js';
import { matchTotp, newTotpSecret, otpauthUri } from './totp.js';

const totpOn = () => conflict('totp_enabled', 'TOTP is on already for this account.');

export function createSecondFactor(db: Database, checks: AccountChecks, options: { issuer: string }) {
  return {
    /**
     * Starts enrolment. The current authKey proves the passphrase, checked and throttled like a
     * login, so a stolen bearer token cannot put the thief's second factor on the account.
     */
    async startTotp(principal: StaffPrincipal, authKey: Uint8Array, now = new Date()): Promise<{ secret: Uint8Array; uri: string }> {
      const account = await checks.accountById(principal.accountId);
      if (!account) throw notSignedIn();
      if (account.totpEnabledAt) throw totpOn();
      await checks.provePassphrase(account, authKey, now);
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
      const account = await checks.accountById(principal.accountId);
      if (!account?.totpSecret) throw conflict('totp_not_started', 'Start the TOTP enrolment first.');
      if (account.totpEnabledAt) throw totpOn();
      const step = matchTotp(account.totpSecret, code, now, null);
      if (step === null) throw invalid('invalid_totp', 'That code does not match: check the clock of the device and try the next code.');
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
  };
}
