/** Staff accounts and sessions (docs/protocol.md §3, §6 staff side): invites, login, second factor, passphrase, recovery. */
import { Type, type Static } from '@sinclair/typebox';
import { operation } from './operation.js';
import { Base64url, Bytes, IsoTime, NoContent, OrNull, PlainText, SignedChallenge, Strict, StringEnum } from './primitives.js';

const Key = Bytes(32);
const Username = PlainText(1, 64);
const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });
const InviteToken = Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' });

/** A key bundle a client stores: at most 1024 bytes of ciphertext. */
const SealedBundle = Strict({ nonce: Bytes(24), ciphertext: Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength: 1366 }) });
const StoredBundle = Strict({ nonce: Base64url, ciphertext: Base64url });

/** Staff Argon2id parameters as they travel (§3). */
export const KdfParams = Strict({
  salt: Bytes(16),
  ops: Type.Integer({ minimum: 1, maximum: 100 }),
  // At most what the kdf_mem column (a 32-bit integer) stores: 2 GiB, more than any client
  // derives with. A larger value passed the schema and failed the insert with a 500.
  mem: Type.Integer({ minimum: 8192, maximum: 2147483647 }),
});
export type KdfParams = Static<typeof KdfParams>;

export const StaffRole = StringEnum(['adviser', 'recipient', 'operator']);
export type StaffRole = Static<typeof StaffRole>;

export const AcceptInviteRequest = Strict({
  token: InviteToken,
  username: Username,
  displayName: PlainText(1, 100),
  kdf: KdfParams,
  authKey: Key,
  boxPublicKey: Key,
  signPublicKey: Key,
  keyBundle: SealedBundle,
  recoveryBundle: SealedBundle,
});
export type AcceptInviteRequest = Static<typeof AcceptInviteRequest>;

export const AcceptInviteResponse = Strict({ accountId: Type.String(), role: StaffRole });
export type AcceptInviteResponse = Static<typeof AcceptInviteResponse>;

export const JoinChannelRequest = Strict({ token: InviteToken });
export const JoinChannelResponse = Strict({ channel: Type.String() });

export const UsernameRequest = Strict({ username: Username });

export const PreloginResponse = Strict({ kdf: Strict({ salt: Base64url, ops: Type.Integer(), mem: Type.Integer() }) });

export const LoginRequest = Strict({ username: Username, authKey: Key, totp: Type.Optional(TotpCode) });
export type LoginRequest = Static<typeof LoginRequest>;

export const StaffAccount = Strict({
  id: Type.String(),
  role: StaffRole,
  username: Type.String(),
  displayName: Type.String(),
  keyBundle: StoredBundle,
  boxPublicKey: Base64url,
  signPublicKey: Base64url,
  channels: Type.Array(
    Strict({
      slug: Type.String(),
      name: Type.String(),
      organisation: Type.String(),
      locations: Type.Array(Strict({ id: Type.String(), name: Type.String() }), {
        description: "Extension: the channel's departments or locations, the ids a registration record's `location` takes (§4); empty when it keeps none.",
      }),
    }),
  ),
  organisation: OrNull(Strict({ slug: Type.String(), name: Type.String() })),
  totpEnabled: Type.Boolean(),
  totpRequired: Type.Boolean({ description: 'The operator requires TOTP for this account: case routes answer 403 until it is on.' }),
});
export type StaffAccount = Static<typeof StaffAccount>;

export const LoginResponse = Strict({ token: Type.String(), expiresAt: IsoTime, account: StaffAccount });
export type LoginResponse = Static<typeof LoginResponse>;

/** The current authKey: a bearer token alone must not turn a second factor on. */
export const TotpStartRequest = Strict({ authKey: Key });
export type TotpStartRequest = Static<typeof TotpStartRequest>;

export const TotpStartResponse = Strict({ secret: Type.String({ description: 'RFC 4648 base32, for typing into an app' }), uri: Type.String() });
export type TotpStartResponse = Static<typeof TotpStartResponse>;

export const TotpConfirmRequest = Strict({ code: TotpCode });

export const PassphraseChangeRequest = Strict({ authKey: Key, kdf: KdfParams, newAuthKey: Key, keyBundle: SealedBundle });
export type PassphraseChangeRequest = Static<typeof PassphraseChangeRequest>;

export const RecoveryChallengeResponse = Strict({ challenge: Type.String(), recoveryBundle: StoredBundle });
export type RecoveryChallengeResponse = Static<typeof RecoveryChallengeResponse>;

export const RecoveryRequest = Strict({
  username: Username,
  challenge: SignedChallenge,
  signature: Bytes(64),
  totp: Type.Optional(TotpCode),
  kdf: KdfParams,
  authKey: Key,
  keyBundle: SealedBundle,
});
export type RecoveryRequest = Static<typeof RecoveryRequest>;

export const acceptInvite = operation({
  method: 'POST',
  url: '/api/v1/invites/accept',
  operationId: 'acceptInvite',
  summary: 'Create a staff account from an invite, with its public keys and sealed key bundles',
  tag: 'staff',
  auth: 'none',
  body: AcceptInviteRequest,
  response: { 201: AcceptInviteResponse },
  errors: [400, 404, 409],
});

export const joinChannel = operation({
  method: 'POST',
  url: '/api/v1/invites/join',
  operationId: 'joinChannel',
  summary: "Join another channel with an invite, as an adviser who already has an account",
  tag: 'staff',
  auth: 'staff',
  body: JoinChannelRequest,
  response: { 200: JoinChannelResponse },
  errors: [400, 401, 403, 404],
});

export const prelogin = operation({
  method: 'POST',
  url: '/api/v1/auth/prelogin',
  operationId: 'prelogin',
  summary: "An account's Argon2id parameters (made-up ones for an unknown name)",
  tag: 'staff',
  auth: 'none',
  body: UsernameRequest,
  response: { 200: PreloginResponse },
  errors: [400],
});

export const login = operation({
  method: 'POST',
  url: '/api/v1/auth/login',
  operationId: 'login',
  summary: 'Sign in with the key derived from the passphrase (and a TOTP code when on)',
  tag: 'staff',
  auth: 'none',
  body: LoginRequest,
  response: { 200: LoginResponse },
  errors: [400, 401, 429],
});

export const logout = operation({
  method: 'POST',
  url: '/api/v1/auth/logout',
  operationId: 'logout',
  summary: 'End the staff session',
  tag: 'staff',
  auth: 'staff',
  response: { 204: NoContent },
  errors: [401],
});

export const ResumeKeyResponse = Strict({
  key: Bytes(32, { description: 'Seals this session’s keys in the browser for a reload; the same for the whole session, gone with it.' }),
});

export const resumeKey = operation({
  method: 'GET',
  url: '/api/v1/auth/resume-key',
  operationId: 'resumeKey',
  summary: 'Extension: the key that lets a reloaded or new tab resume this session (with the browser’s own key)',
  tag: 'staff',
  auth: 'staff',
  response: { 200: ResumeKeyResponse },
  errors: [401],
});

export const startTotp = operation({
  method: 'POST',
  url: '/api/v1/auth/totp',
  operationId: 'startTotp',
  summary: 'Start turning on TOTP: a new secret, not yet in force',
  tag: 'staff',
  auth: 'staff',
  body: TotpStartRequest,
  response: { 200: TotpStartResponse },
  errors: [400, 401, 409, 429],
});

export const confirmTotp = operation({
  method: 'POST',
  url: '/api/v1/auth/totp/confirm',
  operationId: 'confirmTotp',
  summary: 'Turn TOTP on with a first code from the app',
  tag: 'staff',
  auth: 'staff',
  body: TotpConfirmRequest,
  response: { 204: NoContent },
  errors: [400, 401, 409],
});

export const changePassphrase = operation({
  method: 'POST',
  url: '/api/v1/auth/passphrase',
  operationId: 'changePassphrase',
  summary: 'Change the passphrase: a new login key and the key bundle sealed again',
  tag: 'staff',
  auth: 'staff',
  body: PassphraseChangeRequest,
  response: { 204: NoContent },
  errors: [400, 401, 429],
});

export const recoveryChallenge = operation({
  method: 'POST',
  url: '/api/v1/auth/recovery/challenge',
  operationId: 'recoveryChallenge',
  summary: 'Start account recovery: a challenge and the recovery bundle to open with the recovery key',
  tag: 'staff',
  auth: 'none',
  body: UsernameRequest,
  response: { 200: RecoveryChallengeResponse },
  errors: [400],
});

export const recover = operation({
  method: 'POST',
  url: '/api/v1/auth/recovery',
  operationId: 'recover',
  summary: 'Recover an account: a signed challenge sets a new passphrase',
  tag: 'staff',
  auth: 'none',
  body: RecoveryRequest,
  response: { 204: NoContent },
  errors: [400, 401, 429],
});
