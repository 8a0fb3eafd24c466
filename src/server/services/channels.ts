import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { adviserChannels, channels, staffAccounts } from '../db/schema.js';
import { notFound } from '../errors.js';

export interface ChannelAdviser {
  keyId: string;
  name: string;
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
}

export interface PublicChannel {
  id: string;
  slug: string;
  name: string;
  organisationId: string;
  consentRequired: boolean;
  powDifficulty: number;
  advisers: ChannelAdviser[];
}

/** What a reporter's browser needs to know about a channel before writing a report. */
export function createChannels(db: Database) {
  return {
    async bySlug(slug: string): Promise<PublicChannel> {
      const [channel] = await db.select().from(channels).where(eq(channels.slug, slug));
      if (!channel) throw notFound('unknown_channel', 'There is no channel at this address.');
      const advisers = await db
        .select({
          keyId: staffAccounts.id,
          name: staffAccounts.displayName,
          boxPublicKey: staffAccounts.boxPublicKey,
          signPublicKey: staffAccounts.signPublicKey,
        })
        .from(adviserChannels)
        .innerJoin(staffAccounts, eq(adviserChannels.accountId, staffAccounts.id))
        .where(and(eq(adviserChannels.channelId, channel.id), eq(staffAccounts.role, 'adviser'), isNull(staffAccounts.disabledAt)))
        .orderBy(asc(staffAccounts.displayName), asc(staffAccounts.id));
      return { ...channel, advisers };
    },
  };
}

export type Channels = ReturnType<typeof createChannels>;
