/**
 * The reporter's two flows over ConfidantClient: submit a new report (§2, §4, §6) and open
 * the mailbox with the code. The session token and the case key live only in memory, in
 * the Mailbox object.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { messageAd, relayCopyAd, reportAd } from './associated-data.js';
import type { MessageAuthor } from './associated-data.js';
import type { ConfidantClient } from './client.js';
import { deriveMailboxKeys, generateCode, readBack, refuseCodeIn } from './code.js';
import type { MailboxKeys } from './code.js';
import {
  BOX_PUBLIC_KEY_BYTES, CASE_ID_BYTES, KEY_BYTES, MESSAGE_BLOCK, PROTOCOL_VERSION, RELAY_BLOCK, REPORT_BLOCK
} from './constants.js';
import { checkCaseKey, signCaseCommitment } from './commitment.js';
import { decryptRecord, encryptRecord, sealKey, unsealKey } from './envelope.js';
import { approvalOf, openRelayPlaintext } from './relay-approval.js';
import { fingerprintOf, normaliseFingerprint } from './fingerprint.js';
import { ProtocolError } from './errors.js';
import { listFiles, prepareFile, readFile, type FileDownload, type FileEntry, type FileUpload, type PlainFile } from './file-transfer.js';
import { signMailboxLogin, signMailboxRotate } from './mailbox-login.js';
import { readRelayAttachment, relayAttachments, type AttachmentEntry } from './relay-attachments.js';
import { isMessagePlaintext, isReportPlaintext } from './plaintexts.js';
import type { MessagePlaintext, ReportPlaintext } from './plaintexts.js';
import { solvePow } from './pow.js';
import { ready, wipe } from './sodium.js';
import type {
  CaseCommitment, CaseReader, CaseStatus, ChannelAdviser, ConsentDecision, Envelope, IsoTime, MailboxFile, MailboxView, PostMessageResponse, RelayAttachment, RelayState,
  SubmitReportRequest
} from './wire.js';

export interface NewReport {
  slug: string;
  report: ReportPlaintext;
  /** The advisers who receive the report (default: all the channel's advisers, or all pinned ones). */
  adviserKeyIds?: string[];
  /**
   * Fingerprints the organisation published with its channel link: only advisers whose keys
   * match one are used, and a choice of any other adviser is refused ('unpinned_advisers').
   */
  pinnedFingerprints?: string[];
}

export interface SubmittedReport {
  /** The code to show once: the only key to the mailbox. */
  code: string;
  caseId: string;
  receivedAt: IsoTime;
  acknowledgeBy: IsoTime;
}

export type OpenedMessage =
  | { ok: true; id: string; author: MessageAuthor; sentAt: IsoTime; feedback: boolean; message: MessagePlaintext }
  | { ok: false; id: string; author: string; sentAt: IsoTime; feedback: boolean; error: 'decrypt_failed' | 'bad_plaintext' };

export type OpenedRelay =
  /** `attachments` (extension): what the copy attaches, checked against what the server lists. */
  | { ok: true; relayId: string; state: RelayState; copy: unknown; attachments: AttachmentEntry[] }
  | { ok: false; relayId: string; state: RelayState; error: 'decrypt_failed' | 'bad_plaintext' };

/** The mailbox as the reporter reads it: everything the server keeps, opened. */
export interface OpenedMailbox {
  caseId: string;
  status: CaseStatus;
  receivedAt: IsoTime;
  acknowledgedAt: IsoTime | null;
  feedbackBy: IsoTime;
  /** When the adviser's message marked as the feedback was sent; null until then. */
  feedbackGivenAt: IsoTime | null;
  report: ReportPlaintext;
  /** In server order; one that does not open is listed with its error, not dropped. */
  messages: OpenedMessage[];
  relays: OpenedRelay[];
  /** Both sides' complete files, headers opened (bodies are read on demand, keys stay in the Mailbox). */
  files: FileEntry[];
  /** Every adviser who can read the case, as the server lists them (extension). */
  readers: CaseReader[];
}

/** Overwrites the secret parts of derived keys once they are no longer needed. */
function wipeKeys(keys: MailboxKeys): void {
  wipe(keys.seed, keys.signSecretKey, keys.boxSecretKey);
}

/**
 * Submits a new report: fetches the channel, makes a code, a case id and a case key, seals
 * the key to the chosen advisers and to the reporter, encrypts the report, solves the proof
 * of work when the channel asks for one, and submits. Returns the code to show once.
 */
/** Every text in a report: the answers and the identity, however nested. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

export async function submitNewReport(client: ConfidantClient, { slug, report, adviserKeyIds, pinnedFingerprints }: NewReport): Promise<SubmittedReport> {
  const s = await ready();
  if (!isReportPlaintext(report)) {
    throw new ProtocolError('bad_report', 'a report is { v: 1, lang, answers, anonymity }, with identity only when confidential');
  }
  refuseCodeIn(stringsOf(report));
  const channel = await client.getChannel(slug);
  const offered = pinnedAdvisers(channel.advisers, pinnedFingerprints);
  const advisers = adviserKeyIds === undefined
    ? offered
    : [...new Set(adviserKeyIds)].map((keyId) => {
      const adviser = channel.advisers.find((a) => a.keyId === keyId);
      if (adviser === undefined) throw new ProtocolError('unknown_adviser', 'no adviser of this channel has that key id');
      if (!offered.includes(adviser)) throw new ProtocolError('unpinned_advisers', "that adviser's keys are not the ones the organisation published");
      return adviser;
    });
  if (advisers.length === 0) {
    throw pinnedFingerprints === undefined
      ? new ProtocolError('no_advisers', 'the report must go to at least one adviser')
      : new ProtocolError('unpinned_advisers', "no adviser's keys match the ones the organisation published");
  }

  const code = generateCode();
  const keys = await deriveMailboxKeys(code.body);
  const caseId = toBase64url(s.randombytes_buf(CASE_ID_BYTES));
  const caseKey = s.randombytes_buf(KEY_BYTES);
  let body: SubmitReportRequest;
  try {
    body = {
      v: PROTOCOL_VERSION,
      caseId,
      mailboxId: keys.mailboxId,
      reporterSignPublicKey: toBase64url(keys.signPublicKey),
      reporterBoxPublicKey: toBase64url(keys.boxPublicKey),
      wraps: advisers.map((a) => ({ keyId: a.keyId, wrap: sealKey(caseKey, fromBase64url(a.boxPublicKey, BOX_PUBLIC_KEY_BYTES)) })),
      reporterWrap: sealKey(caseKey, keys.boxPublicKey),
      report: encryptRecord(caseKey, report, reportAd(caseId), REPORT_BLOCK),
      commitment: signCaseCommitment({
        caseId,
        caseKey,
        chosen: advisers.map((a) => a.keyId),
        excluded: channel.advisers.filter((a) => !advisers.includes(a)).map((a) => a.keyId)
      }, keys.signSecretKey)
    };
  } finally {
    caseKey.fill(0);
    wipeKeys(keys);
  }
  if (channel.pow.difficulty > 0) {
    // Fetched last: the challenge is single-use and expires.
    const pow = await client.getPow(slug);
    body.pow = { challenge: pow.challenge, nonce: solvePow(pow.challenge, pow.difficulty) };
  }
  const answer = await client.submitReport(slug, body);
  // The report is stored from here on: return the code whatever else the answer says.
  return { code: code.display, caseId, receivedAt: answer.receivedAt, acknowledgeBy: answer.acknowledgeBy };
}

/** The advisers a reporter may choose: all, or with pins only those whose keys match one. */
export function pinnedAdvisers(advisers: ChannelAdviser[], pinnedFingerprints: string[] | undefined): ChannelAdviser[] {
  if (pinnedFingerprints === undefined) return advisers;
  const pins = new Set(pinnedFingerprints.map(normaliseFingerprint).filter((f): f is string => f !== null));
  return advisers.filter((a) => pins.has(fingerprintOf(a)));
}

export function openMessage(caseKey: Uint8Array, caseId: string, m: MailboxView['messages'][number]): OpenedMessage {
  const { id, author, sentAt } = m;
  // Only an adviser's message can be the feedback, whatever a server says.
  const feedback = author === 'adviser' && m.feedback === true;
  if (author !== 'reporter' && author !== 'adviser') return { ok: false, id, author, sentAt, feedback, error: 'decrypt_failed' };
  try {
    const message = decryptRecord(caseKey, m, messageAd(caseId, author), MESSAGE_BLOCK);
    if (!isMessagePlaintext(message)) return { ok: false, id, author, sentAt, feedback, error: 'bad_plaintext' };
    return { ok: true, id, author, sentAt, feedback, message };
  } catch (error) {
    return { ok: false, id, author, sentAt, feedback, error: error instanceof ProtocolError && error.code === 'bad_plaintext' ? 'bad_plaintext' : 'decrypt_failed' };
  }
}

export function openRelay(caseKey: Uint8Array, caseId: string, r: Pick<MailboxView['relays'][number], 'relayId' | 'state' | 'copy'> & { attachments?: RelayAttachment[] }): OpenedRelay {
  const { relayId, state } = r;
  try {
    const copy = decryptRecord(caseKey, r.copy, relayCopyAd(caseId, relayId), RELAY_BLOCK);
    return { ok: true, relayId, state, copy, attachments: relayAttachments(copy, r.attachments ?? []) };
  } catch (error) {
    return { ok: false, relayId, state, error: error instanceof ProtocolError && error.code === 'bad_plaintext' ? 'bad_plaintext' : 'decrypt_failed' };
  }
}

function openView(caseKey: Uint8Array, view: MailboxView): OpenedMailbox {
  const report = decryptRecord(caseKey, view.report, reportAd(view.caseId), REPORT_BLOCK);
  if (!isReportPlaintext(report)) throw new ProtocolError('bad_plaintext', 'the report does not have the shape of a report');
  return {
    caseId: view.caseId,
    status: view.status,
    receivedAt: view.receivedAt,
    acknowledgedAt: view.acknowledgedAt,
    feedbackBy: view.feedbackBy,
    feedbackGivenAt: view.feedbackGivenAt,
    report,
    messages: view.messages.map((m) => openMessage(caseKey, view.caseId, m)),
    relays: view.relays.map((r) => openRelay(caseKey, view.caseId, r)),
    files: listFiles(caseKey, view.caseId, view.files),
    readers: view.readers
  };
}

/**
 * An open mailbox session. Holds the token, the case key and the code's signing key (to prove
 * a rotation) in memory only; `close()` ends the session on the server and forgets them.
 */
export class Mailbox {
  readonly #client: ConfidantClient;
  #token: string | undefined;
  #caseKey: Uint8Array;
  readonly #signSecretKey: Uint8Array;
  #view: OpenedMailbox;
  readonly #commitment: CaseCommitment | null;
  /** The relay copies as last shown, to approve exactly what the reporter read. */
  #copies = new Map<string, Envelope>();
  /** The files as last listed, to read one without fetching the mailbox again. */
  #files = new Map<string, MailboxFile>();
  /** What the server lists of each relay's attachments (extension). */
  #attachments = new Map<string, RelayAttachment[]>();

  /** @internal use openMailbox() */
  constructor(client: ConfidantClient, token: string, caseKey: Uint8Array, signSecretKey: Uint8Array, view: MailboxView) {
    this.#client = client;
    this.#token = token;
    this.#caseKey = caseKey;
    this.#signSecretKey = signSecretKey;
    this.#commitment = view.commitment;
    this.#view = this.#show(view);
  }

  #show(view: MailboxView): OpenedMailbox {
    const opened = openView(this.#caseKey, view);
    this.#copies = new Map(view.relays.map((r) => [r.relayId, r.copy]));
    this.#attachments = new Map(view.relays.map((r) => [r.relayId, r.attachments ?? []]));
    this.#files = new Map(view.files.map((f) => [f.fileId, f]));
    return opened;
  }

  get view(): OpenedMailbox {
    return this.#view;
  }

  get caseId(): string {
    return this.#view.caseId;
  }

  #session(): string {
    if (this.#token === undefined) throw new ProtocolError('session_closed', 'the mailbox session is closed');
    return this.#token;
  }

  /** Fetches the mailbox again and opens it. */
  async refresh(): Promise<OpenedMailbox> {
    const view = await this.#client.getMailbox(this.#session());
    if (view.caseId !== this.#view.caseId) throw new ProtocolError('decrypt_failed', 'the server answered with another case');
    if (this.#commitment !== null && view.commitment?.key !== this.#commitment.key) {
      throw new ProtocolError('case_key_unverified', "the case's commitment changed");
    }
    this.#view = this.#show(view);
    return this.#view;
  }

  /** Sends `{ v: 1, body, sentAt }` as the reporter. */
  async postMessage(body: string): Promise<PostMessageResponse> {
    refuseCodeIn([body]);
    const token = this.#session();
    const plaintext: MessagePlaintext = { v: 1, body, sentAt: new Date().toISOString() };
    const envelope = encryptRecord(this.#caseKey, plaintext, messageAd(this.caseId, 'reporter'), MESSAGE_BLOCK);
    return await this.#client.postMailboxMessage(token, envelope);
  }

  /**
   * Approves or declines a relay. An approval carries a hash of the exact copy this mailbox
   * showed (not a fresh fetch), so the organisation can check it reads the same text.
   */
  async consent(relayId: string, decision: ConsentDecision): Promise<void> {
    const token = this.#session();
    const copy = this.#copies.get(relayId);
    const approval = decision === 'approve' && copy !== undefined
      ? approvalOf(relayId, openRelayPlaintext(this.#caseKey, copy, relayCopyAd(this.caseId, relayId)))
      : null;
    await this.#client.consentRelay(token, relayId, decision, approval ?? undefined);
  }

  /** Makes a file of the case for the adviser; its body then goes over tus (see FileUpload). */
  async attachFile(file: PlainFile): Promise<FileUpload> {
    const token = this.#session();
    const { request, body } = prepareFile(this.#caseKey, this.caseId, file);
    const made = await this.#client.createMailboxFile(token, request);
    return { fileId: made.fileId, uploadUrl: made.uploadUrl, headers: { authorization: `Bearer ${token}` }, body };
  }

  /** Reads a listed file: its header opened, and how to fetch and decrypt its body. */
  fileDownload(fileId: string): FileDownload {
    const token = this.#session();
    const stored = this.#files.get(fileId);
    if (stored === undefined) throw new ProtocolError('unknown_file', 'the mailbox lists no such file: refresh it');
    return { path: `/api/v1/mailbox/files/${fileId}`, headers: { authorization: `Bearer ${token}` }, ...readFile(this.#caseKey, this.caseId, stored) };
  }

  /** Reads an attachment of a relay (extension): as the copy names it, fetched and decrypted like a file. */
  relayAttachmentDownload(relayId: string, fileId: string): FileDownload {
    const token = this.#session();
    const copy = this.#copies.get(relayId);
    if (copy === undefined) throw new ProtocolError('unknown_file', 'the mailbox lists no such relay: refresh it');
    const opened = decryptRecord(this.#caseKey, copy, relayCopyAd(this.caseId, relayId), RELAY_BLOCK);
    return {
      path: `/api/v1/mailbox/relays/${relayId}/attachments/${fileId}`,
      headers: { authorization: `Bearer ${token}` },
      ...readRelayAttachment(opened, this.#attachments.get(relayId) ?? [], fileId),
    };
  }

  /**
   * Replaces the code: new code, new mailbox keys, a new reporterWrap of the same case key,
   * proven with the current code's signing key. Returns the new code to show once; the old
   * one stops working, and so does this session.
   */
  async rotate(): Promise<string> {
    const token = this.#session();
    const code = generateCode();
    const keys = await deriveMailboxKeys(code.body);
    try {
      await this.#client.rotateMailbox(token, {
        mailboxId: keys.mailboxId,
        reporterSignPublicKey: toBase64url(keys.signPublicKey),
        reporterBoxPublicKey: toBase64url(keys.boxPublicKey),
        reporterWrap: sealKey(this.#caseKey, keys.boxPublicKey),
        ...(this.#commitment === null ? {} : {
          commitmentSignature: signCaseCommitment({ caseId: this.caseId, caseKey: this.#caseKey, ...this.#commitment }, keys.signSecretKey).signature
        }),
        proof: toBase64url(signMailboxRotate(fromBase64url(keys.mailboxId), keys.signPublicKey, this.#signSecretKey))
      });
    } finally {
      wipeKeys(keys);
    }
    // The old code's key proves nothing any more, and the session it opened has ended.
    this.#signSecretKey.fill(0);
    return code.display;
  }

  /** Ends the session on the server (best effort) and forgets the token and the case key. */
  async close(): Promise<void> {
    const token = this.#token;
    this.#token = undefined;
    wipe(this.#caseKey, this.#signSecretKey);
    if (token !== undefined) await this.#client.closeMailboxSession(token);
  }
}

/**
 * Opens the mailbox with a typed code: reads it back (a typing error throws ProtocolError
 * 'invalid_symbol', 'wrong_length' or 'wrong_check' before any derivation or request),
 * derives the keys, signs the login challenge, and opens everything the mailbox holds.
 */
export async function openMailbox(client: ConfidantClient, codeInput: string): Promise<Mailbox> {
  const read = readBack(codeInput);
  if (!read.ok) throw new ProtocolError(read.error, 'the code has a typing error');
  const keys = await deriveMailboxKeys(read.body);
  try {
    const { challenge } = await client.mailboxChallenge(keys.mailboxId);
    const signature = signMailboxLogin(fromBase64url(challenge), keys.signSecretKey);
    const { token } = await client.openMailboxSession({ mailboxId: keys.mailboxId, challenge, signature: toBase64url(signature) });
    try {
      const view = await client.getMailbox(token);
      const caseKey = unsealKey(view.reporterWrap, keys.boxPublicKey, keys.boxSecretKey);
      // A copy: `keys` is wiped below, the Mailbox wipes its own on close.
      const signSecretKey = keys.signSecretKey.slice();
      try {
        // The reporter's own signature names the case key: a wrap the server swapped in fails here.
        if (view.commitment !== null) checkCaseKey(view.caseId, caseKey, view.commitment, keys.signPublicKey);
        return new Mailbox(client, token, caseKey, signSecretKey, view);
      } catch (error) {
        wipe(caseKey, signSecretKey);
        throw error;
      }
    } catch (error) {
      await client.closeMailboxSession(token).catch(() => {});
      throw error;
    }
  } finally {
    wipeKeys(keys);
  }
}
