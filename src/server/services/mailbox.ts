/**
 * The reporter's mailbox (protocol-v1 §6): challenge-response login with the key derived
 * from the code, bearer sessions stored hashed, reading the case, posting messages, consent
 * to relays and changing the code. The server checks signatures; it never sees the code.
 * Every time kept here is a whole hour (coarse-time.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { and, asc, count, eq, gt, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { toBase64url, type CaseCommitment, type CaseReader } from '../../protocol/index.js';
import { verifyCaseCommitmentSignature, verifyMailboxLogin, verifyMailboxRotate } from '../../protocol/checks.js';
import type { Database } from '../db/connection.js';
import { isUniqueViolation } from '../db/errors.js';
import { cases, files, mailboxSessions, messages, relays, spentMailboxChallenges, type CaseStatus, type RelayState } from '../db/schema.js';
import { invalid, conflict, notFound, throttled, unauthenticated } from '../errors.js';
import { newId, newToken, tokenHash } from '../tokens.js';
import { commitmentOf, preparedCaseReaders, toReaders } from './case-commitments.js';
import { caseAdvisers, caseChannel, noteActivity } from './notifications.js';
import { HOUR_MS, toHour, toNextHour } from './coarse-time.js';
import { feedbackBy } from '../../protocol/index.js';
import { recordReporterEvent } from './reporter-events.js';
import { createChallengeSigner, spentChallenge } from './signed-challenge.js';
import { attachmentsByRelay, caseRelayAttachments, type RelayAttachment } from './files.js';
import { caseFileHeader, reporterCopy } from './sealed.js';

/** A challenge works for 2 to 3 minutes: its expiry is a whole minute, 3 minutes on from the current one. */
export const CHALLENGE_MINUTES = 3;
/** A session lasts at least this long and ends at the next whole hour after it (no last use is kept). */
export const SESSION_MIN_MS = HOUR_MS;

/**
 * A login challenge is 32 bytes the server keeps nothing of until it is spent:
 * expiry (unix minutes, 4 bytes big-endian) ‖ 12 random bytes ‖ the first 16 bytes of
 * HMAC-SHA256(key, "mailbox-login/" ‖ mailboxId ‖ "/" ‖ the first 16 bytes).
 */
const CHALLENGE_BYTES = 32;
const CHALLENGE_BODY = 16;
const loginMacInput = (mailboxId: string, body: Uint8Array) => Buffer.concat([Buffer.from(`mailbox-login/${mailboxId}/`, 'ascii'), body]);

/** When a session opened at `now` ends: a whole hour, at least SESSION_MIN_MS away. */
export const sessionEnd = (now: Date): Date => toNextHour(new Date(now.getTime() + SESSION_MIN_MS));

/** One answer for every login failure: whether a mailbox exists is not revealed. */
const loginFailed = () => unauthenticated('mailbox_login_failed', 'The code is not valid, or the login took too long. Try again.');
const notSignedIn = () => unauthenticated('not_signed_in', 'Open the mailbox with your code first.');

/** A key no mailbox has: unknown mailboxes still cost one signature check, so timing tells nothing. */
const decoyKey = new Uint8Array(32);

export interface MailboxView {
  caseId: string;
  status: CaseStatus;
  receivedAt: Date;
  acknowledgedAt: Date | null;
  feedbackBy: Date;
  feedbackGivenAt: Date | null;
  reporterWrap: Uint8Array;
  report: { nonce: Uint8Array; ciphertext: Uint8Array };
  messages: Array<{ id: string; author: 'reporter' | 'adviser'; sentAt: Date; feedback: boolean; nonce: Uint8Array; ciphertext: Uint8Array }>;
  relays: Array<{ relayId: string; state: RelayState; copy: { nonce: Uint8Array; ciphertext: Uint8Array }; attachments: RelayAttachment[] }>;
  files: Array<{ fileId: string; header: { nonce: Uint8Array; ciphertext: Uint8Array }; bytes: number; author: 'reporter' | 'adviser' }>;
  commitment: CaseCommitment | null;
  readers: CaseReader[];
}

export interface NewMailboxKeys {
  mailboxId: string;
  reporterSignPublicKey: Uint8Array;
  reporterBoxPublicKey: Uint8Array;
  reporterWrap: Uint8Array;
  /** The current code's signature over the new mailbox id and signing key. */
  proof: Uint8Array;
}

const rotationProofWrong = () => unauthenticated('rotation_proof_wrong', 'The proof is not signed with the current code over the new mailbox id and signing key.');

/** `serverSecret` keys the login challenges (through a key of their own). */
export function createMailbox(db: Database, limits: { messagesPerHour: number }, serverSecret: Uint8Array) {
  const signer = createChallengeSigner(createHmac('sha256', serverSecret).update('confidant/mailbox-challenge-key').digest());

  /** The challenge's expiry when this server issued it for this mailbox; null otherwise. */
  function challengeExpiry(mailboxId: string, challenge: Uint8Array): Date | null {
    if (challenge.length !== CHALLENGE_BYTES) return null;
    const body = challenge.subarray(0, CHALLENGE_BODY);
    if (!signer.holds(loginMacInput(mailboxId, body), challenge.subarray(CHALLENGE_BODY))) return null;
    return new Date(Buffer.from(body).readUInt32BE(0) * 60 * 1000);
  }

  // The reads of every mailbox request, prepared once: the SQL is built once, and PostgreSQL
  // parses and plans each once per connection instead of once per request.
  const prepared = {
    session: db
      .select({ caseId: mailboxSessions.caseId })
      .from(mailboxSessions)
      .where(and(eq(mailboxSessions.tokenHash, sql.placeholder('hash')), gt(mailboxSessions.expiresAt, sql.placeholder('now'))))
      .prepare('mailbox_session'),
    caseRow: db.select().from(cases).where(eq(cases.id, sql.placeholder('caseId'))).prepare('mailbox_case'),
    messages: db
      .select({ id: messages.id, author: messages.author, sentAt: messages.sentAt, nonce: messages.nonce, ciphertext: messages.ciphertext, feedback: messages.feedback })
      .from(messages)
      .where(eq(messages.caseId, sql.placeholder('caseId')))
      .orderBy(asc(messages.seq))
      .prepare('mailbox_messages'),
    relays: db
      .select({ relayId: relays.id, state: relays.state, nonce: relays.copyNonce, ciphertext: relays.copyCiphertext })
      .from(relays)
      .where(eq(relays.caseId, sql.placeholder('caseId')))
      .orderBy(asc(relays.createdAt), asc(relays.id))
      .prepare('mailbox_relays'),
    files: db
      .select({ fileId: files.id, nonce: files.headerNonce, ciphertext: files.headerCiphertext, bytes: files.bytes, author: files.author })
      .from(files)
      .where(and(eq(files.caseId, sql.placeholder('caseId')), isNotNull(files.completedAt), isNotNull(files.headerNonce)))
      .orderBy(asc(files.createdAt), asc(files.id))
      .prepare('mailbox_files'),
    // Extension: what each relay of the case attaches, for the reporter's consent view.
    relayAttachments: caseRelayAttachments(db, sql.placeholder('caseId')).prepare('mailbox_relay_attachments'),
    readers: preparedCaseReaders(db, 'mailbox_readers'),
  };

  return {
    /** Writes nothing, and looks the same whether or not the mailbox exists. */
    challenge(mailboxId: string, now = new Date()): Uint8Array {
      const body = Buffer.alloc(CHALLENGE_BODY);
      body.writeUInt32BE(Math.floor(now.getTime() / 60_000) + CHALLENGE_MINUTES, 0);
      randomBytes(CHALLENGE_BODY - 4).copy(body, 4);
      const tag = signer.mac(loginMacInput(mailboxId, body)).subarray(0, CHALLENGE_BYTES - CHALLENGE_BODY);
      return new Uint8Array(Buffer.concat([body, tag]));
    },

    async openSession(input: { mailboxId: string; challenge: Uint8Array; signature: Uint8Array }, now = new Date()) {
      const expiry = challengeExpiry(input.mailboxId, input.challenge);
      const [found] = await db
        .select({ id: cases.id, key: cases.reporterSignPublicKey })
        .from(cases)
        .where(eq(cases.mailboxId, input.mailboxId));
      // A deleted case has no mailbox id, so it is never found: its code answers as a wrong one.
      const valid = verifyMailboxLogin(input.challenge, input.signature, found?.key ? new Uint8Array(found.key) : decoyKey);
      if (!expiry || expiry <= now) throw loginFailed();
      // Any attempt spends a challenge this server issued, known mailbox or not, signature right or
      // wrong; the primary key makes it atomic: of concurrent attempts with one challenge, one inserts.
      const first = await db
        .insert(spentMailboxChallenges)
        .values(spentChallenge(input.challenge, expiry))
        .onConflictDoNothing()
        .returning({ hash: spentMailboxChallenges.challengeHash });
      if (first.length === 0 || !found?.key || !valid) throw loginFailed();
      const token = newToken();
      const expiresAt = sessionEnd(now);
      await db.insert(mailboxSessions).values({ tokenHash: tokenHash(token), caseId: found.id, expiresAt });
      return { token, expiresAt };
    },

    /** The case a bearer token opens; 401 for anything else. Writes nothing: a session has a fixed end. */
    async authenticate(token: string | undefined, now = new Date()): Promise<{ caseId: string; tokenHash: Buffer }> {
      if (!token) throw notSignedIn();
      const hash = tokenHash(token);
      const [session] = await prepared.session.execute({ hash, now });
      if (!session) throw notSignedIn();
      return { caseId: session.caseId, tokenHash: hash };
    },

    async closeSession(hash: Buffer): Promise<void> {
      await db.delete(mailboxSessions).where(eq(mailboxSessions.tokenHash, hash));
    },

    async read(caseId: string): Promise<MailboxView> {
      const [row] = await prepared.caseRow.execute({ caseId });
      // A session that outlived its case's deletion opens nothing.
      if (!row || row.reporterWrap === null || row.reportNonce === null || row.reportCiphertext === null) throw notSignedIn();
      const [messageRows, relayRows, fileRows, attachmentRows, readers] = await Promise.all([
        prepared.messages.execute({ caseId }),
        prepared.relays.execute({ caseId }),
        prepared.files.execute({ caseId }),
        prepared.relayAttachments.execute({ caseId }),
        prepared.readers.execute({ caseId }).then(toReaders),
      ]);
      const attachments = attachmentsByRelay(attachmentRows);
      return {
        caseId: row.id,
        status: row.status,
        receivedAt: row.receivedAt,
        acknowledgedAt: row.acknowledgedAt,
        feedbackBy: feedbackBy(row.receivedAt, row.acknowledgedAt),
        feedbackGivenAt: row.feedbackGivenAt,
        reporterWrap: row.reporterWrap,
        report: { nonce: row.reportNonce, ciphertext: row.reportCiphertext },
        messages: messageRows,
        relays: relayRows.map((r) => ({ relayId: r.relayId, state: r.state, copy: reporterCopy(r.nonce, r.ciphertext), attachments: attachments(r.relayId) })),
        files: fileRows.map((f) => ({ fileId: f.fileId, header: caseFileHeader(f.nonce, f.ciphertext), bytes: f.bytes, author: f.author })),
        commitment: commitmentOf(row),
        readers,
      };
    },

    /** The limit counts the reporter's messages of the current clock hour: their times are whole hours. */
    async postMessage(caseId: string, envelope: { nonce: Uint8Array; ciphertext: Uint8Array }, now = new Date()) {
      const hour = toHour(now);
      return db.transaction(async (tx) => {
        // Takes the message's seq and, with it, the case row's lock: concurrent posts cannot both slip under the limit.
        const [next] = await tx
          .update(cases)
          .set({ messageSeq: sql`${cases.messageSeq} + 1`, reporterSeq: sql`${cases.messageSeq} + 1` })
          .where(and(eq(cases.id, caseId), isNull(cases.deletedAt)))
          .returning({ seq: cases.messageSeq });
        if (!next) throw notSignedIn();
        const [recent] = await tx
          .select({ n: count() })
          .from(messages)
          .where(and(eq(messages.caseId, caseId), eq(messages.author, 'reporter'), eq(messages.sentAt, hour)));
        if ((recent?.n ?? 0) >= limits.messagesPerHour) {
          throw throttled('too_many_messages', `A mailbox may send ${limits.messagesPerHour} messages an hour; try again later.`);
        }
        const id = newId();
        await tx.insert(messages).values({ id, caseId, author: 'reporter', seq: next.seq, nonce: envelope.nonce, ciphertext: envelope.ciphertext, sentAt: hour });
        await recordReporterEvent(tx, { action: 'message', caseId, at: hour });
        await noteActivity(tx, caseAdvisers(caseId), caseChannel(caseId), now);
        return { id, sentAt: hour };
      });
    },

    async consent(caseId: string, relayId: string, decision: 'approve' | 'decline', approval: Uint8Array | undefined, now = new Date()): Promise<RelayState> {
      if (approval !== undefined && decision !== 'approve') throw invalid('invalid_approval', 'Only an approval carries an approval hash.');
      const state: RelayState = decision === 'approve' ? 'approved' : 'declined';
      const updated = await db.transaction(async (tx) => {
        const [row] = await tx
          .update(relays)
          .set({ state, decidedAt: toHour(now), approval: approval ?? null })
          .where(and(eq(relays.id, relayId), eq(relays.caseId, caseId), eq(relays.state, 'awaiting_consent')))
          .returning({ state: relays.state });
        if (row) {
          await recordReporterEvent(tx, { action: 'consent', caseId, at: now });
          await noteActivity(tx, caseAdvisers(caseId), caseChannel(caseId), now);
        }
        return row;
      });
      if (updated) return updated.state;
      const [existing] = await db.select({ state: relays.state }).from(relays).where(and(eq(relays.id, relayId), eq(relays.caseId, caseId)));
      if (!existing) throw notFound('unknown_relay', 'This mailbox has no relay with that id.');
      throw conflict('relay_decided', `This relay is ${existing.state.replace('_', ' ')} already; it cannot be decided again.`);
    },

    /** A new code replaces the old: new mailbox id and keys, every session of the old code ends. */
    /**
     * A new code, proven by the current one: a session token alone cannot take the mailbox over.
     * A case with a commitment needs it signed again by the new code's key, since clients verify
     * it with the current reporter key.
     */
    async rotate(caseId: string, keys: NewMailboxKeys & { commitmentSignature?: Uint8Array | undefined }, now = new Date()): Promise<void> {
      const [current] = await db.select().from(cases).where(eq(cases.id, caseId));
      if (
        !current?.reporterSignPublicKey ||
        !verifyMailboxRotate(Buffer.from(keys.mailboxId, 'base64url'), keys.reporterSignPublicKey, keys.proof, current.reporterSignPublicKey)
      ) {
        throw rotationProofWrong();
      }
      const currentKey = current.reporterSignPublicKey;
      const commitment = commitmentOf(current);
      if (commitment !== null) {
        if (keys.commitmentSignature === undefined) {
          throw invalid('missing_commitment_signature', "This case has a commitment: sign it again with the new code's key.");
        }
        const resigned = { ...commitment, signature: toBase64url(keys.commitmentSignature) };
        if (!verifyCaseCommitmentSignature(caseId, resigned, keys.reporterSignPublicKey)) {
          throw invalid('invalid_commitment_signature', "The signature does not verify with the new code's key.");
        }
      } else if (keys.commitmentSignature !== undefined) {
        throw invalid('invalid_commitment_signature', 'This case has no commitment to sign again.');
      }
      try {
        await db.transaction(async (tx) => {
          // Only from the key the proof was checked against: a concurrent rotation wins alone.
          const [rotated] = await tx
            .update(cases)
            .set({
              mailboxId: keys.mailboxId,
              reporterSignPublicKey: keys.reporterSignPublicKey,
              reporterBoxPublicKey: keys.reporterBoxPublicKey,
              reporterWrap: keys.reporterWrap,
              ...(keys.commitmentSignature ? { commitmentSignature: keys.commitmentSignature } : {}),
            })
            .where(and(eq(cases.id, caseId), eq(cases.reporterSignPublicKey, currentKey)))
            .returning({ id: cases.id });
          if (!rotated) throw rotationProofWrong();
          await tx.delete(mailboxSessions).where(eq(mailboxSessions.caseId, caseId));
          await recordReporterEvent(tx, { action: 'rotated', caseId, at: now });
        });
      } catch (error) {
        if (isUniqueViolation(error, 'mailbox_id')) throw conflict('mailbox_exists', 'This mailbox id is taken: make a new code.');
        throw error;
      }
    },

    /** Forgets spent challenges past their expiry, and expired sessions. */
    async sweep(now = new Date()): Promise<void> {
      await db.delete(spentMailboxChallenges).where(lt(spentMailboxChallenges.expiresAt, now));
      await db.delete(mailboxSessions).where(lt(mailboxSessions.expiresAt, now));
    },
  };
}

export type MailboxService = ReturnType<typeof createMailbox>;
