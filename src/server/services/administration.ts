/**
 * The operator's work: organisations, channels and one-time invites. Used by the
 * `confidant` command and by the first start; no HTTP route exposes it yet.
 */
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { channels, invites, organisations } from '../db/schema.js';
import { invalid, conflict, notFound } from '../errors.js';
import { newId, newToken, tokenHash } from '../tokens.js';

export const INVITE_DAYS = 7;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export interface Organisation {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

export interface Channel {
  id: string;
  slug: string;
  name: string;
  organisationSlug: string;
  consentRequired: boolean;
  powDifficulty: number;
  createdAt: Date;
}

export interface CreatedInvite {
  id: string;
  /** Shown once, in the link fragment; only its hash is stored. */
  token: string;
  role: 'adviser' | 'recipient';
  expiresAt: Date;
}

export interface PendingInvite {
  id: string;
  role: 'adviser' | 'recipient';
  target: string;
  createdAt: Date;
  expiresAt: Date;
}

function checkSlug(slug: string, what: string): void {
  if (!SLUG.test(slug)) {
    throw invalid('invalid_slug', `The ${what} slug must be 1 to 64 lower-case letters, digits or hyphens, got "${slug}".`);
  }
}

function checkName(name: string, what: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) {
    throw invalid('invalid_name', `The ${what} name must be 1 to 200 characters.`);
  }
  return trimmed;
}

export function createAdministration(db: Database, defaults: { powDifficulty: number }) {
  async function organisationBySlug(slug: string): Promise<Organisation> {
    const [row] = await db.select().from(organisations).where(eq(organisations.slug, slug));
    if (!row) throw notFound('unknown_organisation', `There is no organisation "${slug}".`);
    return row;
  }

  async function channelRow(slug: string) {
    const [row] = await db.select().from(channels).where(eq(channels.slug, slug));
    if (!row) throw notFound('unknown_channel', `There is no channel "${slug}".`);
    return row;
  }

  return {
    organisationBySlug,

    async createOrganisation(input: { slug: string; name: string }): Promise<Organisation> {
      checkSlug(input.slug, 'organisation');
      const name = checkName(input.name, 'organisation');
      const rows = await db
        .insert(organisations)
        .values({ id: newId(), slug: input.slug, name })
        .onConflictDoNothing()
        .returning();
      if (!rows[0]) throw conflict('organisation_exists', `An organisation "${input.slug}" exists already.`);
      return rows[0];
    },

    async createChannel(input: {
      slug: string;
      name: string;
      organisation: string;
      consentRequired?: boolean;
      powDifficulty?: number;
    }): Promise<Channel> {
      checkSlug(input.slug, 'channel');
      const name = checkName(input.name, 'channel');
      const powDifficulty = input.powDifficulty ?? defaults.powDifficulty;
      if (!Number.isInteger(powDifficulty) || powDifficulty < 0 || powDifficulty > 32) {
        throw invalid('invalid_pow_difficulty', 'The proof-of-work difficulty must be a whole number from 0 to 32.');
      }
      const organisation = await organisationBySlug(input.organisation);
      const rows = await db
        .insert(channels)
        .values({
          id: newId(),
          slug: input.slug,
          name,
          organisationId: organisation.id,
          consentRequired: input.consentRequired ?? true,
          powDifficulty,
        })
        .onConflictDoNothing()
        .returning();
      const row = rows[0];
      if (!row) throw conflict('channel_exists', `A channel "${input.slug}" exists already.`);
      return { ...row, organisationSlug: organisation.slug };
    },

    async listOrganisations(): Promise<Organisation[]> {
      return db.select().from(organisations).orderBy(asc(organisations.slug));
    },

    async listChannels(): Promise<Channel[]> {
      const rows = await db
        .select({ channel: channels, organisationSlug: organisations.slug })
        .from(channels)
        .innerJoin(organisations, eq(channels.organisationId, organisations.id))
        .orderBy(asc(channels.slug));
      return rows.map((r) => ({ ...r.channel, organisationSlug: r.organisationSlug }));
    },

    /** An adviser joins a channel; an organisation recipient joins an organisation. */
    async createInvite(
      input: { role: 'adviser'; channel: string } | { role: 'recipient'; organisation: string },
      now = new Date(),
    ): Promise<CreatedInvite> {
      const target =
        input.role === 'adviser'
          ? { channelId: (await channelRow(input.channel)).id, organisationId: null }
          : { channelId: null, organisationId: (await organisationBySlug(input.organisation)).id };
      const token = newToken();
      const expiresAt = new Date(now.getTime() + INVITE_DAYS * 24 * 3600 * 1000);
      const id = newId();
      await db.insert(invites).values({ id, tokenHash: tokenHash(token), role: input.role, ...target, createdAt: now, expiresAt });
      return { id, token, role: input.role, expiresAt };
    },

    async listPendingInvites(now = new Date()): Promise<PendingInvite[]> {
      const rows = await db
        .select({
          id: invites.id,
          role: invites.role,
          channel: channels.slug,
          organisation: organisations.slug,
          createdAt: invites.createdAt,
          expiresAt: invites.expiresAt,
        })
        .from(invites)
        .leftJoin(channels, eq(invites.channelId, channels.id))
        .leftJoin(organisations, eq(invites.organisationId, organisations.id))
        .where(and(isNull(invites.usedAt), gt(invites.expiresAt, now)))
        .orderBy(asc(invites.createdAt));
      return rows.map((r) => ({
        id: r.id,
        role: r.role,
        target: r.role === 'adviser' ? `channel ${r.channel}` : `organisation ${r.organisation}`,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
      }));
    },
  };
}

export type Administration = ReturnType<typeof createAdministration>;

/** The link an invitee opens; the token rides in the fragment, so no server or proxy logs it. */
/**
 * The link an invited person opens. The token travels in the fragment, which browsers never
 * send; the role in the query only chooses the page's texts (the server decides the role).
 */
export const inviteLink = (publicUrl: string, invite: { token: string; role: 'adviser' | 'recipient' }): string =>
  `${publicUrl}/invite?for=${invite.role}#${invite.token}`;
