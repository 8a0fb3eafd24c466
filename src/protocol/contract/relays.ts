/** Relays (docs/protocol.md §5, §6): the adviser writes and sends them; organisation recipients read and answer them. */
import { Type, type Static } from '@sinclair/typebox';
import { CaseParams } from './cases.js';
import { operation } from './operation.js';
import {
  Base64url, Bytes, Cursor, Described, Envelope, IsoTime, KeyWraps, NullableString, NullableTime, OrNull, PageLimit, PostMessageResponse, RelayAttachment, RelayState,
  Slug, StoredEnvelope, Strict, StringEnum
} from './primitives.js';

export const RelayKeyHolder = Strict({
  keyId: Type.String(),
  name: Type.String(),
  boxPublicKey: Base64url,
  signPublicKey: Described(Base64url, 'Extension: with boxPublicKey, gives the fingerprint people compare.'),
});
export type RelayKeyHolder = Static<typeof RelayKeyHolder>;

export const RelayRecipients = Strict({
  organisation: Strict({ id: Type.String(), name: Type.String() }),
  recipients: Type.Array(RelayKeyHolder),
  advisers: Type.Array(RelayKeyHolder),
});
export type RelayRecipients = Static<typeof RelayRecipients>;

/** Extension: at most this many attachments in one relay. */
export const MAX_RELAY_ATTACHMENTS = 20;

export const CreateRelayRequest = Strict({
  relayId: Bytes(16),
  wraps: KeyWraps,
  text: Envelope,
  copy: Envelope,
  attachments: Type.Optional(
    Type.Array(Bytes(16), {
      maxItems: MAX_RELAY_ATTACHMENTS,
      uniqueItems: true,
      description: "Extension: the ids of the adviser's finished relay attachments of this case that the relay takes; its text names each with its key.",
    }),
  ),
});
export type CreateRelayRequest = Static<typeof CreateRelayRequest>;

export const CreateRelayResponse = Strict({ relayId: Type.String(), state: RelayState });

export const SendRelayResponse = Strict({ relayId: Type.String(), state: RelayState, sentAt: IsoTime });

export const RelayListQuery = Strict({ before: Type.Optional(Cursor), limit: Type.Optional(PageLimit) });
export type RelayListQuery = Static<typeof RelayListQuery>;

export const RelayLastMessage = Strict({ author: StringEnum(['adviser', 'organisation']), sentAt: IsoTime });

/** What an organisation recipient sees of a relay in its list: ids, times and its own wrap. */
/** Extension: a relay of a case, or the adviser's annual report (no case behind it). */
export const RelayKind = StringEnum(['case', 'annual_report'], { description: "Extension: 'annual_report' for the adviser's annual report, 'case' otherwise." });

export const RelaySummary = Strict({
  relayId: Type.String(),
  kind: RelayKind,
  state: Type.Literal('sent'),
  sentAt: IsoTime,
  wrap: Base64url,
  readAt: Described(NullableTime, 'Extension: when this recipient last opened the relay; null if never.'),
  lastMessage: OrNull(RelayLastMessage, { description: 'Extension: who wrote last in the thread, and when; null while it is empty.' }),
});
export type RelaySummary = Static<typeof RelaySummary>;

export const RelayList = Strict({ relays: Type.Array(RelaySummary), next: NullableString() });

export const RelayMessage = Strict({
  id: Type.String(),
  author: StringEnum(['adviser', 'organisation']),
  sentAt: IsoTime,
  nonce: Base64url,
  ciphertext: Base64url,
});
export type RelayMessage = Static<typeof RelayMessage>;

/** One relay with its thread; the same shape for adviser and organisation, and nothing of the case. */
export const RelayDetail = Strict({
  relayId: Type.String(),
  kind: RelayKind,
  state: RelayState,
  sentAt: NullableTime,
  wrap: Base64url,
  text: StoredEnvelope,
  approval: NullableString({ description: "Extension: the reporter's keyed hash of the approved copy; null without consent or from a v1 client." }),
  messages: Type.Array(RelayMessage),
  attachments: Described(Type.Array(RelayAttachment), "Extension: the relay's attachments, read at /api/v1/relays/{relayId}/attachments/{fileId}."),
});
export type RelayDetail = Static<typeof RelayDetail>;

const RelayParams = Strict({ relayId: Bytes(16) });

export const relayRecipients = operation({
  method: 'GET',
  url: '/api/v1/cases/:caseId/relay-recipients',
  operationId: 'relayRecipients',
  summary: "Who a relay of this case is sealed to: the organisation's recipients and the case's advisers, with their keys",
  tag: 'relays',
  auth: 'staff',
  params: CaseParams,
  response: { 200: RelayRecipients },
  errors: [400, 401, 403, 404],
});

export const createRelay = operation({
  method: 'POST',
  url: '/api/v1/cases/:caseId/relays',
  operationId: 'createRelay',
  summary: "Store an anonymised relay: the text for the organisation and the reporter's copy to approve",
  tag: 'relays',
  auth: 'staff',
  params: CaseParams,
  body: CreateRelayRequest,
  response: { 201: CreateRelayResponse },
  errors: [400, 401, 403, 404, 409, 413],
});

/** Extension: an organisation the adviser serves, by slug. */
const OrganisationParams = Strict({ organisation: Slug });

export const CreateAnnualReportRequest = Strict({ relayId: Bytes(16), wraps: KeyWraps, text: Envelope });
export type CreateAnnualReportRequest = Static<typeof CreateAnnualReportRequest>;

export const annualReportRecipients = operation({
  method: 'GET',
  url: '/api/v1/organisations/:organisation/relay-recipients',
  operationId: 'annualReportRecipients',
  summary: "Extension: who the adviser's annual report to this organisation is sealed to: its recipients, and the adviser",
  tag: 'relays',
  auth: 'staff',
  params: OrganisationParams,
  response: { 200: RelayRecipients },
  errors: [400, 401, 403, 404],
});

export const createAnnualReport = operation({
  method: 'POST',
  url: '/api/v1/organisations/:organisation/annual-reports',
  operationId: 'createAnnualReport',
  summary: "Extension: send the adviser's annual report to an organisation they serve, as a relay without a case (no consent: it holds no case)",
  tag: 'relays',
  auth: 'staff',
  params: OrganisationParams,
  body: CreateAnnualReportRequest,
  response: { 201: SendRelayResponse },
  errors: [400, 401, 403, 404, 409, 413],
});

export const sendRelay = operation({
  method: 'POST',
  url: '/api/v1/relays/:relayId/send',
  operationId: 'sendRelay',
  summary: 'Send an approved relay to the organisation',
  tag: 'relays',
  auth: 'staff',
  params: RelayParams,
  response: { 200: SendRelayResponse },
  errors: [400, 401, 403, 404, 409],
});

export const listRelays = operation({
  method: 'GET',
  url: '/api/v1/relays',
  operationId: 'listRelays',
  summary: "The relays sent to the recipient's organisation, newest first, a page at a time",
  tag: 'relays',
  auth: 'staff',
  querystring: RelayListQuery,
  response: { 200: RelayList },
  errors: [400, 401, 403],
});

export const getRelay = operation({
  method: 'GET',
  url: '/api/v1/relays/:relayId',
  operationId: 'getRelay',
  summary: 'One relay with its thread between adviser and organisation',
  tag: 'relays',
  auth: 'staff',
  params: RelayParams,
  response: { 200: RelayDetail },
  errors: [400, 401, 403, 404],
});

export const postRelayMessage = operation({
  method: 'POST',
  url: '/api/v1/relays/:relayId/messages',
  operationId: 'postRelayMessage',
  summary: "Answer in a relay's thread, as its adviser or a recipient of its organisation",
  tag: 'relays',
  auth: 'staff',
  params: RelayParams,
  body: Envelope,
  response: { 201: PostMessageResponse },
  errors: [400, 401, 403, 404, 409, 413],
});
