/** The adviser's cases: list, detail, messages to the reporter, status, registration, grants. */
import type { FastifyInstance } from 'fastify';
import { MESSAGE_BLOCK, REGISTRATION_BLOCK, type Envelope } from '../../protocol/index.js';
import { checkId, decodeBytes, decodeCiphertext, encodeBytes } from '../bytes.js';
import type { CaseStatus } from '../db/schema.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { errors } from '../schemas/common.js';
import { checkBefore } from '../schemas/cursor.js';
import {
  caseDetail,
  caseList,
  caseListQuery,
  caseMessageAnswer,
  caseMessageBody,
  caseParams,
  grantAnswer,
  grantBody,
  pinBody,
  registrationAnswer,
  registrationBody,
  statusAnswer,
  statusBody,
} from '../schemas/cases.js';

const envelopeOut = (e: { nonce: Uint8Array; ciphertext: Uint8Array }) => ({ nonce: encodeBytes(e.nonce), ciphertext: encodeBytes(e.ciphertext) });
const time = (d: Date | null) => d?.toISOString() ?? null;
const security = [{ bearer: [] }];
type CaseRequest = { Params: { caseId: string } };

export async function caseRoutes(app: FastifyInstance): Promise<void> {
  const { cases } = app.services;
  const { limits } = app.config;
  const guards = staffGuards(app);
  const me = (request: Parameters<typeof guards.principal>[0]) => guards.principal(request).accountId;
  const caseIdOf = (request: { params: { caseId: string } }) => checkId(request.params.caseId, 'case_id', 16);
  const sealedIn = (body: Envelope, block: number) => ({
    nonce: decodeBytes(body.nonce, 'nonce', 24),
    ciphertext: decodeCiphertext(body.ciphertext, 'ciphertext', block, limits.messageBytes),
  });

  app.get<{ Querystring: { status?: CaseStatus; channel?: string; before?: string; limit?: number } }>(
    '/api/v1/cases',
    { preHandler: guards.adviser, schema: { tags: ['cases'], security, querystring: caseListQuery, response: { 200: caseList, ...errors(400, 401, 403) } } },
    async (request) => {
      checkBefore(request.query.before);
      const page = await cases.list(me(request), request.query);
      return {
        cases: page.cases.map((c) => ({
          ...c,
          receivedAt: c.receivedAt.toISOString(),
          acknowledgedAt: time(c.acknowledgedAt),
          acknowledgeBy: c.acknowledgeBy.toISOString(),
          feedbackBy: c.feedbackBy.toISOString(),
          wrap: encodeBytes(c.wrap),
        })),
        next: page.next,
      };
    },
  );

  app.get<CaseRequest>(
    '/api/v1/cases/:caseId',
    { preHandler: guards.adviser, schema: { tags: ['cases'], security, params: caseParams, response: { 200: caseDetail, ...errors(400, 401, 403, 404) } } },
    async (request) => {
      const c = await cases.detail(me(request), caseIdOf(request));
      return {
        caseId: c.caseId,
        channel: c.channel,
        status: c.status,
        receivedAt: c.receivedAt.toISOString(),
        acknowledgedAt: time(c.acknowledgedAt),
        acknowledgeBy: c.acknowledgeBy.toISOString(),
        feedbackBy: c.feedbackBy.toISOString(),
        overdue: c.overdue,
        wrap: encodeBytes(c.wrap),
        reporterWrap: encodeBytes(c.reporterWrap),
        reporterSignPublicKey: encodeBytes(c.reporterSignPublicKey),
        commitment: c.commitment,
        pin: c.pin === null ? null : encodeBytes(c.pin),
        report: envelopeOut(c.report),
        messages: c.messages.map((m) => ({ id: m.id, author: m.author, sentAt: m.sentAt.toISOString(), ...envelopeOut(m) })),
        relays: c.relays.map((r) => ({ relayId: r.relayId, state: r.state, createdAt: r.createdAt.toISOString(), sentAt: time(r.sentAt), copy: envelopeOut(r.copy) })),
        files: c.files.map((f) => ({ fileId: f.fileId, header: envelopeOut(f.header), bytes: f.bytes })),
        registration: c.registration ? { ...envelopeOut(c.registration), updatedAt: c.registration.updatedAt.toISOString() } : null,
      };
    },
  );

  app.post<CaseRequest & { Body: Envelope }>(
    '/api/v1/cases/:caseId/messages',
    {
      preHandler: guards.adviser,
      schema: { tags: ['cases'], security, params: caseParams, body: caseMessageBody, response: { 201: caseMessageAnswer, ...errors(400, 401, 403, 404, 413) } },
    },
    async (request, reply) => {
      const posted = await cases.postMessage(me(request), caseIdOf(request), sealedIn(request.body, MESSAGE_BLOCK));
      return reply.status(201).send({ id: posted.id, sentAt: posted.sentAt.toISOString() });
    },
  );

  app.patch<CaseRequest & { Body: { status: CaseStatus } }>(
    '/api/v1/cases/:caseId',
    {
      preHandler: guards.adviser,
      schema: { tags: ['cases'], security, params: caseParams, body: statusBody, response: { 200: statusAnswer, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const changed = await cases.setStatus(me(request), caseIdOf(request), request.body.status);
      return {
        status: changed.status,
        acknowledgedAt: time(changed.acknowledgedAt),
        acknowledgeBy: changed.acknowledgeBy.toISOString(),
        feedbackBy: changed.feedbackBy.toISOString(),
        overdue: changed.overdue,
      };
    },
  );

  app.put<CaseRequest & { Body: Envelope }>(
    '/api/v1/cases/:caseId/registration',
    {
      preHandler: guards.adviser,
      schema: { tags: ['cases'], security, params: caseParams, body: registrationBody, response: { 200: registrationAnswer, ...errors(400, 401, 403, 404, 413) } },
    },
    async (request) => {
      const saved = await cases.putRegistration(me(request), caseIdOf(request), sealedIn(request.body, REGISTRATION_BLOCK));
      return { updatedAt: saved.updatedAt.toISOString() };
    },
  );

  app.put<CaseRequest & { Body: { pin: string } }>(
    '/api/v1/cases/:caseId/pin',
    {
      preHandler: guards.adviser,
      schema: {
        tags: ['cases'],
        security,
        params: caseParams,
        body: pinBody,
        response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await cases.pin(me(request), caseIdOf(request), decodeBytes(request.body.pin, 'pin', 64));
      return reply.status(204).send();
    },
  );

  app.post<CaseRequest & { Body: { keyId: string; wrap: string } }>(
    '/api/v1/cases/:caseId/grants',
    {
      preHandler: guards.adviser,
      schema: { tags: ['cases'], security, params: caseParams, body: grantBody, response: { 201: grantAnswer, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      await cases.grant(me(request), caseIdOf(request), { keyId: request.body.keyId, wrap: decodeBytes(request.body.wrap, 'wrap', 80) });
      return reply.status(201).send({ keyId: request.body.keyId });
    },
  );
}
