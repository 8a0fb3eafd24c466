/**
 * The operator's work: organisations, channels with their lists of departments or locations and
 * their retention, one-time invites, and staff accounts (disable, enable, remove an adviser from a
 * channel). Used by the `confidant` command, the operator's console (routes/operator-routes.ts)
 * and the first start. Every change is audited in its own transaction, with the actor the
 * administration was made for: an operator's account id, 'operator' for the command, 'system'.
 */
import { and, asc, count, eq, gt, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { NOT_RECORDED, REMOVED_LOCATION } from '../../protocol/annual-report/aggregate.js';
import { LOCATION_ID } from '../../protocol/registration.js';
import type { Database, Transaction } from '../db/connection.js';
import {
  adviserChannels, caseWraps, cases, channels, invites, organisations, staffAccounts, staffSessions, type ChannelLocation
} from '../db/schema.js';
import { invalid, conflict, notFound } from '../errors.js';
import { newId, newToken, tokenHash } from '../tokens.js';
import { recordAudit } from './audit.js';
import { operatorAttention, type OperatorAttention } from './operator-attention.js';
import type { Role } from './roles.js';
import { deletionDue, RETENTION_MONTHS_DEFAULT, RETENTION_MONTHS_MAX, RETENTION_MONTHS_MIN } from './retention.js';

export const INVITE_DAYS = 7;
export { RETENTION_MONTHS_DEFAULT, RETENTION_MONTHS_MAX, RETENTION_MONTHS_MIN };
/** The audit actor of everything the operator does with the `confidant` command. */
export const OPERATOR = 'operator';
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
  /** Months after closure when a closed case of the channel is deleted, unless held. */
  retentionMonths: number;
  /** Whether its advisers may get mail right after an event (else the digest only). */
  immediateMail: boolean;
  createdAt: Date;
}

export interface CreatedInvite {
  id: string;
  /** Shown once, in the link fragment; only its hash is stored. */
  token: string;
  role: Role;
  expiresAt: Date;
}

export interface PendingInvite {
  id: string;
  role: Role;
  target: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface StaffAccountSummary {
  id: string;
  username: string;
  role: Role;
  displayName: string;
  /** The slugs of the channels an adviser serves; empty for a recipient. */
  channels: string[];
  /** The slug of a recipient's organisation; null for an adviser. */
  organisation: string | null;
  createdAt: Date;
  disabledAt: Date | null;
}

/** What disabling or enabling an account did. */
export interface AccountChange {
  username: string;
  role: Role;
  /** False when the account was so already: nothing was written. */
  changed: boolean;
  /** When it was disabled; null when it is active. */
  disabledAt: Date | null;
  /** Sessions ended by disabling (0 otherwise). */
  sessionsEnded: number;
  /** The channels an adviser serves, whose adviser list this changes. */
  channels: string[];
}

/** What removing an adviser from a channel does (a preview) or did. */
export interface AdviserRemoval {
  channel: string;
  username: string;
  displayName: string;
  /** Cases of the channel the adviser holds a key to: they lose it. */
  cases: number;
  /** Of those, the cases no other enabled account holds a key to: nobody can read them afterwards. */
  unreadable: number;
  /** The channels the adviser serves besides this one. */
  otherChannels: string[];
}

/** A changed retention, and the closed cases it makes due for deletion at once. */
export interface RetentionChange {
  months: number;
  previous: number;
  /** Closed cases of the channel, not held or deleted, closed longer ago than `months`. */
  overdue: number;
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

/** What an invite is for, as the operator reads it: "channel meldpunt", "organisation acme", "installation". */
function inviteTarget(role: Role, slug: string): string {
  if (role === 'operator') return 'installation';
  return `${role === 'adviser' ? 'channel' : 'organisation'} ${slug}`;
}

function checkPowDifficulty(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw invalid('invalid_pow_difficulty', `The proof-of-work difficulty must be a whole number from 0 to 32, got ${bits}.`);
  }
  return bits;
}

function checkRetention(months: number): number {
  if (!Number.isInteger(months) || months < RETENTION_MONTHS_MIN || months > RETENTION_MONTHS_MAX) {
    throw invalid(
      'invalid_retention',
      `The retention must be a whole number of months from ${RETENTION_MONTHS_MIN} to ${RETENTION_MONTHS_MAX}, got ${months}.`,
    );
  }
  return months;
}

type Query = Database | Transaction;

async function accountByUsername(q: Query, username: string) {
  const [row] = await q
    .select({ id: staffAccounts.id, username: staffAccounts.username, role: staffAccounts.role, displayName: staffAccounts.displayName, disabledAt: staffAccounts.disabledAt })
    .from(staffAccounts)
    .where(eq(staffAccounts.username, username));
  if (!row) throw notFound('unknown_account', `There is no account "${username}".`);
  return row;
}

/** The slugs of the channels an account serves, in order. */
async function servedChannels(q: Query, accountId: string): Promise<string[]> {
  const rows = await q
    .select({ slug: channels.slug })
    .from(adviserChannels)
    .innerJoin(channels, eq(adviserChannels.channelId, channels.id))
    .where(eq(adviserChannels.accountId, accountId))
    .orderBy(asc(channels.slug));
  return rows.map((r) => r.slug);
}

/**
 * How many cases of a channel an account holds a key to, and how many of those no other enabled
 * account does: a disabled holder cannot sign in to read them, so it does not count.
 */
async function keysOnChannel(q: Query, accountId: string, channelId: string): Promise<{ cases: number; unreadable: number }> {
  const heldByAnother = sql`exists (select 1 from case_wraps other join staff_accounts holder on holder.id = other.account_id
    where other.case_id = ${caseWraps.caseId} and other.account_id <> ${accountId} and holder.disabled_at is null)`;
  const [row] = await q
    .select({ cases: count(), unreadable: sql<number>`count(*) filter (where not ${heldByAnother})`.mapWith(Number) })
    .from(caseWraps)
    .innerJoin(cases, eq(caseWraps.caseId, cases.id))
    .where(and(eq(caseWraps.accountId, accountId), eq(cases.channelId, channelId)));
  return { cases: row?.cases ?? 0, unreadable: row?.unreadable ?? 0 };
}

export function createAdministration(db: Database, defaults: { powDifficulty: number; actor?: string }) {
  const actor = defaults.actor ?? OPERATOR;

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

  const administration = {
    organisationBySlug,

    async createOrganisation(input: { slug: string; name: string }): Promise<Organisation> {
      checkSlug(input.slug, 'organisation');
      const name = checkName(input.name, 'organisation');
      return db.transaction(async (tx) => {
        const [row] = await tx.insert(organisations).values({ id: newId(), slug: input.slug, name }).onConflictDoNothing().returning();
        if (!row) throw conflict('organisation_exists', `An organisation "${input.slug}" exists already.`);
        await recordAudit(tx, { actor, action: 'organisation_created', subject: row.id, at: row.createdAt });
        return row;
      });
    },

    async createChannel(input: {
      slug: string;
      name: string;
      organisation: string;
      consentRequired?: boolean;
      powDifficulty?: number;
      /** Months after closure when a closed case is deleted; the column's default (RETENTION_MONTHS_DEFAULT) when absent. */
      retentionMonths?: number;
      /** Whether advisers may get mail right after an event; allowed when absent. */
      immediateMail?: boolean;
    }): Promise<Channel> {
      checkSlug(input.slug, 'channel');
      const name = checkName(input.name, 'channel');
      const retention = input.retentionMonths === undefined ? {} : { retentionMonths: checkRetention(input.retentionMonths) };
      const powDifficulty = checkPowDifficulty(input.powDifficulty ?? defaults.powDifficulty);
      const organisation = await organisationBySlug(input.organisation);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(channels)
          .values({
            id: newId(),
            slug: input.slug,
            name,
            organisationId: organisation.id,
            consentRequired: input.consentRequired ?? true,
            powDifficulty,
            immediateMail: input.immediateMail ?? true,
            ...retention,
          })
          .onConflictDoNothing()
          .returning();
        if (!row) throw conflict('channel_exists', `A channel "${input.slug}" exists already.`);
        await recordAudit(tx, { actor, action: 'channel_created', subject: row.id, at: row.createdAt });
        return { ...row, organisationSlug: organisation.slug };
      });
    },

    /**
     * Changes a channel's name, consent rule, proof-of-work difficulty, immediate mail or retention (absent fields
     * stay) in one transaction, audited when anything changed (a retention change on its own, as
     * setChannelRetention does). Reporters see the change at their next visit.
     */
    async updateChannel(
      slug: string,
      change: { name?: string; consentRequired?: boolean; powDifficulty?: number; immediateMail?: boolean; retentionMonths?: number },
      now = new Date(),
    ): Promise<{ channel: Channel; overdue: number }> {
      const set = {
        ...(change.name === undefined ? {} : { name: checkName(change.name, 'channel') }),
        ...(change.consentRequired === undefined ? {} : { consentRequired: change.consentRequired }),
        ...(change.powDifficulty === undefined ? {} : { powDifficulty: checkPowDifficulty(change.powDifficulty) }),
        ...(change.immediateMail === undefined ? {} : { immediateMail: change.immediateMail }),
      };
      if (change.retentionMonths !== undefined) checkRetention(change.retentionMonths);
      return db.transaction(async (tx) => {
        const [before] = await tx.select().from(channels).where(eq(channels.slug, slug)).for('no key update');
        if (!before) throw notFound('unknown_channel', `There is no channel "${slug}".`);
        const differs = Object.entries(set).some(([key, value]) => before[key as keyof typeof set] !== value);
        const [row] = differs ? await tx.update(channels).set(set).where(eq(channels.id, before.id)).returning() : [before];
        if (differs) await recordAudit(tx, { actor, action: 'channel_changed', subject: before.id, at: now });
        const overdue = await applyRetention(tx, before, change.retentionMonths ?? before.retentionMonths, now);
        const [organisation] = await tx.select({ slug: organisations.slug }).from(organisations).where(eq(organisations.id, before.organisationId));
        return { channel: { ...row!, retentionMonths: change.retentionMonths ?? before.retentionMonths, organisationSlug: organisation?.slug ?? '' }, overdue };
      });
    },

    /**
     * Replaces a channel's list of departments or locations (an empty list: it keeps none). The
     * channel's advisers get it at their next sign-in. A registration keeps the id it recorded:
     * an id taken off the list shows as removed, so a renamed location keeps its id.
     */
    async setChannelLocations(slug: string, entries: readonly ChannelLocation[], now = new Date()): Promise<ChannelLocation[]> {
      const locations = checkLocations(entries);
      return db.transaction(async (tx) => {
        const [row] = await tx.update(channels).set({ locations }).where(eq(channels.slug, slug)).returning({ id: channels.id, locations: channels.locations });
        if (!row) throw notFound('unknown_channel', `There is no channel "${slug}".`);
        await recordAudit(tx, { actor, action: 'channel_locations', subject: row.id, at: now });
        return row.locations;
      });
    },

    /** A channel's list of departments or locations, in the operator's order. */
    async channelLocations(slug: string): Promise<ChannelLocation[]> {
      return (await channelRow(slug)).locations;
    },

    /** What the configuration asks of the operators (as their digest says it). */
    attention: (now = new Date()): Promise<OperatorAttention> => operatorAttention(db, now),

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

    /** An adviser joins a channel; an organisation recipient joins an organisation; an operator joins the installation. */
    async createInvite(
      input: { role: 'adviser'; channel: string } | { role: 'recipient'; organisation: string } | { role: 'operator' },
      now = new Date(),
    ): Promise<CreatedInvite> {
      const target =
        input.role === 'adviser'
          ? { channelId: (await channelRow(input.channel)).id, organisationId: null }
          : input.role === 'recipient'
            ? { channelId: null, organisationId: (await organisationBySlug(input.organisation)).id }
            : { channelId: null, organisationId: null };
      const token = newToken();
      const expiresAt = new Date(now.getTime() + INVITE_DAYS * 24 * 3600 * 1000);
      const id = newId();
      await db.transaction(async (tx) => {
        await tx.insert(invites).values({ id, tokenHash: tokenHash(token), role: input.role, ...target, createdAt: now, expiresAt });
        await recordAudit(tx, { actor, action: 'invite_created', subject: id, at: now });
      });
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
        target: inviteTarget(r.role, r.channel ?? r.organisation ?? ''),
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
      }));
    },

    /**
     * Deletes a pending invite, so its link answers as an unknown one does. The check and the
     * delete are one statement: a redemption racing it either spends the invite first (then
     * this finds it used) or finds it gone, never both.
     */
    async revokeInvite(id: string, now = new Date()): Promise<PendingInvite> {
      const revoked = await db.transaction(async (tx) => {
        const [row] = await tx
          .delete(invites)
          .where(and(eq(invites.id, id), isNull(invites.usedAt), gt(invites.expiresAt, now)))
          .returning();
        if (row) await recordAudit(tx, { actor, action: 'invite_revoked', subject: row.id, at: now });
        return row;
      });
      if (!revoked) throw await whyNotPending(id, now);
      const [target] = revoked.channelId
        ? await db.select({ slug: channels.slug }).from(channels).where(eq(channels.id, revoked.channelId))
        : await db.select({ slug: organisations.slug }).from(organisations).where(eq(organisations.id, revoked.organisationId ?? ''));
      return {
        id: revoked.id,
        role: revoked.role,
        target: inviteTarget(revoked.role, target?.slug ?? ''),
        createdAt: revoked.createdAt,
        expiresAt: revoked.expiresAt,
      };
    },

    /** Every staff account, by user name, with what it serves. */
    async listAccounts(): Promise<StaffAccountSummary[]> {
      const rows = await db
        .select({
          id: staffAccounts.id,
          username: staffAccounts.username,
          role: staffAccounts.role,
          displayName: staffAccounts.displayName,
          organisation: organisations.slug,
          createdAt: staffAccounts.createdAt,
          disabledAt: staffAccounts.disabledAt,
        })
        .from(staffAccounts)
        .leftJoin(organisations, eq(staffAccounts.organisationId, organisations.id))
        .orderBy(asc(staffAccounts.username));
      const served = await db
        .select({ accountId: adviserChannels.accountId, slug: channels.slug })
        .from(adviserChannels)
        .innerJoin(channels, eq(adviserChannels.channelId, channels.id))
        .orderBy(asc(channels.slug));
      return rows.map((r) => ({ ...r, channels: served.filter((s) => s.accountId === r.id).map((s) => s.slug) }));
    },

    /**
     * Disables an account and ends its sessions in one transaction: it can no longer sign in,
     * and its channels stop offering it to reporters (everything reading accounts skips a
     * disabled one). Its keys to cases stay, for when it is enabled again.
     */
    async disableAccount(username: string, now = new Date()): Promise<AccountChange> {
      return db.transaction(async (tx) => {
        const [updated] = await tx
          .update(staffAccounts)
          .set({ disabledAt: now })
          .where(and(eq(staffAccounts.username, username), isNull(staffAccounts.disabledAt)))
          .returning({ id: staffAccounts.id, role: staffAccounts.role });
        if (!updated) return unchanged(tx, username);
        const ended = await tx.delete(staffSessions).where(eq(staffSessions.accountId, updated.id)).returning({ accountId: staffSessions.accountId });
        await recordAudit(tx, { actor, action: 'account_disabled', subject: updated.id, at: now });
        return { username, role: updated.role, changed: true, disabledAt: now, sessionsEnded: ended.length, channels: await servedChannels(tx, updated.id) };
      });
    },

    /** Lets a disabled account sign in again; the sessions disabling ended stay ended. */
    async enableAccount(username: string, now = new Date()): Promise<AccountChange> {
      return db.transaction(async (tx) => {
        const [updated] = await tx
          .update(staffAccounts)
          .set({ disabledAt: null })
          .where(and(eq(staffAccounts.username, username), isNotNull(staffAccounts.disabledAt)))
          .returning({ id: staffAccounts.id, role: staffAccounts.role });
        if (!updated) return unchanged(tx, username);
        await recordAudit(tx, { actor, action: 'account_enabled', subject: updated.id, at: now });
        return { username, role: updated.role, changed: true, disabledAt: null, sessionsEnded: 0, channels: await servedChannels(tx, updated.id) };
      });
    },

    /** What removing an adviser from a channel would do; changes nothing. */
    async previewAdviserRemoval(slug: string, username: string): Promise<AdviserRemoval> {
      const { channel, account } = await membership(db, slug, username);
      const keys = await keysOnChannel(db, account.id, channel.id);
      const otherChannels = (await servedChannels(db, account.id)).filter((s) => s !== slug);
      return { channel: slug, username, displayName: account.displayName, ...keys, otherChannels };
    },

    /**
     * Takes an adviser off a channel: no new case is sealed to them, and their keys to the
     * channel's cases are deleted (keys to other channels' cases stay), in one transaction. With
     * `confirmedCases` (the count an operator was shown) it refuses when the count has changed.
     * The channel's row is locked first, so two removals on one channel count each other's
     * deletions and a case nobody else holds is never reported as held.
     */
    async removeAdviser(slug: string, username: string, now = new Date(), confirmedCases?: number): Promise<AdviserRemoval> {
      return db.transaction(async (tx) => {
        const { channel, account } = await membership(tx, slug, username, true);
        const keys = await keysOnChannel(tx, account.id, channel.id);
        if (confirmedCases !== undefined && confirmedCases !== keys.cases) {
          throw conflict('removal_changed', `"${username}" now holds keys to ${keys.cases} cases of "${slug}", not ${confirmedCases}: look again before confirming.`);
        }
        // The membership first: a grant to this adviser holds it shared (services/cases.ts), so this
        // waits for that grant to commit, and the wraps deleted next include its wrap.
        await tx.delete(adviserChannels).where(and(eq(adviserChannels.accountId, account.id), eq(adviserChannels.channelId, channel.id)));
        await tx
          .delete(caseWraps)
          .where(and(eq(caseWraps.accountId, account.id), inArray(caseWraps.caseId, tx.select({ id: cases.id }).from(cases).where(eq(cases.channelId, channel.id)))));
        // The subject names both: the account and the channel it left.
        await recordAudit(tx, { actor, action: 'adviser_removed', subject: `${account.id}/${channel.id}`, at: now });
        const otherChannels = (await servedChannels(tx, account.id)).filter((s) => s !== slug);
        return { channel: slug, username, displayName: account.displayName, ...keys, otherChannels };
      });
    },

    /** Months after closure when a closed case of the channel is deleted. */
    async channelRetention(slug: string): Promise<number> {
      return (await channelRow(slug)).retentionMonths;
    },

    /** Whether staff may choose mail right after an event of this channel (false: the digest only). */
    async channelImmediateMail(slug: string): Promise<boolean> {
      return (await channelRow(slug)).immediateMail;
    },

    /** Sets a channel's retention; audited when it changes, with the new value in the subject. */
    async setChannelRetention(slug: string, months: number, now = new Date()): Promise<RetentionChange> {
      checkRetention(months);
      return db.transaction(async (tx) => {
        const [channel] = await tx.select().from(channels).where(eq(channels.slug, slug)).for('no key update');
        if (!channel) throw notFound('unknown_channel', `There is no channel "${slug}".`);
        return { months, previous: channel.retentionMonths, overdue: await applyRetention(tx, channel, months, now) };
      });
    },
  };

  /**
   * Sets a locked channel's retention (audited when it changes, with the new value in the
   * subject) and answers how many closed cases, not held, it makes due for deletion at once.
   */
  async function applyRetention(tx: Transaction, channel: { id: string; retentionMonths: number }, months: number, now: Date): Promise<number> {
    if (channel.retentionMonths !== months) {
      await tx.update(channels).set({ retentionMonths: months }).where(eq(channels.id, channel.id));
      await recordAudit(tx, { actor, action: 'channel_retention', subject: `${channel.id}/${months}`, at: now });
    }
    // Counted by retention's own rule (calendar months in UTC), not SQL's month arithmetic.
    const closed = await tx
      .select({ status: cases.status, closedAt: cases.closedAt, heldAt: cases.heldAt })
      .from(cases)
      .where(and(eq(cases.channelId, channel.id), eq(cases.status, 'closed'), isNull(cases.deletedAt), isNull(cases.heldAt)));
    return closed.filter((row) => (deletionDue(row, months)?.getTime() ?? Infinity) <= now.getTime()).length;
  }

  /** Why an invite id is not pending, for the operator: unknown, used or expired. */
  async function whyNotPending(id: string, now: Date) {
    const [row] = await db.select({ usedAt: invites.usedAt, expiresAt: invites.expiresAt }).from(invites).where(eq(invites.id, id));
    if (!row) return notFound('unknown_invite', `There is no pending invite "${id}" (see confidant invite list).`);
    if (row.usedAt) return conflict('invite_used', `Invite "${id}" was used already, so it cannot be revoked: disable the account it made instead.`);
    return conflict('invite_expired', `Invite "${id}" has expired: its link no longer works.`);
  }

  /** An account that was disabled (or active) already: what it is, nothing written. */
  async function unchanged(tx: Transaction, username: string): Promise<AccountChange> {
    const account = await accountByUsername(tx, username);
    return { username, role: account.role, changed: false, disabledAt: account.disabledAt, sessionsEnded: 0, channels: await servedChannels(tx, account.id) };
  }

  /**
   * The channel and the adviser serving it, or the error saying which is not so. With `lock`, the
   * channel row is locked without blocking the key-share locks of cases inserted meanwhile.
   */
  async function membership(q: Query, slug: string, username: string, lock = false) {
    const select = q.select({ id: channels.id }).from(channels).where(eq(channels.slug, slug));
    const [channel] = lock ? await select.for('no key update') : await select;
    if (!channel) throw notFound('unknown_channel', `There is no channel "${slug}".`);
    const account = await accountByUsername(q, username);
    const [member] = await q
      .select({ accountId: adviserChannels.accountId })
      .from(adviserChannels)
      .where(and(eq(adviserChannels.accountId, account.id), eq(adviserChannels.channelId, channel.id)));
    if (!member) throw notFound('not_an_adviser', `"${username}" is not an adviser of channel "${slug}".`);
    return { channel, account };
  }

  return administration;
}

export type Administration = ReturnType<typeof createAdministration>;

/**
 * The link an invited person opens. The token travels in the fragment, which browsers never
 * send; the role in the query only chooses the page's texts (the server decides the role).
 */
export const inviteLink = (publicUrl: string, invite: { token: string; role: Role }): string =>
  `${publicUrl}/invite?for=${invite.role}#${invite.token}`;
