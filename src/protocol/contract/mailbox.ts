/** The reporter's mailbox, opened with the code (docs/protocol.md §4, §6): login, reading, messages, consent, new code, logout. */
import { Type, type Static } from '@sinclair/typebox';
import { CaseCommitment } from './reporter.js';
import { operation } from './operation.js';
import {
  Base64url, Bytes, CaseStatus, Described, Envelope, IsoTime, NoContent, NullableTime, OpaqueId, OrNull, PostMessageResponse, RelayAttachment, RelayState, StoredEnvelope, Strict, StringEnum
} from './primitives.js';

export const MailboxChallengeRequest = Strict({ mailboxId: Bytes(16) });
export type MailboxChallengeRequest = Static<typeof MailboxChallengeRequest>;

export const MailboxChallengeResponse = Strict({ challenge: Described(Base64url, 'The bytes are what the login signature covers.') });
export type MailboxChallengeResponse = Static<typeof MailboxChallengeResponse>;

export const MailboxSessionRequest = Strict({ mailboxId: Bytes(16), challenge: Bytes(32), signature: Bytes(64) });
export type MailboxSessionRequest = Static<typeof MailboxSessionRequest>;

/** A session token and when it ends; mailbox and staff sessions alike. */
export const SessionResponse = Strict({ token: Type.String(), expiresAt: IsoTime });
export type MailboxSessionResponse = Static<typeof SessionResponse>;

/** One message of the case's conversation, for the reporter and the adviser alike. */
export const MailboxMessage = Strict({
  id: Type.String(),
  author: StringEnum(['reporter', 'adviser']),
  sentAt: IsoTime,
  nonce: Base64url,
  ciphertext: Base64url,
  feedback: Described(Type.Boolean(), 'Extension: true for the adviser message marked as the feedback (§7).'),
});
export type MailboxMessage = Static<typeof MailboxMessage>;

export const CaseMessages = Type.Array(MailboxMessage);

export const MailboxRelay = Strict({
  relayId: Type.String(),
  state: RelayState,
  copy: StoredEnvelope,
  attachments: Described(Type.Array(RelayAttachment), "Extension: the relay's attachments, read at /api/v1/mailbox/relays/{relayId}/attachments/{fileId}; the copy names each with its key."),
});
export type MailboxRelay = Static<typeof MailboxRelay>;

export const MailboxFile = Strict({
  fileId: Type.String(),
  header: StoredEnvelope,
  bytes: Type.Integer(),
  author: Described(StringEnum(['reporter', 'adviser']), 'Extension: who attached the file.'),
});
export type MailboxFile = Static<typeof MailboxFile>;

/** Who holds a wrap of the case key, as the reporter's mailbox lists them. */
export const CaseReader = Strict({
  keyId: Type.String(),
  name: Type.String(),
  granted: Type.Boolean({ description: 'True when a colleague granted access after the report was sent.' }),
});
export type CaseReader = Static<typeof CaseReader>;

export const MailboxView = Strict({
  caseId: Type.String(),
  status: CaseStatus,
  receivedAt: IsoTime,
  acknowledgedAt: NullableTime,
  feedbackBy: IsoTime,
  feedbackGivenAt: Described(NullableTime, 'Extension: when the adviser sent the message marked as the feedback (§7); null until then.'),
  reporterWrap: Base64url,
  report: StoredEnvelope,
  messages: CaseMessages,
  relays: Type.Array(MailboxRelay),
  files: Type.Array(MailboxFile),
  commitment: OrNull(CaseCommitment, { description: 'Extension: null for a case a v1 client sent without one.' }),
  readers: Type.Array(CaseReader, { description: 'Extension: every adviser who can read the case; granted = given access by a colleague after submission.' }),
});
export type MailboxView = Static<typeof MailboxView>;

export type PostMessageRequest = Envelope;

export const ConsentDecision = StringEnum(['approve', 'decline']);
export type ConsentDecision = Static<typeof ConsentDecision>;

export const ConsentRequest = Strict({
  decision: ConsentDecision,
  approval: Type.Optional(Bytes(32, { description: 'Extension, with approve: the keyed hash of the approved copy (docs/protocol.md "Relay approval").' })),
});
export type ConsentRequest = Static<typeof ConsentRequest>;

export const ConsentResponse = Strict({ relayId: Type.String(), state: RelayState });

export const RotateMailboxRequest = Strict({
  mailboxId: Bytes(16),
  reporterSignPublicKey: Bytes(32),
  reporterBoxPublicKey: Bytes(32),
  reporterWrap: Bytes(80),
  proof: Bytes(64, { description: 'sign(ASCII("confidant-v1/mailbox-rotate/") ‖ new mailboxId bytes ‖ new reporterSignPublicKey, current signSk)' }),
  commitmentSignature: Type.Optional(
    Bytes(64, { description: "Extension: the case's commitment signed again with the new code's key; required when the case has one." }),
  ),
});
export type RotateMailboxRequest = Static<typeof RotateMailboxRequest>;

export const OkResponse = Strict({ ok: Type.Boolean() });

export const mailboxChallenge = operation({
  method: 'POST',
  url: '/api/v1/mailbox/challenge',
  operationId: 'mailboxChallenge',
  summary: 'A signed login challenge for a mailbox (stateless: issuing one stores nothing)',
  tag: 'mailbox',
  auth: 'none',
  body: MailboxChallengeRequest,
  response: { 200: MailboxChallengeResponse },
  errors: [400],
});

export const openMailboxSession = operation({
  method: 'POST',
  url: '/api/v1/mailbox/session',
  operationId: 'openMailboxSession',
  summary: 'Open a mailbox session with a signature by the key the code derives',
  tag: 'mailbox',
  auth: 'none',
  body: MailboxSessionRequest,
  response: { 200: SessionResponse },
  errors: [400, 401],
});

export const getMailbox = operation({
  method: 'GET',
  url: '/api/v1/mailbox',
  operationId: 'getMailbox',
  summary: 'The case as the reporter reads it: report, conversation, relays to approve, readers',
  tag: 'mailbox',
  auth: 'mailbox',
  response: { 200: MailboxView },
  errors: [401],
});

export const postMailboxMessage = operation({
  method: 'POST',
  url: '/api/v1/mailbox/messages',
  operationId: 'postMailboxMessage',
  summary: 'Send an encrypted message to the adviser',
  tag: 'mailbox',
  auth: 'mailbox',
  body: Envelope,
  response: { 201: PostMessageResponse },
  errors: [400, 401, 413, 429],
});

export const consentRelay = operation({
  method: 'POST',
  url: '/api/v1/mailbox/relays/:relayId/consent',
  operationId: 'consentRelay',
  summary: "Approve or decline the adviser's anonymised relay",
  tag: 'mailbox',
  auth: 'mailbox',
  params: Strict({ relayId: OpaqueId }),
  body: ConsentRequest,
  response: { 200: ConsentResponse },
  errors: [400, 401, 404, 409],
});

export const rotateMailbox = operation({
  method: 'POST',
  url: '/api/v1/mailbox/rotate',
  operationId: 'rotateMailbox',
  summary: 'Replace the code: the mailbox moves to the keys of a new code',
  tag: 'mailbox',
  auth: 'mailbox',
  body: RotateMailboxRequest,
  response: { 200: OkResponse },
  errors: [400, 401, 409],
});

export const closeMailboxSession = operation({
  method: 'DELETE',
  url: '/api/v1/mailbox/session',
  operationId: 'closeMailboxSession',
  summary: 'End the mailbox session',
  tag: 'mailbox',
  auth: 'mailbox',
  response: { 204: NoContent },
  errors: [401],
});
