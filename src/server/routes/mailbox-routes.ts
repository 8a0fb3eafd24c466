/** The reporter's mailbox, opened with the code: login, reading, messages, consent, new code, logout. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { MESSAGE_BLOCK } from '../../protocol/index.js';
import {
  closeMailboxSession, consentRelay, getMailbox, mailboxChallenge, openMailboxSession, postMailboxMessage, rotateMailbox
} from '../../protocol/contract/index.js';
import { checkId, decodeBytes, encodeBytes, envelopeIn, envelopeOut, messageOut, timeOrNull } from '../bytes.js';
import { bearerToken } from '../plugins/bearer.js';
import { routeOf } from './operation-route.js';

declare module 'fastify' {
  interface FastifyRequest {
    mailboxSession: { caseId: string; tokenHash: Buffer } | null;
  }
}

export const mailboxRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { mailbox } = app.services;
  const { limits } = app.config;

  app.decorateRequest('mailboxSession', null);
  const signedIn = async (request: FastifyRequest) => {
    request.mailboxSession = await mailbox.authenticate(bearerToken(request));
  };
  const session = (request: FastifyRequest) => request.mailboxSession as { caseId: string; tokenHash: Buffer };

  app.route({
    ...routeOf(mailboxChallenge),
    handler: async (request) => ({ challenge: encodeBytes(mailbox.challenge(checkId(request.body.mailboxId, 'mailbox_id', 16))) }),
  });

  app.route({
    ...routeOf(openMailboxSession),
    handler: async (request) => {
      const opened = await mailbox.openSession({
        mailboxId: checkId(request.body.mailboxId, 'mailbox_id', 16),
        challenge: decodeBytes(request.body.challenge, 'challenge', 32),
        signature: decodeBytes(request.body.signature, 'signature', 64),
      });
      return { token: opened.token, expiresAt: opened.expiresAt.toISOString() };
    },
  });

  app.route({
    ...routeOf(getMailbox),
    preHandler: signedIn,
    handler: async (request) => {
      const view = await mailbox.read(session(request).caseId);
      return {
        caseId: view.caseId,
        status: view.status,
        receivedAt: view.receivedAt.toISOString(),
        acknowledgedAt: timeOrNull(view.acknowledgedAt),
        feedbackBy: view.feedbackBy.toISOString(),
        feedbackGivenAt: timeOrNull(view.feedbackGivenAt),
        reporterWrap: encodeBytes(view.reporterWrap),
        report: envelopeOut(view.report),
        messages: view.messages.map(messageOut),
        relays: view.relays.map((r) => ({ relayId: r.relayId, state: r.state, copy: envelopeOut(r.copy), attachments: r.attachments })),
        files: view.files.map((f) => ({ fileId: f.fileId, header: envelopeOut(f.header), bytes: f.bytes, author: f.author })),
        commitment: view.commitment,
        readers: view.readers,
      };
    },
  });

  app.route({
    ...routeOf(postMailboxMessage),
    preHandler: signedIn,
    handler: async (request, reply) => {
      const posted = await mailbox.postMessage(session(request).caseId, envelopeIn(request.body, MESSAGE_BLOCK, limits.messageBytes));
      return reply.status(201).send({ id: posted.id, sentAt: posted.sentAt.toISOString() });
    },
  });

  app.route({
    ...routeOf(consentRelay),
    preHandler: signedIn,
    handler: async (request) => {
      const { decision, approval } = request.body;
      const state = await mailbox.consent(session(request).caseId, request.params.relayId, decision, approval === undefined ? undefined : decodeBytes(approval, 'approval', 32));
      return { relayId: request.params.relayId, state };
    },
  });

  app.route({
    ...routeOf(rotateMailbox),
    preHandler: signedIn,
    handler: async (request) => {
      const body = request.body;
      await mailbox.rotate(session(request).caseId, {
        mailboxId: checkId(body.mailboxId, 'mailbox_id', 16),
        reporterSignPublicKey: decodeBytes(body.reporterSignPublicKey, 'reporter_sign_public_key', 32),
        reporterBoxPublicKey: decodeBytes(body.reporterBoxPublicKey, 'reporter_box_public_key', 32),
        reporterWrap: decodeBytes(body.reporterWrap, 'reporter_wrap', 80),
        proof: decodeBytes(body.proof, 'proof', 64),
        commitmentSignature: body.commitmentSignature === undefined ? undefined : decodeBytes(body.commitmentSignature, 'commitment_signature', 64),
      });
      return { ok: true };
    },
  });

  app.route({
    ...routeOf(closeMailboxSession),
    preHandler: signedIn,
    handler: async (request, reply) => {
      await mailbox.closeSession(session(request).tokenHash);
      return reply.status(204).send();
    },
  });
};
