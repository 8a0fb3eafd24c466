/**
 * The reporter's mailbox (protocol-v1 §6): challenge-response login with the key derived
 * from the code, bearer sessions stored hashed, reading the case, posting messages, consent
 * to relays and changing the code. The server checks signatures; it never sees the code.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, count, eq, gt, lt } from 'drizzle-orm';
import { toBase64url, verifyCaseCommitmentSignature, verifyMailboxLogin, verifyMailboxRotate, type CaseCommitment, type CaseReader } from '../../protocol/index.js';
import type { Database } from '../db/connection.js';
import { isUniqueViolation } from '../db/errors.js';
import { cases, files, mailboxChallenges, mailboxSessions, messages, relays, type CaseStatus, type RelayState } from '../db/schema.js';
import { badRequest, conflict, notFound, slowDown, unauthorized } from '../errors.js';
import { newId, newToken, tokenHash } from '../tokens.js';
import { recordAudit } from './audit.js';
import { caseReaders, commitmentOf } from './case-commitments.js';
import { feedbackBy } from './deadlines.js';

export const CHALLENGE_TTL_MS = 2 * 60 * 1000;
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** A session's expiry moves on at most this often, so reading does not write every time. */
const SESSION_TOUCH_MS = 60 * 1000;

/** One answer for every login failure: whether a mailbox exists is not revealed. */
const loginFailed = () => unauthorized('mailbox_login_failed', 'The code is not valid, or the login took too long. Try again.');
const notSignedIn = () => unauthorized('not_signed_in', 'Open the mailbox with your code first.');

/** A key no mailbox has: unknown mailboxes still cost one signature check, so timing tells nothing. */
const decoyKey = new Uint8Array(32);

export interface MailboxView {
  caseId: string;
  status: CaseStatus;
  receivedAt: Date;
  acknowledgedAt: Date | null;
  feedbackBy: Date;
  reporterWrap: Uint8Array;
  report: { nonce: Uint8Array; ciphertext: Uint8Array };
  messages: Array<{ id: string; author: 'reporter' | 'adviser'; sentAt: Date; nonce: Uint8Array; ciphertext: Uint8Array }>;
  relays: Array<{ relayId: string; state: RelayState; copy: { nonce: Uint8Array; ciphertext: Uint8Array } }>;
  files: Array<{ fileId: string; header: { nonce: Uint8Array; ciphertext: Uint8Array }; bytes: number }>;
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

const rotationProofWrong = () => unauthorized('rotation_proof_wrong', 'The proof is not signed with the current code over the new mailbox id and signing key.');

export function createMailbox(db: Database, limits: { messagesPerHour: number }) {
  return {
    async challenge(mailboxId: string, now = new Date()): Promise<Uint8Array> {
      const challenge = randomBytes(32);
      await db.insert(mailboxChallenges).values({ challenge, mailboxId, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) });
      return challenge;
    },

    async openSession(input: { mailboxId: string; challenge: Uint8Array; signature: Uint8Array }, now = new Date()) {
      // Deleting spends the challenge whether or not the signature holds.
      const [spent] = await db
        .delete(mailboxChallenges)
        .where(and(eq(mailboxChallenges.challenge, input.challenge), eq(mailboxChallenges.mailboxId, input.mailboxId)))
        .returning({ expiresAt: mailboxChallenges.expiresAt });
      const [found] = await db
        .select({ id: cases.id, key: cases.reporterSignPublicKey })
        .from(cases)
        .where(eq(cases.mailboxId, input.mailboxId));
      const valid = verifyMailboxLogin(input.challenge, input.signature, found ? new Uint8Array(found.key) : decoyKey);
      if (!spent || spent.expiresAt <= now || !found || !valid) throw loginFailed();
      const token = newToken();
      const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
      await db.insert(mailboxSessions).values({ tokenHash: tokenHash(token), caseId: found.id, lastUsedAt: now, expiresAt });
      return { token, expiresAt };
    },

    /** The case a bearer token opens, sliding its idle expiry; 401 for anything else. */
    async authenticate(token: string | undefined, now = new Date()): Promise<{ caseId: string; tokenHash: Buffer }> {
      if (!token) throw notSignedIn();
      const hash = tokenHash(token);
      const [session] = await db
        .select()
        .from(mailboxSessions)
        .where(and(eq(mailboxSessions.tokenHash, hash), gt(mailboxSessions.expiresAt, now)));
      if (!session) throw notSignedIn();
      if (now.getTime() - session.lastUsedAt.getTime() > SESSION_TOUCH_MS) {
        await db
          .update(mailboxSessions)
          .set({ lastUsedAt: now, expiresAt: new Date(now.getTime() + SESSION_IDLE_MS) })
          .where(eq(mailboxSessions.tokenHash, hash));
      }
      return { caseId: session.caseId, tokenHash: hash };
    },

    async closeSession(hash: Buffer): Promise<void> {
      await db.delete(mailboxSessions).where(eq(mailboxSessions.tokenHash, hash));
    },

    async read(caseId: string): Promise<MailboxView> {
      const [row] = await db.select().from(cases).where(eq(cases.id, caseId));
      if (!row) throw notSignedIn();
      const [messageRows, relayRows, fileRows, readers] = await Promise.all([
        db
          .select({ id: messages.id, author: messages.author, sentAt: messages.sentAt, nonce: messages.nonce, ciphertext: messages.ciphertext })
          .from(messages)
          .where(eq(messages.caseId, caseId))
          .orderBy(asc(messages.sentAt), asc(messages.id)),
        db
          .select({ relayId: relays.id, state: relays.state, nonce: relays.copyNonce, ciphertext: relays.copyCiphertext })
          .from(relays)
          .where(eq(relays.caseId, caseId))
          .orderBy(asc(relays.createdAt), asc(relays.id)),
        db
          .select({ fileId: files.id, nonce: files.headerNonce, ciphertext: files.headerCiphertext, bytes: files.bytes, completedAt: files.completedAt })
          .from(files)
          .where(eq(files.caseId, caseId))
          .orderBy(asc(files.createdAt), asc(files.id)),
        caseReaders(db, caseId),
      ]);
      return {
        caseId: row.id,
        status: row.status,
        receivedAt: row.receivedAt,
        acknowledgedAt: row.acknowledgedAt,
        feedbackBy: feedbackBy(row.receivedAt, row.acknowledgedAt),
        reporterWrap: row.reporterWrap,
        report: { nonce: row.reportNonce, ciphertext: row.reportCiphertext },
        messages: messageRows,
        relays: relayRows.map((r) => ({ relayId: r.relayId, state: r.state, copy: { nonce: r.nonce, ciphertext: r.ciphertext } })),
        files: fileRows
          .filter((f) => f.completedAt !== null)
          .map((f) => ({ fileId: f.fileId, header: { nonce: f.nonce, ciphertext: f.ciphertext }, bytes: f.bytes })),
        commitment: commitmentOf(row),
        readers,
      };
    },

    async postMessage(caseId: string, envelope: { nonce: Uint8Array; ciphertext: Uint8Array }, now = new Date()) {
      const hourAgo = new Date(now.getTime() - 3600 * 1000);
      return db.transaction(async (tx) => {
        // Lock the case row so that concurrent posts cannot both slip under the hourly limit.
        await tx.select({ id: cases.id }).from(cases).where(eq(cases.id, caseId)).for('update');
        const [recent] = await tx
          .select({ n: count() })
          .from(messages)
          .where(and(eq(messages.caseId, caseId), eq(messages.author, 'reporter'), gt(messages.sentAt, hourAgo)));
        if ((recent?.n ?? 0) >= limits.messagesPerHour) {
          throw slowDown('too_many_messages', `A mailbox may send ${limits.messagesPerHour} messages an hour; try again later.`);
        }
        const id = newId();
        await tx.insert(messages).values({ id, caseId, author: 'reporter', nonce: envelope.nonce, ciphertext: envelope.ciphertext, sentAt: now });
        await tx.update(cases).set({ lastReporterActivityAt: now }).where(eq(cases.id, caseId));
        await recordAudit(tx, { actor: 'reporter', action: 'reporter_message', subject: caseId, at: now });
        return { id, sentAt: now };
      });
    },

    async consent(caseId: string, relayId: string, decision: 'approve' | 'decline', approval: Uint8Array | undefined, now = new Date()): Promise<RelayState> {
      if (approval !== undefined && decision !== 'approve') throw badRequest('invalid_approval', 'Only an approval carries an approval hash.');
      const state: RelayState = decision === 'approve' ? 'approved' : 'declined';
      const updated = await db.transaction(async (tx) => {
        const [row] = await tx
          .update(relays)
          .set({ state, decidedAt: now, approval: approval ?? null })
          .where(and(eq(relays.id, relayId), eq(relays.caseId, caseId), eq(relays.state, 'awaiting_consent')))
          .returning({ state: relays.state });
        if (row) await recordAudit(tx, { actor: 'reporter', action: 'consent', subject: relayId, at: now });
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
    async rotate(caseId: string, keys: NewMailboxKeys & { commitmentSignature?: Uint8Array | undefined }): Promise<void> {
      const [current] = await db.select().from(cases).where(eq(cases.id, caseId));
      if (!current || !verifyMailboxRotate(Buffer.from(keys.mailboxId, 'base64url'), keys.reporterSignPublicKey, keys.proof, current.reporterSignPublicKey)) {
        throw rotationProofWrong();
      }
      const commitment = commitmentOf(current);
      if (commitment !== null) {
        if (keys.commitmentSignature === undefined) {
          throw badRequest('missing_commitment_signature', "This case has a commitment: sign it again with the new code's key.");
        }
        const resigned = { ...commitment, signature: toBase64url(keys.commitmentSignature) };
        if (!verifyCaseCommitmentSignature(caseId, resigned, keys.reporterSignPublicKey)) {
          throw badRequest('invalid_commitment_signature', "The signature does not verify with the new code's key.");
        }
      } else if (keys.commitmentSignature !== undefined) {
        throw badRequest('invalid_commitment_signature', 'This case has no commitment to sign again.');
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
            .where(and(eq(cases.id, caseId), eq(cases.reporterSignPublicKey, current.reporterSignPublicKey)))
            .returning({ id: cases.id });
          if (!rotated) throw rotationProofWrong();
          await tx.delete(mailboxSessions).where(eq(mailboxSessions.caseId, caseId));
          await recordAudit(tx, { actor: 'reporter', action: 'rotated', subject: caseId });
        });
      } catch (error) {
        if (isUniqueViolation(error, 'mailbox_id')) throw conflict('mailbox_exists', 'This mailbox id is taken: make a new code.');
        throw error;
      }
    },

    /** Forgets expired challenges and sessions. */
    async sweep(now = new Date()): Promise<void> {
      await db.delete(mailboxChallenges).where(lt(mailboxChallenges.expiresAt, now));
      await db.delete(mailboxSessions).where(lt(mailboxSessions.expiresAt, now));
    },
  };
}

export type MailboxService = ReturnType<typeof createMailbox>;
