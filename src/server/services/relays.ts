/**
 * Relays to the organisation (protocol-v1 §5): the adviser writes an anonymised text sealed to
 * the organisation's recipients, the reporter approves it, the adviser sends it, and the
 * organisation answers in the relay thread. Nothing the organisation can reach names the case.
 */
import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database, Transaction } from '../db/connection.js';
import { isUniqueViolation } from '../db/errors.js';
import { adviserChannels, caseWraps, cases, channels, files, organisations, relayMessages, relayWraps, relays, staffAccounts, type RelayKind, type RelayState } from '../db/schema.js';
import { invalid, conflict, notFound } from '../errors.js';
import { newId } from '../tokens.js';
import { recordAudit } from './audit.js';
import { caseChannel, noteActivity, relayHolders } from './notifications.js';
import type { Cases } from './cases.js';
import { toHour } from './coarse-time.js';
import type { RelayAttachment } from './files.js';
import type { Sealed } from './sealed.js';

export interface RelayKeyHolder {
  keyId: string;
  name: string;
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
}

export interface NewRelay {
  relayId: string;
  wraps: Array<{ keyId: string; wrap: Uint8Array }>;
  text: Sealed;
  copy: Sealed;
  /** Extension: the ids of the adviser's finished attachments of the case that the relay takes. */
  attachments: string[];
}

/** A relay as staff read it: for the organisation, exactly these fields and nothing of the case. */
export interface RelayView {
  relayId: string;
  kind: RelayKind;
  state: RelayState;
  sentAt: Date | null;
  wrap: Uint8Array;
  text: Sealed;
  approval: Uint8Array | null;
  messages: Array<{ id: string; author: 'adviser' | 'organisation'; sentAt: Date } & Sealed>;
  attachments: RelayAttachment[];
}

export interface Viewer {
  accountId: string;
  role: 'adviser' | 'recipient';
}

const unknownRelay = () => notFound('unknown_relay', 'There is no relay with this id that you can open.');

export function createRelays(db: Database, caseService: Cases) {
  async function recipientsOf(organisationId: string): Promise<RelayKeyHolder[]> {
    return db
      .select({ keyId: staffAccounts.id, name: staffAccounts.displayName, boxPublicKey: staffAccounts.boxPublicKey, signPublicKey: staffAccounts.signPublicKey })
      .from(staffAccounts)
      .where(and(eq(staffAccounts.organisationId, organisationId), eq(staffAccounts.role, 'recipient'), isNull(staffAccounts.disabledAt)))
      .orderBy(asc(staffAccounts.displayName), asc(staffAccounts.id));
  }

  async function advisersOf(caseId: string): Promise<RelayKeyHolder[]> {
    return db
      .select({ keyId: staffAccounts.id, name: staffAccounts.displayName, boxPublicKey: staffAccounts.boxPublicKey, signPublicKey: staffAccounts.signPublicKey })
      .from(caseWraps)
      .innerJoin(staffAccounts, eq(caseWraps.accountId, staffAccounts.id))
      .where(and(eq(caseWraps.caseId, caseId), isNull(staffAccounts.disabledAt)))
      .orderBy(asc(staffAccounts.displayName), asc(staffAccounts.id));
  }

  async function organisationOfCase(caseId: string) {
    const [row] = await db
      .select({ id: organisations.id, name: organisations.name, consentRequired: channels.consentRequired })
      .from(cases)
      .innerJoin(channels, eq(cases.channelId, channels.id))
      .innerJoin(organisations, eq(channels.organisationId, organisations.id))
      .where(eq(cases.id, caseId));
    if (!row) throw notFound('unknown_case', 'There is no case with this id that you can open.');
    return row;
  }

  /**
   * The relay with the viewer's wrap. An adviser reaches it through the case key; a recipient
   * only once it is sent. Anything else is the same 404.
   */
  async function relayFor(viewer: Viewer, relayId: string) {
    const [row] = await db
      .select({ relay: relays, wrap: relayWraps.wrap })
      .from(relays)
      .innerJoin(relayWraps, and(eq(relayWraps.relayId, relays.id), eq(relayWraps.accountId, viewer.accountId)))
      .where(eq(relays.id, relayId));
    if (!row) throw unknownRelay();
    if (viewer.role === 'recipient') {
      const [me] = await db.select({ organisationId: staffAccounts.organisationId }).from(staffAccounts).where(eq(staffAccounts.id, viewer.accountId));
      if (row.relay.state !== 'sent' || me?.organisationId !== row.relay.organisationId) throw unknownRelay();
    } else if (row.relay.kind === 'case') {
      // A relay whose case retention purged stays the organisation's; its advisers reach it no more.
      if (row.relay.caseId === null) throw unknownRelay();
      await caseService.caseFor(viewer.accountId, row.relay.caseId);
    }
    // An annual report has no case: its wraps are the recipients' and its author's only.
    return row;
  }

  /** An organisation this adviser serves (has a channel of), by slug; any other is the same 404. */
  async function servedOrganisation(accountId: string, slug: string) {
    const [row] = await db
      .selectDistinct({ id: organisations.id, name: organisations.name })
      .from(adviserChannels)
      .innerJoin(channels, eq(adviserChannels.channelId, channels.id))
      .innerJoin(organisations, eq(channels.organisationId, organisations.id))
      .where(and(eq(adviserChannels.accountId, accountId), eq(organisations.slug, slug)));
    if (!row) throw notFound('unknown_organisation', 'There is no organisation with this name that you serve.');
    return row;
  }

  async function holderOf(accountId: string): Promise<RelayKeyHolder[]> {
    return db
      .select({ keyId: staffAccounts.id, name: staffAccounts.displayName, boxPublicKey: staffAccounts.boxPublicKey, signPublicKey: staffAccounts.signPublicKey })
      .from(staffAccounts)
      .where(eq(staffAccounts.id, accountId));
  }

  /** Every recipient has a wrap and so has the author; nobody else. */
  function checkWraps(wraps: NewRelay['wraps'], recipients: RelayKeyHolder[], others: RelayKeyHolder[], accountId: string, who: string) {
    const allowed = new Set([...recipients, ...others].map((h) => h.keyId));
    const given = new Set<string>();
    for (const [index, { keyId }] of wraps.entries()) {
      if (!allowed.has(keyId)) throw invalid('invalid_wraps', `Wrap ${index + 1} is not for a recipient of the organisation or ${who}.`);
      if (given.has(keyId)) throw invalid('invalid_wraps', `Wrap ${index + 1} repeats a key holder.`);
      given.add(keyId);
    }
    // Every recipient must be able to read it, and so must the adviser who writes it.
    if (!recipients.every((r) => given.has(r.keyId)) || !given.has(accountId)) {
      throw invalid('missing_wraps', 'A relay needs a wrap for every recipient of the organisation and for you: fetch the recipients again.');
    }
  }

  /**
   * The relay takes the adviser's finished attachments, each once: one statement checks and takes
   * them, so two relays made at once cannot both take one. When any is not there to take, the
   * answer says why and the caller's transaction undoes the relay.
   */
  async function takeAttachments(tx: Transaction, owner: { accountId: string; caseId: string; relayId: string }, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const mine = and(eq(files.caseId, owner.caseId), eq(files.accountId, owner.accountId), isNull(files.headerNonce));
    const taken = await tx
      .update(files)
      .set({ relayId: owner.relayId })
      .where(and(inArray(files.id, ids), mine, isNull(files.relayId), isNotNull(files.completedAt)))
      .returning({ id: files.id });
    if (taken.length === ids.length) return;
    const got = new Set(taken.map((t) => t.id));
    const index = ids.findIndex((id) => !got.has(id));
    const [row] = await tx.select({ relayId: files.relayId, completedAt: files.completedAt }).from(files).where(and(eq(files.id, ids[index]!), mine));
    const which = `Attachment ${index + 1}`;
    if (!row) throw notFound('unknown_attachment', `${which} is no relay attachment of yours in this case: make it with POST /api/v1/cases/{caseId}/relay-attachments.`);
    if (row.completedAt === null) throw conflict('attachment_incomplete', `${which} is not finished uploading: send the rest first.`);
    throw conflict('attachment_taken', `${which} belongs to another relay already: attach the document again.`);
  }

  const noRecipients = () => conflict('no_recipients', 'The organisation has no recipient yet: ask the operator to invite one (confidant invite recipient).');

  return {
    /** Who an annual report to this organisation is sealed to: its recipients, and the adviser. */
    async annualReportRecipients(accountId: string, organisationSlug: string) {
      const organisation = await servedOrganisation(accountId, organisationSlug);
      return { organisation, recipients: await recipientsOf(organisation.id), advisers: await holderOf(accountId) };
    },

    /**
     * The adviser's annual report to an organisation they serve: a relay without a case, sent at
     * once (it holds no case, so no reporter consents to it) and answered in its thread.
     */
    async createAnnualReport(accountId: string, organisationSlug: string, input: Omit<NewRelay, 'copy' | 'attachments'>, now = new Date()): Promise<{ state: RelayState; sentAt: Date }> {
      const organisation = await servedOrganisation(accountId, organisationSlug);
      const recipients = await recipientsOf(organisation.id);
      if (recipients.length === 0) throw noRecipients();
      checkWraps(input.wraps, recipients, await holderOf(accountId), accountId, 'you');
      try {
        await db.transaction(async (tx) => {
          await tx.insert(relays).values({
            id: input.relayId,
            kind: 'annual_report',
            caseId: null,
            organisationId: organisation.id,
            state: 'sent',
            textNonce: input.text.nonce,
            textCiphertext: input.text.ciphertext,
            createdBy: accountId,
            createdAt: now,
            // Decided as it is made (no reporter decides on it): the check relays_kind_shape tells it from what retention leaves of a case's relay by this.
            decidedAt: toHour(now),
            sentAt: now,
          });
          await tx.insert(relayWraps).values(input.wraps.map((w) => ({ relayId: input.relayId, accountId: w.keyId, wrap: w.wrap })));
          await recordAudit(tx, { actor: accountId, action: 'relay_created', subject: input.relayId, at: now });
          await recordAudit(tx, { actor: accountId, action: 'relay_sent', subject: input.relayId, at: now });
          await noteActivity(tx, relayHolders(input.relayId, 'recipient'), { id: organisation.id, kind: 'organisation' }, now);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'pkey')) throw conflict('relay_exists', 'A relay with this id exists already: make a new relay id.');
        throw error;
      }
      return { state: 'sent', sentAt: now };
    },

    async recipients(accountId: string, caseId: string) {
      await caseService.caseFor(accountId, caseId);
      const organisation = await organisationOfCase(caseId);
      return {
        organisation: { id: organisation.id, name: organisation.name },
        recipients: await recipientsOf(organisation.id),
        advisers: await advisersOf(caseId),
      };
    },

    async create(accountId: string, caseId: string, input: NewRelay, now = new Date()): Promise<{ relayId: string; state: RelayState }> {
      await caseService.caseFor(accountId, caseId);
      const organisation = await organisationOfCase(caseId);
      const recipients = await recipientsOf(organisation.id);
      if (recipients.length === 0) throw noRecipients();
      checkWraps(input.wraps, recipients, await advisersOf(caseId), accountId, 'an adviser of the case');
      const state: RelayState = organisation.consentRequired ? 'awaiting_consent' : 'approved';
      try {
        await db.transaction(async (tx) => {
          // Lock the case row: concurrent requests must not both find no pending relay, and a
          // deletion by retention since the check above is seen here.
          const [live] = await tx.select({ id: cases.id }).from(cases).where(and(eq(cases.id, caseId), isNull(cases.deletedAt))).for('update');
          if (!live) throw notFound('unknown_case', 'There is no case with this id that you can open.');
          const [pending] = await tx
            .select({ id: relays.id })
            .from(relays)
            .where(and(eq(relays.caseId, caseId), eq(relays.state, 'awaiting_consent')));
          if (pending) throw conflict('relay_pending', 'The reporter has not decided on the previous relay of this case yet.');
          await tx.insert(relays).values({
            id: input.relayId,
            caseId,
            organisationId: organisation.id,
            state,
            textNonce: input.text.nonce,
            textCiphertext: input.text.ciphertext,
            copyNonce: input.copy.nonce,
            copyCiphertext: input.copy.ciphertext,
            createdBy: accountId,
            createdAt: now,
            // A whole hour like the reporter's decision, so that decidedAt is never finer.
            decidedAt: state === 'approved' ? toHour(now) : null,
          });
          await tx.insert(relayWraps).values(input.wraps.map((w) => ({ relayId: input.relayId, accountId: w.keyId, wrap: w.wrap })));
          await takeAttachments(tx, { accountId, caseId, relayId: input.relayId }, input.attachments);
          await recordAudit(tx, { actor: accountId, action: 'relay_created', subject: input.relayId, at: now });
        });
      } catch (error) {
        if (isUniqueViolation(error, 'pkey')) throw conflict('relay_exists', 'A relay with this id exists already: make a new relay id.');
        throw error;
      }
      return { relayId: input.relayId, state };
    },

    /** Only an approved relay is sent (a channel without consent approves at creation). */
    async send(accountId: string, relayId: string, now = new Date()): Promise<{ state: RelayState; sentAt: Date }> {
      await relayFor({ accountId, role: 'adviser' }, relayId);
      return db.transaction(async (tx) => {
        const [sent] = await tx
          .update(relays)
          .set({ state: 'sent', sentAt: now })
          .where(and(eq(relays.id, relayId), eq(relays.state, 'approved')))
          .returning({ state: relays.state });
        if (!sent) {
          const [current] = await tx.select({ state: relays.state }).from(relays).where(eq(relays.id, relayId));
          // Gone since the check above: retention deleted its case, and with it this unsent relay.
          if (!current) throw unknownRelay();
          if (current.state === 'sent') throw conflict('relay_sent', 'This relay was sent already.');
          if (current.state === 'declined') throw conflict('relay_declined', 'The reporter declined this relay: write a new one.');
          throw conflict('consent_missing', 'The reporter has not approved this relay yet.');
        }
        await recordAudit(tx, { actor: accountId, action: 'relay_sent', subject: relayId, at: now });
        await noteActivity(tx, relayHolders(relayId, 'recipient'), { id: sql`(select organisation_id from relays where id = ${relayId}::text)`, kind: 'organisation' }, now);
        return { state: sent.state, sentAt: now };
      });
    },

    /** The sent relays of a recipient's organisation, newest first, in keyset pages. */
    async listForRecipient(accountId: string, page: { before?: string | undefined; limit?: number | undefined }) {
      const limit = Math.min(page.limit ?? 50, 200);
      const conditions: SQL[] = [eq(relayWraps.accountId, accountId), eq(relays.state, 'sent')];
      if (page.before) {
        const [time, id] = Buffer.from(page.before, 'base64url').toString('utf8').split('|');
        const sentAt = new Date(time ?? '');
        if (!id || Number.isNaN(sentAt.getTime())) throw invalid('invalid_before', 'The "before" cursor is not one this server gave.');
        conditions.push(or(lt(relays.sentAt, sentAt), and(eq(relays.sentAt, sentAt), lt(relays.id, id))) as SQL);
      }
      const [me] = await db.select({ organisationId: staffAccounts.organisationId }).from(staffAccounts).where(eq(staffAccounts.id, accountId));
      if (!me?.organisationId) return { relays: [], next: null };
      conditions.push(eq(relays.organisationId, me.organisationId));
      const rows = await db
        .select({ relayId: relays.id, kind: relays.kind, sentAt: relays.sentAt, wrap: relayWraps.wrap, readAt: relayWraps.readAt })
        .from(relays)
        .innerJoin(relayWraps, eq(relayWraps.relayId, relays.id))
        .where(and(...conditions))
        .orderBy(desc(relays.sentAt), desc(relays.id))
        .limit(limit + 1);
      const shown = rows.slice(0, limit);
      // The newest message of each relay on the page: who answered last.
      const lastMessages =
        shown.length === 0
          ? []
          : await db
              .selectDistinctOn([relayMessages.relayId], { relayId: relayMessages.relayId, author: relayMessages.author, sentAt: relayMessages.sentAt })
              .from(relayMessages)
              .where(inArray(relayMessages.relayId, shown.map((r) => r.relayId)))
              .orderBy(relayMessages.relayId, desc(relayMessages.sentAt), desc(relayMessages.id));
      const lastOf = new Map(lastMessages.map((m) => [m.relayId, { author: m.author, sentAt: m.sentAt }]));
      const pageRows = shown.map((r) => ({ relayId: r.relayId, kind: r.kind, sentAt: r.sentAt as Date, wrap: r.wrap, readAt: r.readAt, lastMessage: lastOf.get(r.relayId) ?? null }));
      const last = pageRows[pageRows.length - 1];
      const next = rows.length > limit && last ? Buffer.from(`${last.sentAt.toISOString()}|${last.relayId}`).toString('base64url') : null;
      return { relays: pageRows, next };
    },

    async view(viewer: Viewer, relayId: string, now = new Date()): Promise<RelayView> {
      const { relay, wrap } = await relayFor(viewer, relayId);
      const [thread, attachments] = await Promise.all([
        db
          .select({ id: relayMessages.id, author: relayMessages.author, sentAt: relayMessages.sentAt, nonce: relayMessages.nonce, ciphertext: relayMessages.ciphertext })
          .from(relayMessages)
          .where(eq(relayMessages.relayId, relayId))
          .orderBy(asc(relayMessages.sentAt), asc(relayMessages.id)),
        db.select({ fileId: files.id, bytes: files.bytes }).from(files).where(eq(files.relayId, relayId)).orderBy(asc(files.id)),
      ]);
      await db.transaction(async (tx) => {
        // A recipient's list tells what is new since they last looked.
        if (viewer.role === 'recipient') {
          await tx.update(relayWraps).set({ readAt: now }).where(and(eq(relayWraps.relayId, relayId), eq(relayWraps.accountId, viewer.accountId)));
        }
        await recordAudit(tx, { actor: viewer.accountId, action: 'relay_view', subject: relayId, at: now });
      });
      return {
        relayId: relay.id,
        kind: relay.kind,
        state: relay.state,
        sentAt: relay.sentAt,
        wrap,
        text: { nonce: relay.textNonce, ciphertext: relay.textCiphertext },
        approval: relay.approval,
        messages: thread,
        attachments,
      };
    },

    /** Extension: that the viewer may read the relay, and so its attachments (unknown_relay otherwise). */
    async checkReader(viewer: Viewer, relayId: string): Promise<void> {
      await relayFor(viewer, relayId);
    },

    /** The thread between adviser and organisation opens once the relay is sent. */
    async postMessage(viewer: Viewer, relayId: string, envelope: Sealed, now = new Date()) {
      const { relay } = await relayFor(viewer, relayId);
      if (relay.state !== 'sent') throw conflict('relay_not_sent', 'The thread opens once the relay is sent.');
      const id = newId();
      await db.transaction(async (tx) => {
        await tx.insert(relayMessages).values({
          id,
          relayId,
          author: viewer.role === 'adviser' ? 'adviser' : 'organisation',
          accountId: viewer.accountId,
          nonce: envelope.nonce,
          ciphertext: envelope.ciphertext,
          sentAt: now,
        });
        await recordAudit(tx, { actor: viewer.accountId, action: 'relay_message', subject: relayId, at: now });
        // The other side hears of it: recipients at their organisation, advisers at the case's channel (or the organisation, for an annual report).
        if (viewer.role === 'adviser') await noteActivity(tx, relayHolders(relayId, 'recipient'), { id: relay.organisationId, kind: 'organisation' }, now);
        else await noteActivity(tx, relayHolders(relayId, 'adviser'), relay.caseId ? caseChannel(relay.caseId) : { id: relay.organisationId, kind: 'organisation' }, now);
      });
      return { id, sentAt: now };
    },
  };
}

export type Relays = ReturnType<typeof createRelays>;
