/**
 * The JSON schema of the registration record v1 (docs/protocol.md §4), built from the same lists
 * as the record's type and check in protocol/registration.ts. The server never sees a record (it
 * is encrypted); the schema is the contract for other clients and the reference the hand-written
 * check is tested against.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  ACTIONS, ALL_CATEGORIES, CONTACT_CHANNELS, CONTACT_KINDS, FOLLOW_UP_KINDS, FOLLOW_UPS_MAX, MINUTES_MAX, NOTES_MAX, OUTCOMES, OUTSIDE_SCOPE, REFERRALS,
  REGISTRATION_FORMAT, SOURCES, SUPPORT_KINDS, SUPPORT_MAX, SUPPORT_OUTCOMES, TRACKS, type Registration
} from '../registration.js';
import { StringEnum } from './primitives.js';

const NullableEnum = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number] | null>({ type: ['string', 'null'], enum: [...values, null] });
const Set = <const T extends readonly string[]>(values: T) => Type.Array(StringEnum(values), { uniqueItems: true, maxItems: values.length });
const DAY_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const Day = Type.String({ pattern: DAY_PATTERN, description: 'A calendar day, YYYY-MM-DD.' });
const DayOrNull = Type.Unsafe<string | null>({ type: ['string', 'null'], pattern: DAY_PATTERN });

export const RegistrationSupport = Type.Object(
  { kind: StringEnum(SUPPORT_KINDS), startedOn: DayOrNull, endedOn: DayOrNull, outcome: StringEnum(SUPPORT_OUTCOMES) },
  { additionalProperties: false },
);

export const RegistrationFollowUp = Type.Object({ on: Day, kind: StringEnum(FOLLOW_UP_KINDS), done: Type.Boolean() }, { additionalProperties: false });

export const RegistrationRecordV1 = Type.Object(
  {
    v: Type.Literal(1),
    format: Type.Literal(REGISTRATION_FORMAT),
    kind: NullableEnum(CONTACT_KINDS),
    contactBy: NullableEnum(CONTACT_CHANNELS),
    track: NullableEnum(TRACKS),
    categories: Set(ALL_CATEGORIES),
    sources: Set(SOURCES),
    location: Type.Union([Type.Null(), Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$' })]),
    actions: Set(ACTIONS),
    referredTo: Set(REFERRALS),
    support: Type.Array(RegistrationSupport, { maxItems: SUPPORT_MAX }),
    followUps: Type.Array(RegistrationFollowUp, { maxItems: FOLLOW_UPS_MAX }),
    outsideScope: Set(OUTSIDE_SCOPE),
    minutes: Type.Union([Type.Null(), Type.Integer({ minimum: 0, maximum: MINUTES_MAX })]),
    outcome: NullableEnum(OUTCOMES),
    notes: Type.String({ maxLength: NOTES_MAX }),
  },
  { additionalProperties: false, $id: 'RegistrationRecordV1', description: "The adviser's registration record, encrypted under the case key." },
);

// The schema's type and the record's type are the same: a change to one without the other fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const registrationTypesAgree: Same<Static<typeof RegistrationRecordV1>, Registration> = true;
