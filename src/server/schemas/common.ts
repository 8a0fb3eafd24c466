/** JSON schemas shared by routes and the OpenAPI document. */

export const errorBody = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: { type: 'string', description: 'A stable error code, such as invalid_code or mailbox_locked.' },
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

export const isoTime = { type: 'string', format: 'date-time' } as const;

/** An encrypted record: a 24-byte nonce and ciphertext, both base64url. */
export const envelope = {
  type: 'object',
  properties: { nonce: base64urlOf(24), ciphertext: base64url },
  required: ['nonce', 'ciphertext'],
  additionalProperties: false,
} as const;
