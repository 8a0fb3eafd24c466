/**
 * The registrations of a period, for the annual report (docs/protocol.md §6 staff side): each
 * case this adviser holds a wrap for, with the server's case dates (for the response times)
 * and the encrypted registration. The adviser's browser decrypts and counts them; the server
 * cannot count what it cannot read.
 */
import { Type, type Static } from '@sinclair/typebox';
import { REGISTRATION_PAGE_MAX } from '../constants.js';
import { operation } from './operation.js';
import { Base64url, Bytes, CaseStatus, Cursor, IsoTime, NullableString, NullableTime, OrNull, Slug, StoredEnvelope, Strict } from './primitives.js';


/** A pattern, not the `date-time` format: the server's validator checks patterns; the route checks the day exists. */
const QueryTime = (description: string) => Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$', description });

export const RegistrationListQuery = Strict({
  from: QueryTime('The start of the period (inclusive), by the time the case was received, as 2026-01-01T00:00:00Z.'),
  to: QueryTime('The end of the period (exclusive); at most ten years after `from`.'),
  channel: Type.Optional(Slug),
  after: Type.Optional(Cursor),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: REGISTRATION_PAGE_MAX, default: 500 })),
});
export type RegistrationListQuery = Static<typeof RegistrationListQuery>;

export const PeriodRegistration = Strict({
  caseId: Type.String(),
  channel: Type.String(),
  status: CaseStatus,
  receivedAt: IsoTime,
  acknowledgedAt: NullableTime,
  feedbackGivenAt: NullableTime,
  wrap: Base64url,
  pin: NullableString({ description: "This adviser's signed pin of the case key (as in the case detail): the client accepts the wrap only with it." }),
  keyCopy: OrNull(StoredEnvelope, {
    description: "Extension (case key copies): this adviser's own sealed copy of the case key, or null; with it the client needs neither the wrap nor the pin.",
  }),
  registration: OrNull(Strict({ nonce: Base64url, ciphertext: Base64url, updatedAt: IsoTime }), {
    description: 'Null for a case without a registration yet: it still counts, as "not registered".',
  }),
});
export type PeriodRegistration = Static<typeof PeriodRegistration>;

export const RegistrationList = Strict({
  registrations: Type.Array(PeriodRegistration),
  next: NullableString({ description: 'Pass as `after` for the next page; null on the last.' }),
});
export type RegistrationList = Static<typeof RegistrationList>;

export const listRegistrations = operation({
  method: 'GET',
  url: '/api/v1/registrations',
  operationId: 'listRegistrations',
  summary: "Extension: the adviser's cases received in a period with their encrypted registrations, oldest first, for the annual report",
  tag: 'cases',
  auth: 'staff',
  querystring: RegistrationListQuery,
  response: { 200: RegistrationList },
  errors: [400, 401, 403],
});

/** The sealed copy of one case key: 32 key bytes and a 16-byte tag. */
export const CaseKeyCopy = Strict({ caseId: Bytes(16), keyCopy: Strict({ nonce: Bytes(24), ciphertext: Bytes(48) }) });

export const CaseKeyCopiesRequest = Strict({
  copies: Type.Array(CaseKeyCopy, { minItems: 1, maxItems: REGISTRATION_PAGE_MAX }),
});
export type CaseKeyCopiesRequest = Static<typeof CaseKeyCopiesRequest>;

export const CaseKeyCopiesResponse = Strict({
  stored: Type.Integer({ minimum: 0, description: 'How many copies were stored; a case this adviser has not pinned, or has a copy of already, is skipped.' }),
});
export type CaseKeyCopiesResponse = Static<typeof CaseKeyCopiesResponse>;

export const putCaseKeyCopies = operation({
  method: 'PUT',
  url: '/api/v1/case-key-copies',
  operationId: 'putCaseKeyCopies',
  summary: "Extension: store this adviser's sealed copies of case keys it pinned (each once), so that the annual report opens them quickly",
  tag: 'cases',
  auth: 'staff',
  body: CaseKeyCopiesRequest,
  response: { 200: CaseKeyCopiesResponse },
  errors: [400, 401, 403],
});
