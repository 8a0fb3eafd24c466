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
    /** One query on the submission's hot path: the channel with its advisers joined. */
    async bySlug(slug: string): Promise<PublicChannel> {
      const rows = await db
        .select({
          // Column by column: the channel's list of locations is the organisation's structure,
          // for its advisers (the staff account), never for the reporter's side.
          channel: {
            id: channels.id,
            slug: channels.slug,
            name: channels.name,
            organisationId: channels.organisationId,
            consentRequired: channels.consentRequired,
            powDifficulty: channels.powDifficulty,
          },
          keyId: staffAccounts.id,
          name: staffAccounts.displayName,
          boxPublicKey: staffAccounts.boxPublicKey,
          signPublicKey: staffAccounts.signPublicKey,
        })
        .from(channels)
        .leftJoin(adviserChannels, eq(adviserChannels.channelId, channels.id))
        .leftJoin(
          staffAccounts,
          and(eq(adviserChannels.accountId, staffAccounts.id), eq(staffAccounts.role, 'adviser'), isNull(staffAccounts.disabledAt)),
        )
        .where(eq(channels.slug, slug))
        .orderBy(asc(staffAccounts.displayName), asc(staffAccounts.id));
      const first = rows[0];
      if (!first) throw notFound('unknown_channel', 'There is no channel at this address.');
      const advisers: ChannelAdviser[] = [];
      for (const row of rows) {
        if (row.keyId && row.name && row.boxPublicKey && row.signPublicKey) {
          advisers.push({ keyId: row.keyId, name: row.name, boxPublicKey: row.boxPublicKey, signPublicKey: row.signPublicKey });
        }
      }
      return { ...first.channel, advisers };
    },
  };
}

export type Channels = ReturnType<typeof createChannels>;
