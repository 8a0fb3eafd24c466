/**
 * Invite acceptance (protocol-v1 §3): a new staff account from an operator's invite, or an
 * existing adviser joining one more channel. Spending the invite is the first statement of the
 * transaction, so a token works once however many requests race with it.
 */
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { isUniqueViolation } from '../db/errors.js';
import { adviserChannels, channels, invites, staffAccounts } from '../db/schema.js';
import { conflict, invalid, notFound } from '../errors.js';
import { newId, tokenHash } from '../tokens.js';
import { checkBundle, checkKdf, type AccountChecks } from './account-checks.js';
import type { NewAccount, Role, StaffPrincipal } from './accounts.js';
import { recordAudit } from './audit.js';

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export function createAccountInvites(db: Database, checks: AccountChecks) {
  return {
    async acceptInvite(input: NewAccount, now = new Date()): Promise<{ accountId: string; role: Role }> {
      if (!USERNAME.test(input.username)) {
        throw invalid('invalid_username', 'A user name is 3 to 64 lower-case letters, digits, dots, hyphens or underscores.');
      }
      const displayName = input.displayName.trim();
      if (displayName.length === 0 || displayName.length > 100) throw invalid('invalid_display_name', 'A display name is 1 to 100 characters.');
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
            verifier: checks.verifierOf(input.authKey),
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

    /** Forgets invites that expired unused: their link can never work again. Used ones stay, naming the account they made. */
    async sweepInvites(now = new Date()): Promise<void> {
      await db.delete(invites).where(and(isNull(invites.usedAt), lt(invites.expiresAt, now)));
    },
  };
}
