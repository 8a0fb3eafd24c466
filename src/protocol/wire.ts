/**
 * JSON bodies and answers of the HTTP API, protocol-v1 §6 (reporter side), plus the shapes
 * shared with the staff side that the protocol code itself produces. Bytes are base64url
 * strings without padding, times ISO 8601 UTC strings.
 */
import type { MessageAuthor } from './associated-data.js';

/** base64url without padding (§1). */
export type Base64url = string;
/** ISO 8601 UTC time. */
export type IsoTime = string;

/** An aead ciphertext with its 24-byte nonce. */
export interface Envelope {
  nonce: Base64url;
  ciphertext: Base64url;
}

/** A case key (or relay key) sealed to one staff account's box key. */
export interface KeyWrap {
  keyId: string;
  wrap: Base64url;
}

export type CaseStatus = 'received' | 'acknowledged' | 'in_progress' | 'closed';
export type RelayState = 'awaiting_consent' | 'approved' | 'declined' | 'sent';
export type ConsentDecision = 'approve' | 'decline';

// GET /api/v1/channels/{slug}
export interface ChannelAdviser {
  keyId: string;
  name: string;
  boxPublicKey: Base64url;
  signPublicKey: Base64url;
}

export interface ChannelInfo {
  slug: string;
  name: string;
  advisers: ChannelAdviser[];
  consentRequired: boolean;
  pow: { difficulty: number };
  maxFileBytes: number;
}

// GET /api/v1/pow
export interface PowChallenge {
  challenge: string;
  difficulty: number;
  expiresAt: IsoTime;
}

export interface PowSolution {
  challenge: string;
  nonce: number;
}

// POST /api/v1/channels/{slug}/reports
export interface SubmitReportRequest {
  v: 1;
  caseId: Base64url;
  mailboxId: Base64url;
  reporterSignPublicKey: Base64url;
  reporterBoxPublicKey: Base64url;
  wraps: KeyWrap[];
  reporterWrap: Base64url;
  report: Envelope;
  pow?: PowSolution;
  /** Extension: the reporter's signed case commitment (docs/protocol.md); optional for v1 clients. */
  commitment?: CaseCommitment;
}

/** What the reporter signs at submission: the case key's commitment and the advisers it chose and left out. */
export interface CaseCommitment {
  /** base64url(hash(32, "confidant-v1/case-key/" ‖ caseKey)) */
  key: Base64url;
  /** Ed25519 signature by the reporter's signing key over the commitment statement. */
  signature: Base64url;
  /** The keyIds the report was wrapped for, sorted. */
  chosen: string[];
  /** The channel's advisers the reporter left out, sorted: no grant may reach them. */
  excluded: string[];
}

/** Who holds a wrap of the case key, as the reporter's mailbox lists them. */
export interface CaseReader {
  keyId: string;
  name: string;
  /** True when a colleague granted access after the report was sent. */
  granted: boolean;
}

export interface SubmitReportResponse {
  caseId: Base64url;
  receivedAt: IsoTime;
  acknowledgeBy: IsoTime;
}

// POST /api/v1/mailbox/challenge
export interface MailboxChallengeRequest {
  mailboxId: Base64url;
}

export interface MailboxChallengeResponse {
  /** base64url; the bytes are what the login signature covers. */
  challenge: Base64url;
}

// POST /api/v1/mailbox/session
export interface MailboxSessionRequest {
  mailboxId: Base64url;
  challenge: Base64url;
  signature: Base64url;
}

export interface MailboxSessionResponse {
  token: string;
  expiresAt: IsoTime;
}

// GET /api/v1/mailbox
export interface MailboxMessage extends Envelope {
  id: string;
  author: MessageAuthor;
  sentAt: IsoTime;
}

export interface MailboxRelay {
  relayId: string;
  state: RelayState;
  copy: Envelope;
}

export interface MailboxFile {
  fileId: string;
  header: Envelope;
  bytes: number;
}

export interface MailboxView {
  caseId: Base64url;
  status: CaseStatus;
  receivedAt: IsoTime;
  acknowledgedAt: IsoTime | null;
  feedbackBy: IsoTime;
  reporterWrap: Base64url;
  report: Envelope;
  messages: MailboxMessage[];
  relays: MailboxRelay[];
  files: MailboxFile[];
  /** Extension: null for a case a v1 client sent without one. */
  commitment: CaseCommitment | null;
  /** Extension: every adviser who can read the case. */
  readers: CaseReader[];
}

// POST /api/v1/mailbox/messages (body: Envelope)
export type PostMessageRequest = Envelope;

export interface PostMessageResponse {
  id: string;
  sentAt: IsoTime;
}

// POST /api/v1/mailbox/relays/{relayId}/consent
export interface ConsentRequest {
  decision: ConsentDecision;
  /** Extension, with approve: the hash of the approved copy (docs/protocol.md "Relay approval"). */
  approval?: Base64url;
}

// POST /api/v1/mailbox/rotate
export interface RotateMailboxRequest {
  mailboxId: Base64url;
  reporterSignPublicKey: Base64url;
  reporterBoxPublicKey: Base64url;
  reporterWrap: Base64url;
  /** sign(ASCII("confidant-v1/mailbox-rotate/") ‖ new mailboxId bytes ‖ new reporterSignPublicKey, current signSk). */
  proof: Base64url;
  /** Extension: the case commitment signed again with the new code's key (when the case has one). */
  commitmentSignature?: Base64url;
}

/** Staff Argon2id parameters as they travel (§3, invites/accept and prelogin). */
export interface KdfParams {
  salt: Base64url;
  ops: number;
  mem: number;
}

/** Every error answer (§6). */
export interface ApiErrorBody {
  error: string;
  message: string;
}

// Staff side (§3, §6).

export type StaffRole = 'adviser' | 'recipient';

export interface AcceptInviteRequest {
  token: string;
  username: string;
  displayName: string;
  kdf: KdfParams;
  authKey: Base64url;
  boxPublicKey: Base64url;
  signPublicKey: Base64url;
  keyBundle: Envelope;
  recoveryBundle: Envelope;
}

export interface AcceptInviteResponse {
  accountId: string;
  role: StaffRole;
}

export interface StaffAccount {
  id: string;
  role: StaffRole;
  username: string;
  displayName: string;
  keyBundle: Envelope;
  boxPublicKey: Base64url;
  signPublicKey: Base64url;
  channels: Array<{ slug: string; name: string; organisation: string }>;
  organisation: { slug: string; name: string } | null;
  totpEnabled: boolean;
  totpRequired: boolean;
}

export interface LoginRequest {
  username: string;
  authKey: Base64url;
  totp?: string;
}

export interface LoginResponse {
  token: string;
  expiresAt: IsoTime;
  account: StaffAccount;
}

export interface TotpStartResponse {
  secret: string;
  uri: string;
}

/** POST /api/v1/auth/totp: the current authKey proves the passphrase again. */
export interface TotpStartRequest {
  authKey: Base64url;
}

export interface PassphraseChangeRequest {
  authKey: Base64url;
  kdf: KdfParams;
  newAuthKey: Base64url;
  keyBundle: Envelope;
}

export interface RecoveryChallengeResponse {
  challenge: string;
  recoveryBundle: Envelope;
}

export interface RecoveryRequest {
  username: string;
  challenge: string;
  signature: Base64url;
  totp?: string;
  kdf: KdfParams;
  authKey: Base64url;
  keyBundle: Envelope;
}

export interface CaseSummary {
  caseId: Base64url;
  channel: string;
  status: CaseStatus;
  receivedAt: IsoTime;
  acknowledgedAt: IsoTime | null;
  acknowledgeBy: IsoTime;
  feedbackBy: IsoTime;
  overdue: boolean;
  unread: boolean;
  wrap: Base64url;
}

export interface CaseListQuery {
  status?: CaseStatus;
  channel?: string;
  before?: string;
  limit?: number;
}

export interface CaseList {
  cases: CaseSummary[];
  next: string | null;
}

export interface CaseDetail extends Omit<CaseSummary, 'unread'> {
  /** Extension: the key that signs the commitment and mailbox logins. */
  reporterSignPublicKey: Base64url;
  commitment: CaseCommitment | null;
  /** Extension: this adviser's own signed pin of the case key, once the adviser opened the case. */
  pin: Base64url | null;
  reporterWrap: Base64url;
  report: Envelope;
  messages: MailboxMessage[];
  relays: Array<{ relayId: string; state: RelayState; createdAt: IsoTime; sentAt: IsoTime | null; copy: Envelope }>;
  files: MailboxFile[];
  registration: (Envelope & { updatedAt: IsoTime }) | null;
}

export interface StatusChangeResponse {
  status: CaseStatus;
  acknowledgedAt: IsoTime | null;
  acknowledgeBy: IsoTime;
  feedbackBy: IsoTime;
  overdue: boolean;
}

// Relays (§5, §6).

export interface RelayKeyHolder {
  keyId: string;
  name: string;
  boxPublicKey: Base64url;
  /** Extension: with boxPublicKey, gives the fingerprint people compare. */
  signPublicKey: Base64url;
}

export interface RelayRecipients {
  organisation: { id: string; name: string };
  recipients: RelayKeyHolder[];
  advisers: RelayKeyHolder[];
}

export interface CreateRelayRequest {
  relayId: Base64url;
  wraps: KeyWrap[];
  text: Envelope;
  copy: Envelope;
}

export interface RelaySummary {
  relayId: string;
  state: 'sent';
  sentAt: IsoTime;
  wrap: Base64url;
}

export interface RelayMessage extends Envelope {
  id: string;
  author: 'adviser' | 'organisation';
  sentAt: IsoTime;
}

export interface RelayDetail {
  relayId: string;
  state: RelayState;
  sentAt: IsoTime | null;
  wrap: Base64url;
  text: Envelope;
  /** Extension: the reporter's hash of the approved copy; null without consent or from a v1 client. */
  approval: Base64url | null;
  messages: RelayMessage[];
}
