/**
 * The staff flows over ConfidantClient: set up an account from an invite (§3), sign in, and the
 * adviser's casework on decrypted cases. Secret keys and tokens live in memory only, in the
 * StaffSession object.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { keyFingerprint } from './fingerprint.js';
import { messageAd, registrationAd, relayAd, relayCopyAd, relayMessageAd, reportAd } from './associated-data.js';
import type { ConfidantClient } from './client.js';
import { BOX_PUBLIC_KEY_BYTES, KEY_BYTES, MESSAGE_BLOCK, REGISTRATION_BLOCK, REGISTRATION_PAGE_MAX, RELAY_BLOCK, REPORT_BLOCK } from './constants.js';
import { decryptRecord, encryptRecord, sealKey, unsealKey } from './envelope.js';
import { caseKeyCommitment, checkCaseKey } from './commitment.js';
import { signCasePin, verifyCasePin } from './case-pin.js';
import { openPinnedRegistrations, type NewKeyCopy, type PeriodOpener } from './period-open.js';
import { caseKeyCopyKey, sealCaseKeyCopy } from './case-key-copy.js';
import { ProtocolError } from './errors.js';
import { listFiles, prepareFile, readFile, type FileDownload, type FileEntry, type FileUpload, type PlainFile } from './file-transfer.js';
import { checkApproval, openRelayPlaintext, type ApprovalCheck } from './relay-approval.js';
import { prepareRelayAttachment, readRelayAttachment, relayAttachments, type AttachmentEntry, type RelayAttachmentRef } from './relay-attachments.js';
import { isReportPlaintext, type MessagePlaintext, type ReportPlaintext } from './plaintexts.js';
import { openMessage, openRelay, submitNewReport, type OpenedMessage, type OpenedRelay } from './reporter.js';
import { checkRegistration, emptyRegistration, MINUTES_ANSWER, nextFollowUp, readRegistration, type Registration } from './registration.js';
import { openHoldReason, sealHoldReason } from './legal-hold.js';
import { ready, sodium, wipe } from './sodium.js';
import { signStaffRecovery } from './staff-auth.js';
import { openResume, openResumeToken, sealResume, type ResumeRecord } from './staff-resume.js';
import {
  deriveStaffMaster,
  generateRecoveryKey,
  makeStaffKeys,
  newKdfParams,
  openKeyBundle,
  openRecoveryBundle,
  parseRecoveryKey,
  sealKeyBundle,
  sealRecoveryBundle,
  type DeriveOptions,
  type StaffKeys,
} from './staff-keys.js';
import { isPublishedReport, type PeriodCase, type PublishedReport } from './annual-report/aggregate.js';
import type { NotificationSettings } from './contract/notifications.js';
import type { CaseDetail, CaseList, CaseListQuery, PeriodRegistration, RegistrationList, CaseStatus, KdfParams, RelayRecipients, RelayState, StaffAccount, StatusChangeResponse } from './wire.js';

/** The operator's console calls of ConfidantClient, each taking the session token first. */
export const OPERATOR_CALLS = [
  'getOperatorAttention', 'listOrganisations', 'createOrganisation', 'listOperatorChannels', 'createChannel', 'updateChannel', 'putChannelLocations',
  'listInvites', 'createInvite', 'revokeInvite', 'listAccounts', 'disableAccount', 'enableAccount', 'previewAdviserRemoval', 'removeAdviser',
] as const;
export type OperatorCall = (typeof OPERATOR_CALLS)[number];
/** A call's arguments after the token. */
export type OperatorArgs<N extends OperatorCall> = Parameters<ConfidantClient[N]> extends [string, ...infer Rest] ? Rest : never;

export interface AccountSetup {
  token: string;
  username: string;
  displayName: string;
  passphrase: string;
  /** Parameters for the new passphrase; today's defaults when absent. */
  kdf?: KdfParams;
  derive?: DeriveOptions;
}

export interface CreatedAccount {
  accountId: string;
  role: 'adviser' | 'recipient' | 'operator';
  /** Shown once at setup: with it, and only with it, a lost passphrase can be replaced. */
  recoveryKey: string;
}

/** Makes the account's keys in the client and uploads only public keys, a verifier input and sealed bundles. */
export async function setUpAccount(client: ConfidantClient, setup: AccountSetup): Promise<CreatedAccount> {
  await ready();
  const kdf = setup.kdf ?? newKdfParams();
  const master = await deriveStaffMaster(setup.passphrase, kdf, setup.derive);
  const keys = makeStaffKeys();
  const recovery = generateRecoveryKey();
  try {
    const created = await client.acceptInvite({
      token: setup.token,
      username: setup.username,
      displayName: setup.displayName,
      kdf,
      authKey: toBase64url(master.authKey),
      boxPublicKey: toBase64url(keys.boxPublicKey),
      signPublicKey: toBase64url(keys.signPublicKey),
      keyBundle: sealKeyBundle(master.wrapKey, keys, setup.username),
      recoveryBundle: sealRecoveryBundle(recovery.key, keys, setup.username),
    });
    return { ...created, recoveryKey: recovery.display };
  } finally {
    wipe(master.authKey, master.wrapKey, keys.boxSecretKey, keys.signSecretKey, recovery.key);
  }
}

export interface SignIn {
  username: string;
  passphrase: string;
  totp?: string;
  derive?: DeriveOptions;
}

/** Pre-login, derive, log in, open the key bundle. */
export async function signIn(client: ConfidantClient, input: SignIn): Promise<StaffSession> {
  await ready();
  const kdf = await client.prelogin(input.username);
  const master = await deriveStaffMaster(input.passphrase, kdf, input.derive);
  try {
    const answer = await client.login({ username: input.username, authKey: toBase64url(master.authKey), ...(input.totp ? { totp: input.totp } : {}) });
    const secrets = openKeyBundle(master.wrapKey, answer.account.keyBundle, input.username);
    // The public keys come from the secret keys, not from the answer: a server that swapped
    // them would otherwise have this account sign and pin against keys it chose.
    const s = sodium();
    const keys: StaffKeys = {
      ...secrets,
      boxPublicKey: s.crypto_scalarmult_base(secrets.boxSecretKey),
      signPublicKey: s.crypto_sign_ed25519_sk_to_pk(secrets.signSecretKey),
    };
    if (toBase64url(keys.boxPublicKey) !== answer.account.boxPublicKey || toBase64url(keys.signPublicKey) !== answer.account.signPublicKey) {
      wipe(keys.boxSecretKey, keys.signSecretKey);
      throw new ProtocolError('key_mismatch', "the server lists public keys that are not this account's");
    }
    return new StaffSession(client, answer.token, answer.account, keys);
  } finally {
    wipe(master.authKey, master.wrapKey);
  }
}

/** Sets a new passphrase with the recovery key; every session of the account ends. */
export async function recoverAccount(
  client: ConfidantClient,
  input: { username: string; recoveryKey: string; newPassphrase: string; totp?: string; kdf?: KdfParams; derive?: DeriveOptions },
): Promise<void> {
  await ready();
  const { challenge, recoveryBundle } = await client.recoveryChallenge(input.username);
  const recoveryKey = parseRecoveryKey(input.recoveryKey);
  const secrets = openRecoveryBundle(recoveryKey, recoveryBundle, input.username);
  const kdf = input.kdf ?? newKdfParams();
  const master = await deriveStaffMaster(input.newPassphrase, kdf, input.derive);
  try {
    await client.recover({
      username: input.username,
      challenge,
      signature: toBase64url(signStaffRecovery(challenge, secrets.signSecretKey)),
      ...(input.totp ? { totp: input.totp } : {}),
      kdf,
      authKey: toBase64url(master.authKey),
      keyBundle: sealKeyBundle(master.wrapKey, secrets, input.username),
    });
  } finally {
    wipe(recoveryKey, secrets.boxSecretKey, secrets.signSecretKey, master.authKey, master.wrapKey);
  }
}

/** A case as the adviser reads it: everything the server keeps, opened with the case key. */
export interface OpenedCase {
  caseId: string;
  channel: string;
  status: CaseStatus;
  receivedAt: string;
  acknowledgedAt: string | null;
  acknowledgeBy: string;
  feedbackBy: string;
  /** When the message marked as the feedback was sent; null until then. */
  feedbackGivenAt: string | null;
  overdue: boolean;
  report: ReportPlaintext;
  messages: OpenedMessage[];
  relays: OpenedRelay[];
  /** The adviser's record (an older shape upgraded); null when none was saved or when it did not open. */
  registration: Registration | null;
  /** A saved record that does not open or is not a valid record: saving replaces it. */
  registrationUnreadable: boolean;
  /** The registration's earliest open follow-up day, as the server keeps it for the inbox. */
  followUpOn: string | null;
  /**
   * How the case key was checked: 'signed' when the reporter's commitment names it, 'pinned'
   * when only this adviser's earlier pin does (a case from a v1 client without a commitment).
   */
  keyCheck: 'signed' | 'pinned';
  /** Advisers the reporter left out: no grant may reach them. */
  excluded: string[];
  /** When retention deletes the closed case; null while open or held. */
  deleteAfter: string | null;
  /** The legal hold; `reason` null when the sealed reason does not open. */
  hold: { heldAt: string; heldBy: string; reason: string | null } | null;
  /** Both sides' complete files, headers opened; bodies are read with caseFileDownload. */
  files: FileEntry[];
}

/** The plaintext of a relay text and of the reporter's copy: what the organisation will read. */
export interface RelayText {
  v: 1;
  body: string;
  /** Extension: the key of the reporter's approval (relay-approval.ts); in the text and the copy alike. */
  approvalKey?: string;
  /** Extension: the tables and commentary of an annual report (a relay of kind annual_report); `body` holds them as text too. */
  annualReport?: AnnualReportText;
  /** Extension: the documents attached for the organisation, each named with its key (relay-attachments.ts). */
  attachments?: RelayAttachmentRef[];
}

/** What an annual report relay carries beside its text: only suppressed tables, never a count below the threshold. */
export interface AnnualReportText {
  report: PublishedReport;
  channels: string[];
  narrative: { observations: string; recommendations: string; prevention: string };
}

export interface OpenedRelayThread {
  relayId: string;
  kind: 'case' | 'annual_report';
  state: RelayState;
  sentAt: string | null;
  text: RelayText;
  /** Whether this is the text the reporter approved: 'unavailable' without consent, or from a v1 client. */
  approval: ApprovalCheck;
  messages: Array<{ id: string; author: 'adviser' | 'organisation'; sentAt: string; message: MessagePlaintext }>;
  /** Extension: what the text attaches, checked against what the server lists; read with relayAttachmentDownload. */
  attachments: AttachmentEntry[];
}

/** A relay text as read: an annual report's tables only when they have the published shape (the text stays readable). */
function relayTextOf(value: unknown): RelayText {
  const text = value as RelayText;
  if (typeof value !== 'object' || value === null || text.annualReport === undefined) return text;
  const { annualReport, ...rest } = text;
  if (typeof annualReport !== 'object' || annualReport === null) return rest;
  const valid =
    isPublishedReport(annualReport.report) && Array.isArray(annualReport.channels) && annualReport.channels.every((c) => typeof c === 'string') &&
    typeof annualReport.narrative === 'object' && annualReport.narrative !== null &&
    (['observations', 'recommendations', 'prevention'] as const).every((part) => typeof annualReport.narrative[part] === 'string');
  return valid ? text : rest;
}

/** The stored registration, opened and checked; one that does not open is reported, not thrown, so the case still opens. */
function openRegistration(caseKey: Uint8Array, caseId: string, stored: CaseDetail['registration']): { registration: Registration | null; registrationUnreadable: boolean } {
  if (!stored) return { registration: null, registrationUnreadable: false };
  try {
    return { registration: readRegistration(decryptRecord(caseKey, stored, registrationAd(caseId), REGISTRATION_BLOCK)), registrationUnreadable: false };
  } catch (error) {
    if (error instanceof ProtocolError) return { registration: null, registrationUnreadable: true };
    throw error;
  }
}

/** A signed-in staff account. Holds the token and the secret keys in memory only. */
export class StaffSession {
  readonly #client: ConfidantClient;
  readonly #token: string;
  readonly #keys: StaffKeys;
  readonly account: StaffAccount;

  /** @internal use signIn() */
  constructor(client: ConfidantClient, token: string, account: StaffAccount, keys: StaffKeys) {
    this.#client = client;
    this.#token = token;
    this.account = account;
    this.#keys = keys;
  }

  /** This account's fingerprint, from its own keys: what colleagues and operators compare. */
  get fingerprint(): string {
    return keyFingerprint(this.#keys.boxPublicKey, this.#keys.signPublicKey);
  }

  /** For API calls the flows here do not cover. */
  get token(): string {
    return this.#token;
  }

  notificationSettings() {
    return this.#client.getNotificationSettings(this.#token);
  }

  setNotificationSettings(settings: NotificationSettings) {
    return this.#client.putNotificationSettings(this.#token, settings);
  }

  listCases(query: CaseListQuery = {}): Promise<CaseList> {
    return this.#client.listCases(this.#token, query);
  }

  /**
   * The case key, accepted only when it opens the report (whose ad names the case), matches the
   * reporter's signed commitment when there is one, and matches this adviser's pin when there is
   * one. The first accepted key is pinned, so the key of a case can never change afterwards.
   * Throws ProtocolError('case_key_unverified') otherwise.
   */
  async #trustedCaseKey(detail: CaseDetail): Promise<{ caseKey: Uint8Array; report: ReportPlaintext; keyCheck: 'signed' | 'pinned' }> {
    const caseKey = unsealKey(detail.wrap, this.#keys.boxPublicKey, this.#keys.boxSecretKey);
    try {
      let report: unknown;
      try {
        report = decryptRecord(caseKey, detail.report, reportAd(detail.caseId), REPORT_BLOCK);
      } catch {
        throw new ProtocolError('case_key_unverified', 'the case key does not open the report');
      }
      if (!isReportPlaintext(report)) throw new ProtocolError('bad_plaintext', 'the report does not have the shape of a report');
      if (detail.commitment !== null) {
        checkCaseKey(detail.caseId, caseKey, detail.commitment, fromBase64url(detail.reporterSignPublicKey));
      }
      const commitment = caseKeyCommitment(caseKey);
      if (detail.pin !== null) {
        if (!verifyCasePin(detail.caseId, commitment, detail.pin, this.#keys.signPublicKey)) {
          throw new ProtocolError('case_key_unverified', 'the case key is not the one this account pinned');
        }
      } else {
        await this.#client.pinCase(this.#token, detail.caseId, signCasePin(detail.caseId, commitment, this.#keys.signSecretKey));
        await this.#storeKeyCopies([{ caseId: detail.caseId, keyCopy: this.#sealKeyCopy(detail.caseId, caseKey) }]);
      }
      return { caseKey, report, keyCheck: detail.commitment !== null ? 'signed' : 'pinned' };
    } catch (error) {
      caseKey.fill(0);
      throw error;
    }
  }

  #sealKeyCopy(caseId: string, caseKey: Uint8Array) {
    const copyKey = caseKeyCopyKey(this.#keys.boxSecretKey);
    try {
      return sealCaseKeyCopy(copyKey, caseId, caseKey);
    } finally {
      copyKey.fill(0);
    }
  }

  /**
   * Stores copies of pinned case keys. They only make the annual report quicker (a case without
   * one opens through its wrap and pin, and gets a copy then), so a failure to store them is not
   * the caller's failure: they are made again next time.
   */
  async #storeKeyCopies(copies: readonly NewKeyCopy[]): Promise<void> {
    for (let i = 0; i < copies.length; i += REGISTRATION_PAGE_MAX) {
      await this.#client.putCaseKeyCopies(this.#token, copies.slice(i, i + REGISTRATION_PAGE_MAX)).catch(() => undefined);
    }
  }

  /**
   * Every case received in [from, to) that this adviser holds, with its registration decrypted,
   * fetched page by page for the annual report. A registration counts only under a case key this
   * account pinned (a server cannot slip in a key and a record of its own); one without a pin
   * (a colleague registered a case this adviser never opened) or that does not open counts as
   * unread, and the caller says how many. Keys that passed their pin but had no copy yet get
   * one, stored while the next page is fetched.
   */
  async periodCases(
    query: { from: string; to: string; channel?: string },
    options: { onPage?: (fetched: number) => void; opener?: PeriodOpener } = {},
  ): Promise<{ cases: PeriodCase[]; unread: number }> {
    const open = options.opener ?? openPinnedRegistrations;
    const keys = { boxPublicKey: this.#keys.boxPublicKey, boxSecretKey: this.#keys.boxSecretKey, signPublicKey: this.#keys.signPublicKey };
    const found: PeriodCase[] = [];
    let unread = 0;
    const storing: Array<Promise<void>> = [];
    const fetchPage = (after: string | null): Promise<RegistrationList> => {
      const fetching = this.#client.listRegistrations(this.#token, { ...query, limit: REGISTRATION_PAGE_MAX, ...(after ? { after } : {}) });
      // Awaited below; this only keeps a failure while it waits from counting as unhandled.
      fetching.catch(() => undefined);
      return fetching;
    };
    let next: Promise<RegistrationList> | null = fetchPage(null);
    while (next) {
      const page: RegistrationList = await next;
      // The next page travels while this one is decrypted.
      next = page.next ? fetchPage(page.next) : null;
      const { registrations, copies } = await open(page.registrations, keys);
      if (copies.length > 0) storing.push(this.#storeKeyCopies(copies));
      for (const [i, item] of page.registrations.entries()) {
        const registration = registrations[i] ?? null;
        if (item.registration && registration === null) unread += 1;
        found.push({ channel: item.channel, status: item.status, receivedAt: item.receivedAt, acknowledgedAt: item.acknowledgedAt, feedbackGivenAt: item.feedbackGivenAt, registration });
      }
      options.onPage?.(found.length);
    }
    await Promise.all(storing);
    return { cases: found, unread };
  }

  /**
   * Opens `count` made-up cases through `opener`, half with this account's key copies and half
   * sealed to and pinned by it (both ways a report opens cases): the annual report page calls it
   * when it opens, so that the report meets compiled code. Throws if any does not open, which
   * would mean the opener is broken.
   */
  async warmUpPeriodOpening(opener: PeriodOpener = openPinnedRegistrations, count = 256): Promise<void> {
    const record = emptyRegistration();
    const copyKey = caseKeyCopyKey(this.#keys.boxSecretKey);
    const items: PeriodRegistration[] = Array.from({ length: count }, (_, i) => {
      const caseId = `warm-up-${i}`;
      const caseKey = sodium().randombytes_buf(KEY_BYTES);
      try {
        return {
          caseId,
          channel: 'warm-up',
          status: 'closed',
          receivedAt: new Date(0).toISOString(),
          acknowledgedAt: null,
          feedbackGivenAt: null,
          wrap: sealKey(caseKey, this.#keys.boxPublicKey),
          pin: signCasePin(caseId, caseKeyCommitment(caseKey), this.#keys.signSecretKey),
          keyCopy: i % 2 === 0 ? sealCaseKeyCopy(copyKey, caseId, caseKey) : null,
          registration: { ...encryptRecord(caseKey, record, registrationAd(caseId), REGISTRATION_BLOCK), updatedAt: new Date(0).toISOString() },
        };
      } finally {
        caseKey.fill(0);
      }
    });
    copyKey.fill(0);
    const keys = { boxPublicKey: this.#keys.boxPublicKey, boxSecretKey: this.#keys.boxSecretKey, signPublicKey: this.#keys.signPublicKey };
    const { registrations: opened } = await opener(items, keys);
    if (opened.length !== count || opened.some((r) => r === null)) throw new ProtocolError('bad_registration', 'the warm-up cases did not open');
  }

  /** The case's verified key, for writes the flows here do not cover; wipe it after use. */
  async caseKey(caseId: string): Promise<Uint8Array> {
    return (await this.#trustedCaseKey(await this.#client.getCase(this.#token, caseId))).caseKey;
  }

  async openCase(caseId: string): Promise<OpenedCase> {
    const detail = await this.#client.getCase(this.#token, caseId);
    const { caseKey, report, keyCheck } = await this.#trustedCaseKey(detail);
    try {
      return {
        caseId,
        channel: detail.channel,
        status: detail.status,
        receivedAt: detail.receivedAt,
        acknowledgedAt: detail.acknowledgedAt,
        acknowledgeBy: detail.acknowledgeBy,
        feedbackBy: detail.feedbackBy,
        feedbackGivenAt: detail.feedbackGivenAt,
        overdue: detail.overdue,
        report,
        messages: detail.messages.map((m) => openMessage(caseKey, caseId, m)),
        relays: detail.relays.map((r) => openRelay(caseKey, caseId, r)),
        ...openRegistration(caseKey, caseId, detail.registration),
        followUpOn: detail.followUpOn,
        keyCheck,
        excluded: detail.commitment?.excluded ?? [],
        deleteAfter: detail.deleteAfter,
        hold: detail.hold && { heldAt: detail.hold.heldAt, heldBy: detail.hold.heldBy, reason: openHoldReason(caseKey, caseId, detail.hold.reason) },
        files: listFiles(caseKey, caseId, detail.files),
      };
    } finally {
      caseKey.fill(0);
    }
  }

  async #withCaseKey<T>(caseId: string, use: (caseKey: Uint8Array, detail: CaseDetail) => Promise<T>): Promise<T> {
    const detail = await this.#client.getCase(this.#token, caseId);
    const { caseKey } = await this.#trustedCaseKey(detail);
    try {
      return await use(caseKey, detail);
    } finally {
      caseKey.fill(0);
    }
  }

  /** Makes a file of the case for the reporter; its body then goes over tus (see FileUpload). */
  attachCaseFile(caseId: string, file: PlainFile): Promise<FileUpload> {
    return this.#withCaseKey(caseId, async (caseKey) => {
      const { request, body } = prepareFile(caseKey, caseId, file);
      const made = await this.#client.createCaseFile(this.#token, caseId, request);
      return { fileId: made.fileId, uploadUrl: made.uploadUrl, headers: { authorization: `Bearer ${this.#token}` }, body };
    });
  }

  /** Reads a file of the case: its header opened, and how to fetch and decrypt its body. */
  caseFileDownload(caseId: string, fileId: string): Promise<FileDownload> {
    return this.#withCaseKey(caseId, async (caseKey, detail) => {
      const stored = detail.files.find((f) => f.fileId === fileId);
      if (stored === undefined) throw new ProtocolError('unknown_file', 'the case lists no such file');
      return { path: `/api/v1/cases/${caseId}/files/${fileId}`, headers: { authorization: `Bearer ${this.#token}` }, ...readFile(caseKey, caseId, stored) };
    });
  }

  /**
   * Sends `{ v: 1, body, sentAt }` to the reporter as the adviser; `feedback` marks it as the
   * feedback: how the report was assessed and what follows (docs/protocol.md §7).
   */
  reply(caseId: string, body: string, options: { feedback?: boolean } = {}) {
    const plaintext: MessagePlaintext = { v: 1, body, sentAt: new Date().toISOString() };
    return this.#withCaseKey(caseId, (caseKey) => {
      const envelope = encryptRecord(caseKey, plaintext, messageAd(caseId, 'adviser'), MESSAGE_BLOCK);
      return this.#client.postCaseMessage(this.#token, caseId, options.feedback ? { ...envelope, feedback: true } : envelope);
    });
  }

  setStatus(caseId: string, status: CaseStatus): Promise<StatusChangeResponse> {
    return this.#client.setCaseStatus(this.#token, caseId, status);
  }

  /**
   * A contact that did not start on the web form (a phone call, a meeting): this adviser's client
   * makes the case exactly as a reporter's would, with the minutes as the report, sealed to this
   * adviser alone (the channel's key for this account must match its own fingerprint), then opens
   * it (pinning the key) and saves the first registration. Returns the reporter's code, to hand
   * over on paper or by voice so that they can read and approve the minutes in the mailbox; the
   * reporter is asked to change it at the first visit, since the adviser saw it. For an
   * advice-only contact the caller does not show the code to anyone: nobody can open that mailbox.
   */
  async recordContact(input: { channel: string; lang: string; minutes: string; registration: Registration }): Promise<{ caseId: string; code: string }> {
    const registration = checkRegistration(input.registration);
    const submitted = await submitNewReport(this.#client, {
      slug: input.channel,
      report: { v: 1, lang: input.lang, answers: { [MINUTES_ANSWER]: input.minutes }, anonymity: 'anonymous' },
      pinnedFingerprints: [this.fingerprint],
    });
    await this.openCase(submitted.caseId);
    await this.saveRegistration(submitted.caseId, registration);
    return { caseId: submitted.caseId, code: submitted.code };
  }

  /** Checks the record (ProtocolError 'bad_registration') before it is encrypted; sends its next follow-up day beside it. */
  async saveRegistration(caseId: string, record: Registration) {
    const checked = checkRegistration(record);
    return await this.#withCaseKey(caseId, (caseKey) =>
      this.#client.putRegistration(this.#token, caseId, encryptRecord(caseKey, checked, registrationAd(caseId), REGISTRATION_BLOCK), nextFollowUp(checked)),
    );
  }

  /** Puts the case on legal hold with a reason sealed under the case key, or changes the reason (ProtocolError 'bad_hold_reason' for an empty or too long one). */
  hold(caseId: string, reason: string) {
    return this.#withCaseKey(caseId, (caseKey) => this.#client.putHold(this.#token, caseId, sealHoldReason(caseKey, caseId, reason)));
  }

  releaseHold(caseId: string) {
    return this.#client.deleteHold(this.#token, caseId);
  }

  /**
   * Gives the case key to another adviser of the channel (keyId and box public key from the
   * channel info; compare their fingerprint with the colleague first). An adviser the reporter
   * left out is refused here as well as by the server.
   */
  grant(caseId: string, to: { keyId: string; boxPublicKey: string }) {
    return this.#withCaseKey(caseId, (caseKey, detail) => {
      if (detail.commitment?.excluded.includes(to.keyId)) {
        throw new ProtocolError('adviser_excluded', 'the reporter chose not to send this case to that adviser');
      }
      return this.#client.grantCase(this.#token, caseId, { keyId: to.keyId, wrap: sealKey(caseKey, fromBase64url(to.boxPublicKey, BOX_PUBLIC_KEY_BYTES)) });
    });
  }

  /**
   * Writes a relay (§5): a new relay key sealed to every recipient of the organisation and
   * every adviser of the case, the text under the relay key, the reporter's copy under the
   * case key. Returns its id and state (awaiting_consent, or approved when consent is off).
   * With `shown`, the relay key is sealed to exactly those holders (from relayRecipients, as
   * the adviser saw them with their fingerprints). `attachments` (extension) are the refs of
   * finished uploads from attachToRelay: the text names them, and the relay takes them.
   */
  async createRelay(caseId: string, body: string, shown?: RelayRecipients, attachments: RelayAttachmentRef[] = []): Promise<{ relayId: string; state: RelayState }> {
    const s = sodium();
    // Seal to exactly the keys the adviser was shown (and could compare), not a second answer.
    const holders = shown ?? (await this.#client.relayRecipients(this.#token, caseId));
    const relayId = toBase64url(s.randombytes_buf(16));
    const relayKey = s.randombytes_buf(KEY_BYTES);
    const text: RelayText = { v: 1, body, approvalKey: toBase64url(s.randombytes_buf(KEY_BYTES)), ...(attachments.length > 0 ? { attachments } : {}) };
    try {
      return await this.#withCaseKey(caseId, (caseKey) =>
        this.#client.createRelay(this.#token, caseId, {
          relayId,
          wraps: [...holders.recipients, ...holders.advisers].map((h) => ({
            keyId: h.keyId,
            wrap: sealKey(relayKey, fromBase64url(h.boxPublicKey, BOX_PUBLIC_KEY_BYTES)),
          })),
          text: encryptRecord(relayKey, text, relayAd(relayId), RELAY_BLOCK),
          copy: encryptRecord(caseKey, text, relayCopyAd(caseId, relayId), RELAY_BLOCK),
          ...(attachments.length > 0 ? { attachments: attachments.map((a) => a.fileId) } : {}),
        }),
      );
    } finally {
      relayKey.fill(0);
    }
  }

  /**
   * Extension: makes an attachment for a relay of the case (a document for the organisation)
   * and returns its upload and the ref createRelay names it by. The ref holds the body's key:
   * keep it only until the relay is made.
   */
  async attachToRelay(caseId: string, file: PlainFile): Promise<{ upload: FileUpload; ref: RelayAttachmentRef }> {
    const { ref, request, body } = prepareRelayAttachment(file);
    const made = await this.#client.createRelayAttachment(this.#token, caseId, request);
    return { upload: { fileId: made.fileId, uploadUrl: made.uploadUrl, headers: { authorization: `Bearer ${this.#token}` }, body }, ref };
  }

  /** Extension: reads an attachment of a relay, as its text names it, with this account's wrap of the relay key. */
  async relayAttachmentDownload(relayId: string, fileId: string): Promise<FileDownload> {
    const detail = await this.#client.getRelay(this.#token, relayId);
    const relayKey = unsealKey(detail.wrap, this.#keys.boxPublicKey, this.#keys.boxSecretKey);
    try {
      const opened = openRelayPlaintext(relayKey, detail.text, relayAd(relayId));
      return {
        path: `/api/v1/relays/${relayId}/attachments/${fileId}`,
        headers: { authorization: `Bearer ${this.#token}` },
        ...readRelayAttachment(opened.value, detail.attachments, fileId),
      };
    } finally {
      relayKey.fill(0);
    }
  }

  sendRelay(relayId: string) {
    return this.#client.sendRelay(this.#token, relayId);
  }

  annualReportRecipients(organisation: string): Promise<RelayRecipients> {
    return this.#client.annualReportRecipients(this.#token, organisation);
  }

  /**
   * Sends an annual report to an organisation this adviser serves: a relay without a case, sealed
   * to exactly the holders shown (the organisation's recipients and this adviser, as the adviser
   * compared their fingerprints), sent at once.
   */
  async sendAnnualReport(organisation: string, text: RelayText & { annualReport: AnnualReportText }, shown?: RelayRecipients) {
    const s = sodium();
    const holders = shown ?? (await this.annualReportRecipients(organisation));
    const relayId = toBase64url(s.randombytes_buf(16));
    const relayKey = s.randombytes_buf(KEY_BYTES);
    try {
      return await this.#client.createAnnualReport(this.#token, organisation, {
        relayId,
        wraps: [...holders.recipients, ...holders.advisers].map((h) => ({ keyId: h.keyId, wrap: sealKey(relayKey, fromBase64url(h.boxPublicKey, BOX_PUBLIC_KEY_BYTES)) })),
        text: encryptRecord(relayKey, { v: 1, body: text.body, annualReport: text.annualReport }, relayAd(relayId), RELAY_BLOCK),
      });
    } finally {
      relayKey.fill(0);
    }
  }

  listRelays(query: { before?: string; limit?: number } = {}) {
    return this.#client.listRelays(this.#token, query);
  }

  /**
   * One of the operator's console calls (extension): the client method of that name with this
   * session's token. Nothing in them is encrypted: the operator sees no case.
   */
  operator<N extends OperatorCall>(name: N, ...args: OperatorArgs<N>): ReturnType<ConfidantClient[N]> {
    // A method from a closed list of names, each taking the token first: TypeScript cannot follow
    // the name through the call, so the method is called through a widened type.
    const method = this.#client[name] as (token: string, ...rest: unknown[]) => ReturnType<ConfidantClient[N]>;
    return method.call(this.#client, this.#token, ...args);
  }

  /** A relay and its thread, opened with this account's wrap of the relay key. */
  async openRelay(relayId: string): Promise<OpenedRelayThread> {
    const detail = await this.#client.getRelay(this.#token, relayId);
    const relayKey = unsealKey(detail.wrap, this.#keys.boxPublicKey, this.#keys.boxSecretKey);
    try {
      const opened = openRelayPlaintext(relayKey, detail.text, relayAd(relayId));
      return {
        relayId,
        kind: detail.kind,
        state: detail.state,
        sentAt: detail.sentAt,
        text: relayTextOf(opened.value),
        approval: checkApproval(relayId, opened, detail.approval),
        messages: detail.messages.map((m) => ({
          id: m.id,
          author: m.author,
          sentAt: m.sentAt,
          message: decryptRecord(relayKey, m, relayMessageAd(relayId, m.author), MESSAGE_BLOCK) as MessagePlaintext,
        })),
        attachments: relayAttachments(opened.value, detail.attachments),
      };
    } finally {
      relayKey.fill(0);
    }
  }

  /** Writes in the relay thread, as the adviser or as the organisation, by this account's role. */
  async postRelayMessage(relayId: string, body: string) {
    const detail = await this.#client.getRelay(this.#token, relayId);
    const relayKey = unsealKey(detail.wrap, this.#keys.boxPublicKey, this.#keys.boxSecretKey);
    const author = this.account.role === 'adviser' ? 'adviser' : 'organisation';
    const plaintext: MessagePlaintext = { v: 1, body, sentAt: new Date().toISOString() };
    try {
      return await this.#client.postRelayMessage(this.#token, relayId, encryptRecord(relayKey, plaintext, relayMessageAd(relayId, author), MESSAGE_BLOCK));
    } finally {
      relayKey.fill(0);
    }
  }

  /** Starts TOTP enrolment, proving the passphrase again: a stolen token alone cannot add a second factor. */
  async startTotp(passphrase: string, options: { derive?: DeriveOptions } = {}) {
    const kdf = await this.#client.prelogin(this.account.username);
    const master = await deriveStaffMaster(passphrase, kdf, options.derive);
    try {
      return await this.#client.startTotp(this.#token, { authKey: toBase64url(master.authKey) });
    } finally {
      wipe(master.authKey, master.wrapKey);
    }
  }

  confirmTotp(code: string) {
    return this.#client.confirmTotp(this.#token, code);
  }

  /** A new passphrase seals the same secret keys; other sessions end. */
  async changePassphrase(current: string, next: string, options: { kdf?: KdfParams; derive?: DeriveOptions } = {}): Promise<void> {
    const currentKdf = await this.#client.prelogin(this.account.username);
    const old = await deriveStaffMaster(current, currentKdf, options.derive);
    const kdf = options.kdf ?? newKdfParams();
    const fresh = await deriveStaffMaster(next, kdf, options.derive);
    try {
      await this.#client.changePassphrase(this.#token, {
        authKey: toBase64url(old.authKey),
        kdf,
        newAuthKey: toBase64url(fresh.authKey),
        keyBundle: sealKeyBundle(fresh.wrapKey, this.#keys, this.account.username),
      });
    } finally {
      wipe(old.authKey, old.wrapKey, fresh.authKey, fresh.wrapKey);
    }
  }

  /**
   * This session sealed for a reloaded or new tab (staff-resume.ts): under the browser's
   * `deviceKey` and the session's resume key, which the server gives only to this session.
   */
  async sealForResume(deviceKey: CryptoKey): Promise<ResumeRecord> {
    const resume = fromBase64url((await this.#client.resumeKey(this.#token)).key, KEY_BYTES);
    try {
      return await sealResume({ token: this.#token, account: this.account, keys: this.#keys }, deviceKey, resume);
    } finally {
      wipe(resume);
    }
  }

  /**
   * The session a sealed record holds, if the server still knows it: an ended or expired
   * session answers 401 (ApiError `not_signed_in`) and its record opens for nobody.
   */
  static async resume(client: ConfidantClient, record: ResumeRecord, deviceKey: CryptoKey): Promise<StaffSession> {
    await ready();
    const token = await openResumeToken(record, deviceKey);
    const resume = fromBase64url((await client.resumeKey(token)).key, KEY_BYTES);
    try {
      const state = await openResume(record, deviceKey, resume);
      return new StaffSession(client, state.token, state.account, state.keys);
    } finally {
      wipe(resume);
    }
  }

  /** Ends the session on the server and forgets the secret keys. */
  async logout(): Promise<void> {
    try {
      await this.#client.logout(this.#token);
    } finally {
      wipe(this.#keys.boxSecretKey, this.#keys.signSecretKey);
    }
  }
}
