/** The reporter without an account (docs/protocol.md §6): channel info, proof of work, submission. */
import { Type, type Static } from '@sinclair/typebox';
import { operation } from './operation.js';
import { Base64url, Bytes, Described, Envelope, IsoTime, KeyWraps, OpaqueId, SignedChallenge, Slug, Strict } from './primitives.js';

export const ChannelAdviser = Strict({ keyId: Type.String(), name: Type.String(), boxPublicKey: Base64url, signPublicKey: Base64url });
export type ChannelAdviser = Static<typeof ChannelAdviser>;

export const ChannelInfo = Strict({
  slug: Type.String(),
  name: Type.String(),
  advisers: Type.Array(ChannelAdviser),
  consentRequired: Type.Boolean({ description: 'When false, relays to the organisation need no approval by the reporter.' }),
  pow: Strict({ difficulty: Type.Integer() }),
  maxFileBytes: Type.Integer(),
});
export type ChannelInfo = Static<typeof ChannelInfo>;

export const PowChallenge = Strict({ challenge: Type.String(), difficulty: Type.Integer(), expiresAt: IsoTime });
export type PowChallenge = Static<typeof PowChallenge>;

export const PowSolution = Strict({ challenge: SignedChallenge, nonce: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) });
export type PowSolution = Static<typeof PowSolution>;

/** What the reporter signs at submission: the case key's commitment and the advisers it chose and left out. */
export const CaseCommitment = Strict(
  {
    key: Bytes(32, { description: 'base64url(hash(32, "confidant-v1/case-key/" ‖ caseKey))' }),
    signature: Bytes(64, { description: "Ed25519 signature by the reporter's signing key over the commitment statement." }),
    chosen: Type.Array(OpaqueId, { maxItems: 64, description: 'The keyIds the report was wrapped for, sorted.' }),
    excluded: Type.Array(OpaqueId, { maxItems: 64, description: "The channel's advisers the reporter left out, sorted: no grant may reach them." }),
  },
  { description: "Extension: the reporter's signed case commitment (docs/protocol.md §9)." },
);
export type CaseCommitment = Static<typeof CaseCommitment>;

export const SubmitReportRequest = Strict({
  v: Type.Literal(1),
  caseId: Bytes(16),
  mailboxId: Bytes(16),
  reporterSignPublicKey: Bytes(32),
  reporterBoxPublicKey: Bytes(32),
  wraps: KeyWraps,
  reporterWrap: Bytes(80),
  report: Envelope,
  pow: Type.Optional(PowSolution),
  commitment: Type.Optional(CaseCommitment),
});
export type SubmitReportRequest = Static<typeof SubmitReportRequest>;

export const SubmitReportResponse = Strict({ caseId: Type.String(), receivedAt: IsoTime, acknowledgeBy: IsoTime });
export type SubmitReportResponse = Static<typeof SubmitReportResponse>;

const SlugParams = Strict({ slug: Slug });

export const getChannel = operation({
  method: 'GET',
  url: '/api/v1/channels/:slug',
  operationId: 'getChannel',
  summary: "A channel's name, advisers and keys, and its proof-of-work difficulty",
  tag: 'reporter',
  auth: 'none',
  params: SlugParams,
  response: { 200: ChannelInfo },
  errors: [400, 404],
});

export const getPow = operation({
  method: 'GET',
  url: '/api/v1/pow',
  operationId: 'getPow',
  summary: 'A proof-of-work challenge for one submission',
  tag: 'reporter',
  auth: 'none',
  querystring: Strict({ channel: Type.Optional(Described(Slug, 'Extension: the channel whose difficulty applies; the instance default without it.')) }),
  response: { 200: PowChallenge },
  errors: [400, 404],
});

export const submitReport = operation({
  method: 'POST',
  url: '/api/v1/channels/:slug/reports',
  operationId: 'submitReport',
  summary: 'Submit an encrypted report; the case and its mailbox are created',
  tag: 'reporter',
  auth: 'none',
  params: SlugParams,
  body: SubmitReportRequest,
  response: { 201: SubmitReportResponse },
  errors: [400, 404, 409, 413, 428],
});
