/** JSON schemas of staff accounts and sessions (protocol-v1 §3, §6 staff side). */
import { base64url, base64urlOf, isoTime, plainText } from './common.js';

const KEY = base64urlOf(32);
const username = plainText(1, 64);
const sealed = {
  type: 'object',
  // 1024 bytes at most, as base64url.
  properties: { nonce: base64urlOf(24), ciphertext: { ...base64url, maxLength: 1366 } },
  required: ['nonce', 'ciphertext'],
  additionalProperties: false,
} as const;
const sealedOut = {
  type: 'object',
  properties: { nonce: base64url, ciphertext: base64url },
  required: ['nonce', 'ciphertext'],
  additionalProperties: false,
} as const;
const kdf = {
  type: 'object',
  properties: {
    salt: base64urlOf(16),
    ops: { type: 'integer', minimum: 1, maximum: 100 },
    // At most what the kdf_mem column (a 32-bit integer) stores: 2 GiB, more than any client
    // derives with. A larger value passed the schema and failed the insert with a 500.
    mem: { type: 'integer', minimum: 8192, maximum: 2147483647 },
  },
  required: ['salt', 'ops', 'mem'],
  additionalProperties: false,
} as const;
const totp = { type: 'string', pattern: '^[0-9]{6}$' } as const;

export const acceptInviteBody = {
  type: 'object',
  properties: {
    token: { type: 'string', minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' },
    username,
    displayName: plainText(1, 100),
    kdf,
    authKey: KEY,
    boxPublicKey: KEY,
    signPublicKey: KEY,
    keyBundle: sealed,
    recoveryBundle: sealed,
  },
  required: ['token', 'username', 'displayName', 'kdf', 'authKey', 'boxPublicKey', 'signPublicKey', 'keyBundle', 'recoveryBundle'],
  additionalProperties: false,
} as const;

export const acceptInviteAnswer = {
  type: 'object',
  properties: { accountId: { type: 'string' }, role: { type: 'string', enum: ['adviser', 'recipient'] } },
  required: ['accountId', 'role'],
  additionalProperties: false,
} as const;

export const joinChannelBody = {
  type: 'object',
  properties: { token: acceptInviteBody.properties.token },
  required: ['token'],
  additionalProperties: false,
} as const;

export const joinChannelAnswer = {
  type: 'object',
  properties: { channel: { type: 'string' } },
  required: ['channel'],
  additionalProperties: false,
} as const;

export const preloginBody = {
  type: 'object',
  properties: { username },
  required: ['username'],
  additionalProperties: false,
} as const;

export const preloginAnswer = {
  type: 'object',
  properties: { kdf: { type: 'object', properties: { salt: base64url, ops: { type: 'integer' }, mem: { type: 'integer' } }, required: ['salt', 'ops', 'mem'] } },
  required: ['kdf'],
  additionalProperties: false,
} as const;

export const loginBody = {
  type: 'object',
  properties: { username, authKey: KEY, totp },
  required: ['username', 'authKey'],
  additionalProperties: false,
} as const;

export const accountView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    role: { type: 'string', enum: ['adviser', 'recipient'] },
    username: { type: 'string' },
    displayName: { type: 'string' },
    keyBundle: sealedOut,
    boxPublicKey: base64url,
    signPublicKey: base64url,
    channels: {
      type: 'array',
      items: {
        type: 'object',
        properties: { slug: { type: 'string' }, name: { type: 'string' }, organisation: { type: 'string' } },
        required: ['slug', 'name', 'organisation'],
        additionalProperties: false,
      },
    },
    organisation: {
      anyOf: [
        { type: 'null' },
        { type: 'object', properties: { slug: { type: 'string' }, name: { type: 'string' } }, required: ['slug', 'name'], additionalProperties: false },
      ],
    },
    totpEnabled: { type: 'boolean' },
    totpRequired: { type: 'boolean', description: 'The operator requires TOTP for this account: case routes answer 403 until it is on.' },
  },
  required: ['id', 'role', 'username', 'displayName', 'keyBundle', 'boxPublicKey', 'signPublicKey', 'channels', 'organisation', 'totpEnabled', 'totpRequired'],
  additionalProperties: false,
} as const;

export const loginAnswer = {
  type: 'object',
  properties: { token: { type: 'string' }, expiresAt: isoTime, account: accountView },
  required: ['token', 'expiresAt', 'account'],
  additionalProperties: false,
} as const;

/** The current authKey: a bearer token alone must not turn a second factor on. */
export const totpStartBody = {
  type: 'object',
  properties: { authKey: KEY },
  required: ['authKey'],
  additionalProperties: false,
} as const;

export const totpStartAnswer = {
  type: 'object',
  properties: { secret: { type: 'string', description: 'RFC 4648 base32, for typing into an app' }, uri: { type: 'string' } },
  required: ['secret', 'uri'],
  additionalProperties: false,
} as const;

export const totpConfirmBody = {
  type: 'object',
  properties: { code: totp },
  required: ['code'],
  additionalProperties: false,
} as const;

export const passphraseBody = {
  type: 'object',
  properties: { authKey: KEY, kdf, newAuthKey: KEY, keyBundle: sealed },
  required: ['authKey', 'kdf', 'newAuthKey', 'keyBundle'],
  additionalProperties: false,
} as const;

export const recoveryChallengeBody = preloginBody;

export const recoveryChallengeAnswer = {
  type: 'object',
  properties: { challenge: { type: 'string' }, recoveryBundle: sealedOut },
  required: ['challenge', 'recoveryBundle'],
  additionalProperties: false,
} as const;

export const recoveryBody = {
  type: 'object',
  properties: {
    username,
    challenge: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' },
    signature: base64urlOf(64),
    totp,
    kdf,
    authKey: KEY,
    keyBundle: sealed,
  },
  required: ['username', 'challenge', 'signature', 'kdf', 'authKey', 'keyBundle'],
  additionalProperties: false,
} as const;
