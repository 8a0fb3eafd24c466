/** The adviser's cases (docs/protocol.md §6 staff side): list, detail, messages to the reporter, status, registration, pin, grants. */
import { Type, type Static } from '@sinclair/typebox';
import { CaseMessages, MailboxFile } from './mailbox.js';
import { operation } from './operation.js';
import {
  Base64url, Bytes, CaseStatus, Cursor, Described, Envelope, IsoTime, KeyWrap, NoContent, NullableDay, NullableString, NullableTime, OrNull, PageLimit,
  PostMessageResponse, RelayAttachment, RelayState, Slug, StoredEnvelope, Strict
} from './primitives.js';
import { CaseCommitment } from './reporter.js';

const summary = {
  caseId: Type.String(),
  channel: Type.String(),
  status: CaseStatus,
  receivedAt: IsoTime,
  acknowledgedAt: NullableTime,
  acknowledgeBy: IsoTime,
  feedbackBy: IsoTime,
  feedbackGivenAt: Described(NullableTime, 'Extension: when the adviser sent the message marked as the feedback (§7); null until then.'),
  overdue: Type.Boolean(),
  followUpOn: NullableDay({
    description: "Extension: the earliest open follow-up day of the adviser's registration (an aftercare call, a hearing); null when there is none.",
  }),
  deleteAfter: Described(
    NullableTime,
    "Extension: when retention deletes this closed case (closure plus the channel's retention months); null while it is open or held.",
  ),
  held: Type.Boolean({ description: 'Extension: an adviser put the case on legal hold: retention never deletes it.' }),
  wrap: Base64url,
};

export const CaseSummary = Strict({ ...summary, unread: Type.Boolean() });
export type CaseSummary = Static<typeof CaseSummary>;

export const CaseListQuery = Strict({
  status: Type.Optional(CaseStatus),
  channel: Type.Optional(Slug),
  reference: Type.Optional(
    Type.String({
      pattern: '^[2-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{3}-?[2-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{3}$',
      description: 'Extension: only the cases with this reference (§4), as `K7M-4QX`, in either case, the hyphen optional.',
    }),
  ),
  before: Type.Optional(Cursor),
  limit: Type.Optional(PageLimit),
});
export type CaseListQuery = Static<typeof CaseListQuery>;

export const CaseList = Strict({
  cases: Type.Array(CaseSummary),
  next: NullableString({ description: 'Pass as `before` for the next page; null on the last.' }),
});
export type CaseList = Static<typeof CaseList>;

export const CaseRelay = Strict({
  relayId: Type.String(),
  state: RelayState,
  createdAt: IsoTime,
  sentAt: NullableTime,
  copy: StoredEnvelope,
  attachments: Described(Type.Array(RelayAttachment), "Extension: the relay's attachments, read at /api/v1/relays/{relayId}/attachments/{fileId}; the copy names each with its key."),
});

export const CaseDetail = Strict({
  ...summary,
  reporterWrap: Base64url,
  reporterSignPublicKey: Described(Base64url, 'Extension: the key that signs the commitment and mailbox logins.'),
  commitment: OrNull(CaseCommitment),
  pin: NullableString({ description: "Extension: this adviser's own signed pin of the case key, once the adviser opened the case." }),
  report: StoredEnvelope,
  messages: CaseMessages,
  relays: Type.Array(CaseRelay),
  files: Type.Array(MailboxFile),
  registration: OrNull(Strict({ nonce: Base64url, ciphertext: Base64url, updatedAt: IsoTime })),
  hold: OrNull(
    Strict(
      { heldAt: IsoTime, heldBy: Type.String({ description: 'The account id of the adviser who set or last changed the hold.' }), reason: StoredEnvelope },
      { description: 'Extension: the legal hold, its reason sealed under the case key (docs/protocol.md "Legal hold"); null when not held.' },
    ),
  ),
});
export type CaseDetail = Static<typeof CaseDetail>;

/** A message to the reporter; `feedback` marks it as the feedback that meets the 3-month deadline (§7). */
export const CaseMessageRequest = Strict({
  nonce: Bytes(24),
  ciphertext: Base64url,
  feedback: Type.Optional(
    Type.Boolean({ description: 'Extension: true when this message is the feedback: how the report was assessed and what follows. Absent means false.' }),
  ),
});
export type CaseMessageRequest = Static<typeof CaseMessageRequest>;

export const StatusChangeRequest = Strict({ status: CaseStatus });

export const StatusChangeResponse = Strict({
  status: CaseStatus,
  acknowledgedAt: NullableTime,
  acknowledgeBy: IsoTime,
  feedbackBy: IsoTime,
  overdue: Type.Boolean(),
  deleteAfter: Described(NullableTime, 'Extension: when retention deletes the case now that it is closed; null while open or held.'),
});
export type StatusChangeResponse = Static<typeof StatusChangeResponse>;

/** The encrypted record, and beside it the one day the inbox shows (docs/protocol.md §8). */
export const RegistrationRequest = Strict({
  ...Envelope.properties,
  followUpOn: Type.Optional(
    NullableDay({ description: "Extension: the record's earliest open follow-up day, for the inbox. Absent or null: none." }),
  ),
});
export type RegistrationRequest = Static<typeof RegistrationRequest>;

export const RegistrationResponse = Strict({ updatedAt: IsoTime });

/** A legal hold's reason, sealed under the case key: the server learns that a case is held, never why. */
export const HoldRequest = Strict({ ...Envelope.properties });
export type HoldRequest = Static<typeof HoldRequest>;

export const HoldResponse = Strict({ heldAt: IsoTime });

export const PinRequest = Strict({ pin: Bytes(64) });

export const GrantResponse = Strict({ keyId: Type.String() });

/** The path parameter of every case route. */
export const CaseParams = Strict({ caseId: Bytes(16) });

export const listCases = operation({
  method: 'GET',
  url: '/api/v1/cases',
  operationId: 'listCases',
  summary: "The adviser's cases, newest first, a page at a time, with deadlines and unread markers",
  tag: 'cases',
  auth: 'staff',
  querystring: CaseListQuery,
  response: { 200: CaseList },
  errors: [400, 401, 403],
});

export const getCase = operation({
  method: 'GET',
  url: '/api/v1/cases/:caseId',
  operationId: 'getCase',
  summary: 'One case: report, conversation, relays, registration and the keys to check it by',
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  response: { 200: CaseDetail },
  errors: [400, 401, 403, 404],
});

export const postCaseMessage = operation({
  method: 'POST',
  url: '/api/v1/cases/:caseId/messages',
  operationId: 'postCaseMessage',
  summary: 'Send an encrypted message to the reporter',
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  body: CaseMessageRequest,
  response: { 201: PostMessageResponse },
  errors: [400, 401, 403, 404, 413],
});

export const setCaseStatus = operation({
  method: 'PATCH',
  url: '/api/v1/cases/:caseId',
  operationId: 'setCaseStatus',
  summary: "Change a case's status; acknowledging it stops the seven-day clock",
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  body: StatusChangeRequest,
  response: { 200: StatusChangeResponse },
  errors: [400, 401, 403, 404, 409],
});

export const putRegistration = operation({
  method: 'PUT',
  url: '/api/v1/cases/:caseId/registration',
  operationId: 'putRegistration',
  summary: "Store the adviser's encrypted registration record of the case",
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  body: RegistrationRequest,
  response: { 200: RegistrationResponse },
  errors: [400, 401, 403, 404, 413],
});

export const pinCase = operation({
  method: 'PUT',
  url: '/api/v1/cases/:caseId/pin',
  operationId: 'pinCase',
  summary: "Extension: store this adviser's signed pin of the case key (once)",
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  body: PinRequest,
  response: { 204: NoContent },
  errors: [400, 401, 403, 404, 409],
});

export const grantCase = operation({
  method: 'POST',
  url: '/api/v1/cases/:caseId/grants',
  operationId: 'grantCase',
  summary: 'Give a colleague access: the case key wrapped for their box key',
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  body: KeyWrap,
  response: { 201: GrantResponse },
  errors: [400, 401, 403, 404, 409],
});

export const putHold = operation({
  method: 'PUT',
  url: '/api/v1/cases/:caseId/hold',
  operationId: 'putHold',
  summary: 'Extension: put the case on legal hold, or change the reason: retention never deletes a held case',
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  body: HoldRequest,
  response: { 200: HoldResponse },
  errors: [400, 401, 403, 404, 413],
});

export const deleteHold = operation({
  method: 'DELETE',
  url: '/api/v1/cases/:caseId/hold',
  operationId: 'deleteHold',
  summary: 'Extension: lift the legal hold: a closed case is deleted again when its retention has passed',
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  response: { 204: NoContent },
  errors: [400, 401, 403, 404, 409],
});
