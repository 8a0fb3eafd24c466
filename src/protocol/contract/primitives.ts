/**
 * The building blocks of the wire contract (docs/protocol.md §1, §6): bytes as base64url
 * without padding, times as ISO 8601 UTC strings, encrypted records as nonce and ciphertext.
 * Each is a TypeBox schema and, under the same name, its TypeScript type.
 */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';

/** A closed object: a field the contract does not name is refused. */
export const Strict = <T extends TProperties>(properties: T, options: { description?: string; $id?: string } = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

const BASE64URL = '^[A-Za-z0-9_-]*$';

/** base64url without padding. Lengths are checked where a field's length is known. */
export const Base64url = Type.String({ pattern: BASE64URL });
export type Base64url = Static<typeof Base64url>;

/** A schema with a description of its own use. */
export const Described = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, description });

/** base64url of exactly `bytes` bytes. */
export const Bytes = (bytes: number, options: { description?: string } = {}) => {
  const length = Math.ceil((bytes * 4) / 3);
  return Type.String({ pattern: BASE64URL, minLength: length, maxLength: length, ...options });
};

/** ISO 8601 UTC time, as Date#toISOString writes it. */
export const IsoTime = Type.String({ format: 'date-time' });
export type IsoTime = Static<typeof IsoTime>;

/**
 * A string or null. Written as a type list, not anyOf: the answer serialiser then writes it
 * without trying each branch in turn.
 */
export const NullableString = (options: { format?: 'date-time'; description?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });

export const NullableTime = NullableString({ format: 'date-time' });

/** A calendar day, YYYY-MM-DD, or null. */
export const NullableDay = (options: { description?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', ...options });

/** An object or null (anyOf, since an object's properties cannot sit in a type list). */
export const OrNull = <T extends TSchema>(schema: T, options: { description?: string } = {}) => Type.Union([Type.Null(), schema], options);

/** One of a few strings, written as a plain `enum` so generated clients get an enum type. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/**
 * Text a person typed, stored in a text column: PostgreSQL refuses NUL in text, and lone
 * UTF-16 surrogates cannot be encoded as UTF-8, so both (and other control characters, which
 * no name needs) are refused with `invalid_<field>` instead of failing the query. Ajv compiles
 * patterns with the `u` flag, so a surrogate pair (an emoji) is one code point outside the
 * refused range.
 */
export const PlainText = (minLength: number, maxLength: number) =>
  Type.String({ minLength, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]*$' });

/** Printable ASCII: signed challenges the server issued and gets back. */
export const SignedChallenge = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' });

/** An opaque id a client names: a key id or the like. */
export const OpaqueId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/** A channel's name in its link. */
export const Slug = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' });

/** The `next` cursor of a list, passed back as `before`. */
export const Cursor = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'The `next` cursor of the previous page.' });

export const PageLimit = Type.Integer({ minimum: 1, maximum: 200, default: 50 });

/** An encrypted record a client sends: a 24-byte nonce and the ciphertext. */
export const Envelope = Strict({ nonce: Bytes(24), ciphertext: Base64url });
export type Envelope = Static<typeof Envelope>;

/** An encrypted record in an answer: what the server stored, unchecked on the way out. */
export const StoredEnvelope = Strict({ nonce: Base64url, ciphertext: Base64url });

/** A case key (or relay key) sealed to one staff account's box key. */
export const KeyWrap = Strict({ keyId: OpaqueId, wrap: Bytes(80) });
export type KeyWrap = Static<typeof KeyWrap>;

/** One to 64 wraps of a key, one per reader. */
export const KeyWraps = Type.Array(KeyWrap, { minItems: 1, maxItems: 64 });

export const CaseStatus = StringEnum(['received', 'acknowledged', 'in_progress', 'closed']);
export type CaseStatus = Static<typeof CaseStatus>;

export const RelayState = StringEnum(['awaiting_consent', 'approved', 'declined', 'sent']);
export type RelayState = Static<typeof RelayState>;

/** Every error answer: a stable code and a sentence for people. */
export const ApiErrorBody = Strict(
  {
    error: Type.String({ description: 'A stable error code, such as unknown_case or login_throttled (docs/protocol.md §10 lists them all).' }),
    message: Type.String({ description: 'A sentence for people; never echoes the request.' }),
  },
  { $id: 'Error' },
);
export type ApiErrorBody = Static<typeof ApiErrorBody>;

/** The answer to a message posted anywhere: its id and when it was stored. */
export const PostMessageResponse = Strict({ id: Type.String(), sentAt: IsoTime });
export type PostMessageResponse = Static<typeof PostMessageResponse>;

/** An answer without a body (204): typed void, so a handler sends nothing. */
export const NoContent = Type.Unsafe<void>({ type: 'null', description: 'No content.' });

/** Extension: a relay's attachment as its readers get it listed; the relay text gives its name, size and key. */
export const RelayAttachment = Strict({
  fileId: Type.String(),
  bytes: Type.Integer({ description: "The encrypted body's length; a reader checks it against the size the relay text gives." }),
});
export type RelayAttachment = Static<typeof RelayAttachment>;
