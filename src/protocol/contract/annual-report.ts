/**
 * The registrations of a period, for the annual report (docs/protocol.md §6 staff side): each
 * case this adviser holds a wrap for, with the server's case dates (for the response times)
 * and the encrypted registration. The adviser's browser decrypts and counts them; the server
 * cannot count what it cannot read.
 */
import { Type, type Static } from '@sinclair/typebox';
import { REGISTRATION_PAGE_MAX } from '../constants.js';
import { operation } from './operation.js';
import { Base64url, CaseStatus, Cursor, IsoTime, NullableString, NullableTime, OrNull, Slug, Strict } from './primitives.js';


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
