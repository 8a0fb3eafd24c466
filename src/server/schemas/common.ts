/** JSON schemas shared by routes and the OpenAPI document. */

export const errorBody = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: { type: 'string', description: 'A stable error code, such as unknown_case or login_throttled (docs/protocol.md §10 lists them all).' },
    message: { type: 'string', description: 'A sentence for people; never echoes the request.' },
  },
  required: ['error', 'message'],
  additionalProperties: false,
} as const;

/** Error answers a route may give, by status, for its schema. */
export function errors(...statuses: number[]): Record<number, typeof errorBody> {
  return Object.fromEntries(statuses.map((s) => [s, errorBody]));
}

/** base64url without padding. Lengths are checked exactly by the routes, which know the field. */
export const base64url = { type: 'string', pattern: '^[A-Za-z0-9_-]*$' } as const;

/** base64url of exactly `bytes` bytes. */
export function base64urlOf(bytes: number) {
  const length = Math.ceil((bytes * 4) / 3);
  return { type: 'string', pattern: '^[A-Za-z0-9_-]*$', minLength: length, maxLength: length } as const;
}

/**
 * Text a person typed, to be stored in a text column: PostgreSQL refuses NUL in text, and
 * lone UTF-16 surrogates cannot be encoded as UTF-8, so both (and other control characters,
 * which no name needs) are refused here with `invalid_<field>` instead of failing the query.
 * Ajv compiles patterns with the `u` flag, so a surrogate pair (an emoji) is one code point
 * outside the refused range.
 */
export function plainText(minLength: number, maxLength: number) {
  return { type: 'string', minLength, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]*$' } as const;
}

export const isoTime = { type: 'string', format: 'date-time' } as const;

/** An encrypted record: a 24-byte nonce and ciphertext, both base64url. */
export const envelope = {
  type: 'object',
  properties: { nonce: base64urlOf(24), ciphertext: base64url },
  required: ['nonce', 'ciphertext'],
  additionalProperties: false,
} as const;

/** An encrypted record in an answer: what the server stored, unchecked on the way out. */
export const wireEnvelope = {
  type: 'object',
  properties: { nonce: base64url, ciphertext: base64url },
  required: ['nonce', 'ciphertext'],
  additionalProperties: false,
} as const;

export const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** An opaque id a client names: a key id or the like. */
export const opaqueId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const;

/** The mailbox conversation as answers list it, for the reporter and the adviser alike. */
export const caseMessages = {
  type: 'array',
  items: {
    type: 'object',
    properties: { id: { type: 'string' }, author: { type: 'string', enum: ['reporter', 'adviser'] }, sentAt: isoTime, nonce: base64url, ciphertext: base64url },
    required: ['id', 'author', 'sentAt', 'nonce', 'ciphertext'],
    additionalProperties: false,
  },
} as const;

/** The answer to a message posted anywhere: its id and when it was stored. */
export const postedAnswer = {
  type: 'object',
  properties: { id: { type: 'string' }, sentAt: isoTime },
  required: ['id', 'sentAt'],
  additionalProperties: false,
} as const;

/** The reporter's signed case commitment (extension, docs/protocol.md "Case commitment"). */
export const caseCommitment = {
  type: 'object',
  properties: {
    key: base64urlOf(32),
    signature: base64urlOf(64),
    chosen: { type: 'array', maxItems: 64, items: opaqueId },
    excluded: { type: 'array', maxItems: 64, items: opaqueId },
  },
  required: ['key', 'signature', 'chosen', 'excluded'],
  additionalProperties: false,
} as const;

export const nullableCaseCommitment = { anyOf: [{ type: 'null' }, caseCommitment] } as const;
