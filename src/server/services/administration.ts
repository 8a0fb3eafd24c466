/**
 * The operator's work: organisations, channels with their lists of departments or locations, and
 * one-time invites. Used by the `confidant` command and by the first start; no HTTP route exposes
 * it yet. Like the rest of the operator's work it is not audited: the audit chain records what
 * staff accounts do through the service.
 */
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { NOT_RECORDED, REMOVED_LOCATION } from '../../protocol/annual-report/aggregate.js';
import { LOCATION_ID } from '../../protocol/registration.js';
import type { Database } from '../db/connection.js';
import { channels, invites, organisations, type ChannelLocation } from '../db/schema.js';
import { invalid, conflict, notFound } from '../errors.js';
import { newId, newToken, tokenHash } from '../tokens.js';

export const INVITE_DAYS = 7;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export type { ChannelLocation };
/** The most departments or locations a channel lists. */
export const LOCATIONS_MAX = 50;
/** The longest location name, in characters. */
export const LOCATION_NAME_MAX = 80;
/** Row keys of the annual report's location table: never a location's id. */
const RESERVED_LOCATION_IDS: readonly string[] = [NOT_RECORDED, REMOVED_LOCATION];
/** As the contract's PlainText: no control characters, no lone surrogates. */
const NOT_PLAIN = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/u;

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
  /** The organisation's departments or locations advisers record a case under; empty when it keeps none. */
  locations: ChannelLocation[];
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

/**
 * A channel's list of departments or locations, checked: 0 to 50 entries; ids lower-case slugs of
 * the registration record (`LOCATION_ID`), each once, none a row key of the annual report; names
 * trimmed, 1 to 80 characters without control characters, each once. Keeps the order given.
 */
export function checkLocations(entries: readonly ChannelLocation[]): ChannelLocation[] {
  if (entries.length > LOCATIONS_MAX) {
    throw invalid('invalid_locations', `A channel lists at most ${LOCATIONS_MAX} locations, got ${entries.length}.`);
  }
  const ids = new Set<string>();
  const names = new Set<string>();
  return entries.map(({ id, name }) => {
    if (!LOCATION_ID.test(id)) {
      throw invalid(
        'invalid_location_id',
        `A location id must be 1 to 40 lower-case letters, digits or hyphens, starting with a letter or digit, got "${id}".`,
      );
    }
    if (RESERVED_LOCATION_IDS.includes(id)) throw invalid('invalid_location_id', `The location id "${id}" is reserved; choose another.`);
    if (ids.has(id)) throw invalid('invalid_locations', `The location id "${id}" is listed twice.`);
    const trimmed = name.trim();
    const length = [...trimmed].length;
    if (length === 0 || length > LOCATION_NAME_MAX || NOT_PLAIN.test(trimmed)) {
      throw invalid('invalid_location_name', `The name of location "${id}" must be 1 to ${LOCATION_NAME_MAX} characters without control characters.`);
    }
    if (names.has(trimmed)) throw invalid('invalid_locations', `The location name "${trimmed}" is listed twice.`);
    ids.add(id);
    names.add(trimmed);
    return { id, name: trimmed };
  });
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

    /**
     * Replaces a channel's list of departments or locations (an empty list: it keeps none). The
     * channel's advisers get it at their next sign-in. A registration keeps the id it recorded:
     * an id taken off the list shows as removed, so a renamed location keeps its id.
     */
    async setChannelLocations(slug: string, entries: readonly ChannelLocation[]): Promise<ChannelLocation[]> {
      const locations = checkLocations(entries);
      const rows = await db.update(channels).set({ locations }).where(eq(channels.slug, slug)).returning({ locations: channels.locations });
      if (!rows[0]) throw notFound('unknown_channel', `There is no channel "${slug}".`);
      return rows[0].locations;
    },

    /** A channel's list of departments or locations, in the operator's order. */
    async channelLocations(slug: string): Promise<ChannelLocation[]> {
      return (await channelRow(slug)).locations;
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
