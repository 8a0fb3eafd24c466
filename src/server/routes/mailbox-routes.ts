/** The reporter's mailbox, opened with the code: login, reading, messages, consent, new code, logout. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MESSAGE_BLOCK, type ConsentRequest, type Envelope, type MailboxSessionRequest, type RotateMailboxRequest } from '../../protocol/index.js';
import { checkId, decodeBytes, decodeCiphertext, encodeBytes } from '../bytes.js';
import { bearerToken } from '../plugins/bearer.js';
import { errors } from '../schemas/common.js';
import {
  consentAnswer,
  consentBody,
  mailboxChallengeAnswer,
  mailboxChallengeBody,
  mailboxSessionBody,
  mailboxView,
  okAnswer,
  postMessageAnswer,
  postMessageBody,
  relayParams,
  rotateBody,
  sessionAnswer,
} from '../schemas/reporter.js';

declare module 'fastify' {
  interface FastifyRequest {
    mailboxSession: { caseId: string; tokenHash: Buffer } | null;
  }
}

const envelopeOut = (e: { nonce: Uint8Array; ciphertext: Uint8Array }) => ({ nonce: encodeBytes(e.nonce), ciphertext: encodeBytes(e.ciphertext) });
const security = [{ bearer: [] }];

export async function mailboxRoutes(app: FastifyInstance): Promise<void> {
  const { mailbox } = app.services;
  const { limits } = app.config;

  app.decorateRequest('mailboxSession', null);
  const signedIn = async (request: FastifyRequest) => {
    request.mailboxSession = await mailbox.authenticate(bearerToken(request));
  };
  const session = (request: FastifyRequest) => request.mailboxSession as { caseId: string; tokenHash: Buffer };

  app.post<{ Body: { mailboxId: string } }>(
    '/api/v1/mailbox/challenge',
    { schema: { tags: ['mailbox'], body: mailboxChallengeBody, response: { 200: mailboxChallengeAnswer, ...errors(400) } } },
    async (request) => ({ challenge: encodeBytes(mailbox.challenge(checkId(request.body.mailboxId, 'mailbox_id', 16))) }),
  );

  app.post<{ Body: MailboxSessionRequest }>(
    '/api/v1/mailbox/session',
    { schema: { tags: ['mailbox'], body: mailboxSessionBody, response: { 200: sessionAnswer, ...errors(400, 401) } } },
    async (request) => {
      const opened = await mailbox.openSession({
        mailboxId: checkId(request.body.mailboxId, 'mailbox_id', 16),
        challenge: decodeBytes(request.body.challenge, 'challenge', 32),
        signature: decodeBytes(request.body.signature, 'signature', 64),
      });
      return { token: opened.token, expiresAt: opened.expiresAt.toISOString() };
    },
  );

  app.get(
    '/api/v1/mailbox',
    { preHandler: signedIn, schema: { tags: ['mailbox'], security, response: { 200: mailboxView, ...errors(401) } } },
    async (request) => {
      const view = await mailbox.read(session(request).caseId);
      return {
        caseId: view.caseId,
        status: view.status,
        receivedAt: view.receivedAt.toISOString(),
        acknowledgedAt: view.acknowledgedAt?.toISOString() ?? null,
        feedbackBy: view.feedbackBy.toISOString(),
        reporterWrap: encodeBytes(view.reporterWrap),
        report: envelopeOut(view.report),
        messages: view.messages.map((m) => ({ id: m.id, author: m.author, sentAt: m.sentAt.toISOString(), ...envelopeOut(m) })),
        relays: view.relays.map((r) => ({ relayId: r.relayId, state: r.state, copy: envelopeOut(r.copy) })),
        files: view.files.map((f) => ({ fileId: f.fileId, header: envelopeOut(f.header), bytes: f.bytes })),
        commitment: view.commitment,
        readers: view.readers,
      };
    },
  );

  app.post<{ Body: Envelope }>(
    '/api/v1/mailbox/messages',
    {
      preHandler: signedIn,
      schema: { tags: ['mailbox'], security, body: postMessageBody, response: { 201: postMessageAnswer, ...errors(400, 401, 413, 429) } },
    },
    async (request, reply) => {
      const posted = await mailbox.postMessage(session(request).caseId, {
        nonce: decodeBytes(request.body.nonce, 'nonce', 24),
        ciphertext: decodeCiphertext(request.body.ciphertext, 'ciphertext', MESSAGE_BLOCK, limits.messageBytes),
      });
      return reply.status(201).send({ id: posted.id, sentAt: posted.sentAt.toISOString() });
    },
  );

  app.post<{ Params: { relayId: string }; Body: ConsentRequest }>(
    '/api/v1/mailbox/relays/:relayId/consent',
    {
      preHandler: signedIn,
      schema: { tags: ['mailbox'], security, params: relayParams, body: consentBody, response: { 200: consentAnswer, ...errors(400, 401, 404, 409) } },
    },
    async (request) => {
      const { decision, approval } = request.body;
      const state = await mailbox.consent(session(request).caseId, request.params.relayId, decision, approval === undefined ? undefined : decodeBytes(approval, 'approval', 32));
      return { relayId: request.params.relayId, state };
    },
  );

  app.post<{ Body: RotateMailboxRequest }>(
    '/api/v1/mailbox/rotate',
    { preHandler: signedIn, schema: { tags: ['mailbox'], security, body: rotateBody, response: { 200: okAnswer, ...errors(400, 401, 409) } } },
    async (request) => {
      await mailbox.rotate(session(request).caseId, {
        mailboxId: checkId(request.body.mailboxId, 'mailbox_id', 16),
        reporterSignPublicKey: decodeBytes(request.body.reporterSignPublicKey, 'reporter_sign_public_key', 32),
        reporterBoxPublicKey: decodeBytes(request.body.reporterBoxPublicKey, 'reporter_box_public_key', 32),
        reporterWrap: decodeBytes(request.body.reporterWrap, 'reporter_wrap', 80),
        proof: decodeBytes(request.body.proof, 'proof', 64),
        commitmentSignature: request.body.commitmentSignature === undefined ? undefined : decodeBytes(request.body.commitmentSignature, 'commitment_signature', 64),
      });
      return { ok: true };
    },
  );

  app.delete(
    '/api/v1/mailbox/session',
    { preHandler: signedIn, schema: { tags: ['mailbox'], security, response: { 204: { type: 'null' }, ...errors(401) } } },
    async (request, reply) => {
      await mailbox.closeSession(session(request).tokenHash);
      return reply.status(204).send();
    },
  );
}
