/** Staff accounts: invite acceptance, pre-login, login, logout, TOTP, passphrase change, recovery. */
import type { FastifyInstance } from 'fastify';
import { decodeBytes, encodeBytes } from '../bytes.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { errors } from '../schemas/common.js';
import {
  acceptInviteAnswer,
  acceptInviteBody,
  joinChannelAnswer,
  joinChannelBody,
  loginAnswer,
  loginBody,
  passphraseBody,
  preloginAnswer,
  preloginBody,
  recoveryBody,
  recoveryChallengeAnswer,
  recoveryChallengeBody,
  totpConfirmBody,
  totpStartAnswer,
  totpStartBody,
} from '../schemas/staff.js';
import type { AccountView, KdfParams, Sealed } from '../services/accounts.js';
import { base32 } from '../services/totp.js';

interface WireKdf {
  salt: string;
  ops: number;
  mem: number;
}
interface WireSealed {
  nonce: string;
  ciphertext: string;
}

const kdfIn = (kdf: WireKdf): KdfParams => ({ salt: decodeBytes(kdf.salt, 'kdf_salt', 16), ops: kdf.ops, mem: kdf.mem });
const sealedIn = (sealed: WireSealed, field: string): Sealed => ({
  nonce: decodeBytes(sealed.nonce, `${field}_nonce`, 24),
  ciphertext: decodeBytes(sealed.ciphertext, `${field}_ciphertext`),
});
const sealedOut = (sealed: Sealed) => ({ nonce: encodeBytes(sealed.nonce), ciphertext: encodeBytes(sealed.ciphertext) });
const accountOut = (account: AccountView) => ({
  ...account,
  keyBundle: sealedOut(account.keyBundle),
  boxPublicKey: encodeBytes(account.boxPublicKey),
  signPublicKey: encodeBytes(account.signPublicKey),
});
const security = [{ bearer: [] }];

export async function staffAuthRoutes(app: FastifyInstance): Promise<void> {
  const { accounts } = app.services;
  const guards = staffGuards(app);

  app.post<{
    Body: {
      token: string;
      username: string;
      displayName: string;
      kdf: WireKdf;
      authKey: string;
      boxPublicKey: string;
      signPublicKey: string;
      keyBundle: WireSealed;
      recoveryBundle: WireSealed;
    };
  }>(
    '/api/v1/invites/accept',
    { schema: { tags: ['staff'], body: acceptInviteBody, response: { 201: acceptInviteAnswer, ...errors(400, 404, 409) } } },
    async (request, reply) => {
      const body = request.body;
      const created = await accounts.acceptInvite({
        token: body.token,
        username: body.username,
        displayName: body.displayName,
        kdf: kdfIn(body.kdf),
        authKey: decodeBytes(body.authKey, 'auth_key', 32),
        boxPublicKey: decodeBytes(body.boxPublicKey, 'box_public_key', 32),
        signPublicKey: decodeBytes(body.signPublicKey, 'sign_public_key', 32),
        keyBundle: sealedIn(body.keyBundle, 'key_bundle'),
        recoveryBundle: sealedIn(body.recoveryBundle, 'recovery_bundle'),
      });
      return reply.status(201).send(created);
    },
  );

  app.post<{ Body: { token: string } }>(
    '/api/v1/invites/join',
    {
      preHandler: guards.adviser,
      schema: { tags: ['staff'], security, body: joinChannelBody, response: { 200: joinChannelAnswer, ...errors(400, 401, 403, 404) } },
    },
    async (request) => accounts.joinChannel(guards.principal(request), request.body.token),
  );

  app.post<{ Body: { username: string } }>(
    '/api/v1/auth/prelogin',
    { schema: { tags: ['staff'], body: preloginBody, response: { 200: preloginAnswer, ...errors(400) } } },
    async (request) => {
      const kdf = await accounts.prelogin(request.body.username);
      return { kdf: { salt: encodeBytes(kdf.salt), ops: kdf.ops, mem: kdf.mem } };
    },
  );

  app.post<{ Body: { username: string; authKey: string; totp?: string } }>(
    '/api/v1/auth/login',
    { schema: { tags: ['staff'], body: loginBody, response: { 200: loginAnswer, ...errors(400, 401, 429) } } },
    async (request) => {
      const signedIn = await accounts.login({
        username: request.body.username,
        authKey: decodeBytes(request.body.authKey, 'auth_key', 32),
        totp: request.body.totp,
      });
      return { token: signedIn.token, expiresAt: signedIn.expiresAt.toISOString(), account: accountOut(signedIn.account) };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { preHandler: guards.anyStaff, schema: { tags: ['staff'], security, response: { 204: { type: 'null' }, ...errors(401) } } },
    async (request, reply) => {
      await accounts.logout(guards.principal(request));
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { authKey: string } }>(
    '/api/v1/auth/totp',
    {
      preHandler: guards.anyStaff,
      schema: { tags: ['staff'], security, body: totpStartBody, response: { 200: totpStartAnswer, ...errors(400, 401, 409, 429) } },
    },
    async (request) => {
      const started = await accounts.startTotp(guards.principal(request), decodeBytes(request.body.authKey, 'auth_key', 32));
      return { secret: base32(started.secret), uri: started.uri };
    },
  );

  app.post<{ Body: { code: string } }>(
    '/api/v1/auth/totp/confirm',
    {
      preHandler: guards.anyStaff,
      schema: { tags: ['staff'], security, body: totpConfirmBody, response: { 204: { type: 'null' }, ...errors(400, 401, 409) } },
    },
    async (request, reply) => {
      await accounts.confirmTotp(guards.principal(request), request.body.code);
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { authKey: string; kdf: WireKdf; newAuthKey: string; keyBundle: WireSealed } }>(
    '/api/v1/auth/passphrase',
    {
      preHandler: guards.anyStaff,
      schema: { tags: ['staff'], security, body: passphraseBody, response: { 204: { type: 'null' }, ...errors(400, 401, 429) } },
    },
    async (request, reply) => {
      await accounts.changePassphrase(guards.principal(request), {
        authKey: decodeBytes(request.body.authKey, 'auth_key', 32),
        kdf: kdfIn(request.body.kdf),
        newAuthKey: decodeBytes(request.body.newAuthKey, 'new_auth_key', 32),
        keyBundle: sealedIn(request.body.keyBundle, 'key_bundle'),
      });
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { username: string } }>(
    '/api/v1/auth/recovery/challenge',
    { schema: { tags: ['staff'], body: recoveryChallengeBody, response: { 200: recoveryChallengeAnswer, ...errors(400) } } },
    async (request) => {
      const started = await accounts.recoveryChallenge(request.body.username);
      return { challenge: started.challenge, recoveryBundle: sealedOut(started.recoveryBundle) };
    },
  );

  app.post<{ Body: { username: string; challenge: string; signature: string; totp?: string; kdf: WireKdf; authKey: string; keyBundle: WireSealed } }>(
    '/api/v1/auth/recovery',
    { schema: { tags: ['staff'], body: recoveryBody, response: { 204: { type: 'null' }, ...errors(400, 401, 429) } } },
    async (request, reply) => {
      const body = request.body;
      await accounts.recover({
        username: body.username,
        challenge: body.challenge,
        signature: decodeBytes(body.signature, 'signature', 64),
        totp: body.totp,
        kdf: kdfIn(body.kdf),
        authKey: decodeBytes(body.authKey, 'auth_key', 32),
        keyBundle: sealedIn(body.keyBundle, 'key_bundle'),
      });
      return reply.status(204).send();
    },
  );
}
