/**
 * A staff member's passphrase: changed with the current one, or replaced with the recovery key
 * (protocol-v1 §3). Recovery is challenge-response: the client opens the recovery bundle with
 * the recovery key and signs a challenge this server issued for the user name.
 */
import { createHash, createHmac } from 'node:crypto';
import { and, eq, ne } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { spentPowChallenges, staffAccounts, staffSessions } from '../db/schema.js';
import { unauthenticated } from '../errors.js';
import { checkBundle, checkKdf, notSignedIn, type AccountChecks } from './account-checks.js';
import type { KdfParams, StaffPrincipal } from './accounts.js';
import type { Sealed } from './sealed.js';
import { recordAudit } from './audit.js';
import type { InstanceSecrets } from './settings.js';
import { createTextChallenges, spentChallenge } from './signed-challenge.js';

const RECOVERY_CHALLENGE_MS = 5 * 60 * 1000;
/** A key bundle seals JSON of two base64url keys (43 + 86 symbols): 167 bytes and the tag, as our client writes it. */
const BUNDLE_BYTES = 183;

const recoveryFailed = () => unauthenticated('recovery_failed', 'The recovery did not succeed: check the user name and the recovery key.');

export function createAccountRecovery(db: Database, checks: AccountChecks, secrets: InstanceSecrets) {
  const challenges = createTextChallenges(createHmac('sha256', secrets.serverSecret).update('confidant/recovery-challenge-key').digest(), RECOVERY_CHALLENGE_MS);

  return {
    /** A new passphrase: proven by the current authKey; every other session ends. */
    async changePassphrase(principal: StaffPrincipal, input: { authKey: Uint8Array; kdf: KdfParams; newAuthKey: Uint8Array; keyBundle: Sealed }, now = new Date()) {
      checkKdf(input.kdf);
      checkBundle(input.keyBundle, 'key_bundle');
      const account = await checks.accountById(principal.accountId);
      if (!account) throw notSignedIn();
      await checks.provePassphrase(account, input.authKey, now);
      await db.transaction(async (tx) => {
        await tx
          .update(staffAccounts)
          .set({
            kdfSalt: input.kdf.salt,
            kdfOps: input.kdf.ops,
            kdfMem: input.kdf.mem,
            verifier: checks.verifierOf(input.newAuthKey),
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
      const { challenge } = challenges.issue(now, username);
      const account = await checks.accountByUsername(username);
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
      const expiresAt = challenges.expiryOf(input.challenge, input.username);
      if (!expiresAt || expiresAt <= now) throw recoveryFailed();
      const account = await checks.accountByUsername(input.username);
      // Unknown names go through the same claim, signature, code and failure steps as known ones.
      if (!(await checks.claimAttempt(account?.id, now)) && account) throw await checks.lockedOut(account.id, now);
      const signed = checks.signatureMatches(input.challenge, input.signature, account?.signPublicKey);
      const step = checks.totpMatch(account, input.totp, now);
      if (!account || !signed) {
        await checks.recordFailure(account?.id, now);
        throw recoveryFailed();
      }
      const spend = await checks.secondFactor(account, input.totp, step, now, recoveryFailed);
      await db.transaction(async (tx) => {
        // Spent like a proof-of-work challenge, in the same table: the prefix keeps the two apart.
        const spent = await tx
          .insert(spentPowChallenges)
          .values(spentChallenge(`recovery|${input.challenge}`, expiresAt))
          .onConflictDoNothing()
          .returning({ expiresAt: spentPowChallenges.expiresAt });
        if (spent.length === 0) throw recoveryFailed();
        const replaced = await checks.accept(tx, account.id, spend, {
          kdfSalt: input.kdf.salt,
          kdfOps: input.kdf.ops,
          kdfMem: input.kdf.mem,
          verifier: checks.verifierOf(input.authKey),
          keyBundleNonce: input.keyBundle.nonce,
          keyBundle: input.keyBundle.ciphertext,
        });
        if (!replaced) throw recoveryFailed();
        await tx.delete(staffSessions).where(eq(staffSessions.accountId, account.id));
        await recordAudit(tx, { actor: account.id, action: 'recovered', subject: account.id, at: now });
      });
    },
  };
}
