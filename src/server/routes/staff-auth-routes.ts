/** Staff accounts: invite acceptance, pre-login, login, logout, TOTP, passphrase change, recovery. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  acceptInvite, changePassphrase, confirmTotp, joinChannel, login, logout, prelogin, recover, recoveryChallenge, resumeKey, startTotp,
  type Envelope, type KdfParams as WireKdf
} from '../../protocol/contract/index.js';
import { decodeBytes, encodeBytes, envelopeOut } from '../bytes.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { routeOf } from './operation-route.js';
import type { AccountView, KdfParams, Sealed } from '../services/accounts.js';
import { base32 } from '../services/totp.js';

const kdfIn = (kdf: WireKdf): KdfParams => ({ salt: decodeBytes(kdf.salt, 'kdf_salt', 16), ops: kdf.ops, mem: kdf.mem });
const sealedIn = (sealed: Envelope, field: string): Sealed => ({
  nonce: decodeBytes(sealed.nonce, `${field}_nonce`, 24),
  ciphertext: decodeBytes(sealed.ciphertext, `${field}_ciphertext`),
});
const accountOut = (account: AccountView) => ({
  ...account,
  keyBundle: envelopeOut(account.keyBundle),
  boxPublicKey: encodeBytes(account.boxPublicKey),
  signPublicKey: encodeBytes(account.signPublicKey),
});
export const staffAuthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts } = app.services;
  const guards = staffGuards(app);

  app.route({
    ...routeOf(acceptInvite),
    handler: async (request, reply) => {
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
  });

  app.route({
    ...routeOf(joinChannel),
    preHandler: guards.adviser,
    handler: async (request) => accounts.joinChannel(guards.principal(request), request.body.token),
  });

  app.route({
    ...routeOf(prelogin),
    handler: async (request) => {
      const kdf = await accounts.prelogin(request.body.username);
      return { kdf: { salt: encodeBytes(kdf.salt), ops: kdf.ops, mem: kdf.mem } };
    },
  });

  app.route({
    ...routeOf(login),
    handler: async (request) => {
      const signedIn = await accounts.login({
        username: request.body.username,
        authKey: decodeBytes(request.body.authKey, 'auth_key', 32),
        totp: request.body.totp,
      });
      return { token: signedIn.token, expiresAt: signedIn.expiresAt.toISOString(), account: accountOut(signedIn.account) };
    },
  });

  app.route({
    ...routeOf(logout),
    preHandler: guards.anyStaff,
    handler: async (request, reply) => {
      await accounts.logout(guards.principal(request));
      return reply.status(204).send();
    },
  });

  app.route({
    ...routeOf(resumeKey),
    preHandler: guards.anyStaff,
    handler: async (request) => ({ key: encodeBytes(accounts.resumeKey(guards.principal(request))) }),
  });

  app.route({
    ...routeOf(startTotp),
    preHandler: guards.anyStaff,
    handler: async (request) => {
      const started = await accounts.startTotp(guards.principal(request), decodeBytes(request.body.authKey, 'auth_key', 32));
      return { secret: base32(started.secret), uri: started.uri };
    },
  });

  app.route({
    ...routeOf(confirmTotp),
    preHandler: guards.anyStaff,
    handler: async (request, reply) => {
      await accounts.confirmTotp(guards.principal(request), request.body.code);
      return reply.status(204).send();
    },
  });

  app.route({
    ...routeOf(changePassphrase),
    preHandler: guards.anyStaff,
    handler: async (request, reply) => {
      await accounts.changePassphrase(guards.principal(request), {
        authKey: decodeBytes(request.body.authKey, 'auth_key', 32),
        kdf: kdfIn(request.body.kdf),
        newAuthKey: decodeBytes(request.body.newAuthKey, 'new_auth_key', 32),
        keyBundle: sealedIn(request.body.keyBundle, 'key_bundle'),
      });
      return reply.status(204).send();
    },
  });

  app.route({
    ...routeOf(recoveryChallenge),
    handler: async (request) => {
      const started = await accounts.recoveryChallenge(request.body.username);
      return { challenge: started.challenge, recoveryBundle: envelopeOut(started.recoveryBundle) };
    },
  });

  app.route({
    ...routeOf(recover),
    handler: async (request, reply) => {
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
  });
};
