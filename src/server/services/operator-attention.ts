/**
 * What the installation's configuration asks of its operators (the operator's digest, and the
 * console): channels nobody can read, organisations nobody receives for, invites about to lapse.
 * Names and a count only: configuration, never a case.
 */
import { and, asc, eq, gt, isNull, lte, notExists } from 'drizzle-orm';
import type { Database, Transaction } from '../db/connection.js';
import { adviserChannels, channels, invites, organisations, staffAccounts } from '../db/schema.js';

/** What the installation's configuration asks of its operators: names only, never a case. */
export interface OperatorAttention {
  /** Channels no enabled adviser serves: a report there has nobody to read it. */
  channelsWithoutAdviser: string[];
  /** Organisations no enabled recipient serves: a relay to them has nobody to receive it. */
  organisationsWithoutRecipient: string[];
  /** Pending invites that expire within two days, unused. */
  invitesExpiringSoon: number;
}

/** "Expiring soon": an unused invite that lapses within this. */
const EXPIRING_MS = 2 * 24 * 3600 * 1000;

export async function operatorAttention(q: Database | Transaction, now = new Date()): Promise<OperatorAttention> {
  const withoutAdviser = await q
    .select({ name: channels.name })
    .from(channels)
    .where(
      notExists(
        q
          .select({ one: adviserChannels.accountId })
          .from(adviserChannels)
          .innerJoin(staffAccounts, eq(staffAccounts.id, adviserChannels.accountId))
          .where(and(eq(adviserChannels.channelId, channels.id), eq(staffAccounts.role, 'adviser'), isNull(staffAccounts.disabledAt))),
      ),
    )
    .orderBy(asc(channels.name), asc(channels.id));
  const withoutRecipient = await q
    .select({ name: organisations.name })
    .from(organisations)
    .where(
      notExists(
        q
          .select({ one: staffAccounts.id })
          .from(staffAccounts)
          .where(and(eq(staffAccounts.organisationId, organisations.id), eq(staffAccounts.role, 'recipient'), isNull(staffAccounts.disabledAt))),
      ),
    )
    .orderBy(asc(organisations.name), asc(organisations.id));
  const expiring = await q
    .select({ id: invites.id })
    .from(invites)
    .where(and(isNull(invites.usedAt), gt(invites.expiresAt, now), lte(invites.expiresAt, new Date(now.getTime() + EXPIRING_MS))));
  return {
    channelsWithoutAdviser: withoutAdviser.map((r) => r.name),
    organisationsWithoutRecipient: withoutRecipient.map((r) => r.name),
    invitesExpiringSoon: expiring.length,
  };
}
