/**
 * The whole database of protocol v1. Every column holds only what docs/protocol.md §8 lets the
 * server see: ids, times, states, public keys, wraps and ciphertext. No plaintext, no code,
 * no passphrase, no secret key, no address or user agent. Reporter-side times are whole UTC
 * hours (services/coarse-time.ts); staff times are precise.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  date,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Raw bytes. node-postgres answers with a Buffer, PGlite with a Uint8Array: both are Uint8Arrays. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Instance-wide values made at first start (server secret, pepper, proof-of-work key, flags). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: bytea('value').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
});

export const organisations = pgTable('organisations', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
});

export const channels = pgTable('channels', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  organisationId: text('organisation_id')
    .notNull()
    .references(() => organisations.id),
  /** When false, an approved relay is not needed: the reporter is told so before submitting. */
  consentRequired: boolean('consent_required').notNull().default(true),
  powDifficulty: integer('pow_difficulty').notNull(),
  /**
   * The organisation's departments or locations an adviser may record a case under
   * (docs/protocol.md §4, the registration record's `location`), set by the operator: ids are
   * slugs, names what advisers see. Served to the channel's advisers only, never to reporters.
   */
  locations: jsonb('locations').$type<ChannelLocation[]>().notNull().default(sql`'[]'::jsonb`),
  /** Months after closure when a closed case is deleted, unless held (services/retention.ts). */
  retentionMonths: integer('retention_months').notNull().default(12),
  /**
   * Whether the channel's advisers may opt in to mail right after an event (services/notifications.ts).
   * Off: the daily digest only, so that no mail's timing tells when a reporter acted.
   */
  immediateMail: boolean('immediate_mail').notNull().default(true),
  createdAt: at('created_at').notNull().defaultNow(),
}, (table) => [check('channels_retention_months', sql`${table.retentionMonths} between 1 and 120`)]);

/** One entry of a channel's list of departments or locations. */
export interface ChannelLocation {
  id: string;
  name: string;
}

/** Advisers, organisation recipients and operators. Holds only public keys and client-sealed bundles. */
export const staffAccounts = pgTable('staff_accounts', {
  id: text('id').primaryKey(),
  role: text('role', { enum: ['adviser', 'recipient', 'operator'] }).notNull(),
  username: text('username').notNull().unique(),
  displayName: text('display_name').notNull(),
  /** Set for organisation recipients; advisers serve channels through adviserChannels. */
  organisationId: text('organisation_id').references(() => organisations.id),
  kdfSalt: bytea('kdf_salt').notNull(),
  kdfOps: integer('kdf_ops').notNull(),
  kdfMem: integer('kdf_mem').notNull(),
  /** hash(32, authKey ‖ pepper): the passphrase itself never arrives. */
  verifier: bytea('verifier').notNull(),
  boxPublicKey: bytea('box_public_key').notNull(),
  signPublicKey: bytea('sign_public_key').notNull(),
  keyBundleNonce: bytea('key_bundle_nonce').notNull(),
  keyBundle: bytea('key_bundle').notNull(),
  recoveryBundleNonce: bytea('recovery_bundle_nonce').notNull(),
  recoveryBundle: bytea('recovery_bundle').notNull(),
  totpSecret: bytea('totp_secret'),
  totpEnabledAt: at('totp_enabled_at'),
  /** The last TOTP time step accepted, so a code is refused the second time. */
  totpLastStep: integer('totp_last_step'),
  failedLogins: integer('failed_logins').notNull().default(0),
  lockedUntil: at('locked_until'),
  createdAt: at('created_at').notNull().defaultNow(),
  disabledAt: at('disabled_at'),
  /**
   * Where this person gets notifications (services/notifications.ts); null: none. A staff
   * member's own choice: never a reporter's address, and no mail names a case.
   */
  notifyEmail: text('notify_email'),
  /** Mail right after an event as well as the daily digest: opt-in, since its timing tells when a reporter acted. */
  notifyImmediate: boolean('notify_immediate').notNull().default(false),
  notifyLang: text('notify_lang', { enum: ['nl', 'en'] }).notNull().default('nl'),
});

export const adviserChannels = pgTable(
  'adviser_channels',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    channelId: text('channel_id')
      .notNull()
      .references(() => channels.id),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.accountId, table.channelId] }), index('adviser_channels_channel').on(table.channelId)],
);

/** One-time invites: the token travels in a link fragment; only its hash is kept. */
export const invites = pgTable('invites', {
  id: text('id').primaryKey(),
  tokenHash: bytea('token_hash').notNull().unique(),
  role: text('role', { enum: ['adviser', 'recipient', 'operator'] }).notNull(),
  channelId: text('channel_id').references(() => channels.id),
  organisationId: text('organisation_id').references(() => organisations.id),
  createdAt: at('created_at').notNull().defaultNow(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
  accountId: text('account_id').references(() => staffAccounts.id),
});

export const caseStatuses = ['received', 'acknowledged', 'in_progress', 'closed'] as const;
export type CaseStatus = (typeof caseStatuses)[number];

export const cases = pgTable(
  'cases',
  {
    id: text('id').primaryKey(),
    channelId: text('channel_id')
      .notNull()
      .references(() => channels.id),
    /**
     * Finds the mailbox; grants nothing without a signature by the reporter's key. This and the
     * reporter's keys and report are null once the case is deleted (deletedAt), never before.
     */
    mailboxId: text('mailbox_id').unique(),
    reporterSignPublicKey: bytea('reporter_sign_public_key'),
    reporterBoxPublicKey: bytea('reporter_box_public_key'),
    reporterWrap: bytea('reporter_wrap'),
    reportNonce: bytea('report_nonce'),
    reportCiphertext: bytea('report_ciphertext'),
    /**
     * The reporter's signed case commitment (docs/protocol.md): a hash naming the case key, the
     * signature, and the advisers chosen and left out (key ids joined by ","). Null for a case a
     * v1 client sent without one.
     */
    commitmentKey: bytea('commitment_key'),
    commitmentSignature: bytea('commitment_signature'),
    commitmentChosen: text('commitment_chosen'),
    commitmentExcluded: text('commitment_excluded'),
    status: text('status', { enum: caseStatuses }).notNull().default('received'),
    /** A whole hour. */
    receivedAt: at('received_at').notNull(),
    acknowledgedAt: at('acknowledged_at'),
    /** When the adviser sent the message marked as the feedback, which meets the 3-month deadline; null until then. */
    feedbackGivenAt: at('feedback_given_at'),
    /**
     * The earliest open follow-up of the adviser's registration (an aftercare call, a hearing), a
     * calendar day, for the inbox; what it is stays in the encrypted registration.
     */
    followUpOn: date('follow_up_on', { mode: 'string' }),
    /** The seq of this case's latest message; the next message takes the one after. */
    messageSeq: integer('message_seq').notNull().default(0),
    /** The seq of the reporter's latest message, 0 for the report: for the advisers' unread marker. */
    reporterSeq: integer('reporter_seq').notNull().default(0),
    /** When the case was last closed (a staff time); null while open. Retention counts from here. */
    closedAt: at('closed_at'),
    /**
     * A legal hold: while set, the case is never deleted. The reason is sealed under the case key
     * (docs/protocol.md "Legal hold"): the server knows that a case is held, by whom, not why.
     */
    heldAt: at('held_at'),
    heldBy: text('held_by').references(() => staffAccounts.id),
    holdNonce: bytea('hold_nonce'),
    holdCiphertext: bytea('hold_ciphertext'),
    /**
     * When retention deleted the case: what is left is this row's dates and status, the advisers'
     * wraps and pins, and the encrypted registration, for the annual report, until the end of the
     * next calendar year.
     */
    deletedAt: at('deleted_at'),
  },
  (table) => [
    index('cases_channel_received').on(table.channelId, table.receivedAt, table.id),
    index('cases_received').on(table.receivedAt, table.id),
    index('cases_closed').on(table.closedAt).where(sql`${table.status} = 'closed' and ${table.deletedAt} is null`),
    index('cases_deleted').on(table.deletedAt).where(sql`${table.deletedAt} is not null`),
    check(
      'cases_deleted_shape',
      sql`(${table.deletedAt} is null and ${table.mailboxId} is not null and ${table.reporterSignPublicKey} is not null and ${table.reporterBoxPublicKey} is not null and ${table.reporterWrap} is not null and ${table.reportNonce} is not null and ${table.reportCiphertext} is not null) or (${table.deletedAt} is not null and ${table.mailboxId} is null and ${table.reporterSignPublicKey} is null and ${table.reporterBoxPublicKey} is null and ${table.reporterWrap} is null and ${table.reportNonce} is null and ${table.reportCiphertext} is null and ${table.heldAt} is null)`,
    ),
    check('cases_hold_shape', sql`(${table.heldAt} is null) = (${table.holdNonce} is null) and (${table.heldAt} is null) = (${table.holdCiphertext} is null) and (${table.heldAt} is null) = (${table.heldBy} is null)`),
  ],
);

/** The case key sealed to one adviser (keyId = the adviser's account id). */
export const caseWraps = pgTable(
  'case_wraps',
  {
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    accountId: text('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    wrap: bytea('wrap').notNull(),
    /** The adviser who granted it; null when the reporter made it at submission. */
    grantedBy: text('granted_by').references(() => staffAccounts.id),
    /** A whole hour when the reporter made the wrap at submission. */
    createdAt: at('created_at').notNull().defaultNow(),
    /** The highest message seq this adviser was shown (0: the report only; null: never opened), for the unread marker. */
    lastReadSeq: integer('last_read_seq'),
    /** The adviser's own signature pinning the case key (docs/protocol.md "Case pins"); set once. */
    pin: bytea('pin'),
    /** The adviser's own sealed copy of the case key (docs/protocol.md "Case key copies"); set once, after the pin. */
    keyCopyNonce: bytea('key_copy_nonce'),
    keyCopyCiphertext: bytea('key_copy_ciphertext'),
  },
  (table) => [primaryKey({ columns: [table.caseId, table.accountId] }), index('case_wraps_account').on(table.accountId, table.caseId)],
);

export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    author: text('author', { enum: ['reporter', 'adviser'] }).notNull(),
    /** The adviser who wrote it; null for the reporter. */
    accountId: text('account_id').references(() => staffAccounts.id),
    nonce: bytea('nonce').notNull(),
    ciphertext: bytea('ciphertext').notNull(),
    /** The order within the case (1, 2, …): times are too coarse to order by, and a global order would link cases. */
    seq: integer('seq').notNull(),
    /** A whole hour for the reporter's messages. */
    sentAt: at('sent_at').notNull(),
    /** An adviser's message marked as the feedback: how the report was assessed and what follows. */
    feedback: boolean('feedback').notNull().default(false),
  },
  (table) => [uniqueIndex('messages_case_seq').on(table.caseId, table.seq)],
);

/** The adviser's encrypted record of the case. */
export const registrations = pgTable('registrations', {
  caseId: text('case_id')
    .primaryKey()
    .references(() => cases.id),
  nonce: bytea('nonce').notNull(),
  ciphertext: bytea('ciphertext').notNull(),
  updatedAt: at('updated_at').notNull(),
  updatedBy: text('updated_by')
    .notNull()
    .references(() => staffAccounts.id),
});

export const relayStates = ['awaiting_consent', 'approved', 'declined', 'sent'] as const;
export type RelayState = (typeof relayStates)[number];

/** A relay of a case, or the adviser's annual report to the organisation (no case, no reporter copy). */
export const relayKinds = ['case', 'annual_report'] as const;
export type RelayKind = (typeof relayKinds)[number];

export const relays = pgTable(
  'relays',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: relayKinds }).notNull().default('case'),
    /** Never shown to the organisation: the link between a relay and its case stays here. Null for an annual report. */
    caseId: text('case_id').references(() => cases.id),
    organisationId: text('organisation_id')
      .notNull()
      .references(() => organisations.id),
    state: text('state', { enum: relayStates }).notNull(),
    textNonce: bytea('text_nonce').notNull(),
    textCiphertext: bytea('text_ciphertext').notNull(),
    /** The reporter's copy; null for an annual report, which no reporter approves. */
    copyNonce: bytea('copy_nonce'),
    copyCiphertext: bytea('copy_ciphertext'),
    createdBy: text('created_by')
      .notNull()
      .references(() => staffAccounts.id),
    createdAt: at('created_at').notNull(),
    /** The reporter's decision (or the creation, without consent), as a whole hour. */
    decidedAt: at('decided_at'),
    /** The reporter's keyed hash of the approved copy, for the organisation to check its text against. */
    approval: bytea('approval'),
    sentAt: at('sent_at'),
  },
  (table) => [
    index('relays_case').on(table.caseId),
    index('relays_organisation_sent').on(table.organisationId, table.sentAt),
    // A case relay has its reporter copy, except the one shape retention leaves (services/retention.ts):
    // sent, its copy and decision hour gone with the case, and its case id too once the case's last
    // trace goes. The organisation keeps what it received. An annual report is decided as it is
    // made, which tells it from that shape.
    check(
      'relays_kind_shape',
      sql`(${table.kind} = 'case' and ((${table.caseId} is not null and ${table.copyNonce} is not null and ${table.copyCiphertext} is not null) or (${table.state} = 'sent' and ${table.decidedAt} is null and ${table.copyNonce} is null and ${table.copyCiphertext} is null))) or (${table.kind} = 'annual_report' and ${table.caseId} is null and ${table.copyNonce} is null and ${table.copyCiphertext} is null and ${table.decidedAt} is not null)`,
    ),
  ],
);

export const relayWraps = pgTable(
  'relay_wraps',
  {
    relayId: text('relay_id')
      .notNull()
      .references(() => relays.id),
    accountId: text('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    wrap: bytea('wrap').notNull(),
    /** When this account last opened the relay (organisation recipients): its list shows what is new. */
    readAt: at('read_at'),
  },
  (table) => [primaryKey({ columns: [table.relayId, table.accountId] })],
);

export const relayMessages = pgTable(
  'relay_messages',
  {
    id: text('id').primaryKey(),
    relayId: text('relay_id')
      .notNull()
      .references(() => relays.id),
    author: text('author', { enum: ['adviser', 'organisation'] }).notNull(),
    accountId: text('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    nonce: bytea('nonce').notNull(),
    ciphertext: bytea('ciphertext').notNull(),
    sentAt: at('sent_at').notNull(),
  },
  (table) => [index('relay_messages_relay_sent').on(table.relayId, table.sentAt)],
);

/**
 * A file's upload and encrypted body. The body lives in the file store (FILES_DIR or S3_BUCKET, under the
 * file's id) and the file counts only once its last byte is written: until then it is an
 * upload, swept after a day. Two kinds share the table, so ids, uploads and limits are one:
 * - a file of the case, with its header sealed under the case key;
 * - extension: an adviser's attachment to a relay, without a header (the relay's text names it
 *   and holds its key). A finished attachment that no relay took within a day is swept. One of
 *   a sent relay stays with the organisation after its case is deleted, its case id then null.
 */
export const files = pgTable(
  'files',
  {
    id: text('id').primaryKey(),
    /** Null only for a sent relay's attachment whose case retention deleted. */
    caseId: text('case_id').references(() => cases.id),
    author: text('author', { enum: ['reporter', 'adviser'] }).notNull(),
    /** The adviser who attached it; null for the reporter's files. */
    accountId: text('account_id').references(() => staffAccounts.id),
    /** Null for a relay attachment. */
    headerNonce: bytea('header_nonce'),
    headerCiphertext: bytea('header_ciphertext'),
    /** Extension: the relay that took this attachment; null for a file of the case, and for an attachment no relay took yet. */
    relayId: text('relay_id').references(() => relays.id),
    /** The encrypted body's length, fixed when the upload is made (2 GiB of plaintext needs more than 31 bits). */
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    /** A file becomes visible only when its last byte is written. A whole hour for the reporter's files. */
    completedAt: at('completed_at'),
    /** A whole hour for the reporter's files. */
    createdAt: at('created_at').notNull(),
  },
  (table) => [
    index('files_case').on(table.caseId),
    index('files_relay').on(table.relayId),
    index('files_open_uploads').on(table.createdAt).where(sql`completed_at is null`),
    check(
      'files_kind_shape',
      sql`(${table.headerNonce} is not null and ${table.headerCiphertext} is not null and ${table.relayId} is null and ${table.caseId} is not null) or (${table.headerNonce} is null and ${table.headerCiphertext} is null and ${table.author} = 'adviser' and ${table.accountId} is not null and (${table.caseId} is not null or ${table.relayId} is not null))`,
    ),
  ],
);

/**
 * Reporter sessions: random 256-bit tokens, stored hashed, with a fixed end at a whole hour
 * (no last use is kept: it would be a fine time of reporter activity).
 */
export const mailboxSessions = pgTable(
  'mailbox_sessions',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    expiresAt: at('expires_at').notNull(),
  },
  (table) => [index('mailbox_sessions_case').on(table.caseId)],
);

/**
 * Mailbox login challenges are signed by the server, so issuing one writes nothing; a spent
 * one is recorded here until the whole hour after its expiry, which makes each single-use.
 */
export const spentMailboxChallenges = pgTable('spent_mailbox_challenges', {
  challengeHash: bytea('challenge_hash').primaryKey(),
  expiresAt: at('expires_at').notNull(),
});

/** Staff sessions: random 256-bit tokens, stored hashed, with idle and absolute expiry. */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    createdAt: at('created_at').notNull(),
    lastUsedAt: at('last_used_at').notNull(),
    expiresAt: at('expires_at').notNull(),
  },
  (table) => [index('staff_sessions_account').on(table.accountId)],
);

/**
 * Proof-of-work challenges are signed by the server, so issuing one writes nothing; a spent
 * challenge is recorded here until it expires, which makes each single-use.
 */
export const spentPowChallenges = pgTable('spent_pow_challenges', {
  challengeHash: bytea('challenge_hash').primaryKey(),
  expiresAt: at('expires_at').notNull(),
});

/**
 * What staff did and what happened to cases, written in the same transaction as the action.
 * A sealer moves these into the hash-chained auditLog in batches, so the chain is never a
 * lock that every request must wait for. Reporter actions go to reporterEvents instead: the
 * chain is permanent and precise, which a reporter's trail must not be.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: at('at').notNull(),
    /** A staff account id, 'operator' (the `confidant` command) or 'system': never a reporter. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subject: text('subject'),
  },
  (table) => [check('audit_events_no_reporter', sql`${table.actor} <> 'reporter'`)],
);

/**
 * What reporters did, by whole hour and case: no id or serial (its order would rank reporters'
 * actions within the hour across cases), nothing identifying. Pruned after REPORTER_EVENTS_DAYS.
 */
export const reporterEvents = pgTable(
  'reporter_events',
  {
    hour: at('hour').notNull(),
    action: text('action', { enum: ['submitted', 'message', 'consent', 'rotated', 'file'] }).notNull(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
  },
  (table) => [index('reporter_events_hour').on(table.hour), index('reporter_events_case').on(table.caseId)],
);

/** Append-only, hash-chained record: each entry's hash covers the previous entry's hash. */
export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    at: at('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subject: text('subject'),
    prevHash: bytea('prev_hash').notNull(),
    hash: bytea('hash').notNull(),
  },
  (table) => [uniqueIndex('audit_log_prev_hash').on(table.prevHash)],
);

/**
 * Something new for a person since their last digest, in one channel (advisers) or organisation
 * (recipients): a flag with no time and no case, consumed when the digest is written.
 */
export const notificationNews = pgTable(
  'notification_news',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    /** The channel's or organisation's name as the mail shows it is looked up when the digest is written. */
    placeId: text('place_id').notNull(),
    placeKind: text('place_kind', { enum: ['channel', 'organisation'] }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.accountId, table.placeId] })],
);

/**
 * Mail to send after the commit that caused it, retried until the server accepts it. A digest
 * row per person per day (unique, so two schedulers make one); at most one unsent immediate row
 * per person, so a burst of events makes one mail. The body is written once, at the first
 * attempt, and every retry sends the same bytes.
 */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => staffAccounts.id),
    kind: text('kind', { enum: ['digest', 'immediate'] }).notNull(),
    dueAt: at('due_at').notNull(),
    subject: text('subject'),
    body: text('body'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull(),
    /** A sender took the row until then: another sender leaves it alone meanwhile. */
    claimedUntil: at('claimed_until'),
    sentAt: at('sent_at'),
  },
  (table) => [
    uniqueIndex('mail_outbox_digest').on(table.accountId, table.dueAt).where(sql`${table.kind} = 'digest'`),
    uniqueIndex('mail_outbox_immediate_pending').on(table.accountId).where(sql`${table.kind} = 'immediate' and ${table.sentAt} is null`),
    index('mail_outbox_due').on(table.nextAttemptAt).where(sql`${table.sentAt} is null`),
  ],
);
